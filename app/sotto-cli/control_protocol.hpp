// How `sotto-cli` commands talk to the running profile (the daemon that
// `sotto-cli unlock` starts): a Unix-domain socket DIR/control.sock (mode
// 0600, in the 0700 profile directory), one JSON object per line. A request
// is {"cmd": NAME, ...arguments}; the reply is {"ok": true, ...} or
// {"ok": false, "error": MESSAGE}. One request per connection; requests that
// wait (accept --wait, send --wait, wait-online) reply when the condition
// holds or their timeout passes.
#pragma once

#include <QJsonObject>
#include <QString>

namespace sotto::cli {

inline constexpr const char* kControlSocket = "control.sock";
inline constexpr const char* kDaemonLog = "daemon.log";
inline constexpr const char* kDaemonPid = "daemon.pid";

QString control_socket_path(const QString& profile_dir);

// Sends one request and waits for the reply (the daemon applies the
// request's own timeout; this adds a margin). Connection problems come back
// as {"ok": false, "error": ...} saying the profile is locked.
QJsonObject call_daemon(const QString& profile_dir, const QJsonObject& request, int timeout_ms);

}  // namespace sotto::cli
