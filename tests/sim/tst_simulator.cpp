// The simulator's own clock, event queue and in-memory transport, driven by
// trivial probe endpoints (no onion nodes): ordering, latency, bandwidth,
// loss as delay, partitions, crashes, virtual services and determinism.
#include <QtTest>

#include <map>
#include <set>

#include "core/sim/simulator.hpp"
#include "core/sim/virtual_service.hpp"

using namespace sotto;
using namespace sotto::sim;

namespace {

// Records everything the simulator tells it, with times.
struct Probe final : Endpoint {
    std::map<SocketId, TimePoint> connected;
    std::map<SocketId, std::string> failed;
    std::map<SocketId, TimePoint> accepted;
    std::map<SocketId, Bytes> received;
    std::map<SocketId, TimePoint> last_data_at;
    std::map<SocketId, TimePoint> first_data_at;
    std::map<SocketId, TimePoint> closed;
    std::vector<SocketId> order;  // socket of every on_data, in order
    int crashes = 0;
    int restarts = 0;
    std::function<void(SocketId)> when_connected;
    std::function<void(SocketId)> when_accepted;

    void on_connected(SocketId s) override {
        connected[s] = sim().now();
        if (when_connected) when_connected(s);
    }
    void on_connect_failed(SocketId s, const std::string& reason) override { failed[s] = reason; }
    void on_accepted(SocketId s, std::uint16_t) override {
        accepted[s] = sim().now();
        if (when_accepted) when_accepted(s);
    }
    void on_data(SocketId s, ByteView b) override {
        if (!first_data_at.contains(s)) first_data_at[s] = sim().now();
        last_data_at[s] = sim().now();
        received[s].insert(received[s].end(), b.begin(), b.end());
        order.push_back(s);
    }
    void on_closed(SocketId s) override { closed[s] = sim().now(); }
    void on_crash() override { ++crashes; }
    void on_restart() override { ++restarts; }

    Bytes all_received() const {
        Bytes out;
        for (const auto& [s, b] : received) out.insert(out.end(), b.begin(), b.end());
        return out;
    }
};

NetworkModel fixed_latency(Duration latency) {
    NetworkModel m;
    m.path = PathModel{.latency = latency, .jitter = Duration{}};
    return m;
}

// Paths with jitter (so segments overtake each other) cut into small segments.
NetworkModel jittery(Duration latency, Duration jitter, std::size_t segment_size) {
    NetworkModel m;
    m.path = PathModel{.latency = latency, .jitter = jitter};
    m.segment_size = segment_size;
    return m;
}

Bytes pattern(std::size_t n, std::uint8_t salt = 0) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 31 + salt + i / 251);
    return b;
}

struct Pair {
    Probe* a;
    Probe* b;
};

Pair two_probes(Simulator& sim) {
    auto& a = sim.emplace<Probe>("a.sim");
    auto& b = sim.emplace<Probe>("b.sim");
    sim.listen(b.host(), 80);
    return {&a, &b};
}

// Once connected, `a` sends all of `data` (which must outlive the run) and
// closes.
void send_then_close(Probe* a, const Bytes& data) {
    a->when_connected = [a, &data](SocketId s) {
        a->sim().send(s, data);
        a->sim().close(s);
    };
}

// A scenario with random traffic over jittery, lossy, bandwidth-limited
// paths; returns the run fingerprint.
crypto::Digest256 random_traffic_run(std::uint64_t seed) {
    NetworkModel m;
    m.path = PathModel{.latency = Duration::millis(15),
                       .jitter = Duration::millis(10),
                       .bandwidth = 2'000'000,
                       .loss = 0.05};
    m.segment_size = 1500;
    Simulator sim(seed, m);
    std::vector<Probe*> probes;
    for (int i = 0; i < 6; ++i) {
        probes.push_back(&sim.emplace<Probe>("p" + std::to_string(i)));
        sim.listen(probes.back()->host(), 1);
    }
    auto rng = sim.fork_rng(42);
    auto echo = std::make_shared<EchoService>();
    add_service(sim, "echo.sim", 7, echo);
    for (auto* p : probes) {
        p->when_connected = [p, &rng](SocketId s) {
            p->sim().send(s, rng->bytes(1 + rng->uniform(20000)));
        };
        p->when_accepted = [p, &rng](SocketId s) {
            p->sim().send(s, rng->bytes(rng->uniform(5000)));
        };
    }
    for (int i = 0; i < 40; ++i) {
        auto* from = probes[rng->uniform(probes.size())];
        const bool to_echo = rng->uniform(3) == 0;
        const std::string to = to_echo ? "echo.sim" : "p" + std::to_string(rng->uniform(6));
        sim.schedule_after(
            Duration::millis(static_cast<std::int64_t>(rng->uniform(2000))),
            [from, to, to_echo] { from->sim().connect(from->host(), to, to_echo ? 7 : 1); });
    }
    sim.run_for(Duration::seconds(30));
    return sim.fingerprint();
}

}  // namespace

