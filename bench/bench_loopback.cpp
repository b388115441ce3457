// Benchmarks with real processes on loopback: starts a sotto-localnet
// network (3 authorities, 5 relays), then from an in-process client:
//   - round trip of one cell over a 3-hop circuit (client → 3 relays → an
//     echo server next to the exit and back), p50 / p99 over 2000 samples;
//   - bulk throughput through 3 hops into a sink, MB/s;
//   - bulk throughput over a rendezvous (the client's 3 hops to the
//     rendezvous point, the service's 3 back: 6 relays) into a service in
//     this process that counts it, beside the 3-hop figure of the same run
//     (goal: at least 60 % of it).
// Beside them, the same measurements against the echo/sink server directly
// over loopback TCP, so the table shows the cost of the three hops.
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "bench/bench_util.hpp"
#include "core/crypto/random.hpp"
#include "core/dir/network_file.hpp"
#include "net/node_driver.hpp"

using namespace sotto;

namespace {

constexpr int kSamples = 2000;
constexpr qint64 kBulkBytes = 200LL * 1024 * 1024;

using bench::new_node;
using bench::p50_p99;
using bench::run_localnet;
using bench::wait_for;

// Pushes kBulkBytes into `stream`, feeding it as its backlog drains so the
// client never holds much, until `sunk` (counted by the receiver) has grown
// by all of them. MB/s, or a negative value after two minutes.
double bulk_mbps(net::NodeDriver& d, node::StreamRef stream, const qint64& sunk) {
    const qint64 start = sunk;
    Bytes chunk(256 * 1024, 0xab);
    qint64 queued = 0;
    QElapsedTimer bulk;
    bulk.start();
    while (sunk - start < kBulkBytes) {
        while (queued < kBulkBytes && d.stream_backlog(stream) < 4 * chunk.size()) {
            (void)d.stream_send(stream, chunk);
            queued += static_cast<qint64>(chunk.size());
        }
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
        if (bulk.elapsed() > 120000) return -1;
    }
    return static_cast<double>(kBulkBytes) / 1e6 / (static_cast<double>(bulk.nsecsElapsed()) / 1e9);
}

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    QTemporaryDir dir;
    if (!run_localnet({"start", "--dir", dir.path(), "--relays", "5"})) {
        std::fprintf(stderr, "bench_loopback: sotto-localnet start failed\n");
        return 1;
    }
    auto stop = qScopeGuard([&] { run_localnet({"stop", "--dir", dir.path()}); });

    // Echo and sink servers in this process.
    QTcpServer echo, sink;
    echo.listen(QHostAddress::LocalHost, 0);
    sink.listen(QHostAddress::LocalHost, 0);
    qint64 sunk = 0;
    QObject::connect(&echo, &QTcpServer::newConnection, [&] {
        auto* s = echo.nextPendingConnection();
        s->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        QObject::connect(s, &QTcpSocket::readyRead, [s] { s->write(s->readAll()); });
    });
    QObject::connect(&sink, &QTcpServer::newConnection, [&] {
        auto* s = sink.nextPendingConnection();
        QObject::connect(s, &QTcpSocket::readyRead, [s, &sunk] { sunk += s->readAll().size(); });
    });

    QFile nf_file(dir.filePath("network.txt"));
    nf_file.open(QIODevice::ReadOnly);
    auto nf = dir::parse_network_file(nf_file.readAll().toStdString());
    auto driver = new_node(*nf);
    if (!driver) return 1;
    auto& d = *driver;
    if (!wait_for([&] { return d.consensus() && d.consensus()->relays.size() == 8; }, 60000))
        return 1;

    // A 3-hop circuit and two streams.
    node::CircuitRef circ = 0;
    bool ready = false;
    QObject::connect(&d, &net::NodeDriver::circuitReady, [&](quint64 c) { ready |= c == circ; });
    circ = *d.build_circuit(3);
    if (!wait_for([&] { return ready; }, 10000)) return 1;
    std::map<quint64, QByteArray> got;
    std::set<quint64> opened;
    QObject::connect(&d, &net::NodeDriver::streamOpened, [&](quint64 s) { opened.insert(s); });
    QObject::connect(&d, &net::NodeDriver::streamData,
                     [&](quint64 s, const QByteArray& b) { got[s] += b; });
    auto echo_stream = *d.open_stream(circ, "127.0.0.1", echo.serverPort());
    if (!wait_for([&] { return opened.contains(echo_stream); }, 10000)) return 1;

