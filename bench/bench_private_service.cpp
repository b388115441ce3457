// Private-service benchmarks with real processes on loopback: sotto-localnet
// (3 authorities, 5 relays as HSDirs, introduction and rendezvous points),
// Bob's service and Alice's client in this process.
//   cold connect: connect_service() to ServiceConnected — descriptor fetch
//     from an HSDir over a 3-hop circuit, rendezvous circuit, introduction
//     circuit, Bob's checks and his circuit to the rendezvous point; one
//     fresh contact per sample;
//   message round trip over an established rendezvous: Alice → 6 relays →
//     Bob, who echoes, → Alice; printed with a histogram of the samples and
//     the CPU this process used meanwhile (it must sleep while it waits: a
//     spinning benchmark takes a core away from the relays and shows up as
//     a p99 in multiples of the 4 ms scheduler tick).
// SOTTO_BENCH_RTT_OUT=<file> also writes every round trip as
// "<ms since the first send> <rtt ms>", e.g. to look for periodic stalls.
#include <sys/resource.h>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "bench/bench_util.hpp"
#include "core/crypto/random.hpp"
#include "core/dir/network_file.hpp"
#include "net/node_driver.hpp"

using namespace sotto;

namespace {

using bench::p50_p99;
using bench::run_localnet;
using bench::wait_for;

double ms_between(const timeval& a, const timeval& b) {
    return static_cast<double>(b.tv_sec - a.tv_sec) * 1e3 +
           static_cast<double>(b.tv_usec - a.tv_usec) / 1e3;
}

// One line: how many samples fall in each bucket, and the largest.
void print_histogram(const std::vector<double>& ms) {
    constexpr std::array<double, 6> kUpper = {0.5, 1, 2, 5, 10, 20};
    std::array<int, kUpper.size() + 1> n{};
    for (double v : ms)
        ++n[static_cast<std::size_t>(std::upper_bound(kUpper.begin(), kUpper.end(), v) -
                                     kUpper.begin())];
    std::printf(
        "round trips (ms): <0.5: %d, 0.5-1: %d, 1-2: %d, 2-5: %d, 5-10: %d, 10-20: %d, "
        ">=20: %d; max %.2f\n",
        n[0], n[1], n[2], n[3], n[4], n[5], n[6], *std::max_element(ms.begin(), ms.end()));
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
    auto bob = bench::new_node(*nf);
    auto alice = bench::new_node(*nf);
    if (!wait_for(
            [&] {
                return bob->consensus() && alice->consensus() &&
                       alice->consensus()->relays.size() == 8 &&
                       bob->consensus()->relays.size() == 8;
            },
            60000))
        return 1;

    bench::start_fast_service(*bob);
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
    std::vector<double> sent_at;
    const QByteArray msg(64, 'm');  // a short chat message
    QElapsedTimer phase;
    phase.start();
    rusage before{};
    getrusage(RUSAGE_SELF, &before);
    for (int i = 0; i < kRoundTrips; ++i) {
        QElapsedTimer t;
        t.start();
        sent_at.push_back(static_cast<double>(phase.nsecsElapsed()) / 1e6);
        (void)alice->stream_send(stream,
                                 ByteView(reinterpret_cast<const std::uint8_t*>(msg.data()), 64));
        if (!wait_for([&] { return echoed == 64LL * (i + 1); }, 5000)) return 1;
        rtt.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
    }
    const double phase_ms = static_cast<double>(phase.nsecsElapsed()) / 1e6;
    rusage after{};
    getrusage(RUSAGE_SELF, &after);
    if (const char* out = std::getenv("SOTTO_BENCH_RTT_OUT")) {
        if (FILE* f = std::fopen(out, "w")) {
            for (std::size_t i = 0; i < rtt.size(); ++i)
                std::fprintf(f, "%.4f %.4f\n", sent_at[i], rtt[i]);
            std::fclose(f);
        }
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
    std::printf("\n");
    print_histogram(rtt);
    std::printf(
        "this process during the round trips: %.0f ms CPU in %.0f ms, %ld sleeps\n",
        ms_between(before.ru_utime, after.ru_utime) + ms_between(before.ru_stime, after.ru_stime),
        phase_ms, after.ru_nvcsw - before.ru_nvcsw);
    return 0;
}