class TestSimulator : public QObject {
    Q_OBJECT
  private slots:
    void clock_starts_at_epoch_and_run_for_advances_it() {
        Simulator sim(1);
        QCOMPARE(sim.now(), kEpoch);
        sim.run_for(Duration::seconds(5));
        QCOMPARE(sim.now(), kEpoch + Duration::seconds(5));
    }

    void equal_time_events_run_in_schedule_order() {
        Simulator sim(1);
        std::vector<int> seen;
        const TimePoint t = sim.now() + Duration::millis(10);
        for (int i = 0; i < 50; ++i) sim.schedule_at(t, [&seen, i] { seen.push_back(i); });
        sim.schedule_at(t - Duration::millis(1), [&seen] { seen.push_back(-1); });
        sim.run_for(Duration::seconds(1));
        QCOMPARE(seen.size(), std::size_t{51});
        QCOMPARE(seen.front(), -1);
        for (int i = 0; i < 50; ++i) QCOMPARE(seen[static_cast<std::size_t>(i) + 1], i);
    }

    void cancelled_timer_does_not_run() {
        Simulator sim(1);
        bool ran = false;
        auto id = sim.schedule_after(Duration::millis(5), [&ran] { ran = true; });
        sim.cancel(id);
        sim.run_for(Duration::seconds(1));
        QVERIFY(!ran);
    }

    void run_until_returns_false_at_deadline() {
        Simulator sim(1);
        int ticks = 0;
        for (int i = 1; i <= 100; ++i)
            sim.schedule_after(Duration::seconds(i), [&ticks] { ++ticks; });
        QVERIFY(!sim.run_until([&] { return ticks >= 1000; }, Duration::seconds(30)));
        QCOMPARE(sim.now(), kEpoch + Duration::seconds(30));
        QCOMPARE(ticks, 30);
        QVERIFY(sim.run_until([&] { return ticks >= 40; }, Duration::seconds(30)));
        QCOMPARE(sim.now(), kEpoch + Duration::seconds(40));
    }

    void connect_accept_and_data_take_one_latency_each() {
        Simulator sim(1, fixed_latency(Duration::millis(10)));
        auto [a, b] = two_probes(sim);
        a->when_connected = [a](SocketId s) { a->sim().send(s, as_bytes("hello")); };
        SocketId s = sim.connect(a->host(), "b.sim", 80);
        sim.run_for(Duration::seconds(1));
        QCOMPARE(b->accepted.size(), std::size_t{1});
        QCOMPARE(b->accepted.begin()->second, kEpoch + Duration::millis(10));
        QCOMPARE(a->connected.at(s), kEpoch + Duration::millis(20));
        const SocketId bs = b->accepted.begin()->first;
        QCOMPARE(b->first_data_at.at(bs), kEpoch + Duration::millis(30));
        QCOMPARE(b->received.at(bs), Bytes(as_bytes("hello").begin(), as_bytes("hello").end()));
        QCOMPARE(sim.peer_host(s), std::optional<HostId>(b->host()));
    }

    void connect_to_closed_port_or_unknown_host_is_refused() {
        Simulator sim(1, fixed_latency(Duration::millis(10)));
        auto [a, b] = two_probes(sim);
        SocketId s1 = sim.connect(a->host(), "b.sim", 81);
        SocketId s2 = sim.connect(a->host(), "nowhere.sim", 80);
        sim.run_for(Duration::seconds(1));
        QCOMPARE(a->failed.at(s1), std::string("connection refused"));
        QVERIFY(a->failed.contains(s2));
        QVERIFY(a->connected.empty());
        QVERIFY(b->accepted.empty());
        QCOMPARE(sim.stats().connections_failed, std::uint64_t{2});
    }

