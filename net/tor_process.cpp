#include "net/tor_process.hpp"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QTimer>

namespace sotto::net {
namespace {

constexpr const char* kControlSocket = "control.sock";
constexpr const char* kSocksSocket = "socks.sock";
constexpr const char* kCookieFile = "control_auth_cookie";

// "Dec 03 11:44:46.350 [warn] text" -> level "warn", text.
std::pair<QByteArray, QByteArray> split_log_line(const QByteArray& line) {
    const auto open = line.indexOf(" [");
    const auto close = line.indexOf("] ", open + 2);
    if (open < 0 || close < 0) return {QByteArray(), line};
    return {line.mid(open + 2, close - open - 2), line.mid(close + 2)};
}

// Warnings that say nothing about why tor would not run.
bool uninformative(const QByteArray& text) {
    return text.startsWith("You are running Tor as root.");
}

}  // namespace

TorProcess::TorProcess(TorProcessConfig config, QObject* parent)
    : QObject(parent), config_(std::move(config)) {}

TorProcess::~TorProcess() {
    stop();
}

QString TorProcess::control_socket() const {
    return config_.data_dir + "/" + kControlSocket;
}
QString TorProcess::socks_socket() const {
    return config_.data_dir + "/" + kSocksSocket;
}
QString TorProcess::cookie_file() const {
    return config_.data_dir + "/" + kCookieFile;
}

QStringList TorProcess::arguments() const {
    // No torrc at all: not the user's (/etc/tor/torrc would run a second
    // SOCKS port, or a relay) and not one of ours on disk.
    QStringList args{"--ignore-missing-torrc", "-f", "/dev/null", "--defaults-torrc", "/dev/null"};
    const std::vector<TorOption> own{
        {"DataDirectory", config_.data_dir},
        {"ControlPort", "unix:" + control_socket()},
        {"SocksPort", "unix:" + socks_socket() + " ExtendedErrors"},
        {"CookieAuthentication", "1"},
        {"CookieAuthFile", cookie_file()},
        {"__OwningControllerProcess", QString::number(QCoreApplication::applicationPid())},
        {"Log", "notice stdout"},
        // Our log is the user's diagnostics: no addresses in it.
        {"SafeLogging", "1"},
        {"AvoidDiskWrites", "1"},
        // Sotto does its own reconnects; a dead control connection means
        // Sotto is gone, and __OwningControllerProcess ends tor then.
        {"ShutdownWaitLength", "0"},
    };
    for (const auto& list : {own, config_.extra})
        for (const auto& [key, value] : list) args << "--" + key << value;
    return args;
}

Status TorProcess::start() {
    if (process_) return fail(Errc::Protocol, "tor is already running");
    if (control_socket().toUtf8().size() > kMaxUnixSocketPath ||
        socks_socket().toUtf8().size() > kMaxUnixSocketPath)
        return fail(Errc::Config,
                    "the profile folder's path is too long for tor's sockets (at most " +
                        std::to_string(kMaxUnixSocketPath - 20) + " characters)");
    if (!QDir().mkpath(config_.data_dir))
        return fail(Errc::Io, "cannot make tor's folder in the profile");
    // tor refuses a socket in a folder that others can list.
    if (!QFile::setPermissions(config_.data_dir, QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                                     QFileDevice::ExeOwner))
        return fail(Errc::Io, "cannot make tor's folder private (0700)");
    ready_ = false;
    reported_ = false;
    stopping_ = false;
    last_warning_.clear();
    pending_.clear();
    process_ = std::make_unique<QProcess>();
    process_->setProcessChannelMode(QProcess::MergedChannels);
    connect(process_.get(), &QProcess::readyReadStandardOutput, this, &TorProcess::on_output);
    connect(process_.get(), &QProcess::finished, this, &TorProcess::on_finished);
    connect(process_.get(), &QProcess::errorOccurred, this, &TorProcess::on_error);
    control_timer_ = new QTimer(process_.get());
    control_timer_->setSingleShot(true);
    connect(control_timer_, &QTimer::timeout, this, [this] {
        fail_once("tor did not open its control socket in " +
                  QString::number(config_.control_timeout_ms / 1000) + " s" +
                  (last_warning_.isEmpty() ? QString() : ": " + last_warning_));
        stop();
    });
    control_timer_->start(config_.control_timeout_ms);
    process_->start(config_.tor_program, arguments());
    return {};
}

void TorProcess::stop() {
    if (!process_) return;
    stopping_ = true;
    auto process = std::move(process_);
    process->disconnect(this);
    if (process->state() != QProcess::NotRunning) {
        process->terminate();
        if (!process->waitForFinished(5'000)) {
            process->kill();
            process->waitForFinished(2'000);
        }
    }
    control_timer_ = nullptr;
}

bool TorProcess::running() const {
    return process_ && process_->state() != QProcess::NotRunning;
}

void TorProcess::on_output() {
    pending_ += process_->readAllStandardOutput();
    // A runaway line is cut, not buffered forever.
    if (pending_.size() > 64 * 1024 && !pending_.contains('\n')) pending_.clear();
    for (;;) {
        const auto nl = pending_.indexOf('\n');
        if (nl < 0) return;
        const QByteArray line = pending_.left(nl).trimmed();
        pending_.remove(0, nl + 1);
        const auto [level, text] = split_log_line(line);
        if ((level == "warn" || level == "err") && !uninformative(text))
            last_warning_ = QString::fromUtf8(text);
        if (!ready_ && text.startsWith("Opened Control listener connection (ready)")) {
            ready_ = true;
            if (control_timer_) control_timer_->stop();
            emit controlReady();
        }
    }
}

void TorProcess::on_finished(int code, QProcess::ExitStatus status) {
    if (process_) on_output();
    QString why = status == QProcess::CrashExit ? QStringLiteral("tor crashed")
                                                : QStringLiteral("tor exited (%1)").arg(code);
    if (!last_warning_.isEmpty()) why += ": " + last_warning_;
    const bool was_ready = ready_;
    if (process_) process_.release()->deleteLater();
    control_timer_ = nullptr;
    if (stopping_) return;
    if (was_ready)
        emit exited(why);
    else
        fail_once(why);
}

void TorProcess::on_error(QProcess::ProcessError error) {
    if (error != QProcess::FailedToStart) return;  // the rest end in finished()
    program_missing_ = true;
    fail_once("tor is not installed or cannot be run (" + config_.tor_program + ": " +
              process_->errorString() + "); install Debian's tor package");
    if (process_) process_.release()->deleteLater();
    control_timer_ = nullptr;
}

void TorProcess::fail_once(const QString& message) {
    if (reported_) return;
    reported_ = true;
    emit failed(message);
}

}  // namespace sotto::net
