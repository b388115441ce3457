#include "localnet.hpp"

#include <signal.h>

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QLoggingCategory>
#include <QProcess>
#include <QSaveFile>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <cstdio>
#include <optional>

#include "core/crypto/random.hpp"
#include "core/dir/network_file.hpp"
#include "core/util/rng.hpp"
#include "net/node_driver.hpp"

namespace sotto::app {

namespace {

constexpr const char* kHost = "127.0.0.1";
constexpr int kStopWaitMs = 15000;
constexpr int kListenWaitMs = 15000;

void say(const QString& line) {
    std::fprintf(stdout, "%s\n", qPrintable(line));
    std::fflush(stdout);
}

void complain(const QString& line) {
    std::fprintf(stderr, "sotto-localnet: %s\n", qPrintable(line));
    std::fflush(stderr);
}

QString pids_path(const QString& dir) {
    return QDir(dir).filePath(QStringLiteral("pids"));
}
QString data_dir_of(const QString& dir, const QString& name) {
    return QDir(QDir(dir).absolutePath()).filePath(name);
}
QString log_of(const QString& dir, const QString& name) {
    return QDir(data_dir_of(dir, name)).filePath(QStringLiteral("node.log"));
}

// Missing file: empty list. Malformed lines are skipped with a warning: stop
// must still stop whatever it can read.
std::vector<RecordedNode> read_pids(const QString& dir) {
    std::vector<RecordedNode> out;
    QFile f(pids_path(dir));
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text)) return out;
    int line_no = 0;
    while (!f.atEnd()) {
        ++line_no;
        const QString line = QString::fromUtf8(f.readLine()).trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#'))) continue;
        const QStringList parts = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        bool ok_pid = false, ok_port = false;
        RecordedNode n;
        if (parts.size() == 3) {
            n.pid = parts[0].toLongLong(&ok_pid);
            n.name = parts[1];
            n.port = parts[2].toUShort(&ok_port);
        }
        if (!ok_pid || !ok_port || n.pid <= 1 || n.name.contains(QLatin1Char('/'))) {
            complain(QStringLiteral("%1 line %2 is not '<pid> <name> <port>'; ignored")
                         .arg(pids_path(dir))
                         .arg(line_no));
            continue;
        }
        out.push_back(n);
    }
    return out;
}

bool write_pids(const QString& dir, const std::vector<RecordedNode>& nodes) {
    QSaveFile f(pids_path(dir));
    if (!f.open(QIODevice::WriteOnly | QIODevice::Text)) return false;
    f.write("# pid name port — written by sotto-localnet start, read by stop\n");
    for (const auto& n : nodes)
        f.write(QStringLiteral("%1 %2 %3\n").arg(n.pid).arg(n.name).arg(n.port).toUtf8());
    return f.commit();
}

// A zombie or vanished process is not alive.
bool process_alive(qint64 pid) {
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly)) return false;
    const QByteArray s = stat.readAll();
    const auto close = s.lastIndexOf(')');
    if (close < 0 || close + 2 >= s.size()) return false;
    const char state = s[close + 2];
    return state != 'Z' && state != 'X';
}

QString last_log_line(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text)) return QStringLiteral("(no log)");
    const QList<QByteArray> lines = f.readAll().trimmed().split('\n');
    return lines.isEmpty() || lines.back().isEmpty() ? QStringLiteral("(empty log)")
                                                     : QString::fromUtf8(lines.back());
}

// Sends SIGTERM to the recorded nodes that are still ours, waits (bounded),
// and SIGKILLs the ones that did not exit. Returns how many were signalled.
int stop_nodes(const QString& dir, const std::vector<RecordedNode>& nodes, bool quiet) {
    std::vector<const RecordedNode*> waiting;
    for (const auto& n : nodes) {
        if (!is_recorded_node_alive(n.pid, data_dir_of(dir, n.name))) {
            if (!quiet && process_alive(n.pid))
                say(QStringLiteral("%1: pid %2 is no longer its sotto-node; left alone")
                        .arg(n.name)
                        .arg(n.pid));
            else if (!quiet)
                say(QStringLiteral("%1: not running").arg(n.name));
            continue;
        }
        if (::kill(static_cast<pid_t>(n.pid), SIGTERM) == 0) waiting.push_back(&n);
    }
    const int signalled = static_cast<int>(waiting.size());
    QElapsedTimer clock;
    clock.start();
    while (!waiting.empty() && clock.elapsed() < kStopWaitMs) {
        std::erase_if(waiting, [](const RecordedNode* n) { return !process_alive(n->pid); });
        if (!waiting.empty()) QThread::msleep(50);
    }
    for (const RecordedNode* n : waiting) {
        // Still ours? The pid cannot have been reused while the process lives.
        if (is_recorded_node_alive(n->pid, data_dir_of(dir, n->name))) {
            complain(QStringLiteral("%1 (pid %2) ignored SIGTERM for %3 s; killed")
                         .arg(n->name)
                         .arg(n->pid)
                         .arg(kStopWaitMs / 1000));
            ::kill(static_cast<pid_t>(n->pid), SIGKILL);
        }
    }
    return signalled;
}