    void bytes_written_while_connecting_are_sent_once_connected() {
        Simulator sim(1, fixed_latency(Duration::millis(10)));
        auto [a, b] = two_probes(sim);
        SocketId s = sim.connect(a->host(), "b.sim", 80);
        sim.send(s, as_bytes("early"));
        sim.run_for(Duration::seconds(1));
        QCOMPARE(b->all_received(), Bytes(as_bytes("early").begin(), as_bytes("early").end()));
        QCOMPARE(b->first_data_at.begin()->second, kEpoch + Duration::millis(30));
    }

    void order_preserved_under_heavy_jitter() {
        Simulator sim(7, jittery(Duration::millis(5), Duration::millis(200), 100));
        auto [a, b] = two_probes(sim);
        const Bytes data = pattern(100'000);
        a->when_connected = [a, &data](SocketId s) {
            for (std::size_t off = 0; off < data.size(); off += 1000)
                a->sim().send(s, ByteView(data).subspan(off, 1000));
        };
        sim.connect(a->host(), "b.sim", 80);
        sim.run_for(Duration::seconds(5));
        QCOMPARE(b->all_received(), data);
        QCOMPARE(sim.stats().chunks_delivered, std::uint64_t{1000});
    }

    void bandwidth_adds_serialisation_delay() {
        NetworkModel m = fixed_latency(Duration::millis(10));
        m.path.bandwidth = 1'000'000;  // 1 MB/s
        Simulator sim(1, m);
        auto [a, b] = two_probes(sim);
        const Bytes data = pattern(1'000'000);
        TimePoint sent_at;
        a->when_connected = [a, &data, &sent_at](SocketId s) {
            sent_at = a->sim().now();
            a->sim().send(s, data);
        };
        sim.connect(a->host(), "b.sim", 80);
        sim.run_for(Duration::seconds(5));
        QCOMPARE(b->all_received(), data);
        const SocketId bs = b->accepted.begin()->first;
        // First segment: its own serialisation (16 KiB at 1 MB/s) plus latency;
        // last byte: one second of serialisation plus latency.
        QCOMPARE(b->first_data_at.at(bs) - sent_at, Duration::micros(16384 + 10000));
        QCOMPARE(b->last_data_at.at(bs) - sent_at, Duration::micros(1'000'000 + 10000));
    }

    void bandwidth_is_shared_by_connections_between_two_hosts() {
        NetworkModel m = fixed_latency(Duration::millis(10));
        m.path.bandwidth = 1'000'000;
        Simulator sim(1, m);
        auto [a, b] = two_probes(sim);
        const Bytes data = pattern(500'000);
        a->when_connected = [a, &data](SocketId s) { a->sim().send(s, data); };
        sim.connect(a->host(), "b.sim", 80);
        sim.connect(a->host(), "b.sim", 80);
        sim.run_for(Duration::seconds(5));
        TimePoint last;
        for (const auto& [s, t] : b->last_data_at) last = std::max(last, t);
        QCOMPARE(last - (kEpoch + Duration::millis(20)), Duration::micros(1'000'000 + 10000));
    }

    void loss_delays_segments_but_keeps_order() {
        NetworkModel m = fixed_latency(Duration::millis(10));
        m.path.loss = 0.2;
        m.path.rto = Duration::millis(200);
        m.segment_size = 1000;
        Simulator sim(3, m);
        auto [a, b] = two_probes(sim);
        const Bytes data = pattern(200'000);
        a->when_connected = [a, &data](SocketId s) { a->sim().send(s, data); };
        sim.connect(a->host(), "b.sim", 80);
        sim.run_for(Duration::seconds(30));
        QCOMPARE(b->all_received(), data);
        // About 20% of 200 segments plus their own repeated losses.
        QVERIFY(sim.stats().retransmissions > 20);
        QVERIFY(sim.stats().retransmissions < 100);
        const SocketId bs = b->accepted.begin()->first;
        QVERIFY(b->last_data_at.at(bs) - b->first_data_at.at(bs) >= Duration::millis(200));
    }

    void close_arrives_after_bytes_in_flight() {
        Simulator sim(5, jittery(Duration::millis(10), Duration::millis(50), 10));
        auto [a, b] = two_probes(sim);
        const Bytes data = pattern(10'000);
        send_then_close(a, data);
        sim.connect(a->host(), "b.sim", 80);
        sim.run_for(Duration::seconds(5));
        QCOMPARE(b->all_received(), data);
        const SocketId bs = b->accepted.begin()->first;
        QVERIFY(b->closed.contains(bs));
        QVERIFY(b->closed.at(bs) >= b->last_data_at.at(bs));
        QVERIFY(a->closed.empty());  // the closer is not told
    }

    void writes_to_a_closed_socket_are_dropped() {
        Simulator sim(1, fixed_latency(Duration::millis(10)));
        auto [a, b] = two_probes(sim);
        b->when_accepted = [b](SocketId s) { b->sim().close(s); };
        SocketId s = sim.connect(a->host(), "b.sim", 80);
        sim.run_for(Duration::seconds(1));
        QVERIFY(a->closed.contains(s));
        QVERIFY(!sim.is_open(s));
        sim.send(s, as_bytes("late"));
        sim.run_for(Duration::seconds(1));
        QVERIFY(b->received.empty());
    }

    void paused_reading_holds_bytes_in_order() {
        Simulator sim(1, fixed_latency(Duration::millis(10)));
        auto [a, b] = two_probes(sim);
        b->when_accepted = [b](SocketId s) { b->sim().set_reading(s, false); };
        const Bytes data = pattern(50'000);
        send_then_close(a, data);
        sim.connect(a->host(), "b.sim", 80);
        sim.run_for(Duration::seconds(1));
        QVERIFY(b->received.empty());
        const SocketId bs = b->accepted.begin()->first;
        QVERIFY(!b->closed.contains(bs));  // the close waits behind the held bytes
        sim.set_reading(bs, true);
        sim.run_for(Duration::millis(1));
        QCOMPARE(b->all_received(), data);
        QVERIFY(b->closed.contains(bs));
    }

    void partition_cuts_connections_and_refuses_new_ones() {
        Simulator sim(1, fixed_latency(Duration::millis(10)));
        auto [a, b] = two_probes(sim);
        auto& c = sim.emplace<Probe>("c.sim");
        SocketId ab = sim.connect(a->host(), "b.sim", 80);
        SocketId cb = sim.connect(c.host(), "b.sim", 80);
        sim.run_for(Duration::seconds(1));
        QVERIFY(a->connected.contains(ab));
        sim.partition({a->host()}, {b->host()});
        QVERIFY(!sim.reachable(a->host(), b->host()));
        QVERIFY(sim.reachable(c.host(), b->host()));
        sim.send(ab, as_bytes("lost"));
        sim.run_for(Duration::seconds(1));
        QVERIFY(a->closed.contains(ab));
        QCOMPARE(b->closed.size(), std::size_t{1});  // only the a-b connection
        QVERIFY(!c.closed.contains(cb));
        QVERIFY(b->received.empty());
        sim.send(cb, as_bytes("still here"));
        SocketId again = sim.connect(a->host(), "b.sim", 80);
        sim.run_for(Duration::seconds(1));
        QVERIFY(a->failed.contains(again));
        QCOMPARE(b->all_received(),
                 Bytes(as_bytes("still here").begin(), as_bytes("still here").end()));
        sim.heal();
        SocketId healed = sim.connect(a->host(), "b.sim", 80);
        sim.run_for(Duration::seconds(1));
        QVERIFY(a->connected.contains(healed));
        QCOMPARE(sim.stats().connections_cut, std::uint64_t{1});
    }

    void partition_during_handshake_fails_the_connect() {
        Simulator sim(1, fixed_latency(Duration::millis(10)));
        auto [a, b] = two_probes(sim);
        SocketId s = sim.connect(a->host(), "b.sim", 80);
        sim.run_for(Duration::millis(15));  // accepted, not yet connected
        QCOMPARE(b->accepted.size(), std::size_t{1});
        sim.partition({a->host()}, {b->host()});
        sim.run_for(Duration::seconds(1));
        QVERIFY(a->failed.contains(s));
        QVERIFY(!a->connected.contains(s));
        QCOMPARE(b->closed.size(), std::size_t{1});
    }

    void crash_resets_peers_and_drops_in_flight_bytes() {
        Simulator sim(1, fixed_latency(Duration::millis(10)));
        auto [a, b] = two_probes(sim);
        SocketId s = sim.connect(a->host(), "b.sim", 80);
        sim.run_for(Duration::seconds(1));
        const SocketId bs = b->accepted.begin()->first;
        sim.send(bs, as_bytes("in flight from b"));
        sim.send(s, as_bytes("in flight to b"));
        sim.crash(b->host());
        QCOMPARE(b->crashes, 1);
        QVERIFY(!sim.is_up(b->host()));
        sim.run_for(Duration::seconds(1));
        QCOMPARE(a->closed.at(s), kEpoch + Duration::seconds(1) + Duration::millis(10));
        QVERIFY(a->received.empty());
        QVERIFY(b->received.empty());
        QVERIFY(b->closed.empty());  // a crashed host hears nothing
        SocketId refused = sim.connect(a->host(), "b.sim", 80);
        sim.run_for(Duration::seconds(1));
        QVERIFY(a->failed.contains(refused));
        sim.restart(b->host());
        QCOMPARE(b->restarts, 1);
        SocketId ok = sim.connect(a->host(), "b.sim", 80);
        sim.run_for(Duration::seconds(1));
        QVERIFY(a->connected.contains(ok));
    }

    void per_pair_path_override() {
        Simulator sim(1, fixed_latency(Duration::millis(10)));
        auto [a, b] = two_probes(sim);
        auto& c = sim.emplace<Probe>("c.sim");
        sim.set_path(a->host(), b->host(), PathModel{.latency = Duration::millis(100)});
        SocketId slow = sim.connect(a->host(), "b.sim", 80);
        SocketId fast = sim.connect(c.host(), "b.sim", 80);
        sim.run_for(Duration::seconds(1));
        QVERIFY(a->connected.at(slow) >= kEpoch + Duration::millis(200));
        QCOMPARE(c.connected.at(fast), kEpoch + Duration::millis(20));
    }

    void echo_service_returns_every_byte() {
        NetworkModel m;
        m.segment_size = 700;
        Simulator sim(9, m);
        auto& a = sim.emplace<Probe>("a.sim");
        auto& echo = add_service(sim, "echo.sim", 7, std::make_shared<EchoService>());
        const Bytes data = pattern(20'000, 3);
        a.when_connected = [&a, &data](SocketId s) { a.sim().send(s, data); };
        sim.connect(a.host(), "echo.sim", 7);
        sim.run_for(Duration::seconds(2));
        QCOMPARE(a.all_received(), data);
        QCOMPARE(echo.connections(), std::uint64_t{1});
        QCOMPARE(echo.bytes(), std::uint64_t{20'000});
    }

    void sink_service_counts_and_hashes() {
        Simulator sim(9);
        auto& a = sim.emplace<Probe>("a.sim");
        auto& sink = add_service(sim, "sink.sim", 9, std::make_shared<SinkService>());
        const Bytes data = pattern(100'000, 5);
        a.when_connected = [&a, &data](SocketId s) {
            a.sim().send(s, data);
            a.sim().close(s);
        };
        sim.connect(a.host(), "sink.sim", 9);
        sim.connect(a.host(), "sink.sim", 9);
        sim.run_for(Duration::seconds(2));
        QCOMPARE(sink.connections(), std::size_t{2});
        QCOMPARE(sink.bytes(), std::uint64_t{200'000});
        for (const auto& [s, r] : sink.received()) {
            QCOMPARE(r.bytes, std::uint64_t{100'000});
            QVERIFY(r.closed);
            QCOMPARE(r.digest(), crypto::sha3_256(data));
        }
    }

    void callback_service_sees_open_data_and_close() {
        Simulator sim(9);
        auto& a = sim.emplace<Probe>("a.sim");
        auto svc = std::make_shared<CallbackService>();
        std::string log;
        svc->open = [&log](ServiceSocket& s) {
            log += "open;";
            s.send(as_bytes("banner"));
        };
        svc->data = [&log](ServiceSocket& s, ByteView d) {
            log += "data;";
            if (d.size() == 4) s.close();
        };
        svc->closed = [&log](ServiceSocket&) { log += "closed;"; };
        add_service(sim, "cb.sim", 25, svc);
        a.when_connected = [&a](SocketId s) { a.sim().send(s, as_bytes("quit")); };
        SocketId s = sim.connect(a.host(), "cb.sim", 25);
        sim.run_for(Duration::seconds(2));
        QCOMPARE(log, std::string("open;data;"));
        QCOMPARE(a.received.at(s), Bytes(as_bytes("banner").begin(), as_bytes("banner").end()));
        QVERIFY(a.closed.contains(s));
    }

    void same_seed_gives_same_fingerprint() {
        const auto one = random_traffic_run(1234);
        const auto two = random_traffic_run(1234);
        QCOMPARE(one, two);
    }

    void different_seed_gives_different_fingerprint() {
        QVERIFY(random_traffic_run(1234) != random_traffic_run(1235));
    }
};

QTEST_APPLESS_MAIN(TestSimulator)
#include "tst_simulator.moc"
