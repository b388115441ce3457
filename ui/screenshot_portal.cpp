#include "ui/screenshot_portal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <QBuffer>
#include <QDBusConnectionInterface>
#include <QDBusMessage>
#include <QDBusObjectPath>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QDBusReply>
#include <QDir>
#include <QFile>
#include <QImageReader>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QUrl>

namespace sotto::ui {

// Debug only: the file names of screenshots say when the user took one.
Q_LOGGING_CATEGORY(lcPortal, "sotto.ui.portal", QtWarningMsg)

ScreenshotPortal::ScreenshotPortal(QObject* parent)
    : ScreenshotPortal(QDBusConnection::sessionBus(), parent) {}

ScreenshotPortal::ScreenshotPortal(QDBusConnection bus, QObject* parent)
    : QObject(parent), bus_(std::move(bus)) {
    timer_.setSingleShot(true);
    connect(&timer_, &QTimer::timeout, this, [this] {
        // Take the portal's dialog away too: its answer would go nowhere.
        auto close = QDBusMessage::createMethodCall(QString::fromLatin1(kService), request_path_,
                                                    QString::fromLatin1(kRequestInterface),
                                                    QStringLiteral("Close"));
        bus_.send(close);
        fail(QStringLiteral("the screenshot portal did not answer in time"));
    });
}

ScreenshotPortal::~ScreenshotPortal() {
    unsubscribe();
}

bool ScreenshotPortal::available() const {
    if (!bus_.isConnected()) return false;
    QDBusConnectionInterface* iface = bus_.interface();
    if (!iface) return false;
    const QString name = QString::fromLatin1(kService);
    if (iface->isServiceRegistered(name).value()) return true;
    // Not running yet, but the bus starts it on the first call.
    const QDBusReply<QStringList> names = iface->activatableServiceNames();
    return names.isValid() && names.value().contains(name);
}

QString ScreenshotPortal::request_path(const QString& unique_name, const QString& token) {
    QString sender = unique_name;
    if (sender.startsWith(u':')) sender.remove(0, 1);
    sender.replace(u'.', u'_');
    return QStringLiteral("%1/request/%2/%3").arg(QString::fromLatin1(kPath), sender, token);
}

bool ScreenshotPortal::request() {
    if (busy()) return false;
    if (!bus_.isConnected()) {
        // Still asynchronous, so callers handle one way of ending.
        QTimer::singleShot(0, this, [this] { emit failed(QStringLiteral("no session bus")); });
        return true;
    }
    // Random, so another request of ours (or another app guessing) does
    // not collide with this one's path.
    const QString token =
        QStringLiteral("sotto_%1")
            .arg(QRandomGenerator::system()->generate64(), 16, 16, QLatin1Char('0'));
    request_path_ = request_path(bus_.baseService(), token);
    // Listen before calling: the answer may come before the call's reply.
    subscribe(request_path_);
    timer_.start(timeout_);

    auto call = QDBusMessage::createMethodCall(
        QString::fromLatin1(kService), QString::fromLatin1(kPath), QString::fromLatin1(kInterface),
        QStringLiteral("Screenshot"));
    const QVariantMap options{{QStringLiteral("handle_token"), token},
                              {QStringLiteral("interactive"), true},
                              {QStringLiteral("modal"), false}};
    call << QString() << options;
    auto* watcher = new QDBusPendingCallWatcher(bus_.asyncCall(call), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this,
            [this, path = request_path_](QDBusPendingCallWatcher* w) {
                w->deleteLater();
                // A later request, or this one already answered.
                if (path != request_path_) return;
                on_call_finished(w);
            });
    return true;
}

void ScreenshotPortal::on_call_finished(QDBusPendingCallWatcher* call) {
    const QDBusPendingReply<QDBusObjectPath> reply = *call;
    if (reply.isError()) {
        fail(QStringLiteral("the screenshot portal refused: %1").arg(reply.error().message()));
        return;
    }
    // Portals before 0.9 ignore handle_token and pick a path of their own.
    const QString path = reply.value().path();
    if (path != subscribed_path_) {
        qCDebug(lcPortal) << "the portal chose another request path";
        subscribe(path);
    }
}

void ScreenshotPortal::subscribe(const QString& path) {
    unsubscribe();
    // Only the portal's name may answer: someone else on the bus sending
    // a Response with a URI of their choosing would otherwise be believed.
    if (bus_.connect(QString::fromLatin1(kService), path, QString::fromLatin1(kRequestInterface),
                     QStringLiteral("Response"), this, SLOT(on_response(uint, QVariantMap))))
        subscribed_path_ = path;
}

void ScreenshotPortal::unsubscribe() {
    if (subscribed_path_.isEmpty()) return;
    bus_.disconnect(QString::fromLatin1(kService), subscribed_path_,
                    QString::fromLatin1(kRequestInterface), QStringLiteral("Response"), this,
                    SLOT(on_response(uint, QVariantMap)));
    subscribed_path_.clear();
}

void ScreenshotPortal::fail(const QString& reason) {
    timer_.stop();
    unsubscribe();
    request_path_.clear();
    emit failed(reason);
}

void ScreenshotPortal::on_response(uint response, const QVariantMap& results) {
    if (!busy()) return;
    timer_.stop();
    unsubscribe();
    request_path_.clear();
    switch (response) {
        case 0: {
            QString error;
            QImage image = take_file(results.value(QStringLiteral("uri")).toString(), &error);
            if (image.isNull())
                emit failed(error);
            else
                emit finished(image);
            return;
        }
        case 1:
            emit cancelled();
            return;
        default:
            emit failed(QStringLiteral("the desktop could not take the screenshot"));
            return;
    }
}

QImage ScreenshotPortal::take_file(const QString& uri, QString* error) {
    const QUrl url(uri, QUrl::StrictMode);
    const bool local_host = url.host().isEmpty() || url.host() == QStringLiteral("localhost");
    if (uri.isEmpty() || !url.isValid() || url.scheme() != QStringLiteral("file") || !local_host ||
        !url.query().isEmpty() || !url.fragment().isEmpty()) {
        *error = QStringLiteral("the portal's answer is not a local file URI");
        return {};
    }
    const QString path = url.toLocalFile();
    if (!QDir::isAbsolutePath(path)) {
        *error = QStringLiteral("the portal's answer is not a local file URI");
        return {};
    }
    const QByteArray native = QFile::encodeName(path);
    // No symbolic links and nothing that blocks on open (a FIFO): the
    // checks below are on what was opened, not on the name.
    const int fd = ::open(native.constData(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        *error = QStringLiteral("the screenshot file cannot be opened");
        return {};
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        *error = QStringLiteral("the screenshot is not a regular file");
        return {};
    }
    QByteArray bytes;
    QFile file;
    if (st.st_size <= kMaxFileBytes && file.open(fd, QIODevice::ReadOnly, QFile::AutoCloseHandle)) {
        bytes = file.read(kMaxFileBytes + 1);
        file.close();
    } else {
        ::close(fd);
    }
    // The portal wrote this file for us only; a picture of the screen is
    // not left on disk, whatever it holds. Only our own files: the name
    // came over the bus.
    if (st.st_uid == ::geteuid() && ::unlink(native.constData()) != 0)
        qCWarning(lcPortal) << "cannot delete the portal's screenshot file";
    if (st.st_size > kMaxFileBytes || bytes.size() > kMaxFileBytes) {
        *error = QStringLiteral("the screenshot file is too big");
        return {};
    }
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::ReadOnly);
    QImageReader reader(&buffer);
    reader.setAllocationLimit(kMaxDecodedMiB);
    QImage image = reader.read();
    if (image.isNull())
        *error = QStringLiteral("the screenshot is not a readable picture (%1)")
                     .arg(reader.errorString());
    return image;
}

}  // namespace sotto::ui
