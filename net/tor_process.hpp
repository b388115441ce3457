// Sotto's own tor (issue 11, item 1). Every profile on the Tor network runs
// its own tor process and never shares a system one: the client-auth keys
// Sotto adds over the control port are global to a tor daemon, so a shared
// tor would let any other program on it reach our contacts' services.
//
// TorProcess starts `tor` with everything on its command line (no torrc is
// read or written): the DataDirectory inside the profile folder (0700, kept
// between runs so the consensus cache makes a restart fast), the control
// port and the SOCKS port on Unix sockets in that folder, cookie
// authentication, and __OwningControllerProcess, so tor exits when Sotto
// does even if Sotto is killed. It reads tor's log from stdout: the control
// socket is ready when tor says so, and the last warning is the reason given
// when tor exits. Starting over after a crash is the owner's decision
// (TorProcess reports, it does not retry).
#pragma once

#include <QObject>
#include <QProcess>
#include <QString>
#include <QTimer>
#include <memory>
#include <utility>
#include <vector>

#include "core/util/error.hpp"

namespace sotto::net {

// One tor option, `key value`, given to tor as `--key value`.
using TorOption = std::pair<QString, QString>;

struct TorProcessConfig {
    QString tor_program = QStringLiteral("tor");
    // <profile>/tor: tor's DataDirectory. Made 0700 if missing.
    QString data_dir;
    // Extra options: a private test network's (tests/common/tor_test_network),
    // none for the Tor network.
    std::vector<TorOption> extra;
    // How long tor may take to open its control socket.
    int control_timeout_ms = 60'000;
};

class TorProcess : public QObject {
    Q_OBJECT
  public:
    explicit TorProcess(TorProcessConfig config, QObject* parent = nullptr);
    // Stops tor (SIGTERM, then SIGKILL after 5 s).
    ~TorProcess() override;

    // Launches tor. Errors at once for what can be checked before: the
    // folder cannot be made private, a socket path too long for the kernel.
    // Then exactly one of controlReady() or failed() follows.
    Status start();
    void stop();
    bool running() const;
    // tor's process id while it runs, else 0.
    qint64 pid() const { return process_ ? process_->processId() : 0; }

    QString control_socket() const;
    QString socks_socket() const;
    QString cookie_file() const;
    // tor could not be run at all (not installed, not executable): trying
    // again changes nothing until the user installs it.
    bool program_missing() const { return program_missing_; }
    // tor's last warning or error line (without its time stamp), "" if none.
    QString last_warning() const { return last_warning_; }

    // The arguments start() gives tor (for tests and for the diagnostics).
    QStringList arguments() const;

  signals:
    // The control socket accepts connections.
    void controlReady();
    // One line for the user: tor not installed, tor exited (with its own
    // reason), no control socket in time.
    void failed(const QString& message);
    // tor exited after controlReady() (crashed, killed, out of memory).
    void exited(const QString& message);

  private:
    void on_output();
    void on_finished(int code, QProcess::ExitStatus status);
    void on_error(QProcess::ProcessError error);
    void fail_once(const QString& message);

    TorProcessConfig config_;
    std::unique_ptr<QProcess> process_;
    QByteArray pending_;  // a log line not ended yet
    QString last_warning_;
    bool ready_ = false;
    bool reported_ = false;
    bool program_missing_ = false;
    bool stopping_ = false;
    QTimer* control_timer_ = nullptr;
};

// The longest Unix socket path the kernel takes (sun_path, less its NUL).
inline constexpr int kMaxUnixSocketPath = 107;

}  // namespace sotto::net
