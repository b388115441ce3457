// Images the QML views cannot make themselves, served as
// "image://sotto/<kind>/<key>":
//   qr/<percent-encoded text>  the QR code of an invite (rendered on demand,
//                              sharp at any size: modules are scaled by
//                              whole pixels);
//   screen/<serial>            the last screen grab, for picking the region
//                              that holds a QR code;
//   icon/<pixels>              the application icon (app_icon.hpp).
// The QR text is in the URL so the provider needs no state for it. The
// screen grab lives in a ScreenGrab shared with the InviteController: the
// QML engine owns the provider and may load images off the GUI thread, so
// neither holds a pointer to the other.
#pragma once

#include <QImage>
#include <QMutex>
#include <QQuickImageProvider>
#include <memory>

namespace sotto::ui {

class ScreenGrab {
  public:
    // Stores a grab; returns the URL the view shows it under (a new one
    // each time, so the view does not show a cached older grab).
    QString set(QImage image);
    QImage image() const;
    void clear();

  private:
    mutable QMutex mutex_;
    QImage image_;
    int serial_ = 0;
};

class ImageProvider : public QQuickImageProvider {
  public:
    static constexpr const char* kId = "sotto";
    explicit ImageProvider(std::shared_ptr<ScreenGrab> screen);
    QImage requestImage(const QString& id, QSize* size, const QSize& requested) override;

    static QString qr_url(const QString& text);

  private:
    std::shared_ptr<ScreenGrab> screen_;
};

}  // namespace sotto::ui
