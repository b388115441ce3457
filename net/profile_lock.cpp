#include "net/profile_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <cerrno>
#include <cstring>

namespace sotto::net {

namespace {

constexpr qsizetype kMaxOwner = 32;
// "PID OWNER\n" and some slack; anything longer is not ours.
constexpr qsizetype kMaxRecord = 64;

QByteArray lock_path(const QString& dir) {
    return QFile::encodeName(QDir(dir).filePath(kProfileLockFile));
}

bool valid_owner(const QByteArray& owner) {
    if (owner.isEmpty() || owner.size() > kMaxOwner) return false;
    for (const char c : owner)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    return true;
}

QByteArray default_owner() {
    QByteArray name;
    if (QCoreApplication::instance())
        name = QFileInfo(QCoreApplication::applicationFilePath()).fileName().toUtf8();
    return valid_owner(name) ? name : QByteArray("sotto");
}

std::string errno_text(int e) {
    return std::strerror(e);
}

}  // namespace

QString ProfileLock::already_open_message(std::optional<qint64> pid) {
    if (!pid) return QStringLiteral("This profile is already open in another Sotto program.");
    return QStringLiteral("This profile is already open in another Sotto program (process %1).")
        .arg(*pid);
}

Result<std::shared_ptr<ProfileLock>> ProfileLock::acquire(const QString& dir, QString owner) {
    QByteArray who = owner.toUtf8();
    if (who.isEmpty()) who = default_owner();
    if (!valid_owner(who)) return fail(Errc::Config, "invalid profile lock owner");
    const QByteArray path = lock_path(dir);
    // O_NOFOLLOW: the directory is 0700, but a lock that follows a link
    // elsewhere would protect nothing.
    const int fd = ::open(path.constData(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return fail(Errc::Io, "cannot open the profile lock " + path.toStdString() + ": " +
                                  errno_text(errno));
    int rc;
    do rc = ::flock(fd, LOCK_EX | LOCK_NB);
    while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        const int e = errno;
        ::close(fd);
        if (e != EWOULDBLOCK)
            return fail(Errc::Io, "cannot lock " + path.toStdString() + ": " + errno_text(e));
        const auto holder = recorded_holder(dir);
        return fail(
            Errc::Config,
            already_open_message(holder ? std::optional(holder->pid) : std::nullopt).toStdString());
    }
    // Best effort: the record only feeds the second opener's message and
    // the app's choice to hand over a link; the lock itself is the flock.
    const QByteArray record = QByteArray::number(qint64(::getpid())) + ' ' + who + '\n';
    if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, record.constData(), size_t(record.size()), 0);
    const QString canonical = QFileInfo(dir).canonicalFilePath();
    return std::shared_ptr<ProfileLock>(
        new ProfileLock(fd, canonical.isEmpty() ? QDir(dir).absolutePath() : canonical));
}

std::optional<ProfileLock::Holder> ProfileLock::recorded_holder(const QString& dir) {
    const QByteArray path = lock_path(dir);
    const int fd = ::open(path.constData(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return std::nullopt;
    char buf[kMaxRecord + 1];
    ssize_t n;
    do n = ::pread(fd, buf, sizeof buf, 0);
    while (n < 0 && errno == EINTR);
    ::close(fd);
    if (n <= 0 || n > kMaxRecord) return std::nullopt;
    QByteArray record(buf, qsizetype(n));
    if (!record.endsWith('\n')) return std::nullopt;
    record.chop(1);
    const auto parts = record.split(' ');
    if (parts.size() != 2 || !valid_owner(parts[1])) return std::nullopt;
    for (const char c : parts[0])
        if (c < '0' || c > '9') return std::nullopt;
    bool ok = false;
    const qint64 pid = parts[0].toLongLong(&ok);
    if (!ok || pid <= 0) return std::nullopt;
    return Holder{pid, QString::fromLatin1(parts[1])};
}

ProfileLock::~ProfileLock() {
    // Clear the record first, so nobody reads our pid once we are gone;
    // closing the descriptor is what releases the lock.
    (void)!::ftruncate(fd_, 0);
    ::close(fd_);
}

bool ProfileLock::covers(const QString& dir) const {
    const QString canonical = QFileInfo(dir).canonicalFilePath();
    return (canonical.isEmpty() ? QDir(dir).absolutePath() : canonical) == dir_;
}

}  // namespace sotto::net
