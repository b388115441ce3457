// The private-service protocol over real processes: sotto-localnet starts 3
// authorities and 5 relays (separate sotto-node processes acting as HSDirs,
// introduction and rendezvous points); Bob's service and Alice's client run
// in this process on real sockets. Alice reaches Bob and they exchange data;
// after Bob revokes her, her attempt fails exactly as an attempt to reach a
// Bob who is offline: with the same words, at the same time. Waits run the
// event loop until a signal makes a condition true, with a timeout; nothing
// sleeps.
//
// Every failed attempt is reported at ClientConfig::connect_timeout, however
// early the client knew (no descriptor, or one whose introduction points no
// longer lead to Bob). The client here gives up after 20 s instead of 60 s,
// and waits 2 s per introduction point instead of 5 s.
#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <functional>

#include "core/crypto/random.hpp"
#include "core/dir/network_file.hpp"
#include "net/node_driver.hpp"
#include "tests/common/free_ports.hpp"

using namespace sotto;

namespace {

constexpr int kTimeoutMs = 120000;
constexpr hs::ClientConfig kClientConfig{.connect_timeout = Duration::seconds(20),
                                         .intro_wait = Duration::seconds(2)};
constexpr qint64 kConnectTimeoutMs = kClientConfig.connect_timeout.us / 1000;

bool run_localnet(const QStringList& args) {
    QProcess p;
    p.start(QStringLiteral(SOTTO_LOCALNET_BIN), args);
    if (!p.waitForFinished(kTimeoutMs)) {
        p.kill();
        p.waitForFinished();
        return false;
    }
    if (p.exitCode() != 0) qWarning() << p.readAllStandardError();
    return p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

ByteView view(const QByteArray& b) {
    return {reinterpret_cast<const std::uint8_t*>(b.data()), static_cast<std::size_t>(b.size())};
}

hs::ServiceConfig fast_service() {
    hs::ServiceConfig c;
    // Publication delays exist to hide links between contacts; a test with
    // one service gains nothing from waiting for them in real time.
    c.publication.same_dir_spacing = Duration::millis(100);
    c.publication.max_jitter = Duration::millis(100);
    return c;
}

}  // namespace

class TestPrivateServiceLocalnet : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir dir_;
    dir::NetworkFile network_;
    std::unique_ptr<net::NodeDriver> bob_, alice_;
    DeterministicRng rng_{2026};

    std::unique_ptr<net::NodeDriver> client() {
        SystemRng sys;
        node::NodeConfig cfg;
        cfg.network = network_;
        cfg.consensus_fetch_interval = Duration::seconds(5);
        auto d = net::NodeDriver::create(std::move(cfg),
                                         node::NodeKeys{crypto::Ed25519SecretKey::generate(sys),
                                                        crypto::X25519SecretKey::generate(sys)});
        return d ? std::move(*d) : nullptr;
    }

    // Runs the event loop until done() holds, re-checking after every signal
    // of both drivers.
    bool wait_for(const std::function<bool()>& done, int timeout_ms = kTimeoutMs) {
        if (done()) return true;
        QEventLoop loop;
        auto check = [&] {
            if (done()) loop.quit();
        };
        for (auto* d : {bob_.get(), alice_.get()}) {
            if (d == nullptr) continue;
            connect(d, &net::NodeDriver::consensusChanged, &loop, check);
            connect(d, &net::NodeDriver::serviceConnected, &loop, check);
            connect(d, &net::NodeDriver::serviceUnreachable, &loop, check);
            connect(d, &net::NodeDriver::incomingStream, &loop, check);
            connect(d, &net::NodeDriver::streamOpened, &loop, check);
            connect(d, &net::NodeDriver::streamData, &loop, check);
        }
        QTimer::singleShot(timeout_ms, &loop, &QEventLoop::quit);
        loop.exec();
        return done();
    }

    // One connection attempt: the circuit, or the failure reason.
    std::variant<quint64, QString> attempt(const hs::ContactCredentials& creds) {
        auto id = alice_->connect_service(creds);
        if (!id) return QString::fromStdString(id.error().message);
        std::optional<std::variant<quint64, QString>> result;
        QMetaObject::Connection a = connect(alice_.get(), &net::NodeDriver::serviceConnected, this,
                                            [&](quint64 att, quint64 circuit) {
                                                if (att == *id) result = circuit;
                                            });
        QMetaObject::Connection b = connect(alice_.get(), &net::NodeDriver::serviceUnreachable,
                                            this, [&](quint64 att, const QString& why) {
                                                if (att == *id) result = why;
                                            });
        wait_for([&] { return result.has_value(); });
        disconnect(a);
        disconnect(b);
        return result ? *result : std::variant<quint64, QString>(QStringLiteral("timeout"));
    }

