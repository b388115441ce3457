// Taking a screenshot through the XDG desktop portal
// (org.freedesktop.portal.Screenshot), for reading a QR code shown on the
// screen. On Wayland an application cannot grab the screen itself
// (QScreen::grabWindow hands out nothing); the portal asks the user in the
// desktop's own dialog, which area to share, and hands back the picture.
//
// The call is asynchronous throughout: Screenshot() returns a request
// object path and the answer comes later as that object's Response signal.
// We subscribe on the path the request will have before calling, as the
// portal documentation advises, so an answer that comes before the call's
// reply is not lost. A timeout ends a request the portal never answers.
//
// The PNG the portal writes is a picture of the user's screen: it is read
// into memory and deleted at once. Its URI is treated as untrusted (only a
// file:// URI naming a regular file of bounded size, decoded with an
// allocation limit), and only the portal's bus name may answer.
#pragma once

#include <QDBusConnection>
#include <QImage>
#include <QObject>
#include <QString>
#include <QTimer>
#include <QVariantMap>
#include <chrono>

class QDBusPendingCallWatcher;

namespace sotto::ui {

class ScreenshotPortal : public QObject {
    Q_OBJECT
  public:
    static constexpr const char* kService = "org.freedesktop.portal.Desktop";
    static constexpr const char* kPath = "/org/freedesktop/portal/desktop";
    static constexpr const char* kInterface = "org.freedesktop.portal.Screenshot";
    static constexpr const char* kRequestInterface = "org.freedesktop.portal.Request";
    // Bigger files are refused unread (a screenshot of several 4K screens
    // as PNG is a few tens of MiB).
    static constexpr qint64 kMaxFileBytes = 64 << 20;
    // Decoded pictures are refused beyond this (an 8K screen is 127 MiB).
    static constexpr int kMaxDecodedMiB = 256;

    // On the session bus (the desktop's portal).
    explicit ScreenshotPortal(QObject* parent = nullptr);
    // On `bus` (tests: a private bus with a fake portal).
    explicit ScreenshotPortal(QDBusConnection bus, QObject* parent = nullptr);
    ~ScreenshotPortal() override;

    // Whether the portal is on the bus, running or startable by D-Bus
    // activation. A short synchronous question to the bus daemon (not to
    // the portal), asked once per screen-region attempt.
    bool available() const;
    // Starts an interactive screenshot; false (and nothing emitted) if one
    // is already in progress. Ends with exactly one of finished, cancelled
    // or failed.
    bool request();
    bool busy() const { return !request_path_.isEmpty(); }
    // How long the user may take in the portal's dialog (2 minutes).
    void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

    // The object path the portal will give our request with `token`.
    static QString request_path(const QString& unique_name, const QString& token);

  signals:
    void finished(const QImage& image);
    void cancelled();
    // `reason` is short English for logs and messages; never a file path.
    void failed(const QString& reason);

  private slots:
    void on_response(uint response, const QVariantMap& results);

  private:
    void on_call_finished(QDBusPendingCallWatcher* call);
    void subscribe(const QString& path);
    void unsubscribe();
    void fail(const QString& reason);
    // Reads the picture `uri` names and deletes the file; the image or why not.
    static QImage take_file(const QString& uri, QString* error);

    QDBusConnection bus_;
    QTimer timer_;
    std::chrono::milliseconds timeout_{std::chrono::minutes(2)};
    QString request_path_;     // non-empty while a request is in progress
    QString subscribed_path_;  // where Response is listened for
};

}  // namespace sotto::ui
