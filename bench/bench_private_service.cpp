// Private-service benchmarks with real processes on loopback: sotto-localnet
// (3 authorities, 5 relays as HSDirs, introduction and rendezvous points),
// Bob's service and Alice's client in this process.
//   cold connect: connect_service() to ServiceConnected — descriptor fetch
//     from an HSDir over a 3-hop circuit, rendezvous circuit, introduction
//     circuit, Bob's checks and his circuit to the rendezvous point; one
//     fresh contact per sample;
//   message round trip over an established rendezvous: Alice → 6 relays →
//     Bob, who echoes, → Alice.
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "bench/bench_util.hpp"
#include "core/dir/network_file.hpp"
#include "net/node_driver.hpp"

using namespace sotto;

namespace {

using bench::p50_p99;
using bench::run_localnet;
using bench::wait_for;

std::unique_ptr<net::NodeDriver> client(const dir::NetworkFile& nf) {
    SystemRng rng;
    node::NodeConfig cfg;
    cfg.network = nf;
    auto d = net::NodeDriver::create(std::move(cfg),
                                     node::NodeKeys{crypto::Ed25519SecretKey::generate(rng),
                                                    crypto::X25519SecretKey::generate(rng)});
    return d ? std::move(*d) : nullptr;
}

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    constexpr int kConnects = 100;
    constexpr int kRoundTrips = 2000;
    QTemporaryDir dir;
    if (!run_localnet({"start", "--dir", dir.path(), "--relays", "5"})) return 1;
    auto stop = qScopeGuard([&] { run_localnet({"stop", "--dir", dir.path()}); });
    QFile f(dir.filePath("network.txt"));
    f.open(QIODevice::ReadOnly);
    auto nf = dir::parse_network_file(f.readAll().toStdString());
    auto bob = client(*nf);
    auto alice = client(*nf);
    if (!wait_for(
            [&] {
                return bob->consensus() && alice->consensus() &&
                       alice->consensus()->relays.size() == 8 &&
                       bob->consensus()->relays.size() == 8;
            },
            60000))
        return 1;

    hs::ServiceConfig cfg;
    cfg.publication.same_dir_spacing = Duration::millis(1);
    cfg.publication.max_jitter = Duration::millis(1);
    (void)bob->service_start(cfg);
    SystemRng rng;
    std::vector<hs::ContactCredentials> creds;
    for (int i = 0; i < kConnects; ++i) {
        auto g = hs::ContactGrant::generate(rng);
        creds.push_back(hs::credentials_for(g));
        (void)bob->service_add_contact(static_cast<hs::ContactId>(i + 1), std::move(g));
    }
    if (!wait_for([&] { return bob->service_stats().descriptors_uploaded >= kConnects * 6u; },
                  120000)) {
        std::fprintf(stderr, "descriptors not published\n");
        return 1;
    }

    std::map<quint64, quint64> connected;  // attempt -> circuit
    QObject::connect(alice.get(), &net::NodeDriver::serviceConnected,
                     [&](quint64 a, quint64 c) { connected[a] = c; });
    std::vector<double> cold;
    quint64 circuit = 0;
    for (int i = 0; i < kConnects; ++i) {
        QElapsedTimer t;
        t.start();
        auto a = alice->connect_service(creds[static_cast<std::size_t>(i)]);
        if (!a || !wait_for([&] { return connected.contains(*a); }, 10000)) {
            std::fprintf(stderr, "connect %d failed\n", i);
            return 1;
        }
        cold.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
        circuit = connected[*a];
    }

    // Round trips on the last connection: Bob echoes what he receives.
    QObject::connect(bob.get(), &net::NodeDriver::streamData, [&](quint64 s, const QByteArray& d) {
        (void)bob->stream_send(s, ByteView(reinterpret_cast<const std::uint8_t*>(d.data()),
                                           static_cast<std::size_t>(d.size())));
    });
    std::set<quint64> opened;
    qint64 echoed = 0;
    QObject::connect(alice.get(), &net::NodeDriver::streamOpened,
                     [&](quint64 s) { opened.insert(s); });
    QObject::connect(alice.get(), &net::NodeDriver::streamData,
                     [&](quint64, const QByteArray& d) { echoed += d.size(); });
    auto stream = *alice->open_stream(circuit, "bob", 1);
    if (!wait_for([&] { return opened.contains(stream); }, 10000)) return 1;
    std::vector<double> rtt;
    const QByteArray msg(64, 'm');  // a short chat message
    for (int i = 0; i < kRoundTrips; ++i) {
        QElapsedTimer t;
        t.start();
        (void)alice->stream_send(stream,
                                 ByteView(reinterpret_cast<const std::uint8_t*>(msg.data()), 64));
        if (!wait_for([&] { return echoed == 64LL * (i + 1); }, 5000)) return 1;
        rtt.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
    }
    auto [c50, c99] = p50_p99(cold);
    auto [r50, r99] = p50_p99(rtt);
    std::printf("| %-58s | %8s | %8s |\n", "measurement (real processes, loopback)", "p50 ms",
                "p99 ms");
    std::printf(
        "|------------------------------------------------------------|----------|----------|\n");
    std::printf("| %-58s | %8.2f | %8.2f |\n", "cold connect (goal p50 <= 15 ms)", c50, c99);
    std::printf("| %-58s | %8.3f | %8.3f |\n",
                "64-byte message round trip, 6 relays (goal 0.5 / 2 ms)", r50, r99);
    return 0;
}