    // Retries while Bob's descriptors are still on their way to the HSDirs
    // (after a rotation too). A failed attempt ends on a signal after the
    // connect timeout; the bound is time, not a count.
    std::optional<quint64> connect_when_published(const hs::ContactCredentials& creds) {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 100000) {
            auto r = attempt(creds);
            if (auto* c = std::get_if<quint64>(&r)) return *c;
        }
        return std::nullopt;
    }

  private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        const auto base = testing::free_port_block(8);
        QVERIFY(base != 0);
        QVERIFY(run_localnet({"start", "--dir", dir_.path(), "--relays", "5", "--base-port",
                              QString::number(base)}));
        QFile f(dir_.filePath("network.txt"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        auto nf = dir::parse_network_file(f.readAll().toStdString());
        QVERIFY(nf.has_value());
        network_ = *nf;
        bob_ = client();
        alice_ = client();
        QVERIFY(bob_ && alice_);
        // On loopback Bob answers an introduction within milliseconds; a
        // shorter wait per introduction point keeps the failing attempts
        // short (a later RENDEZVOUS2 would still be accepted).
        alice_->set_client_config(kClientConfig, Duration::hours(24));
        QVERIFY(wait_for([&] {
            return bob_->consensus() && alice_->consensus() &&
                   bob_->consensus()->relays.size() == 8 && alice_->consensus()->relays.size() == 8;
        }));
    }

    void cleanupTestCase() {
        bob_.reset();
        alice_.reset();
        run_localnet({"stop", "--dir", dir_.path()});
    }

    void alice_reaches_bob_and_revocation_looks_like_offline() {
        QVERIFY(bob_->service_start(fast_service()).has_value());
        auto alice_grant = hs::ContactGrant::generate(rng_);
        auto carol_grant = hs::ContactGrant::generate(rng_);
        auto alice_creds = hs::credentials_for(alice_grant);
        auto carol_creds = hs::credentials_for(carol_grant);
        QVERIFY(bob_->service_add_contact(1, std::move(alice_grant)).has_value());
        QVERIFY(bob_->service_add_contact(2, std::move(carol_grant)).has_value());

        // Alice reaches Bob and they talk both ways.
        auto circuit = connect_when_published(alice_creds);
        QVERIFY2(circuit.has_value(), "Alice never reached Bob");
        std::optional<quint64> incoming;
        QByteArray at_bob, at_alice;
        connect(bob_.get(), &net::NodeDriver::incomingStream, this,
                [&](quint64 contact, quint64 stream, quint64) {
                    if (contact == 1) incoming = stream;
                });
        connect(bob_.get(), &net::NodeDriver::streamData, this,
                [&](quint64 s, const QByteArray& d) {
                    if (incoming && s == *incoming) at_bob += d;
                });
        auto stream = alice_->open_stream(*circuit, "bob", 1);
        QVERIFY(stream.has_value());
        connect(alice_.get(), &net::NodeDriver::streamData, this,
                [&](quint64 s, const QByteArray& d) {
                    if (s == *stream) at_alice += d;
                });
        QVERIFY(wait_for([&] { return incoming.has_value(); }));
        QVERIFY(alice_->stream_send(*stream, view("hello Bob")).has_value());
        QVERIFY(wait_for([&] { return at_bob == "hello Bob"; }));
        QVERIFY(bob_->stream_send(*incoming, view("hello Alice")).has_value());
        QVERIFY(wait_for([&] { return at_alice == "hello Alice"; }));
        QCOMPARE(bob_->service_stats().rendezvous_circuits, std::uint64_t(1));

        // Bob revokes Alice: her next attempt fails. Nothing was withdrawn,
        // so she finds her descriptor, and its introduction keys are dead.
        QVERIFY(bob_->service_revoke(1).has_value());
        QElapsedTimer took;
        took.start();
        auto revoked = attempt(alice_creds);
        QVERIFY(std::holds_alternative<QString>(revoked));
        const qint64 revoked_ms = took.elapsed();
        qInfo("revoked: failed after %lld ms", static_cast<long long>(revoked_ms));
        QCOMPARE(bob_->service_stats().rendezvous_circuits, std::uint64_t(1));

        // Carol still reaches Bob after the rotation; then Bob goes offline
        // and Carol's attempt fails with exactly what Alice saw.
        QVERIFY(connect_when_published(carol_creds).has_value());
        bob_.reset();
        took.restart();
        auto offline = attempt(carol_creds);
        QVERIFY(std::holds_alternative<QString>(offline));
        // Her descriptor is still on the HSDirs; its introduction points
        // acknowledge and drop. Both failures are told at the connect
        // timeout (real time: allow the event loop a little latency).
        const qint64 offline_ms = took.elapsed();
        qInfo("offline: failed after %lld ms", static_cast<long long>(offline_ms));
        for (qint64 ms : {revoked_ms, offline_ms}) {
            QVERIFY(ms >= kConnectTimeoutMs);
            QVERIFY(ms < kConnectTimeoutMs + 2000);
        }
        QCOMPARE(std::get<QString>(revoked), std::get<QString>(offline));
    }
};

QTEST_GUILESS_MAIN(TestPrivateServiceLocalnet)
#include "tst_private_service_localnet.moc"
