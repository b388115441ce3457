// The private-service protocol (paper Fig. 3, sections 4.1-4.6) on the
// simulated onion network: Alice reaches Bob; strangers and revoked contacts
// cannot make Bob spend a circuit or learn whether he is online.
#include <QtTest>

#include "core/crypto/random.hpp"
#include "core/sim/onion_network.hpp"
#include "tests/common/sim_service.hpp"

using namespace sotto;
using namespace sotto::sim;

namespace {

hs::ServiceConfig test_service_config() {
    hs::ServiceConfig c;
    c.intro_points = 3;
    return c;
}

// A network of 3 authorities and 20 relays, Bob (service) and Alice (client).
struct World : testing::BobAndAlice {
    explicit World(std::uint64_t seed, std::size_t relays = 20)
        : BobAndAlice(seed, {.authorities = 3, .relays = relays}) {}

    // Bob starts his service with one contact; returns that contact's credentials.
    hs::ContactCredentials start_bob_with_contact(hs::ContactId id) {
        return testing::start_service_with_contact(bob, rng, test_service_config(), id);
    }

    hs::ServiceStats bob_stats() { return bob->node()->service_stats(); }

    // Runs until Bob's descriptors for every contact are on their HSDirs.
    bool bob_published(std::size_t contacts) {
        return sim.run_until(
            [&] {
                auto s = bob_stats();
                return s.intro_points_up == 3 && s.descriptors_uploaded >= contacts * 6;
            },
            Duration::minutes(10));
    }

    // Alice tries to connect; true when connected, false when unreachable.
    std::optional<node::CircuitRef> connect(SimNode* who, const hs::ContactCredentials& creds) {
        return testing::connect_service(sim, who, creds, Duration::minutes(5)).circuit;
    }

    // How the tests of a connection begin: the network up, Bob's service
    // with contact 1 published, and Alice connected to it with `creds` on
    // `circuit`. The caller returns if QTest::currentTestFailed().
    void alice_connects() {
        QVERIFY(bootstrap());
        creds = start_bob_with_contact(1);
        QVERIFY(bob_published(1));
        circuit = connect(alice, *creds);
        QVERIFY2(circuit.has_value(), "Alice could not reach Bob");
    }
    std::optional<hs::ContactCredentials> creds;
    std::optional<node::CircuitRef> circuit;
};

}  // namespace

class TestPrivateServiceSim : public QObject {
    Q_OBJECT
  private slots:
    void alice_reaches_bob_through_the_full_exchange() {
        World w(11);
        w.alice_connects();
        if (QTest::currentTestFailed()) return;
        auto& circuit = w.circuit;
        QCOMPARE(w.bob_stats().rendezvous_circuits, std::uint64_t(1));

        auto stream = w.alice->open_stream(*circuit, "bob", 1);
        QVERIFY(stream.has_value());
        QVERIFY(
            w.sim.run_until([&] { return w.alice->stream_opened(*stream); }, Duration::minutes(1)));
        auto incoming = w.bob->events_of<node::IncomingStream>();
        QCOMPARE(incoming.size(), std::size_t(1));
        QCOMPARE(incoming[0].contact, hs::ContactId(1));

        QVERIFY(w.alice->send(*stream, as_bytes("hello Bob")).has_value());
        QVERIFY(w.sim.run_until([&] { return w.bob->stream_data(incoming[0].stream).size() == 9; },
                                Duration::minutes(1)));
        QVERIFY(w.bob->send(incoming[0].stream, as_bytes("hi Alice!")).has_value());
        QVERIFY(w.sim.run_until([&] { return w.alice->stream_data(*stream).size() == 9; },
                                Duration::minutes(1)));
        const auto& got = w.alice->stream_data(*stream);
        QCOMPARE(std::string(got.begin(), got.end()), std::string("hi Alice!"));
    }

