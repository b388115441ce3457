// BEGIN_DIR streams cannot exhaust a relay's memory (issue 9, finding 4).
// A client opens as many directory streams as a circuit allows, announces
// the longest request on each and sends part of it, and never acknowledges
// anything; or asks for answers it never reads. The relay holds at most
// Limits::max_dir_streams_per_circuit streams per circuit, each at most one
// request (dir::kMaxDirMessageLen at authorities, dir::kMaxRelayRequestLen
// at other relays), all of them together at most Limits::max_dir_buffer
// bytes, and ends every stream that idles for
// NodeConfig::dir_stream_idle_timeout. Virtual time only.
#include <QtTest>

#include <memory>
#include <set>

#include "core/dir/dir_message.hpp"
#include "core/sim/onion_network.hpp"
#include "core/wire/reader.hpp"

using namespace sotto;
using namespace sotto::sim;

namespace {

constexpr std::size_t kStreams = 500;  // Limits::max_streams_per_circuit
constexpr std::size_t kAnnounced = 4 * 1024 * 1024;
constexpr std::size_t kSent = 1024 * 1024;

struct World {
    explicit World(std::uint64_t seed,
                   OnionNetworkOptions options = {.authorities = 3, .relays = 4})
        : sim(seed) {
        auto n = OnionNetwork::create(sim, std::move(options));
        if (!n) qFatal("%s", n.error().message.c_str());
        net.emplace(std::move(*n));
        mallory = *net->add_client("mallory");
    }

    bool bootstrap(SimNode* who) {
        return sim.run_until([&] { return net->has_full_consensus(*who); }, Duration::minutes(10));
    }

    // A one-hop circuit from `who` to `target`, ready.
    std::optional<node::CircuitRef> circuit_to(SimNode* who, SimNode* target) {
        auto c = who->build_circuit(std::vector<node::PathHop>{target->hop()});
        if (!c) return std::nullopt;
        if (!sim.run_until([&] { return who->circuit_ready(*c); }, Duration::minutes(1)))
            return std::nullopt;
        return *c;
    }

    std::vector<node::StreamRef> open_dir_streams(SimNode* who, node::CircuitRef c, std::size_t n) {
        std::vector<node::StreamRef> out;
        for (std::size_t i = 0; i < n; ++i) {
            auto s = who->with_node(
                [&](node::Node& node, TimePoint now) { return node.open_dir_stream(c, now); });
            if (!s || !*s) qFatal("open_dir_stream failed");
            out.push_back(**s);
        }
        return out;
    }

    bool all_closed(SimNode* who, const std::vector<node::StreamRef>& streams) const {
        for (auto s : streams)
            if (!who->stream_closed(s)) return false;
        return true;
    }

    std::size_t closed_with(SimNode* who, const std::vector<node::StreamRef>& streams,
                            const std::string& reason) const {
        std::size_t n = 0;
        for (auto s : streams)
            if (auto why = who->stream_closed(s); why && *why == reason) ++n;
        return n;
    }

    // The attack of both tests: Mallory, never sending a SENDME, opens
    // kStreams BEGIN_DIR streams on one circuit to `target` and sends
    // `payload` on each as it opens. Runs until all are closed, checking the
    // target never buffered more than `bound` and holds nothing afterwards.
    // The caller returns if QTest::currentTestFailed().
    struct Flood {
        std::vector<node::StreamRef> streams;
        std::uint64_t peak = 0;
    };
    void flood(SimNode* target, const Bytes& payload, std::uint64_t bound, Flood& f) {
        mallory->set_misbehaviour({.withhold_sendmes = true});
        auto circuit = circuit_to(mallory, target);
        QVERIFY(circuit.has_value());
        // The listener outlives this call (it stays on Mallory), so it owns its set.
        auto ours = std::make_shared<std::set<node::StreamRef>>();
        mallory->add_listener([ours, payload](SimNode& n, const NodeEvent& e) {
            if (auto* o = std::get_if<node::StreamOpened>(&e); o && ours->contains(o->stream))
                (void)n.send(o->stream, payload);
        });
        f.streams = open_dir_streams(mallory, *circuit, kStreams);
        ours->insert(f.streams.begin(), f.streams.end());
        const bool done = sim.run_until(
            [&] {
                f.peak = std::max(f.peak, target->stats().dir_bytes_buffered);
                return f.peak > bound || all_closed(mallory, f.streams);
            },
            Duration::minutes(10));
        QVERIFY2(
            f.peak <= bound,
            (std::to_string(f.peak) + " bytes buffered, bound " + std::to_string(bound)).c_str());
        QVERIFY2(done, "the streams were never closed");
        QCOMPARE(target->stats().dir_streams, std::size_t(0));
        QCOMPARE(target->stats().dir_bytes_buffered, std::uint64_t(0));
    }

    Simulator sim;
    std::optional<OnionNetwork> net;
    SimNode* mallory = nullptr;
};

Bytes framed(const dir::DirRequest& r) {
    Bytes out;
    dir::DirFramer::frame(dir::encode_dir_request(r), out);
    return out;
}

}  // namespace

