#include "ui/invite_controller.hpp"

#include <QClipboard>
#include <QCursor>
#include <QGuiApplication>
#include <QImageReader>
#include <QMimeData>
#include <QScreen>
#ifdef SOTTO_CAMERA
#include <QCameraDevice>
#include <QMediaDevices>
#endif

#include "net/messenger_driver.hpp"
#include "ui/qr/qr_code.hpp"
#include "ui/screenshot_portal.hpp"

namespace sotto::ui {

InviteController::InviteController(std::shared_ptr<ScreenGrab> screen, QObject* parent)
    : QObject(parent), screen_(std::move(screen)) {}

void InviteController::set_messenger(net::MessengerDriver* driver) {
    if (driver_) driver_->disconnect(this);
    driver_ = driver;
    if (driver_) {
        connect(driver_, &net::MessengerDriver::inviteUsed, this,
                [this](quint64 invite, quint64 contact) {
                    if (!invite_ || *invite_ != invite) return;
                    QString name;
                    if (auto rec = driver_->store().contact(contact))
                        name = QString::fromStdString(rec->name);
                    clear();
                    emit inviteAccepted(contact, name);
                });
        connect(driver_, &net::MessengerDriver::inviteExpired, this, [this](quint64 invite) {
            if (invite_ && *invite_ == invite) clear();
        });
        connect(driver_, &net::MessengerDriver::inviteProbed, this,
                [this](quint64 invite, quint32 probes) {
                    if (!invite_ || *invite_ != invite) return;
                    probes_ = probes;
                    emit inviteChanged();
                });
    }
    emit availableChanged();
}

QString InviteController::probeText() const {
    // Only that it happened: the code is in someone's hands and they saw us
    // online. Withdrawing it stops that.
    if (probes_ == 0) return {};
    if (probes_ == 1) return tr("Someone tried your invite code without using it.");
    return tr("Someone tried your invite code without using it (%1 times).").arg(probes_);
}

QString InviteController::qrSource() const {
    return code_.isEmpty() ? QString() : ImageProvider::qr_url(code_);
}

QString InviteController::create(int hours) {
    if (!driver_) return tr("Not connected yet: wait until Sotto is online.");
    auto created = driver_->create_invite(Duration::hours(std::max(1, hours)));
    if (!created) return QString::fromStdString(created.error().message);
    invite_ = created->id;
    probes_ = 0;
    code_ = QString::fromStdString(created->code);
    // Relative, so it fits on one line in any locale. (No translation
    // catalogue ships yet, so no "%n hour(s)" plural forms.)
    const auto left = std::max<std::int64_t>(
        1,
        ((created->expires_at - net::MessengerDriver::now()).us + 1'800'000'000) / 3'600'000'000);
    expires_text_ = left == 1   ? tr("Works once · expires in 1 hour")
                    : left < 48 ? tr("Works once · expires in %1 hours").arg(left)
                                : tr("Works once · expires in %1 days").arg((left + 12) / 24);
    emit inviteChanged();
    return {};
}

void InviteController::copyCode() const {
    if (!code_.isEmpty()) QGuiApplication::clipboard()->setText(code_);
}

QString InviteController::withdraw() {
    if (!invite_) return {};
    if (!driver_) return tr("Not connected yet: wait until Sotto is online.");
    auto r = driver_->withdraw_invite(*invite_);
    clear();
    return r ? QString() : QString::fromStdString(r.error().message);
}

void InviteController::clear() {
    invite_.reset();
    probes_ = 0;
    code_.clear();
    expires_text_.clear();
    emit inviteChanged();
}

QString InviteController::acceptText(const QString& text) {
    if (!driver_) return tr("Not connected yet: wait until Sotto is online.");
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty()) return tr("Paste the invite code you were given.");
    auto r = driver_->accept_invite(trimmed);
    if (!r) return QString::fromStdString(r.error().message);
    QString name;
    if (auto rec = driver_->store().contact(*r)) name = QString::fromStdString(rec->name);
    emit contactAccepted(*r, name);
    return {};
}

QString InviteController::accept_image(const QImage& image) {
    if (image.isNull()) return tr("That is not a picture Sotto can read.");
    const auto texts = qr::decode_qr(image);
    if (texts.empty())
        return tr("No QR code found in this picture. Make sure the whole code is visible.");
    return accept_texts(texts);
}

QString InviteController::accept_texts(const std::vector<QString>& texts) {
    QString first_error;
    for (const auto& t : texts) {
        const QString e = acceptText(t);
        if (e.isEmpty()) return {};
        if (first_error.isEmpty()) first_error = e;
    }
    return first_error;
}

QString InviteController::acceptImageFile(const QUrl& file) {
    const QString path = file.isLocalFile() ? file.toLocalFile() : file.toString();
    QImageReader reader(path);
    reader.setAutoTransform(true);  // photos taken sideways
    const QImage image = reader.read();
    if (image.isNull()) return tr("Cannot open %1: %2").arg(path, reader.errorString());
    return accept_image(image);
}

QString InviteController::acceptClipboard() {
    const QMimeData* mime = QGuiApplication::clipboard()->mimeData();
    if (!mime) return tr("The clipboard is empty.");
    if (mime->hasImage()) return accept_image(qvariant_cast<QImage>(mime->imageData()));
    if (mime->hasText() && !mime->text().trimmed().isEmpty()) return acceptText(mime->text());
    return tr("The clipboard holds neither an invite code nor a picture of one.");
}

bool InviteController::grabScreen() {
    QScreen* screen = QGuiApplication::screenAt(QCursor::pos());
    if (!screen) screen = QGuiApplication::primaryScreen();
    const QImage image = screen ? screen->grabWindow(0).toImage() : QImage();
    // Wayland compositors (and the offscreen platform) hand out nothing.
    if (image.isNull() || image.width() < 2) return false;
    set_screen_image(image);
    return true;
}

void InviteController::set_screenshot_portal(ScreenshotPortal* portal) {
    if (portal_ == portal) return;
    delete portal_;
    portal_ = portal;
    if (!portal_) return;
    portal_->setParent(this);
    connect(portal_, &ScreenshotPortal::finished, this, [this](const QImage& image) {
        // The portal's own dialog lets the user pick the area: if the
        // picture shows a code, that was the point, and our region picker
        // would only ask again.
        if (const auto texts = qr::decode_qr(image); !texts.empty()) {
            const QString e = accept_texts(texts);
            if (e.isEmpty())
                emit screenGrabAccepted();
            else
                emit screenGrabFailed(e);
            return;
        }
        set_screen_image(image);
        emit screenGrabbed();
    });
    connect(portal_, &ScreenshotPortal::cancelled, this, &InviteController::screenGrabCancelled);
    connect(portal_, &ScreenshotPortal::failed, this, [this](const QString& reason) {
        qWarning("Screenshot through the desktop portal failed: %s", qPrintable(reason));
        emit screenGrabFailed(
            tr("Your desktop could not take the screenshot (%1). Take one with your desktop's "
               "tool, then use \"From clipboard\" or \"Open image\".")
                .arg(reason));
    });
}

bool InviteController::grabScreenWithPortal() {
    // Made on first use: most sessions never read the screen, and tests
    // of other things need no session bus.
    if (!portal_) set_screenshot_portal(new ScreenshotPortal(this));
    if (portal_->busy()) return true;  // the earlier request still ends
    if (!portal_->available()) return false;
    return portal_->request();
}

void InviteController::set_screen_image(QImage image) {
    screen_source_ = screen_->set(std::move(image));
    emit screenChanged();
}

QString InviteController::screenError() const {
    return tr(
        "Your desktop does not let applications capture the screen and has no screenshot "
        "portal (xdg-desktop-portal). Take a screenshot with your desktop's tool, then use "
        "\"From clipboard\" or \"Open image\".");
}

QString InviteController::acceptScreenRegion(qreal x, qreal y, qreal w, qreal h) {
    const QImage image = screen_->image();
    if (image.isNull()) return tr("Grab the screen first.");
    const QRect r =
        QRectF(x * image.width(), y * image.height(), w * image.width(), h * image.height())
            .toAlignedRect()
            .intersected(image.rect());
    if (r.width() < 16 || r.height() < 16) return tr("Draw a rectangle around the whole QR code.");
    const QString e = accept_image(image.copy(r));
    if (e.isEmpty()) dropScreen();
    return e;
}

bool InviteController::cameraSupported() {
#ifdef SOTTO_CAMERA
    return true;
#else
    return false;
#endif
}

void InviteController::watchCameras() {
#ifdef SOTTO_CAMERA
    if (camera_watch_) return;
    auto* devices = new QMediaDevices(this);
    camera_watch_ = devices;
    const auto update = [this] {
        const int n = int(QMediaDevices::videoInputs().size());
        if (n == camera_count_) return;
        camera_count_ = n;
        emit camerasChanged();
    };
    connect(devices, &QMediaDevices::videoInputsChanged, this, update);
    update();
#endif
}

void InviteController::dropScreen() {
    screen_->clear();
    screen_source_.clear();
    emit screenChanged();
}

}  // namespace sotto::ui
