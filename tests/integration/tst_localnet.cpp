// Integration over real processes and loopback sockets: sotto-localnet starts
// 3 authorities and 5 relays (separate sotto-node processes), and an
// in-process NodeDriver client uses the network: consensus, 3-hop circuits,
// a 10 MB echo through an exit, a relay killed under a circuit, a rebuild.
// Also the operator-facing failures of sotto-node (malformed network file,
// port in use, authority missing from the network file), clean shutdown on
// SIGTERM, and `sotto-localnet stop` touching exactly its own processes.
// Waits run the event loop until a signal makes a condition true, with a
// timeout; nothing sleeps or polls.
#include <signal.h>

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QProcess>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QtTest>
#include <functional>
#include <map>
#include <set>

#include "core/crypto/random.hpp"
#include "core/dir/network_file.hpp"
#include "net/node_driver.hpp"
#include "tests/common/unreachable_network.hpp"

#ifndef SOTTO_NODE_BIN
#error "SOTTO_NODE_BIN must name the sotto-node executable"
#endif
#ifndef SOTTO_LOCALNET_BIN
#error "SOTTO_LOCALNET_BIN must name the sotto-localnet executable"
#endif

using namespace sotto;

namespace {

constexpr int kAuthorities = 3;
constexpr int kRelays = 5;
constexpr int kNodes = kAuthorities + kRelays;
constexpr int kProcessTimeoutMs = 120000;

// Not alive: gone, or a zombie (the nodes are reparented to a pid 1 that may
// never reap them).
bool pid_alive(qint64 pid) {
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly)) return false;
    const QByteArray s = stat.readAll();
    const auto close = s.lastIndexOf(')');
    return close >= 0 && close + 2 < s.size() && s[close + 2] != 'Z' && s[close + 2] != 'X';
}

bool port_free(quint16 port) {
    QTcpServer probe;
    return probe.listen(QHostAddress::LocalHost, port);
}

// The first port the kernel hands out for outgoing connections: listening
// ports above it can be taken by the network's own connections.
int ephemeral_low() {
    QFile f(QStringLiteral("/proc/sys/net/ipv4/ip_local_port_range"));
    bool ok = false;
    int low = 0;
    if (f.open(QIODevice::ReadOnly)) low = f.readAll().simplified().split(' ').value(0).toInt(&ok);
    return ok && low > 12000 ? low : 32768;
}

// A block of consecutive free ports at a random place below the ephemeral
// range, so parallel test runs and other builds on this machine do not collide.
quint16 free_port_block(int count) {
    const int span = ephemeral_low() - count - 10000;
    for (int attempt = 0; attempt < 200; ++attempt) {
        const auto base = static_cast<quint16>(10000 + QRandomGenerator::global()->bounded(span));
        bool ok = true;
        for (int i = 0; i < count && ok; ++i) ok = port_free(static_cast<quint16>(base + i));
        if (ok) return base;
    }
    return 0;
}

struct Ran {
    int exit_code = -1;
    bool finished = false;
    QString out, err;
};

Ran run(const QString& program, const QStringList& args, int timeout_ms = kProcessTimeoutMs) {
    QProcess p;
    p.start(program, args);
    Ran r;
    r.finished = p.waitForFinished(timeout_ms);
    if (!r.finished) p.kill(), p.waitForFinished();
    r.exit_code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QString node_bin() {
    return QStringLiteral(SOTTO_NODE_BIN);
}
QString localnet_bin() {
    return QStringLiteral(SOTTO_LOCALNET_BIN);
}

QByteArray pseudo_random(qsizetype n, quint32 seed) {
    QRandomGenerator g(seed);
    QByteArray out(n, Qt::Uninitialized);
    g.fillRange(reinterpret_cast<quint32*>(out.data()), n / 4);
    return out;
}

// Echoes every byte back on the same connection.
class EchoServer : public QObject {
  public:
    EchoServer() {
        connect(&server_, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* s = server_.nextPendingConnection()) {
                ++connections;
                s->setSocketOption(QAbstractSocket::LowDelayOption, 1);
                connect(s, &QTcpSocket::readyRead, s, [s] { s->write(s->readAll()); });
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
        server_.listen(QHostAddress::LocalHost, 0);
    }
    quint16 port() const { return server_.serverPort(); }
    int connections = 0;

  private:
    QTcpServer server_;
};

// Sends a fixed blob to every connection, then closes it at once: the exit
// sees the close while it is still paused on a full stream window.
class SourceServer : public QObject {
  public:
    explicit SourceServer(QByteArray blob) : blob_(std::move(blob)) {
        connect(&server_, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* s = server_.nextPendingConnection()) {
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
                s->write(blob_);
                s->disconnectFromHost();  // after the blob is flushed
            }
        });
        server_.listen(QHostAddress::LocalHost, 0);
    }
    quint16 port() const { return server_.serverPort(); }

  private:
    QTcpServer server_;
    QByteArray blob_;
};

}  // namespace