class TestDirStreamLimits : public QObject {
    Q_OBJECT
  private slots:
    void stalled_requests_are_bounded_and_time_out_data() {
        QTest::addColumn<bool>("authority");
        QTest::newRow("authority") << true;
        QTest::newRow("relay") << false;
    }
    // One circuit, 500 BEGIN_DIR streams, on each a header announcing 4 MiB
    // and then 1 MiB of it, and never a SENDME. The relay holds at most
    // max_dir_streams_per_circuit of them and at most one request each; it
    // refuses the rest at once and ends the held ones when they idle; all
    // its directory buffers are empty afterwards and it still serves.
    void stalled_requests_are_bounded_and_time_out() {
        QFETCH(bool, authority);
        World w(71);
        QVERIFY(w.bootstrap(w.mallory));
        SimNode* target = authority ? w.net->authorities()[0] : w.net->relays()[0];
        const auto& limits = target->config().limits;
        const std::size_t request_limit =
            authority ? dir::kMaxDirMessageLen : dir::kMaxRelayRequestLen;
        const std::uint64_t bound = std::min<std::uint64_t>(
            limits.max_dir_buffer, limits.max_dir_streams_per_circuit * (4 + request_limit));
        QVERIFY(kAnnounced <= dir::kMaxDirMessageLen);

        Bytes attack(4 + kSent, 0x41);
        wire::put_u32(attack.data(), kAnnounced);
        World::Flood f;
        w.flood(target, attack, bound, f);
        if (QTest::currentTestFailed()) return;
        const auto& [streams, peak] = f;
        const auto s = target->stats();
        const std::size_t held = limits.max_dir_streams_per_circuit;
        QCOMPARE(s.dir_streams_refused, std::uint64_t(kStreams - held));
        QCOMPARE(w.closed_with(w.mallory, streams, "the relay refused: resource limit"),
                 kStreams - held);
        if (authority) {
            // It took the held streams' megabyte each, then they idled out.
            QVERIFY(peak >= held * kSent);
            QCOMPARE(s.dir_streams_timed_out, std::uint64_t(held));
            QCOMPARE(w.closed_with(w.mallory, streams, "timeout"), held);
        } else {
            // A plain relay refuses the announced length at the header.
            QVERIFY(peak <= held * 4);
            QCOMPARE(w.closed_with(w.mallory, streams, "protocol violation"), held);
        }

        // An honest client's request is still answered.
        SimNode* carol = *w.net->add_client("carol");
        QVERIFY(w.bootstrap(carol));
        auto honest = w.circuit_to(carol, target);
        QVERIFY(honest.has_value());
        auto stream = carol->with_node(
            [&](node::Node& n, TimePoint now) { return n.open_dir_stream(*honest, now); });
        QVERIFY(stream && *stream);
        QVERIFY(
            w.sim.run_until([&] { return carol->stream_opened(**stream); }, Duration::minutes(1)));
        QVERIFY(carol->send(**stream, framed(dir::GetConsensus{})).has_value());
        QVERIFY(w.sim.run_until([&] { return carol->stream_closed(**stream).has_value(); },
                                Duration::minutes(1)));
        dir::DirFramer answer;
        QVERIFY(answer.feed(carol->stream_data(**stream)).has_value());
        auto body = answer.next();
        QVERIFY(body.has_value());
        auto resp = dir::decode_dir_response(*body);
        QVERIFY(resp.has_value());
        QCOMPARE(resp->status, dir::DirStatus::Ok);
        QVERIFY(resp->consensus.has_value());
        QCOMPARE(resp->consensus->relays.size(), w.net->all_relays().size());
    }

    // Answers nobody reads: with the per-circuit cap lifted, 500 requests for
    // the consensus on one circuit whose client never sends a SENDME. Once
    // the circuit window is spent the answers wait at the relay; they stay
    // within max_dir_buffer (later ones are refused) and are dropped when
    // their streams idle out.
    void unread_answers_are_bounded_and_time_out() {
        constexpr std::size_t kBudget = 64 * 1024;
        World w(72, {.authorities = 3, .relays = 4, .tweak = [](node::NodeConfig& c) {
                         c.limits.max_dir_streams_per_circuit = kStreams;
                         c.limits.max_dir_buffer = kBudget;
                         c.dir_stream_idle_timeout = Duration::seconds(20);
                     }});
        QVERIFY(w.bootstrap(w.mallory));
        SimNode* target = w.net->authorities()[0];
        World::Flood f;
        w.flood(target, framed(dir::GetConsensus{}), kBudget, f);
        if (QTest::currentTestFailed()) return;
        const auto& [streams, peak] = f;
        const auto s = target->stats();
        // Some answers went out whole, some waited until the timeout, and
        // the rest were refused for the budget.
        QVERIFY(w.closed_with(w.mallory, streams, "closed by the other side") > 0);
        QVERIFY(s.dir_streams_timed_out > 0);
        QCOMPARE(w.closed_with(w.mallory, streams, "timeout"), s.dir_streams_timed_out);
        QVERIFY(s.dir_streams_refused > 0);
        QVERIFY(peak > kBudget / 2);  // the budget, not something else, was the limit
    }
};

QTEST_APPLESS_MAIN(TestDirStreamLimits)
#include "tst_dir_stream_limits.moc"
