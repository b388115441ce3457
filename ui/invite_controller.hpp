// Both halves of adding a contact, for the invite and add-contact dialogs.
//
// Inviting: create a one-time invite valid for 1 hour, 1 day (the dialog's
// default) or 7 days and show it as a QR code (through ImageProvider) and as
// copyable text; when someone uses it, inviteAccepted fires and the dialog
// can say so. When someone opens the code's stream and leaves without using
// it (a probe: they learned we are online), probeText says so.
//
// Accepting: from pasted text, an image file, the clipboard (an image or
// text), or a region of the screen (grab the screen, let the user draw a
// rectangle around the code, decode that part). Where the screen cannot be
// grabbed directly (Wayland), the screenshot comes from the desktop portal
// (ScreenshotPortal): the user picks the area in the desktop's dialog and
// the region picker is shown over that picture. Every refusal comes back
// as the engine's message (mistyped, expired, already used, wrong network,
// ...) so each has its own clear wording. Scanning with a camera (the
// CameraScanDialog view with a CameraScanner) is built only with Qt
// Multimedia (cameraSupported); cameraAvailable says whether a camera is
// plugged in, following hot-plugging once watchCameras() was called.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QImage>
#include <QObject>
#include <QPointer>
#include <QUrl>
#include <memory>
#include <optional>

#include "ui/image_provider.hpp"

namespace sotto::net {
class MessengerDriver;
}

namespace sotto::ui {

class ScreenshotPortal;

class InviteController : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by SessionController")
    Q_PROPERTY(bool available READ available NOTIFY availableChanged)
    Q_PROPERTY(QString code READ code NOTIFY inviteChanged)
    Q_PROPERTY(QString qrSource READ qrSource NOTIFY inviteChanged)
    Q_PROPERTY(QString expiresText READ expiresText NOTIFY inviteChanged)
    // "" until someone tried the shown code without using it.
    Q_PROPERTY(QString probeText READ probeText NOTIFY inviteChanged)
    Q_PROPERTY(QString screenSource READ screenSource NOTIFY screenChanged)
    Q_PROPERTY(bool cameraSupported READ cameraSupported CONSTANT)
    Q_PROPERTY(bool cameraAvailable READ cameraAvailable NOTIFY camerasChanged)
  public:
    explicit InviteController(std::shared_ptr<ScreenGrab> screen, QObject* parent = nullptr);
    void set_messenger(net::MessengerDriver* driver);

    bool available() const { return driver_ != nullptr; }
    QString code() const { return code_; }
    QString qrSource() const;
    QString expiresText() const { return expires_text_; }
    QString probeText() const;
    QString screenSource() const { return screen_source_; }
    static bool cameraSupported();
    bool cameraAvailable() const { return camera_count_ > 0; }
    // Starts following the cameras plugged in. Not done at start-up: the
    // first look can take a quarter of a second (the media backend builds
    // its plugin registry), so the add-contact dialog asks when it opens.
    Q_INVOKABLE void watchCameras();

    // ---- inviting ----
    // A fresh invite valid for `hours`; "" on success, else why not.
    Q_INVOKABLE QString create(int hours);
    Q_INVOKABLE void copyCode() const;
    // Withdraws the shown invite (the code stops working at once).
    Q_INVOKABLE QString withdraw();
    // Forgets the shown code (the dialog closed); the invite stays open.
    Q_INVOKABLE void clear();

    // ---- accepting ----
    Q_INVOKABLE QString acceptText(const QString& text);
    Q_INVOKABLE QString acceptImageFile(const QUrl& file);
    Q_INVOKABLE QString acceptClipboard();
    // Grabs the screen under the mouse pointer; false if the platform does
    // not allow it (Wayland): then try grabScreenWithPortal().
    Q_INVOKABLE bool grabScreen();
    // Asks the desktop portal for a screenshot; false if there is no
    // portal (screenError says what to do instead). Otherwise ends with
    // screenGrabAccepted (the portal let the user pick the area already and
    // the picture held an invite that was accepted: contactAccepted has
    // fired), screenGrabbed (no code read in the whole picture: it is
    // offered for region picking), screenGrabCancelled or screenGrabFailed
    // (the portal failed, or the code in the picture was refused).
    Q_INVOKABLE bool grabScreenWithPortal();
    Q_INVOKABLE QString screenError() const;
    // The part of the last grab the user selected, in fractions (0..1) of
    // the grab's width and height.
    Q_INVOKABLE QString acceptScreenRegion(qreal x, qreal y, qreal w, qreal h);
    Q_INVOKABLE void dropScreen();
    // Offers `image` for region picking as if grabScreen() had taken it
    // (tests; platforms that hand out a grab some other way).
    void set_screen_image(QImage image);
    // The portal grabScreenWithPortal() uses (tests: one on a private bus);
    // the controller takes ownership. By default, one on the session bus,
    // made on first use.
    void set_screenshot_portal(ScreenshotPortal* portal);
    // Every QR code in the picture is tried; the first invite that is
    // accepted wins, else the first refusal is returned.
    QString accept_image(const QImage& image);

  signals:
    void availableChanged();
    void inviteChanged();
    void screenChanged();
    void camerasChanged();
    // Someone used the invite shown now and is a contact.
    void inviteAccepted(quint64 contact, const QString& name);
    // We accepted a code; the contact shows up as pending until they answer.
    void contactAccepted(quint64 contact, const QString& name);
    // The end of grabScreenWithPortal(): a picture to pick the region from
    // (screenSource), the user cancelled, or the portal failed (`message`
    // says so and what to do instead).
    void screenGrabAccepted();
    void screenGrabbed();
    void screenGrabCancelled();
    void screenGrabFailed(const QString& message);

  private:
    QString accept_texts(const std::vector<QString>& texts);

    QPointer<net::MessengerDriver> driver_;
    std::shared_ptr<ScreenGrab> screen_;
    std::optional<std::uint64_t> invite_;
    QString code_;
    QString expires_text_;
    std::uint32_t probes_ = 0;  // of the shown invite
    QString screen_source_;
    ScreenshotPortal* portal_ = nullptr;  // a child, once used or set
    QObject* camera_watch_ = nullptr;     // a QMediaDevices, once watched
    int camera_count_ = 0;
};

}  // namespace sotto::ui
