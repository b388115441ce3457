// sotto-demo: the private-service protocol on a running Sotto network
// (normally one started by sotto-localnet). Bob runs a private service and
// grants Alice access (the credentials an invite code will carry); Alice
// finds his descriptor on the HSDirs, introduces herself and meets him at a
// rendezvous point; they chat both ways through six relays. Then Bob revokes
// her, and her next attempt fails exactly as if he were offline. Prints a
// transcript with timings.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QTimer>
#include <cstdio>
#include <functional>

#include "core/crypto/random.hpp"
#include "core/dir/network_file.hpp"
#include "net/node_driver.hpp"

using namespace sotto;

namespace {

QElapsedTimer g_clock;

void say(const QString& line) {
    std::printf("[%6.2fs] %s\n", static_cast<double>(g_clock.nsecsElapsed()) / 1e9,
                qPrintable(line));
    std::fflush(stdout);
}

ByteView view(const QByteArray& b) {
    return {reinterpret_cast<const std::uint8_t*>(b.data()), static_cast<std::size_t>(b.size())};
}

double ms_since(qint64 t) {
    return static_cast<double>(g_clock.nsecsElapsed() - t) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName("sotto-demo");
    QCommandLineParser p;
    p.setApplicationDescription("Bob's private service, Alice's visit, and a silent revocation.");
    p.addHelpOption();
    p.addOption({"network", "Network file (from sotto-localnet).", "FILE"});
    p.addOption({"timeout", "Give up after this many seconds (default 90).", "S", "90"});
    p.process(app);
    g_clock.start();

    QFile f(p.value("network"));
    if (p.value("network").isEmpty() || !f.open(QIODevice::ReadOnly)) {
        std::fprintf(stderr,
                     "sotto-demo: cannot read the network file '%s' — pass --network "
                     "DIR/network.txt from sotto-localnet\n",
                     qPrintable(p.value("network")));
        return 2;
    }
    auto nf = dir::parse_network_file(f.readAll().toStdString());
    if (!nf) {
        std::fprintf(stderr, "sotto-demo: %s\n", nf.error().message.c_str());
        return 2;
    }
    auto make = [&]() -> std::unique_ptr<net::NodeDriver> {
        SystemRng rng;
        node::NodeConfig cfg;
        cfg.network = *nf;
        cfg.consensus_fetch_interval = Duration::seconds(5);
        auto d = net::NodeDriver::create(std::move(cfg),
                                         node::NodeKeys{crypto::Ed25519SecretKey::generate(rng),
                                                        crypto::X25519SecretKey::generate(rng)});
        if (!d) std::fprintf(stderr, "sotto-demo: %s\n", d.error().message.c_str());
        return d ? std::move(*d) : nullptr;
    };
    auto bob = make();
    auto alice = make();
    if (!bob || !alice) return 1;

    int exit_code = 1;
    QTimer::singleShot(p.value("timeout").toInt() * 1000, &app, [&] {
        say("gave up: the demo did not finish in time (is the network running?)");
        app.exit(1);
    });
    for (auto [who, d] : {std::pair{"alice", alice.get()}, std::pair{"bob", bob.get()}})
        QObject::connect(d, &net::NodeDriver::notice, &app,
                         [who](const QString& l) { say(QString(who) + ": " + l); });

    SystemRng rng;
    auto grant = hs::ContactGrant::generate(rng);
    const auto creds = hs::credentials_for(grant);
    enum class Stage {
        Bootstrap,
        Publishing,
        Connecting,
        Chatting,
        Revoked,
        Done
    } stage = Stage::Bootstrap;
    qint64 t_connect = 0, t_sent = 0;
    int publish_tries = 0;
    quint64 circuit = 0, alice_stream = 0, bob_stream = 0;
    hs::ConnectId attempt = 0;
    std::function<void()> try_connect;

    hs::ServiceConfig service;
    // One service, one contact: nothing to hide by delaying publication.
    service.publication.same_dir_spacing = Duration::millis(50);
    service.publication.max_jitter = Duration::millis(50);

    auto on_consensus = [&] {
        if (stage != Stage::Bootstrap || !bob->consensus() || !alice->consensus()) return;
        say(QStringLiteral("consensus: %1 relays, signed by a majority of %2 authorities")
                .arg(alice->consensus()->relays.size())
                .arg(nf->authorities.size()));
        stage = Stage::Publishing;
        (void)bob->service_start(service);
        (void)bob->service_add_contact(1, std::move(grant));
        say("bob: private service started; Alice granted access (H(CK), DC) — what an invite "
            "carries");
        try_connect();
    };
    try_connect = [&] {
        t_connect = g_clock.nsecsElapsed();
        auto a = alice->connect_service(creds);
        if (a) attempt = *a;
    };
    QObject::connect(bob.get(), &net::NodeDriver::consensusChanged, &app, on_consensus);
    QObject::connect(alice.get(), &net::NodeDriver::consensusChanged, &app, on_consensus);

    QObject::connect(
        alice.get(), &net::NodeDriver::serviceUnreachable, &app,
        [&](quint64 a, const QString& why) {
            if (a != attempt) return;
            if (stage == Stage::Publishing && ++publish_tries < 50) {
                QTimer::singleShot(200, &app, try_connect);  // descriptors still on their way
                return;
            }
            if (stage == Stage::Revoked) {
                say("alice: Bob is unreachable: \"" + why + "\" — the same as when he is offline");
                say(QStringLiteral(
                        "bob: rendezvous circuits built for Alice after the revocation: %1")
                        .arg(bob->service_stats().rendezvous_circuits - 1));
                stage = Stage::Done;
                exit_code = 0;
                app.exit(0);
            }
        });
    QObject::connect(alice.get(), &net::NodeDriver::serviceConnected, &app,
                     [&](quint64 a, quint64 c) {
                         if (a != attempt || stage != Stage::Publishing) return;
                         stage = Stage::Connecting;
                         circuit = c;
                         say(QStringLiteral("alice: reached Bob in %1 ms (descriptor from an "
                                            "HSDir, introduction, rendezvous)")
                                 .arg(ms_since(t_connect), 0, 'f', 1));
                         auto s = alice->open_stream(circuit, "bob", 1);
                         if (s) alice_stream = *s;
                     });
    QObject::connect(bob.get(), &net::NodeDriver::incomingStream, &app,
                     [&](quint64 contact, quint64 s, quint64) {
                         bob_stream = s;
                         say(QStringLiteral("bob: contact %1 opened a chat").arg(contact));
                     });
    QObject::connect(alice.get(), &net::NodeDriver::streamOpened, &app, [&](quint64 s) {
        if (s != alice_stream) return;
        stage = Stage::Chatting;
        t_sent = g_clock.nsecsElapsed();
        (void)alice->stream_send(alice_stream, view("Hi Bob! It's Alice."));
    });
    QObject::connect(
        bob.get(), &net::NodeDriver::streamData, &app, [&](quint64 s, const QByteArray& d) {
            if (s != bob_stream) return;
            say(QStringLiteral("bob received \"%1\" (%2 ms through 6 relays)")
                    .arg(QString::fromUtf8(d))
                    .arg(ms_since(t_sent), 0, 'f', 2));
            t_sent = g_clock.nsecsElapsed();
            (void)bob->stream_send(bob_stream, view("Hello Alice, good to hear from you."));
        });
    QObject::connect(alice.get(), &net::NodeDriver::streamData, &app,
                     [&](quint64 s, const QByteArray& d) {
                         if (s != alice_stream) return;
                         say(QStringLiteral("alice received \"%1\" (%2 ms)")
                                 .arg(QString::fromUtf8(d))
                                 .arg(ms_since(t_sent), 0, 'f', 2));
                         say("bob: revokes Alice — silently, no message is sent");
                         (void)bob->service_revoke(1);
                         stage = Stage::Revoked;
                         try_connect();
                     });

    say(QStringLiteral("alice and bob start as clients of network '%1' (%2 authorities)")
            .arg(QString::fromStdString(nf->name))
            .arg(nf->authorities.size()));
    app.exec();
    return exit_code;
}