class TestLocalnet : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    QString dir_;  // the localnet's directory
    quint16 base_port_ = 0;
    bool localnet_running_ = false;
    dir::NetworkFile network_;
    std::unique_ptr<net::NodeDriver> client_;
    EchoServer echo_;

    // What the client's signals reported.
    std::set<quint64> ready_;
    std::map<quint64, QString> circuit_closed_;
    std::set<quint64> opened_;
    std::map<quint64, QString> stream_closed_;
    std::map<quint64, QByteArray> received_;

    std::map<QString, qint64> recorded_pids() const {
        std::map<QString, qint64> out;
        QFile f(QDir(dir_).filePath(QStringLiteral("pids")));
        if (!f.open(QIODevice::ReadOnly | QIODevice::Text)) return out;
        while (!f.atEnd()) {
            const QStringList parts =
                QString::fromUtf8(f.readLine()).trimmed().split(QLatin1Char(' '));
            if (parts.size() == 3 && !parts[0].startsWith(QLatin1Char('#')))
                out[parts[1]] = parts[0].toLongLong();
        }
        return out;
    }

    // Runs the event loop until `done()` holds, re-checking after each of the
    // client's signals (event-driven: no polling, no sleeping); false on
    // timeout.
    bool wait_for(const std::function<bool()>& done, int timeout_ms) {
        if (done()) return true;
        QEventLoop loop;
        auto check = [&] {
            if (done()) loop.quit();
        };
        const net::NodeDriver* c = client_.get();
        connect(c, &net::NodeDriver::circuitReady, &loop, check);
        connect(c, &net::NodeDriver::circuitClosed, &loop, check);
        connect(c, &net::NodeDriver::streamOpened, &loop, check);
        connect(c, &net::NodeDriver::streamData, &loop, check);
        connect(c, &net::NodeDriver::streamClosed, &loop, check);
        QTimer::singleShot(timeout_ms, &loop, &QEventLoop::quit);
        loop.exec();
        return done();
    }

    node::PathHop hop(const QString& nickname) const {
        for (const auto& e : client_->consensus()->relays)
            if (QString::fromStdString(e.nickname) == nickname) return node::PathHop::from(e);
        qFatal("relay %s not in the consensus", qPrintable(nickname));
    }

    // Builds a circuit through the named relays and waits until it is ready.
    std::optional<quint64> circuit_through(const QStringList& names) {
        std::vector<node::PathHop> path;
        for (const auto& n : names) path.push_back(hop(n));
        auto c = client_->build_circuit(std::move(path));
        if (!c) {
            qWarning("build_circuit: %s", c.error().message.c_str());
            return std::nullopt;
        }
        const quint64 id = *c;
        if (!wait_for([&] { return ready_.contains(id) || circuit_closed_.contains(id); }, 30000) ||
            !ready_.contains(id)) {
            qWarning("circuit through %s not ready: %s", qPrintable(names.join(',')),
                     qPrintable(circuit_closed_.contains(id) ? circuit_closed_[id]
                                                             : QStringLiteral("timeout")));
            return std::nullopt;
        }
        return id;
    }

    std::optional<quint64> echo_stream(quint64 circuit) {
        auto s = client_->open_stream(circuit, "127.0.0.1", echo_.port());
        if (!s) {
            qWarning("open_stream: %s", s.error().message.c_str());
            return std::nullopt;
        }
        const quint64 id = *s;
        if (!wait_for([&] { return opened_.contains(id) || stream_closed_.contains(id); }, 30000) ||
            !opened_.contains(id)) {
            qWarning("stream not opened: %s",
                     qPrintable(stream_closed_.contains(id) ? stream_closed_[id]
                                                            : QStringLiteral("timeout")));
            return std::nullopt;
        }
        return id;
    }

  private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        // Keeps the nodes' logs for a post-mortem.
        if (qEnvironmentVariableIsSet("SOTTO_KEEP_TEST_DIR")) {
            tmp_.setAutoRemove(false);
            qInfo("test directory kept: %s", qPrintable(tmp_.path()));
        }
        QVERIFY2(QFileInfo(node_bin()).isExecutable(), qPrintable(node_bin()));
        QVERIFY2(QFileInfo(localnet_bin()).isExecutable(), qPrintable(localnet_bin()));
        dir_ = tmp_.filePath(QStringLiteral("net"));
        base_port_ = free_port_block(kNodes + 2);  // +2: decoy and port-in-use tests
        QVERIFY(base_port_ != 0);
    }

    // ---- sotto-node refuses bad input with one line that says what to do ----

    void malformed_network_file_is_one_line_error() {
        const QString bad = tmp_.filePath(QStringLiteral("bad-network.txt"));
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("network test\nauthority only-three fields\n");
        f.close();
        const Ran r = run(node_bin(), {"--data-dir", tmp_.filePath("bad"), "--network", bad,
                                       "--nickname", "bad", "--port", "1"});
        QVERIFY(r.finished);
        QVERIFY2(r.exit_code != 0, qPrintable(r.err));
        QCOMPARE(r.err.count(QLatin1Char('\n')), 1);
        QVERIFY2(r.err.contains(QLatin1String("line 2")), qPrintable(r.err));
        QVERIFY2(r.err.contains(bad), qPrintable(r.err));

        const Ran missing = run(node_bin(), {"--data-dir", tmp_.filePath("bad"), "--network",
                                             tmp_.filePath("nope.txt"), "--port", "1"});
        QVERIFY(missing.exit_code != 0);
        QCOMPARE(missing.err.count(QLatin1Char('\n')), 1);
        QVERIFY2(missing.err.contains(QLatin1String("--network")), qPrintable(missing.err));
    }

    void port_in_use_is_clear_error() {
        QTcpServer squatter;
        const quint16 port = static_cast<quint16>(base_port_ + kNodes + 1);
        QVERIFY(squatter.listen(QHostAddress::LocalHost, port));
        const QString nf = write_standalone_network_file();
        const Ran r = run(node_bin(), {"--data-dir", tmp_.filePath("busy"), "--network", nf,
                                       "--nickname", "busy", "--port", QString::number(port)});
        QVERIFY(r.finished);
        QVERIFY(r.exit_code != 0);
        QCOMPARE(r.err.count(QLatin1Char('\n')), 1);
        QVERIFY2(r.err.contains(QStringLiteral("cannot listen on 127.0.0.1:%1: address already "
                                               "in use")
                                    .arg(port)),
                 qPrintable(r.err));

        // sotto-localnet checks its whole port range before starting anything.
        const Ran ln =
            run(localnet_bin(), {"start", "--dir", tmp_.filePath("busy-net"), "--relays", "1",
                                 "--authorities", "1", "--base-port", QString::number(port)});
        QCOMPARE(ln.exit_code, 1);
        QVERIFY2(ln.err.contains(QLatin1String("choose another --base-port")), qPrintable(ln.err));
        QVERIFY(!QFile::exists(QDir(tmp_.filePath("busy-net")).filePath("pids")));
    }

    void authority_missing_from_network_file_is_clear_error() {
        const QString nf = write_standalone_network_file();
        const Ran r = run(node_bin(), {"--data-dir", tmp_.filePath("rogue"), "--network", nf,
                                       "--authority", "--nickname", "rogue", "--port", "1"});
        QVERIFY(r.exit_code != 0);
        QCOMPARE(r.err.count(QLatin1Char('\n')), 1);
        QVERIFY2(r.err.contains(QLatin1String("is not an authority")), qPrintable(r.err));
    }

    // ---- a whole network ---------------------------------------------------------

    void localnet_starts() {
        QElapsedTimer clock;
        clock.start();
        const Ran r =
            run(localnet_bin(),
                {"start", "--dir", dir_, "--authorities", QString::number(kAuthorities), "--relays",
                 QString::number(kRelays), "--base-port", QString::number(base_port_)});
        QVERIFY(r.finished);
        QVERIFY2(r.exit_code == 0, qPrintable(r.err + r.out));
        localnet_running_ = true;
        QVERIFY2(r.out.contains(QStringLiteral("network ready: %1 relays").arg(kRelays)),
                 qPrintable(r.out));
        QCOMPARE(recorded_pids().size(), std::size_t(kNodes));
        qInfo("sotto-localnet start took %lld ms", clock.elapsed());

        const Ran status = run(localnet_bin(), {"status", "--dir", dir_});
        QCOMPARE(status.exit_code, 0);
        QVERIFY(status.out.contains(QStringLiteral("%1 of %1 nodes running").arg(kNodes)));
    }

    void client_gets_full_consensus() {
        QVERIFY(localnet_running_);
        QFile f(QDir(dir_).filePath(QStringLiteral("network.txt")));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray text = f.readAll();
        auto nf = dir::parse_network_file(std::string_view(text.constData(), text.size()));
        QVERIFY2(nf.has_value(), nf ? "" : nf.error().message.c_str());
        network_ = *nf;
        QCOMPARE(network_.authorities.size(), std::size_t(kAuthorities));

        SystemRng rng;
        node::NodeConfig config;
        config.network = network_;
        config.consensus_fetch_interval = Duration::seconds(2);
        auto driver = net::NodeDriver::create(
            std::move(config),
            {crypto::Ed25519SecretKey::generate(rng), crypto::X25519SecretKey::generate(rng)});
        QVERIFY2(driver.has_value(), driver ? "" : driver.error().message.c_str());
        client_ = std::move(*driver);
        connect(client_.get(), &net::NodeDriver::circuitReady, this,
                [this](quint64 c) { ready_.insert(c); });
        connect(client_.get(), &net::NodeDriver::circuitClosed, this,
                [this](quint64 c, const QString& why) { circuit_closed_[c] = why; });
        connect(client_.get(), &net::NodeDriver::streamOpened, this,
                [this](quint64 s) { opened_.insert(s); });
        connect(client_.get(), &net::NodeDriver::streamClosed, this,
                [this](quint64 s, const QString& why) { stream_closed_[s] = why; });
        connect(client_.get(), &net::NodeDriver::streamData, this,
                [this](quint64 s, const QByteArray& d) { received_[s].append(d); });

        QSignalSpy consensus(client_.get(), &net::NodeDriver::consensusChanged);
        QElapsedTimer clock;
        clock.start();
        // localnet only reported ready once a consensus listed every node, so
        // the first one fetched should already be complete; allow a few.
        while (
            !(client_->consensus() && client_->consensus()->relays.size() == std::size_t(kNodes)) &&
            clock.elapsed() < 30000)
            QVERIFY(consensus.wait(30000));
        QVERIFY(client_->consensus());
        QCOMPARE(client_->consensus()->relays.size(), std::size_t(kNodes));
        qInfo("client consensus after %lld ms", clock.elapsed());
        for (const auto& e : client_->consensus()->relays) {
            QVERIFY(e.flags & dir::kFlagRunning);
            QVERIFY2(e.flags & dir::kFlagExit, e.nickname.c_str());
        }
    }

    void three_hop_circuits() {
        QVERIFY(client_);
        QElapsedTimer clock;
        clock.start();
        auto random = client_->build_circuit(3);
        QVERIFY2(random.has_value(), random ? "" : random.error().message.c_str());
        QVERIFY(wait_for(
            [&] { return ready_.contains(*random) || circuit_closed_.contains(*random); }, 30000));
        QVERIFY2(ready_.contains(*random), qPrintable(circuit_closed_[*random]));
        qInfo("random 3-hop circuit ready in %lld ms", clock.elapsed());
        QVERIFY(circuit_through({"relay1", "relay2", "relay3"}));
        QVERIFY(circuit_through({"auth1", "relay4", "relay5"}));
    }

    void ten_megabytes_echo_through_exit() {
        QVERIFY(client_);
        auto c = circuit_through({"relay4", "auth2", "relay5"});
        QVERIFY(c);
        auto s = echo_stream(*c);
        QVERIFY(s);
        const QByteArray data = pseudo_random(10 * 1024 * 1024, 20240601);
        QElapsedTimer clock;
        clock.start();
        constexpr qsizetype kChunk = 1024 * 1024;
        for (qsizetype off = 0; off < data.size(); off += kChunk) {
            const QByteArray part = data.mid(off, kChunk);
            auto sent = client_->stream_send(
                *s, ByteView(reinterpret_cast<const std::uint8_t*>(part.constData()),
                             static_cast<std::size_t>(part.size())));
            QVERIFY2(sent.has_value(), sent ? "" : sent.error().message.c_str());
        }
        QVERIFY(wait_for(
            [&] { return received_[*s].size() >= data.size() || stream_closed_.contains(*s); },
            180000));
        const QByteArray& got = received_[*s];
        QVERIFY2(!stream_closed_.contains(*s) || got.size() == data.size(),
                 qPrintable(stream_closed_[*s]));
        const double secs = static_cast<double>(clock.elapsed()) / 1000.0;
        qInfo("10 MiB echoed through 3 hops in %.2f s (%.1f MiB/s each way)", secs, 10.0 / secs);
        QCOMPARE(got.size(), data.size());
        QCOMPARE(QCryptographicHash::hash(got, QCryptographicHash::Sha256),
                 QCryptographicHash::hash(data, QCryptographicHash::Sha256));
        client_->close_stream(*s);
        QVERIFY(echo_.connections >= 1);
        QVERIFY(wait_for([&] { return stream_closed_.contains(*s); }, 10000));
    }

    void server_closing_while_exit_paused_delivers_everything() {
        QVERIFY(client_);
        const QByteArray blob = pseudo_random(8 * 1024 * 1024, 7);
        SourceServer source(blob);
        auto c = circuit_through({"relay3", "relay1", "auth3"});
        QVERIFY(c);
        auto s = client_->open_stream(*c, "127.0.0.1", source.port());
        QVERIFY2(s.has_value(), s ? "" : s.error().message.c_str());
        QVERIFY(wait_for([&] { return stream_closed_.contains(*s); }, 120000));
        QVERIFY(opened_.contains(*s));
        QCOMPARE(received_[*s].size(), blob.size());
        QCOMPARE(QCryptographicHash::hash(received_[*s], QCryptographicHash::Sha256),
                 QCryptographicHash::hash(blob, QCryptographicHash::Sha256));
    }

    void refused_exit_connection_closes_stream() {
        QVERIFY(client_);
        quint16 closed_port = 0;
        {
            QTcpServer probe;  // a port that was just free and is closed again
            QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
            closed_port = probe.serverPort();
        }
        auto c = circuit_through({"relay5", "relay4", "relay1"});
        QVERIFY(c);
        auto s = client_->open_stream(*c, "127.0.0.1", closed_port);
        QVERIFY2(s.has_value(), s ? "" : s.error().message.c_str());
        QVERIFY(wait_for([&] { return stream_closed_.contains(*s); }, 30000));
        QVERIFY(!opened_.contains(*s));
        qInfo("refused stream closed: %s", qPrintable(stream_closed_[*s]));
        // The circuit survives a failed stream.
        auto echo = echo_stream(*c);
        QVERIFY(echo);
    }

    void killed_relay_closes_circuit_and_rebuild_works() {
        QVERIFY(client_);
        auto c = circuit_through({"relay1", "relay2", "relay3"});
        QVERIFY(c);
        const qint64 pid = recorded_pids()[QStringLiteral("relay2")];
        QVERIFY(pid > 1 && pid_alive(pid));
        QElapsedTimer clock;
        clock.start();
        QCOMPARE(::kill(static_cast<pid_t>(pid), SIGKILL), 0);
        QVERIFY(wait_for([&] { return circuit_closed_.contains(*c); }, 30000));
        qInfo("circuit through killed relay closed after %lld ms: %s", clock.elapsed(),
              qPrintable(circuit_closed_[*c]));

        auto again = circuit_through({"relay1", "relay4", "relay3"});
        QVERIFY(again);
        auto s = echo_stream(*again);
        QVERIFY(s);
        const QByteArray hello("hello through a rebuilt circuit");
        QVERIFY(client_->stream_send(*s, as_bytes(hello.toStdString())).has_value());
        QVERIFY(wait_for([&] { return received_[*s].size() >= hello.size(); }, 30000));
        QCOMPARE(received_[*s], hello);
    }

    void stop_stops_exactly_its_processes() {
        QVERIFY(localnet_running_);
        // A sotto-node that is not part of the localnet (same binary, same
        // network, own data dir), and a non-node process.
        QProcess decoy;
        decoy.start(node_bin(), {"--data-dir", tmp_.filePath("decoy"), "--network",
                                 QDir(dir_).filePath("network.txt"), "--nickname", "decoy",
                                 "--port", QString::number(base_port_ + kNodes)});
        QVERIFY(decoy.waitForStarted());
        QProcess bystander;  // `cat` waits on its open stdin until we close it
        bystander.start(QStringLiteral("cat"), QStringList{});
        QVERIFY(bystander.waitForStarted());

        // A forged pids file naming the decoy and the bystander.
        const QString fake = tmp_.filePath(QStringLiteral("fake"));
        QVERIFY(QDir().mkpath(fake));
        QFile pf(QDir(fake).filePath(QStringLiteral("pids")));
        QVERIFY(pf.open(QIODevice::WriteOnly));
        pf.write(QStringLiteral("%1 relay1 1\n%2 relay2 2\n")
                     .arg(decoy.processId())
                     .arg(bystander.processId())
                     .toUtf8());
        pf.close();
        const Ran forged = run(localnet_bin(), {"stop", "--dir", fake});
        QCOMPARE(forged.exit_code, 0);
        QVERIFY2(forged.out.contains(QLatin1String("left alone")), qPrintable(forged.out));
        QCOMPARE(decoy.state(), QProcess::Running);
        QCOMPARE(bystander.state(), QProcess::Running);

        const auto pids = recorded_pids();
        QElapsedTimer clock;
        clock.start();
        const Ran r = run(localnet_bin(), {"stop", "--dir", dir_});
        QCOMPARE(r.exit_code, 0);
        localnet_running_ = false;
        qInfo("sotto-localnet stop took %lld ms: %s", clock.elapsed(), qPrintable(r.out.trimmed()));
        for (const auto& [name, pid] : pids) QVERIFY2(!pid_alive(pid), qPrintable(name));
        QVERIFY(!QFile::exists(QDir(dir_).filePath(QStringLiteral("pids"))));
        QCOMPARE(decoy.state(), QProcess::Running);
        QCOMPARE(bystander.state(), QProcess::Running);

        // SIGTERM: clean exit with code 0, and the identity survives a restart.
        const Ran before =
            run(node_bin(), {"--print-identity", "--data-dir", tmp_.filePath("decoy")});
        decoy.terminate();
        QVERIFY(decoy.waitForFinished(15000));
        QCOMPARE(decoy.exitStatus(), QProcess::NormalExit);
        QCOMPARE(decoy.exitCode(), 0);
        const Ran after =
            run(node_bin(), {"--print-identity", "--data-dir", tmp_.filePath("decoy")});
        QCOMPARE(after.exit_code, 0);
        QCOMPARE(after.out.trimmed().size(), 64);
        QCOMPARE(after.out, before.out);
        QVERIFY(QFileInfo(QDir(tmp_.filePath("decoy")).filePath("identity.key")).permissions() ==
                (QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadUser |
                 QFileDevice::WriteUser));
        bystander.closeWriteChannel();
        QVERIFY(bystander.waitForFinished(5000));
    }

    void cleanupTestCase() {
        client_.reset();
        if (localnet_running_) run(localnet_bin(), {"stop", "--dir", dir_});
    }

  private:
    // A network file whose single authority is some other key: enough for a
    // plain relay to start (it never reaches the authority in these tests).
    QString write_standalone_network_file() {
        const QString path = tmp_.filePath(QStringLiteral("standalone.txt"));
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly)) return {};
        f.write(QByteArray::fromStdString(testing::unreachable_network_file("standalone")));
        return path;
    }
};

QTEST_GUILESS_MAIN(TestLocalnet)
#include "tst_localnet.moc"