std::optional<qint64> launch(const QString& program, const QStringList& args,
                             const QString& log_path, QString& error) {
    if (!QDir().mkpath(QFileInfo(log_path).absolutePath())) {
        error = QStringLiteral("cannot create %1").arg(QFileInfo(log_path).absolutePath());
        return std::nullopt;
    }
    QFile::remove(log_path);
    QProcess p;
    p.setProgram(program);
    p.setArguments(args);
    p.setStandardInputFile(QProcess::nullDevice());
    p.setStandardOutputFile(log_path, QIODevice::Append);
    p.setStandardErrorFile(log_path, QIODevice::Append);
    qint64 pid = 0;
    if (!p.startDetached(&pid)) {
        error = p.errorString();
        return std::nullopt;
    }
    return pid;
}

// The kernel's range for outgoing connections' local ports, if readable.
std::optional<std::pair<int, int>> ephemeral_range() {
    QFile f(QStringLiteral("/proc/sys/net/ipv4/ip_local_port_range"));
    if (!f.open(QIODevice::ReadOnly)) return std::nullopt;
    const QList<QByteArray> parts = f.readAll().simplified().split(' ');
    bool ok_low = false, ok_high = false;
    const int low = parts.value(0).toInt(&ok_low), high = parts.value(1).toInt(&ok_high);
    if (!ok_low || !ok_high) return std::nullopt;
    return std::pair{low, high};
}

bool port_free(std::uint16_t port) {
    QTcpServer probe;
    return probe.listen(QHostAddress(QString::fromLatin1(kHost)), port);
}

bool is_listening(std::uint16_t port) {
    QTcpSocket s;
    s.connectToHost(QString::fromLatin1(kHost), port);
    const bool ok = s.waitForConnected(500);
    s.abort();
    return ok;
}

}  // namespace

bool is_recorded_node_alive(qint64 pid, const QString& data_dir) {
    if (!process_alive(pid)) return false;
    QFile f(QStringLiteral("/proc/%1/cmdline").arg(pid));
    if (!f.open(QIODevice::ReadOnly)) return false;
    const QList<QByteArray> argv = f.readAll().split('\0');
    if (argv.isEmpty() ||
        QFileInfo(QString::fromLocal8Bit(argv[0])).fileName() != QLatin1String("sotto-node"))
        return false;
    const QString want = QDir::cleanPath(QDir(data_dir).absolutePath());
    for (qsizetype i = 0; i + 1 < argv.size(); ++i) {
        if (argv[i] == "--data-dir" && QDir::cleanPath(QString::fromLocal8Bit(argv[i + 1])) == want)
            return true;
    }
    return false;
}