    // Round trip of one cell (one byte of data fills one DATA cell).
    std::vector<double> rtt;
    const std::uint8_t one = 'x';
    for (int i = 0; i < kSamples; ++i) {
        QElapsedTimer t;
        t.start();
        (void)d.stream_send(echo_stream, ByteView(&one, 1));
        if (!wait_for([&] { return got[echo_stream].size() == i + 1; }, 5000)) return 1;
        rtt.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
    }
    // Same round trip over direct loopback TCP.
    std::vector<double> direct_rtt;
    QTcpSocket direct;
    direct.setSocketOption(QAbstractSocket::LowDelayOption, 1);
    direct.connectToHost(QHostAddress::LocalHost, echo.serverPort());
    direct.waitForConnected(5000);
    qint64 direct_got = 0;
    QObject::connect(&direct, &QTcpSocket::readyRead,
                     [&] { direct_got += direct.readAll().size(); });
    for (int i = 0; i < kSamples; ++i) {
        QElapsedTimer t;
        t.start();
        direct.write("x", 1);
        if (!wait_for([&] { return direct_got == i + 1; }, 5000)) return 1;
        direct_rtt.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
    }

    // Bulk through 3 hops into the sink.
    auto sink_stream = *d.open_stream(circ, "127.0.0.1", sink.serverPort());
    if (!wait_for([&] { return opened.contains(sink_stream); }, 10000)) return 1;
    const double onion_mbps = bulk_mbps(d, sink_stream, sunk);
    if (onion_mbps < 0) return 1;

    // Bulk over a rendezvous: Bob's service in this process, one contact,
    // counting what arrives.
    auto bob = new_node(*nf);
    if (!bob ||
        !wait_for([&] { return bob->consensus() && bob->consensus()->relays.size() == 8; }, 60000))
        return 1;
    bench::start_fast_service(*bob);
    SystemRng rng;
    auto grant = hs::ContactGrant::generate(rng);
    const auto creds = hs::credentials_for(grant);
    (void)bob->service_add_contact(1, std::move(grant));
    if (!wait_for([&] { return bob->service_stats().descriptors_uploaded >= 6u; }, 60000)) return 1;
    qint64 bob_got = 0;
    QObject::connect(bob.get(), &net::NodeDriver::streamData,
                     [&](quint64, const QByteArray& b) { bob_got += b.size(); });
    std::optional<quint64> rend_circuit;
    QObject::connect(&d, &net::NodeDriver::serviceConnected,
                     [&](quint64, quint64 c) { rend_circuit = c; });
    if (!d.connect_service(creds) || !wait_for([&] { return rend_circuit.has_value(); }, 10000))
        return 1;
    auto rend_stream = *d.open_stream(*rend_circuit, "bob", 1);
    if (!wait_for([&] { return opened.contains(rend_stream); }, 10000)) return 1;
    const double rend_mbps = bulk_mbps(d, rend_stream, bob_got);
    if (rend_mbps < 0) return 1;

    auto r = p50_p99(rtt), dr = p50_p99(direct_rtt);
    std::printf("| %-46s | %10s | %10s |\n", "measurement (real processes, loopback)", "3 hops",
                "direct TCP");
    std::printf("|%s|%s|%s|\n", std::string(48, '-').c_str(), std::string(12, '-').c_str(),
                std::string(12, '-').c_str());
    std::printf("| %-46s | %10.3f | %10.3f |\n", "one-cell round trip p50 (ms) (goal <= 0.3)",
                r.first, dr.first);
    std::printf("| %-46s | %10.3f | %10.3f |\n", "one-cell round trip p99 (ms)", r.second,
                dr.second);
    std::printf("| %-46s | %10.1f | %10s |\n", "bulk throughput MB/s (goal >= 50)", onion_mbps,
                "-");
    std::printf("| %-46s | %10.1f | %10s |\n", "bulk over a rendezvous, 6 relays, MB/s", rend_mbps,
                "-");
    std::printf("\nrendezvous / 3 hops: %.2f (goal >= 0.60)\n", rend_mbps / onion_mbps);
    return 0;
}
