#include "ui/app_instance.hpp"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QLocalSocket>
#include <QThread>
#include <QTimer>
#include <QWindow>

#include "net/peer_credentials.hpp"
#include "ui/session_controller.hpp"

namespace sotto::ui {

namespace {

constexpr QByteArrayView kActivate = "activate\n";
constexpr QByteArrayView kLinkPrefix = "link ";
constexpr QByteArrayView kOk = "ok\n";
constexpr QByteArrayView kRefused = "refused\n";
// A later launch waits this long for the running app to answer (it may be
// deriving the key from the passphrase, which blocks its event loop).
constexpr int kHandOverTimeoutMs = 10000;
// A client that has not sent its line by then is dropped.
constexpr int kClientTimeoutMs = 2000;
// Only launches by the same user reach the socket; still, a bound.
constexpr std::size_t kMaxClients = 8;

bool link_char(char16_t c) {
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') ||
           c == u'-';
}

}  // namespace

bool is_invite_link(const QString& text) {
    // ASCII only, compared by hand: Unicode case folding would let e.g.
    // U+017F (long s) pass for an 's'.
    constexpr std::u16string_view prefix = u"sotto:";
    const auto n = qsizetype(prefix.size());
    if (text.size() <= n || text.size() > kMaxInviteLink) return false;
    for (qsizetype i = 0; i < n; ++i) {
        char16_t c = text[i].unicode();
        if (c >= u'A' && c <= u'Z') c = char16_t(c - u'A' + u'a');
        if (c != prefix[std::size_t(i)]) return false;
    }
    for (qsizetype i = n; i < text.size(); ++i)
        if (!link_char(text[i].unicode())) return false;
    return true;
}

QString invite_link_from(const QStringList& arguments) {
    for (const auto& a : arguments)
        if (is_invite_link(a)) return a;
    return {};
}

QByteArray encode_instance_request(const InstanceRequest& request) {
    if (request.link.isEmpty()) return kActivate.toByteArray();
    return kLinkPrefix.toByteArray() + request.link.toLatin1() + '\n';
}

std::optional<InstanceRequest> parse_instance_request(QByteArrayView message) {
    if (message.size() > kMaxInstanceMessage) return std::nullopt;
    if (message == kActivate) return InstanceRequest{};
    if (!message.startsWith(kLinkPrefix) || !message.endsWith('\n')) return std::nullopt;
    const QByteArrayView link = message.sliced(kLinkPrefix.size()).chopped(1);
    // Visible ASCII only before the text becomes a QString; is_invite_link
    // then checks the shape.
    for (const char c : link)
        if (c < '!' || c > '~') return std::nullopt;
    const QString text = QString::fromLatin1(link);
    if (!is_invite_link(text)) return std::nullopt;
    return InstanceRequest{text};
}

AppInstance::AppInstance(QString profile_dir, QObject* parent)
    : QObject(parent), dir_(std::move(profile_dir)) {
    connect(&server_, &QLocalServer::newConnection, this, &AppInstance::on_connection);
}

AppInstance::~AppInstance() {
    // Clients are children of the server; their handlers point back here.
    for (auto& c : clients_)
        if (c) c->disconnect(this);
    server_.close();
}

QString AppInstance::socket_path() const {
    return QDir(dir_).filePath(kAppSocket);
}

AppInstance::Role AppInstance::start(const InstanceRequest& request) {
    if (!QDir(dir_).exists()) {
        if (!QDir().mkpath(dir_)) {
            error_ = tr("Cannot create the profile folder %1.").arg(dir_);
            return Role::Refused;
        }
        QFile::setPermissions(
            dir_, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    }
    const QByteArray message = encode_instance_request(request);
    QDeadlineTimer deadline(kHandOverTimeoutMs);
    for (;;) {
        auto primary = become_primary();
        if (primary) return Role::Primary;
        error_ = QString::fromStdString(primary.error().message);
        if (primary.error().code == Errc::Io) return Role::Refused;
        const auto holder = net::ProfileLock::recorded_holder(dir_);
        if (holder && holder->owner != QLatin1String(kAppLockOwner)) {
            error_ = with_hint(error_, *holder);
            return Role::Refused;
        }
        // No record yet means the holder has only just taken the lock; an
        // app that does not answer may be unlocking, or may have just died
        // (then the lock is ours on the next round).
        if (holder) {
            const auto answer =
                hand_over(message, int(std::max<qint64>(deadline.remainingTime(), 1)));
            if (answer == HandOver::Taken) {
                running_pid_ = holder->pid;
                return Role::Forwarded;
            }
            if (answer == HandOver::Refused) {
                error_ = tr("The Sotto window already open on this profile (process %1) refused "
                            "the request.")
                             .arg(holder->pid);
                return Role::Refused;
            }
        }
        if (deadline.hasExpired()) {
            if (holder)
                error_ = tr("The Sotto window already open on this profile (process %1) does not "
                            "answer.")
                             .arg(holder->pid);
            return Role::Refused;
        }
        QThread::msleep(50);
    }
}

Result<std::shared_ptr<net::ProfileLock>> AppInstance::lock() {
    if (!lock_) {
        if (auto s = become_primary(); !s) {
            auto e = s.error();
            if (const auto holder = net::ProfileLock::recorded_holder(dir_))
                e.message = with_hint(QString::fromStdString(e.message), *holder).toStdString();
            return std::unexpected(std::move(e));
        }
        error_.clear();
    }
    return lock_;
}

QString AppInstance::with_hint(const QString& message, const net::ProfileLock::Holder& holder) {
    if (holder.owner == QLatin1String("sotto-cli"))
        return message + u' ' + tr("Lock it there first: sotto-cli lock.");
    return message;
}

Status AppInstance::become_primary() {
    auto lock = net::ProfileLock::acquire(dir_, QLatin1String(kAppLockOwner));
    if (!lock) return std::unexpected(lock.error());
    lock_ = std::move(*lock);
    // Holding the lock, we are the only app on this profile: a socket file
    // still there was left by a crash.
    QLocalServer::removeServer(socket_path());
    server_.setSocketOptions(QLocalServer::UserAccessOption);
    if (!server_.listen(socket_path())) {
        qWarning("sotto: later launches cannot hand links to this window: %s",
                 qPrintable(server_.errorString()));
        return {};
    }
    // Qt leaves the owner's execute bit on; connecting needs only write.
    QFile::setPermissions(socket_path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return {};
}

AppInstance::HandOver AppInstance::hand_over(const QByteArray& message, int timeout_ms) {
    QDeadlineTimer deadline(timeout_ms);
    auto left = [&] { return int(std::max<qint64>(deadline.remainingTime(), 1)); };
    QLocalSocket socket;
    socket.connectToServer(socket_path());
    if (!socket.waitForConnected(left())) return HandOver::NoAnswer;
    socket.write(message);
    if (!socket.waitForBytesWritten(left())) return HandOver::NoAnswer;
    QByteArray reply;
    while (!reply.contains('\n') && reply.size() <= kRefused.size()) {
        if (!socket.bytesAvailable() && !socket.waitForReadyRead(left())) return HandOver::NoAnswer;
        reply += socket.read(kRefused.size() + 1 - reply.size());
    }
    if (reply == kOk) return HandOver::Taken;
    return reply == kRefused ? HandOver::Refused : HandOver::NoAnswer;
}

void AppInstance::on_connection() {
    while (QLocalSocket* socket = server_.nextPendingConnection()) {
        std::erase_if(clients_, [](const QPointer<QLocalSocket>& c) { return c.isNull(); });
        connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
        if (clients_.size() >= kMaxClients || !net::peer_is_same_user(socket)) {
            socket->abort();
            socket->deleteLater();
            continue;
        }
        clients_.emplace_back(socket);
        socket->setReadBufferSize(kMaxInstanceMessage + 1);
        auto* timeout = new QTimer(socket);
        timeout->setSingleShot(true);
        connect(timeout, &QTimer::timeout, socket, &QLocalSocket::abort);
        timeout->start(kClientTimeoutMs);
        connect(socket, &QLocalSocket::readyRead, this, [this, socket] { on_readable(socket); });
        if (socket->bytesAvailable()) on_readable(socket);
    }
}

void AppInstance::on_readable(QLocalSocket* socket) {
    if (socket->property("answered").toBool()) return;
    if (!socket->canReadLine()) {
        // The read buffer holds one byte more than a message may have.
        if (socket->bytesAvailable() > kMaxInstanceMessage) socket->abort();
        return;
    }
    socket->setProperty("answered", true);
    const auto request = parse_instance_request(socket->readAll());
    socket->write((request ? kOk : kRefused).toByteArray());
    socket->disconnectFromServer();
    if (request) emit requested(request->link);
}

void route_instance_requests(AppInstance& instance, SessionController& session, QWindow* window) {
    QObject::connect(&instance, &AppInstance::requested, window,
                     [&session, window](const QString& link) {
                         qInfo("sotto: another launch asked for this window%s",
                               link.isEmpty() ? "" : " and handed over a sotto: link");
                         window->setWindowStates(window->windowStates() & ~Qt::WindowMinimized);
                         window->show();
                         window->raise();
                         window->requestActivate();
                         if (!link.isEmpty()) session.setPendingInvite(link);
                     });
}

}  // namespace sotto::ui
