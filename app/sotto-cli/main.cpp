// sotto-cli: every messenger operation without a GUI, for scripts, tests and
// headless machines. `unlock` starts a daemon that keeps the profile online;
// the other commands talk to it over the profile's control socket (see
// control_protocol.hpp). With --json every command prints one JSON object.
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QGuiApplication>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QThread>
#include <cstdio>

#include "app/sotto-cli/cli_args.hpp"
#include "app/sotto-cli/control_protocol.hpp"
#include "app/sotto-cli/daemon.hpp"
#include "app/sotto-cli/passphrase.hpp"
#include "core/crypto/random.hpp"
#include "core/dir/tor_network_file.hpp"
#include "net/profile_session.hpp"
#include "net/unix_signals.hpp"
#ifdef SOTTO_HAVE_QR
#include "ui/qr/qr_code.hpp"
#endif

using namespace sotto;
using namespace sotto::cli;

namespace {

bool g_json = false;

int fail_with(int code, const std::string& message) {
    if (g_json)
        std::printf("%s\n", QJsonDocument(QJsonObject{{"ok", false},
                                                      {"error", QString::fromStdString(message)}})
                                .toJson(QJsonDocument::Compact)
                                .constData());
    else
        std::fprintf(stderr, "sotto-cli: %s\n", message.c_str());
    return code;
}

QString profile_dir(const Args& a) {
    if (auto p = a.option("profile")) return QDir(QString::fromStdString(*p)).absolutePath();
    return net::ProfileSession::default_profile_dir();
}

net::SessionOptions session_options(const Args& a) {
    net::SessionOptions o;
    if (a.flag("fast-publication")) o.use_fast_publication();
    if (auto s = a.option("consensus-interval"))
        if (auto secs = parse_duration_seconds(*s))
            o.consensus_fetch_interval = Duration::seconds(*secs);
    return o;
}

// The daemon's event loop. `ready_fd` (if ≥ 0) gets one line: "ok" or the
// error, so the `unlock` parent can report it and exit.
int run_daemon(int argc, char** argv, const Args& a, std::string passphrase, int ready_fd) {
    auto report = [&](const std::string& line) {
        if (ready_fd < 0) return;
        const std::string l = line + "\n";
        (void)!write(ready_fd, l.data(), l.size());
        close(ready_fd);
        ready_fd = -1;
    };
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName("sotto");
    auto signals_ = net::TerminationSignals::install(&app);
    if (!signals_) {
        report(signals_.error().message);
        return 1;
    }
    const QString dir = profile_dir(a);
    auto session =
        net::ProfileSession::open(dir, QString::fromStdString(passphrase), session_options(a));
    // The store keeps only keys derived from it.
    secure_wipe(passphrase.data(), passphrase.size());
    if (!session) {
        report(session.error().message);
        return fail_with(1, session.error().message);
    }
    auto daemon = Daemon::start(std::move(*session));
    if (!daemon) {
        report(daemon.error().message);
        return fail_with(1, daemon.error().message);
    }
    QObject::connect(daemon->get(), &Daemon::lockRequested, &app, [&] { app.quit(); });
    QObject::connect(signals_->get(), &net::TerminationSignals::terminationRequested, &app,
                     [&](int) { app.quit(); });
    QFile pid(QDir(dir).filePath(kDaemonPid));
    if (pid.open(QIODevice::WriteOnly)) pid.write(QByteArray::number(getpid()) + '\n');
    pid.close();
    report("ok");
    const int rc = app.exec();
    daemon->reset();
    QFile::remove(QDir(dir).filePath(kDaemonPid));
    return rc;
}

int cmd_unlock(int argc, char** argv, const Args& a) {
    std::string error;
    auto pass = read_passphrase(a.option_or("passphrase-file", ""), "Passphrase: ", error);
    if (!pass) return fail_with(2, error);
    if (a.flag("foreground")) return run_daemon(argc, argv, a, std::move(*pass), -1);
    // Fork before any Qt object exists; the child becomes the daemon and
    // reports through a pipe whether the profile unlocked.
    // Close-on-exec: the daemon's tor (a child it execs) must not hold the
    // pipe's write end, or the read below would wait for tor to exit.
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return fail_with(1, "cannot create a pipe");
    const QString dir = profile_dir(a);
    const pid_t child = fork();
    if (child < 0) return fail_with(1, "cannot start the daemon (fork failed)");
    if (child == 0) {
        close(fds[0]);
        setsid();
        const auto log = QDir(dir).filePath(kDaemonLog).toStdString();
        const int devnull = open("/dev/null", O_RDONLY);
        const int logfd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (devnull >= 0) dup2(devnull, STDIN_FILENO);
        if (logfd >= 0) {
            dup2(logfd, STDOUT_FILENO);
            dup2(logfd, STDERR_FILENO);
        }
        if (devnull > STDERR_FILENO) close(devnull);
        if (logfd > STDERR_FILENO) close(logfd);
        _exit(run_daemon(argc, argv, a, std::move(*pass), fds[1]));
    }
    close(fds[1]);
    std::string line;
    char buf[512];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) line.append(buf, std::size_t(n));
    close(fds[0]);
    while (!line.empty() && line.back() == '\n') line.pop_back();
    if (line != "ok") {
        waitpid(child, nullptr, 0);
        return fail_with(1, line.empty() ? "the daemon exited during start-up (see " +
                                               QDir(dir).filePath(kDaemonLog).toStdString() + ")"
                                         : line);
    }
    if (g_json)
        std::printf("{\"ok\":true,\"pid\":%d}\n", int(child));
    else
        std::printf("unlocked %s (daemon pid %d)\n", qPrintable(dir), int(child));
    return 0;
}

