#include <QDir>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QLocalSocket>

#include "app/sotto-cli/control_protocol.hpp"
#include "net/profile_lock.hpp"

namespace sotto::cli {

QString control_socket_path(const QString& profile_dir) {
    return QDir(profile_dir).filePath(kControlSocket);
}

QJsonObject call_daemon(const QString& profile_dir, const QJsonObject& request, int timeout_ms) {
    auto error = [](const QString& m) { return QJsonObject{{"ok", false}, {"error", m}}; };
    QLocalSocket socket;
    socket.connectToServer(control_socket_path(profile_dir));
    if (!socket.waitForConnected(2000)) {
        // No daemon; the desktop app may have the profile instead.
        // (A record left by an app that crashed is no lock: taking it shows.)
        const auto holder = net::ProfileLock::recorded_holder(profile_dir);
        if (holder && holder->owner == QLatin1String(net::kAppLockOwner) &&
            !net::ProfileLock::acquire(profile_dir))
            return error(QStringLiteral("the profile in %1 is open in the Sotto app (process %2); "
                                        "sotto-cli can use it once the app is closed")
                             .arg(profile_dir)
                             .arg(holder->pid));
        return error(QStringLiteral("the profile in %1 is locked (not running): run "
                                    "'sotto-cli unlock' first")
                         .arg(profile_dir));
    }
    socket.write(QJsonDocument(request).toJson(QJsonDocument::Compact) + '\n');
    socket.flush();
    QByteArray line;
    QElapsedTimer clock;
    clock.start();
    while (!line.contains('\n')) {
        const auto left = timeout_ms - clock.elapsed();
        if (left <= 0 || (!socket.bytesAvailable() && !socket.waitForReadyRead(int(left)))) {
            if (socket.state() != QLocalSocket::ConnectedState && !socket.bytesAvailable())
                return error("the profile's daemon closed the connection");
            if (clock.elapsed() >= timeout_ms) return error("no answer from the profile's daemon");
            continue;
        }
        line += socket.readAll();
    }
    QJsonParseError perr;
    auto doc = QJsonDocument::fromJson(line.left(line.indexOf('\n')), &perr);
    if (!doc.isObject()) return error("the daemon sent a malformed reply");
    return doc.object();
}

}  // namespace sotto::cli
