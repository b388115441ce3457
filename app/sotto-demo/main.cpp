// sotto-demo: two clients, Alice and Bob, exchanging messages over 3-hop
// circuits of a running Sotto network (normally one started by
// sotto-localnet). Each has an inbox (a TCP listener on 127.0.0.1) that the
// other reaches through a circuit whose exit relay connects to it, so every
// message crosses three relays, each layer of onion encryption added and
// removed on the way. Prints a transcript with the paths and delivery times.
//
// This is the engine's demo: once private services land, inboxes are reached
// through rendezvous points instead of exits.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <cstdio>

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

// One person: a client node, an inbox, and a circuit + stream to the peer's inbox.
class Person : public QObject {
  public:
    Person(QString name, std::unique_ptr<net::NodeDriver> driver)
        : name_(std::move(name)), driver_(std::move(driver)) {
        inbox_.listen(QHostAddress::LocalHost, 0);
        connect(&inbox_, &QTcpServer::newConnection, this, [this] {
            while (auto* s = inbox_.nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, this, [this, s] {
                    buffer_ += s->readAll();
                    while (true) {
                        auto nl = buffer_.indexOf('\n');
                        if (nl < 0) break;
                        on_line(QString::fromUtf8(buffer_.left(nl)));
                        buffer_.remove(0, nl + 1);
                    }
                });
            }
        });
    }

    QString name_;
    std::unique_ptr<net::NodeDriver> driver_;
    QTcpServer inbox_;
    QByteArray buffer_;
    node::CircuitRef circuit_ = 0;
    node::StreamRef stream_ = 0;
    std::function<void(const QString&)> on_line;
};

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName("sotto-demo");
    QCommandLineParser p;
    p.setApplicationDescription("Two clients exchanging messages over 3-hop circuits.");
    p.addHelpOption();
    p.addOption({"network", "Network file (from sotto-localnet).", "FILE"});
    p.addOption({"messages", "Messages each way (default 5).", "N", "5"});
    p.addOption({"timeout", "Give up after this many seconds (default 60).", "S", "60"});
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
    const int messages = std::max(1, p.value("messages").toInt());

    auto make = [&](const QString& name) -> std::unique_ptr<Person> {
        SystemRng rng;
        node::NodeConfig cfg;
        cfg.network = *nf;
        cfg.consensus_fetch_interval = Duration::seconds(5);
        node::NodeKeys keys{crypto::Ed25519SecretKey::generate(rng),
                            crypto::X25519SecretKey::generate(rng)};
        auto d = net::NodeDriver::create(std::move(cfg), std::move(keys));
        if (!d) {
            std::fprintf(stderr, "sotto-demo: %s\n", d.error().message.c_str());
            return nullptr;
        }
        return std::make_unique<Person>(name, std::move(*d));
    };
    auto alice = make("alice");
    auto bob = make("bob");
    if (!alice || !bob) return 1;

    int exit_code = 1;
    int received = 0;
    QTimer::singleShot(p.value("timeout").toInt() * 1000, &app, [&] {
        say("gave up: the demo did not finish in time (is the network running?)");
        app.exit(1);
    });

    std::map<QString, qint64> sent_at;
    auto send_next = [&](Person& from, int i) {
        QString text = QStringLiteral("%1 → %2 #%3: %4")
                           .arg(from.name_, &from == alice.get() ? "bob" : "alice")
                           .arg(i)
                           .arg(i == 1 ? "hello!" : "how are you?");
        sent_at[text] = g_clock.nsecsElapsed();
        QByteArray line = text.toUtf8() + '\n';
        (void)from.driver_->stream_send(from.stream_,
                                        ByteView(reinterpret_cast<const std::uint8_t*>(line.data()),
                                                 static_cast<std::size_t>(line.size())));
    };
    for (Person* me : {alice.get(), bob.get()}) {
        Person* peer = me == alice.get() ? bob.get() : alice.get();
        me->on_line = [&, me](const QString& text) {
            const double ms = static_cast<double>(g_clock.nsecsElapsed() - sent_at[text]) / 1e6;
            say(QStringLiteral("%1 received \"%2\" (%3 ms through 3 relays)")
                    .arg(me->name_, text)
                    .arg(ms, 0, 'f', 2));
            if (++received == 2 * messages) {
                say("done: every message crossed a 3-hop circuit in both directions");
                exit_code = 0;
                app.exit(0);
            }
        };
        auto* d = me->driver_.get();
        QObject::connect(d, &net::NodeDriver::notice, &app,
                         [me](const QString& l) { say(me->name_ + ": " + l); });
        QObject::connect(
            d, &net::NodeDriver::consensusChanged, &app, [&, me, d](qint64, qsizetype relays) {
                if (me->circuit_ != 0) return;
                say(QStringLiteral(
                        "%1: consensus with %2 relays, signed by a majority of %3 authorities")
                        .arg(me->name_)
                        .arg(relays)
                        .arg(nf->authorities.size()));
                auto c = d->build_circuit(3);
                if (!c) {
                    say(me->name_ + ": " + QString::fromStdString(c.error().message));
                    return;
                }
                me->circuit_ = *c;
            });
        QObject::connect(d, &net::NodeDriver::circuitReady, &app, [&, me, peer, d](quint64 c) {
            if (c != me->circuit_) return;
            say(QStringLiteral(
                    "%1: circuit ready, streaming to %2's inbox 127.0.0.1:%3 via the exit")
                    .arg(me->name_, peer->name_)
                    .arg(peer->inbox_.serverPort()));
            auto s = d->open_stream(c, "127.0.0.1", peer->inbox_.serverPort());
            if (s) me->stream_ = *s;
        });
        QObject::connect(d, &net::NodeDriver::circuitClosed, &app,
                         [me](quint64 c, const QString& why) {
                             if (c == me->circuit_) say(me->name_ + ": circuit closed: " + why);
                         });
        QObject::connect(d, &net::NodeDriver::streamOpened, &app, [&, me](quint64 s) {
            if (s != me->stream_) return;
            for (int i = 1; i <= messages; ++i) send_next(*me, i);
        });
        QObject::connect(d, &net::NodeDriver::streamClosed, &app,
                         [me](quint64 s, const QString& why) {
                             if (s == me->stream_) say(me->name_ + ": stream closed: " + why);
                         });
    }
    say(QStringLiteral("alice and bob start as clients of network '%1' (%2 authorities)")
            .arg(QString::fromStdString(nf->name))
            .arg(nf->authorities.size()));
    app.exec();
    return exit_code;
}