int cmd_init(const Args& a) {
    const auto name = a.option("name");
    const auto network = a.option("network");
    if (!name) return fail_with(2, "init needs --name NAME");
    // Without --network: the Tor network.
    QByteArray network_text(dir::kPublicTorNetworkFile.data(),
                            qsizetype(dir::kPublicTorNetworkFile.size()));
    if (network) {
        QFile f(QString::fromStdString(*network));
        if (!f.open(QIODevice::ReadOnly))
            return fail_with(2, "cannot read the network file " + *network);
        network_text = f.readAll();
    }
    std::string error;
    auto pass = read_passphrase(a.option_or("passphrase-file", ""), "New passphrase: ", error);
    if (!pass) return fail_with(2, error);
    crypto::ScryptParams scrypt = store::kProfileScrypt;
    if (auto n = a.option("scrypt-n")) scrypt.n = std::stoull(*n);  // tests only
    const QString dir = profile_dir(a);
    auto s = net::ProfileSession::create_profile(dir, QString::fromStdString(*pass),
                                                 QString::fromStdString(*name),
                                                 QString::fromUtf8(network_text), scrypt);
    if (!s) return fail_with(1, s.error().message);
    if (g_json)
        std::printf("{\"ok\":true,\"profile\":\"%s\"}\n", qPrintable(dir));
    else
        std::printf("created profile '%s' in %s\n", name->c_str(), qPrintable(dir));
    return 0;
}

int cmd_passwd(const Args& a) {
    const QString dir = profile_dir(a);
    if (!net::ProfileSession::profile_exists(dir))
        return fail_with(1, "no profile in " + dir.toStdString());
    // Held until the new passphrase is stored: a daemon or the app must not
    // open the profile halfway through.
    auto lock = net::ProfileLock::acquire(dir);
    if (!lock)
        return fail_with(
            1, lock.error().message + " Close it there first (sotto-cli lock, or quit the app).");
    std::string error;
    auto old_pass = read_passphrase(a.option_or("passphrase-file", ""), "Passphrase: ", error);
    if (!old_pass) return fail_with(2, error);
    auto new_file = a.option("new-passphrase-file");
    if (!new_file) return fail_with(2, "passwd needs --new-passphrase-file FILE");
    auto new_pass = read_passphrase(*new_file, "", error);
    if (!new_pass) return fail_with(2, error);
    SystemRng rng;
    auto st = store::ProfileStore::open(QDir(dir).filePath(net::kProfileDbFile).toStdString(),
                                        *old_pass, rng);
    if (!st) return fail_with(1, st.error().message);
    if (auto s = (*st)->change_passphrase(*old_pass, *new_pass); !s)
        return fail_with(1, s.error().message);
    std::printf(g_json ? "{\"ok\":true}\n" : "passphrase changed\n");
    return 0;
}

// The daemon answers `lock` before it closes the profile. Returning only
// once it has lets a script go on with `passwd`, `unlock` or the app.
bool wait_until_closed(const QString& dir, qint64 daemon_pid) {
    QDeadlineTimer deadline(15000);
    for (;;) {
        if (net::ProfileLock::acquire(dir)) return true;
        const auto now = net::ProfileLock::recorded_holder(dir);
        if (now && now->pid != daemon_pid) return true;  // someone else opened it since
        if (deadline.hasExpired()) return false;
        QThread::msleep(20);
    }
}