    // service_start refuses timing that would let descriptors lapse: every
    // renewal must land before the descriptor it replaces expires, and the
    // next period's descriptors before the boundary.
    void service_start_refuses_inconsistent_publication_timing() {
        World w(13);
        auto start = [&](const hs::ServiceConfig& c) -> Status {
            auto r = w.bob->with_node(
                [&](node::Node& n, TimePoint now) { return n.service_start(c, now); });
            if (!r) return std::unexpected(r.error());
            return *r;
        };
        struct Case {
            const char* what;
            hs::ServiceConfig config;
            const char* says;
        };
        std::vector<Case> cases;
        auto add = [&](const char* what, auto change, const char* says) {
            hs::ServiceConfig c;
            change(c);
            cases.push_back({what, c, says});
        };
        add(
            "margin within window + jitter",
            [](hs::ServiceConfig& c) { c.republish_margin = Duration::minutes(8); },
            "spread window");
        add(
            "window too long for the margin",
            [](hs::ServiceConfig& c) { c.publication.spread_window = Duration::minutes(10); },
            "spread window");
        add(
            "no window", [](hs::ServiceConfig& c) { c.publication.spread_window = Duration{}; },
            "spread window");
        add(
            "next-period margin shorter than a cycle",
            [](hs::ServiceConfig& c) { c.next_period_margin = Duration::minutes(20); },
            "next-period margin");
        add(
            "next-period margin beyond the period",
            [](hs::ServiceConfig& c) { c.next_period_margin = Duration::hours(24); },
            "next-period margin");
        add(
            "negative jitter",
            [](hs::ServiceConfig& c) { c.publication.max_jitter = Duration::seconds(-1); },
            "negative");
        for (auto& c : cases) {
            auto st = start(c.config);
            QVERIFY2(!st, c.what);
            QCOMPARE(st.error().code, Errc::Config);
            qInfo("%-40s -> %s", c.what, st.error().message.c_str());
            QVERIFY2(st.error().message.find(c.says) != std::string::npos, c.what);
        }
        // Without delays the window does not matter.
        hs::ServiceConfig off;
        off.publication.enabled = false;
        off.republish_margin = Duration::minutes(1);
        off.next_period_margin = Duration::minutes(30);
        QVERIFY(start(off).has_value());
        // The defaults are consistent, and so is the attack tests' long-run
        // configuration (3 h descriptors, 30 min margin, 3 h next-period
        // margin); each on a fresh node.
        hs::ServiceConfig long_run;
        long_run.descriptor_lifetime = Duration::hours(3);
        long_run.republish_margin = Duration::minutes(30);
        long_run.next_period_margin = Duration::hours(3);
        for (const auto& c : {hs::ServiceConfig{}, long_run}) {
            World fresh(14);
            auto r = fresh.bob->with_node(
                [&](node::Node& n, TimePoint now) { return n.service_start(c, now); });
            QVERIFY(r && *r);
        }
    }

    void remaining_contact_reconnects_after_a_revocation() {
        World w(12);
        QVERIFY(w.bootstrap());
        auto alice_creds = w.start_bob_with_contact(1);
        auto carol_grant = hs::ContactGrant::generate(w.rng);
        auto carol_creds = hs::credentials_for(carol_grant);
        QVERIFY(w.bob->with_node([&](node::Node& n, TimePoint now) {
            return n.service_add_contact(2, std::move(carol_grant), false, now);
        }));
        QVERIFY(w.bob_published(2));
        QVERIFY(w.connect(w.alice, alice_creds).has_value());
        QVERIFY(w.connect(w.alice, carol_creds).has_value());
        // Carol: the rotation republished her descriptors (2 replicas x 3
        // HSDirs) naming the new introduction points, and nothing older.
        // Counted from the revocation: the republication may land while
        // Alice is still trying.
        const auto before = w.bob_stats().descriptors_uploaded;
        QVERIFY(before >= 12);  // 2 contacts x 2 replicas x 3 HSDirs, at least
        QVERIFY(w.bob->with_node(
            [&](node::Node& n, TimePoint now) { return n.service_revoke(1, now); }));
        QVERIFY(!w.connect(w.alice, alice_creds).has_value());
        QVERIFY(w.sim.run_until([&] { return w.bob_stats().descriptors_uploaded >= before + 6; },
                                Duration::minutes(5)));
        // Alice's own attempt fetched her old descriptor (nothing is
        // withdrawn) and met its dead keys: count only Carol's.
        auto unknown = [&] {
            std::uint64_t n = 0;
            for (auto* r : w.net->all_relays()) n += r->stats().introductions_unknown_key;
            return n;
        };
        const auto unknown_before = unknown();
        QVERIFY(w.connect(w.alice, carol_creds).has_value());
        QCOMPARE(unknown(), unknown_before);
    }

    // Links without circuits close after a few minutes (docs/protocol.md §1):
    // Alice's do while she is idle, Bob's introduction circuits keep theirs,
    // and Alice gets through again on new links.
    void idle_hours_keep_the_introduction_links_and_alice_reconnects() {
        World w(15);
        w.alice_connects();
        if (QTest::currentTestFailed()) return;
        auto& circuit = w.circuit;
        w.alice->close_circuit(*circuit);
        const auto keys = w.bob->node()->service_intro_keys();
        QCOMPARE(keys.size(), std::size_t(3));
        const auto alice_closed = w.alice->stats().links_closed_idle;

        w.sim.run_for(Duration::hours(2));
        // Had a link under an introduction circuit closed, the circuit would
        // have gone with it and been replaced under a new key.
        QCOMPARE(w.bob_stats().intro_points_up, std::size_t(3));
        QCOMPARE(w.bob->node()->service_intro_keys(), keys);
        QVERIFY(w.alice->stats().links_closed_idle > alice_closed);
        QVERIFY(w.connect(w.alice, *w.creds).has_value());
    }
};

QTEST_APPLESS_MAIN(TestPrivateServiceSim)
#include "tst_private_service_sim.moc"