int localnet_start(const StartOptions& o) {
    const QString dir = QDir(o.dir).absolutePath();
    if (!QDir().mkpath(dir)) {
        complain(QStringLiteral("cannot create %1").arg(dir));
        return 1;
    }
    for (const auto& n : read_pids(dir)) {
        if (is_recorded_node_alive(n.pid, data_dir_of(dir, n.name))) {
            complain(QStringLiteral("a localnet is already running in %1 (%2 is pid %3); run "
                                    "'sotto-localnet stop --dir %1' first")
                         .arg(dir, n.name)
                         .arg(n.pid));
            return 1;
        }
    }
    const int total = o.authorities + o.relays;
    for (int i = 0; i < total; ++i) {
        const auto port = static_cast<std::uint16_t>(o.base_port + i);
        if (!port_free(port)) {
            complain(QStringLiteral("port %1 on %2 is in use — choose another --base-port (the "
                                    "network needs ports %3-%4)")
                         .arg(port)
                         .arg(QString::fromLatin1(kHost))
                         .arg(o.base_port)
                         .arg(o.base_port + total - 1));
            return 1;
        }
    }
    if (auto r = ephemeral_range();
        r && o.base_port <= r->second && o.base_port + total - 1 >= r->first)
        complain(QStringLiteral("warning: ports %1-%2 overlap the range the kernel uses for "
                                "outgoing connections (%3-%4); a node may find its port taken — "
                                "prefer a --base-port below %3")
                     .arg(o.base_port)
                     .arg(o.base_port + total - 1)
                     .arg(r->first)
                     .arg(r->second));
    const QString node_bin =
        QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("sotto-node"));
    if (!QFileInfo(node_bin).isExecutable()) {
        complain(QStringLiteral("%1 not found; build the sotto-node target (it is installed "
                                "next to sotto-localnet)")
                     .arg(node_bin));
        return 1;
    }

    struct Planned {
        QString name;
        bool authority;
        std::uint16_t port;
    };
    std::vector<Planned> plan;
    for (int i = 0; i < o.authorities; ++i)
        plan.push_back({QStringLiteral("auth%1").arg(i + 1), true,
                        static_cast<std::uint16_t>(o.base_port + i)});
    for (int i = 0; i < o.relays; ++i)
        plan.push_back({QStringLiteral("relay%1").arg(i + 1), false,
                        static_cast<std::uint16_t>(o.base_port + o.authorities + i)});

    // The network file needs each authority's identity: ask sotto-node,
    // which creates the keys on first use.
    dir::NetworkFile network;
    network.name = "localnet";
    // Everything runs on 127.0.0.1: relays must extend there, authorities
    // must list every node at that one address, and the network is ready as
    // soon as the authorities have reached each relay once.
    network.allow_private_addresses = true;
    network.relays_per_address = static_cast<std::uint32_t>(total);
    network.flag_uptime_s = 0;
    for (const auto& p : plan) {
        if (!p.authority) continue;
        QProcess q;
        q.start(node_bin, {QStringLiteral("--print-identity"), QStringLiteral("--data-dir"),
                           data_dir_of(dir, p.name)});
        if (!q.waitForFinished(30000) || q.exitStatus() != QProcess::NormalExit ||
            q.exitCode() != 0) {
            complain(QStringLiteral("sotto-node --print-identity for %1 failed: %2")
                         .arg(p.name, QString::fromUtf8(q.readAllStandardError()).trimmed()));
            return 1;
        }
        Bytes id;
        const QByteArray hex = q.readAllStandardOutput().trimmed();
        if (!from_hex(std::string_view(hex.constData(), hex.size()), id) || id.size() != 32) {
            complain(QStringLiteral("sotto-node --print-identity printed '%1', not an identity")
                         .arg(QString::fromUtf8(hex)));
            return 1;
        }
        network.authorities.push_back(
            {p.name.toStdString(), crypto::Ed25519PublicKey::from(id), kHost, p.port});
    }
    const QString network_path = QDir(dir).filePath(QStringLiteral("network.txt"));
    {
        QSaveFile f(network_path);
        std::string text = dir::format_network_file(network);
        if (!text.ends_with('\n')) text += '\n';
        if (!f.open(QIODevice::WriteOnly) ||
            f.write(text.data(), static_cast<qint64>(text.size())) !=
                static_cast<qint64>(text.size()) ||
            !f.commit()) {
            complain(QStringLiteral("cannot write %1: %2").arg(network_path, f.errorString()));
            return 1;
        }
    }

    std::vector<RecordedNode> started;
    auto abort_start = [&](const QString& why) {
        complain(why);
        stop_nodes(dir, started, true);
        QFile::remove(pids_path(dir));
        return 1;
    };
    const QStringList common = {
        QStringLiteral("--network"),        network_path,
        QStringLiteral("--host"),           QString::fromLatin1(kHost),
        QStringLiteral("--exit-policy"),    QStringLiteral("127.0.0.1:1-65535"),
        QStringLiteral("--fetch-interval"), QString::number(o.vote_interval),
    };
    // Returns an empty string on success, else why not.
    auto start_node = [&](const Planned& p) -> QString {
        QStringList args = common;
        args << QStringLiteral("--data-dir") << data_dir_of(dir, p.name)
             << QStringLiteral("--nickname") << p.name << QStringLiteral("--port")
             << QString::number(p.port);
        if (p.authority)
            args << QStringLiteral("--authority") << QStringLiteral("--vote-interval")
                 << QString::number(o.vote_interval) << QStringLiteral("--vote-delay")
                 << QString::number(o.vote_delay);
        if (o.verbose) args << QStringLiteral("--verbose");
        QString error;
        auto pid = launch(node_bin, args, log_of(dir, p.name), error);
        if (!pid) return QStringLiteral("cannot start %1: %2").arg(p.name, error);
        started.push_back({*pid, p.name, p.port});
        // Recorded at once, so `stop` works even if this launcher dies.
        if (!write_pids(dir, started)) return QStringLiteral("cannot write %1").arg(pids_path(dir));
        return {};
    };
    auto wait_listening = [&](const RecordedNode& n) -> bool {
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < kListenWaitMs) {
            if (!is_recorded_node_alive(n.pid, data_dir_of(dir, n.name))) return false;
            if (is_listening(n.port)) return true;
            QThread::msleep(50);
        }
        return false;
    };
    auto died = [&](const RecordedNode& n) {
        return QStringLiteral("%1 did not come up: %2")
            .arg(n.name, last_log_line(log_of(dir, n.name)));
    };

    say(QStringLiteral("starting %1 authorities and %2 relays in %3 (ports %4-%5)")
            .arg(o.authorities)
            .arg(o.relays)
            .arg(dir)
            .arg(o.base_port)
            .arg(o.base_port + total - 1));
    // Authorities first, and listening, so relays' first descriptor upload
    // finds them.
    for (const auto& p : plan) {
        if (!p.authority) continue;
        if (auto e = start_node(p); !e.isEmpty()) return abort_start(e);
    }
    for (const auto& n : started)
        if (!wait_listening(n)) return abort_start(died(n));
    for (const auto& p : plan) {
        if (p.authority) continue;
        if (auto e = start_node(p); !e.isEmpty()) return abort_start(e);
    }

    // Wait for a consensus listing every node, as a client would see it.
    if (!o.verbose) QLoggingCategory::setFilterRules(QStringLiteral("sotto.*.info=false"));
    SystemRng rng;
    node::NodeKeys keys{crypto::Ed25519SecretKey::generate(rng),
                        crypto::X25519SecretKey::generate(rng)};
    node::NodeConfig config;
    config.network = network;
    config.consensus_fetch_interval = Duration::seconds(std::max(1, o.vote_interval / 2));
    auto client = net::NodeDriver::create(std::move(config), std::move(keys));
    if (!client) return abort_start(QString::fromStdString(client.error().message));

    QEventLoop loop;
    QString failure;
    qsizetype best = 0;
    QObject::connect(client->get(), &net::NodeDriver::consensusChanged, &loop,
                     [&](qint64, qsizetype relays) {
                         best = std::max(best, relays);
                         if (relays >= total) loop.quit();
                     });
    QTimer deadline;
    deadline.setSingleShot(true);
    QObject::connect(&deadline, &QTimer::timeout, &loop, [&] {
        failure = QStringLiteral(
                      "no consensus listing all %1 nodes within %2 s (best: %3); "
                      "see %4/*/node.log")
                      .arg(total)
                      .arg(o.timeout_seconds)
                      .arg(best)
                      .arg(dir);
        loop.quit();
    });
    deadline.start(o.timeout_seconds * 1000);
    QTimer watchdog;  // a node that exits during startup fails the start at once
    QObject::connect(&watchdog, &QTimer::timeout, &loop, [&] {
        for (const auto& n : started) {
            if (!is_recorded_node_alive(n.pid, data_dir_of(dir, n.name))) {
                failure = died(n);
                loop.quit();
                return;
            }
        }
    });
    watchdog.start(500);
    loop.exec();
    client->reset();
    if (!failure.isEmpty()) return abort_start(failure);
    say(QStringLiteral("network ready: %1 relays; network file: %2")
            .arg(o.relays)
            .arg(network_path));
    return 0;
}