void print_human(const QString& cmd, const QJsonObject& r) {
    auto out = [](const QString& s) { std::printf("%s\n", qPrintable(s)); };
    if (cmd == "status") {
        out(QStringLiteral("%1 — network %2%3, presence %4, %5 contacts (%6 online)")
                .arg(r["name"].toString(), r["network"].toString(),
                     r.contains("relays") ? QStringLiteral(" (%1 relays)").arg(r["relays"].toInt())
                                          : QString(),
                     r["presence"].toString("-"))
                .arg(r["contacts"].toInt())
                .arg(r["contacts_online"].toInt()));
    } else if (cmd == "invite") {
        out(r["code"].toString());
        std::fprintf(stderr, "one-time invite, expires %s\n",
                     qPrintable(r["expires_at"].toString()));
    } else if (cmd == "invites") {
        for (const auto& v : r["invites"].toArray()) {
            const auto i = v.toObject();
            const auto probes = i["probes"].toInteger();
            out(QStringLiteral("%1  %2  expires %3%4")
                    .arg(i["id"].toString(), -4)
                    .arg(i["status"].toString(), -9)
                    .arg(i["expires_at"].toString())
                    .arg(probes == 0 ? QString()
                         : probes == 1
                             ? QStringLiteral("  someone tried this code without using it")
                             : QStringLiteral("  someone tried this code without using it (%1 "
                                              "times)")
                                   .arg(probes)));
        }
    } else if (cmd == "accept") {
        out(QStringLiteral("contact %1 (%2): %3%4")
                .arg(r["contact"].toString(), r["name"].toString(), r["state"].toString(),
                     r.contains("ms") ? QStringLiteral(" after %1 ms").arg(r["ms"].toInteger())
                                      : QString()));
    } else if (cmd == "contacts") {
        for (const auto& v : r["contacts"].toArray()) {
            const auto c = v.toObject();
            const auto state = c["state"].toString();
            out(QStringLiteral("%1  %2  %3%4%5%6")
                    .arg(c["id"].toString(), -4)
                    .arg(c["name"].toString(), -20)
                    .arg(c["presence"].toString(), -8)
                    .arg(state == "invite-expired"
                             ? QStringLiteral("  invite expired — ask for a new code")
                         : state == "requested" ? QStringLiteral("  waiting for their answer")
                                                : QString())
                    .arg(c["unread"].toInt()
                             ? QStringLiteral("  %1 unread").arg(c["unread"].toInt())
                             : QString())
                    .arg(c["appear_offline"].toBool() ? QStringLiteral("  (you appear offline)")
                                                      : QString()));
        }
    } else if (cmd == "history") {
        for (const auto& v : r["messages"].toArray()) {
            const auto m = v.toObject();
            out(QStringLiteral("%1 %2 %3  [%4]")
                    .arg(m["sent_at"].toString(), m["direction"] == "out" ? "→" : "←",
                         m["text"].toString(), m["state"].toString()));
        }
    } else if (cmd == "send") {
        out(QStringLiteral("%1%2").arg(
            r["state"].toString(),
            r.contains("ms") ? QStringLiteral(" in %1 ms").arg(r["ms"].toInteger()) : QString()));
    } else if (cmd == "safety-number") {
        out(r["safety_number"].toString());
    } else if (cmd == "wait-online" || cmd == "wait-offline") {
        out(r["presence"].toString());
    } else if (cmd == "presence") {
        out(QStringLiteral("presence: %1").arg(r["presence"].toString()));
    } else {
        out("ok");
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::string error;
    auto parsed = parse_args(argc, argv, error);
    if (!parsed) return fail_with(2, error);
    const Args& a = *parsed;
    g_json = a.flag("json");
    if (a.flag("help") || a.command.empty() || a.command == "help") {
        std::printf("%s", usage().c_str());
        return a.command.empty() && !a.flag("help") ? 2 : 0;
    }
    if (a.command == "unlock") {
        if (auto s = net::TerminationSignals::block(); !s) return fail_with(1, s.error().message);
        return cmd_unlock(argc, argv, a);
    }
    // Gui (not Core) so QImage can load pictures for `accept --image` and
    // write QR codes; it runs offscreen unless a platform is chosen.
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QGuiApplication app(argc, argv);
    if (a.command == "init") return cmd_init(a);
    if (a.command == "passwd") return cmd_passwd(a);

    const QString dir = profile_dir(a);
    QJsonObject req{{"cmd", QString::fromStdString(a.command)}};
    const auto pos = [&](std::size_t i) {
        return i < a.positional.size() ? QString::fromStdString(a.positional[i]) : QString();
    };
    int timeout_s = 60;
    if (auto t = a.option("timeout")) {
        auto secs = parse_duration_seconds(*t);
        if (!secs) return fail_with(2, "--timeout takes seconds, e.g. 60 or 2m");
        timeout_s = int(*secs);
    }
    req["timeout"] = timeout_s;
    const auto& c = a.command;
    if (c == "send" || c == "history" || c == "revoke" || c == "rename" || c == "safety-number" ||
        c == "appear-offline" || c == "wait-online" || c == "wait-offline") {
        if (a.positional.empty()) return fail_with(2, c + " needs a CONTACT (id or name)");
        req["contact"] = pos(0);
    }
    if (c == "send") {
        if (a.positional.size() < 2) return fail_with(2, "send needs CONTACT TEXT");
        req["text"] = pos(1);
        req["wait"] = a.flag("wait");
        req["reveal"] = a.flag("yes");
    } else if (c == "history") {
        req["limit"] = QString::fromStdString(a.option_or("limit", "50")).toInt();
    } else if (c == "revoke") {
        if (!a.flag("yes"))
            return fail_with(2,
                             "revoking is silent and cannot be undone: they will see you "
                             "offline forever. Repeat with --yes to confirm");
    } else if (c == "rename") {
        if (a.positional.size() < 2) return fail_with(2, "rename needs CONTACT NAME");
        req["name"] = pos(1);
    } else if (c == "appear-offline") {
        if (pos(1) != "on" && pos(1) != "off") return fail_with(2, "appear-offline CONTACT on|off");
        req["on"] = pos(1) == "on";
    } else if (c == "presence") {
        req["mode"] = pos(0);
    } else if (c == "invite") {
        // Without either: the engine's default, one day.
        if (auto d = a.option("valid-days")) {
            if (*d != "1" && *d != "7") return fail_with(2, "--valid-days takes 1 or 7");
            if (a.option("expires"))
                return fail_with(2, "give --valid-days or --expires, not both");
            req["expires_s"] = qint64(std::stoi(*d)) * 24 * 3600;
        } else if (auto e = a.option("expires")) {
            auto secs = parse_duration_seconds(*e);
            if (!secs) return fail_with(2, "--expires takes a duration such as 1h, 1d or 7d");
            req["expires_s"] = *secs;
        }
    } else if (c == "accept") {
        QString code = pos(0);
        if (auto img = a.option("image")) {
#ifdef SOTTO_HAVE_QR
            QImage image(QString::fromStdString(*img));
            if (image.isNull()) return fail_with(2, "cannot read the image " + *img);
            auto codes = qr::decode_qr(image);
            for (const auto& t : codes)
                if (t.startsWith("sotto:", Qt::CaseInsensitive)) code = t;
            if (code.isEmpty())
                return fail_with(1, codes.empty()
                                        ? "no QR code found in " + *img
                                        : "the QR code in " + *img + " is not a Sotto invite");
#else
            return fail_with(2, "this build cannot read QR codes (built without sotto_qr)");
#endif
        }
        if (code.isEmpty()) return fail_with(2, "accept needs a CODE or --image FILE");
        req["code"] = code;
        req["wait"] = a.flag("wait");
    } else if (c != "status" && c != "contacts" && c != "invites" && c != "lock" &&
               c != "wait-online" && c != "wait-offline" && c != "safety-number") {
        return fail_with(2, "unknown command '" + c + "' (see sotto-cli --help)");
    }
    const auto holder = c == "lock" ? net::ProfileLock::recorded_holder(dir) : std::nullopt;
    auto r = call_daemon(dir, req, (timeout_s + 10) * 1000);
    if (!r["ok"].toBool()) return fail_with(1, r["error"].toString().toStdString());
    if (holder && !wait_until_closed(dir, holder->pid))
        return fail_with(1, "the daemon (process " + std::to_string(holder->pid) +
                                ") did not close the profile");
    if (c == "invite") {
        if (auto qr = a.option("qr")) {
#ifdef SOTTO_HAVE_QR
            if (auto s = qr::write_qr_png(r["code"].toString(), QString::fromStdString(*qr)); !s)
                return fail_with(1, s.error().message);
            r["qr"] = QString::fromStdString(*qr);
#else
            return fail_with(2, "this build cannot write QR codes (built without sotto_qr)");
#endif
        }
    }
    if (g_json)
        std::printf("%s\n", QJsonDocument(r).toJson(QJsonDocument::Compact).constData());
    else
        print_human(QString::fromStdString(c), r);
    return 0;
}