int localnet_stop(const QString& dir_arg) {
    const QString dir = QDir(dir_arg).absolutePath();
    if (!QFile::exists(pids_path(dir))) {
        say(QStringLiteral("nothing to stop: no %1").arg(pids_path(dir)));
        return 0;
    }
    const auto nodes = read_pids(dir);
    const int stopped = stop_nodes(dir, nodes, false);
    QFile::remove(pids_path(dir));
    say(QStringLiteral("stopped %1 of %2 recorded nodes").arg(stopped).arg(nodes.size()));
    return 0;
}

int localnet_status(const QString& dir_arg) {
    const QString dir = QDir(dir_arg).absolutePath();
    const auto nodes = read_pids(dir);
    if (nodes.empty()) {
        say(QStringLiteral("no localnet recorded in %1").arg(dir));
        return 1;
    }
    int running = 0;
    for (const auto& n : nodes) {
        const bool alive = is_recorded_node_alive(n.pid, data_dir_of(dir, n.name));
        running += alive ? 1 : 0;
        say(QStringLiteral("%1 pid %2 %3:%4 %5")
                .arg(n.name, -8)
                .arg(n.pid, -8)
                .arg(QString::fromLatin1(kHost))
                .arg(n.port)
                .arg(alive ? QStringLiteral("running") : QStringLiteral("not running")));
    }
    say(QStringLiteral("%1 of %2 nodes running; network file: %3")
            .arg(running)
            .arg(nodes.size())
            .arg(QDir(dir).filePath(QStringLiteral("network.txt"))));
    return running == static_cast<int>(nodes.size()) ? 0 : 1;
}

}  // namespace sotto::app
