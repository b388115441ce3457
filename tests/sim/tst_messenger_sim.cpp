// Messengers on a simulated onion network for 30 virtual days (issue 10,
// item 8): three profiles (Bob, and his contacts Alice and Carol), each the
// real engine with its own in-memory store, run by MessengerHost on the real
// onion transport over a SimNode (tests/common/sim_messenger). Both invites
// are redeemed over the network. Bob and Carol chat both ways every day
// across 30 time-period changes and Bob's introduction-point rotations; Bob
// revokes Alice on day 10 and, sampled every hour of the 20 days left, she
// sees him offline while Carol keeps chatting; Bob goes Invisible on day 20
// (Carol sees him offline, her messages wait) and visible again on day 25
// (they arrive, in order). Virtual time only.
#include <QtTest>
#include <chrono>

#include "core/sim/onion_network.hpp"
#include "core/store/messenger_store.hpp"
#include "tests/common/sim_messenger.hpp"

using namespace sotto;
using namespace sotto::sim;
using messenger::ContactId;
using messenger::ContactPresence;
using messenger::Messenger;

namespace {

dir::NetworkId test_network_id() {
    dir::NetworkId id;
    id.bytes.fill(5);
    return id;
}

// Long-run settings: directory timers stretched so that a virtual day is
// cheap to simulate, service timers at their defaults (24-hour periods,
// 6-hour introduction points, 30-minute descriptors).
OnionNetworkOptions long_run_network() {
    OnionNetworkOptions o;
    o.authorities = 3;
    o.relays = 6;
    o.authority_interval = Duration::minutes(30);
    o.consensus_fetch_interval = Duration::minutes(30);
    o.descriptor_interval = Duration::hours(1);
    o.descriptor_lifetime = Duration::hours(3);
    o.standard_services = false;
    return o;
}

hs::ServiceConfig service_config() {
    hs::ServiceConfig c;
    c.intro_points = 3;
    return c;
}

std::vector<std::string> bodies_from(store::MessengerStore& st, ContactId contact, bool incoming) {
    std::vector<std::string> out;
    auto h = st.history(contact, std::nullopt, 10'000);
    if (!h) return out;
    for (auto& m : *h)
        if ((m.direction == store::Direction::Incoming) == incoming) out.push_back(m.body);
    return out;
}

// Whether `p` received `body` from `contact`: from the engine's events, which
// run_until's predicate can afford after every simulated event (a store
// query there would dominate the run).
bool received(const testing::SimMessenger& p, ContactId contact, const std::string& body) {
    const auto& ev = p.events();
    for (auto it = ev.rbegin(); it != ev.rend(); ++it)
        if (const auto* m = std::get_if<messenger::MessageAdded>(&*it))
            if (m->message.contact == contact &&
                m->message.direction == store::Direction::Incoming && m->message.body == body)
                return true;
    return false;
}

struct World {
    World()
        : sim(2026),
          net(*OnionNetwork::create(sim, long_run_network())),
          bob_node(*net.add_client("bob")),
          alice_node(*net.add_client("alice")),
          carol_node(*net.add_client("carol")),
          bob("bob", bob_node, test_network_id(), 11),
          alice("alice", alice_node, test_network_id(), 12),
          carol("carol", carol_node, test_network_id(), 13) {}

    bool bootstrap() {
        return sim.run_until(
            [&] {
                for (auto* n : {bob_node, alice_node, carol_node})
                    if (!net.has_full_consensus(*n)) return false;
                return true;
            },
            Duration::hours(2));
    }

    // `who` redeems a fresh invite of Bob's; the contact ids on both sides.
    std::optional<std::pair<ContactId, ContactId>> redeem(testing::SimMessenger& who) {
        auto invite =
            bob.act([](Messenger& m, TimePoint now) { return m.create_invite(std::nullopt, now); });
        if (!invite) return std::nullopt;
        const auto before = bob.store().contacts()->size();
        auto c = who.act(
            [&](Messenger& m, TimePoint now) { return m.accept_invite(invite->code, now); });
        if (!c) return std::nullopt;
        const bool done = sim.run_until(
            [&] {
                auto rec = who.store().contact(*c);
                return rec && rec->state == store::ContactState::Established &&
                       bob.store().contacts()->size() == before + 1;
            },
            Duration::hours(1));
        if (!done) return std::nullopt;
        return std::pair{*c, bob.store().contacts()->back().id};
    }

    bool send(testing::SimMessenger& from, ContactId to, const std::string& body) {
        return from.act([&](Messenger& m, TimePoint now) { return m.send_message(to, body, now); })
            .has_value();
    }

    Simulator sim;
    OnionNetwork net;
    SimNode* bob_node;
    SimNode* alice_node;
    SimNode* carol_node;
    testing::SimMessenger bob, alice, carol;
};

}  // namespace

class TestMessengerSim : public QObject {
    Q_OBJECT
  private slots:
    void thirty_days_of_chat_revoke_and_invisible() {
        World w;
        QVERIFY(w.bootstrap());
        w.bob.start(service_config());
        w.alice.start(service_config());
        w.carol.start(service_config());
        QVERIFY(w.sim.run_until(
            [&] { return w.bob_node->node()->service_stats().intro_points_up == 3; },
            Duration::hours(1)));
        const TimePoint day0 = w.sim.now();
        auto day = [&](int n) { return day0 + Duration::hours(24) * n; };

        auto a = w.redeem(w.alice);
        QVERIFY2(a, "Alice could not redeem Bob's invite over the network");
        auto c = w.redeem(w.carol);
        QVERIFY2(c, "Carol could not redeem Bob's invite over the network");
        const auto [bob_at_alice, alice_at_bob] = *a;
        const auto [bob_at_carol, carol_at_bob] = *c;

        const auto rotations0 = w.bob_node->node()->service_stats().intro_rotations;
        std::vector<std::string> carol_sent, bob_sent;
        std::size_t alice_connected_at_revoke = 0, alice_unreachable_at_revoke = 0;
        for (int d = 0; d < 30; ++d) {
            if (d == 10) {
                QVERIFY(w.bob.act(
                    [&](Messenger& m, TimePoint now) { return m.revoke(alice_at_bob, now); }));
                alice_connected_at_revoke = w.alice_node->count<node::ServiceConnected>();
                alice_unreachable_at_revoke = w.alice_node->count<node::ServiceUnreachable>();
            }
            if (d == 15) QVERIFY(w.send(w.alice, bob_at_alice, "alice, after the revoke"));
            if (d == 20)
                w.bob.act([](Messenger& m, TimePoint now) {
                    m.set_presence_mode(messenger::PresenceMode::Invisible, now);
                    return true;
                });
            if (d == 25)
                w.bob.act([](Messenger& m, TimePoint now) {
                    m.set_presence_mode(messenger::PresenceMode::Visible, now);
                    return true;
                });
            const bool invisible = d >= 20 && d < 25;

            // Carol and Bob: one message each way every day (Bob writes
            // only while visible: sending while Invisible would reveal him).
            const std::string from_carol = "carol, day " + std::to_string(d);
            QVERIFY(w.send(w.carol, bob_at_carol, from_carol));
            carol_sent.push_back(from_carol);
            if (!invisible) {
                const std::string from_bob = "bob, day " + std::to_string(d);
                QVERIFY(w.send(w.bob, carol_at_bob, from_bob));
                bob_sent.push_back(from_bob);
                QVERIFY2(
                    w.sim.run_until(
                        [&] {
                            return received(w.bob, carol_at_bob, from_carol) &&
                                   received(w.carol, bob_at_carol, from_bob);
                        },
                        Duration::hours(2)),
                    qPrintable("day " + QString::number(d) + ": Bob and Carol could not chat"));
            }
            if (d < 10) {
                const std::string from_alice = "alice, day " + std::to_string(d);
                QVERIFY(w.send(w.alice, bob_at_alice, from_alice));
                QVERIFY2(w.sim.run_until([&] { return received(w.bob, alice_at_bob, from_alice); },
                                         Duration::hours(2)),
                         qPrintable("day " + QString::number(d) + ": Alice could not reach Bob"));
            }

            // The rest of the day, sampled hourly once the revoke or the
            // Invisible has had the client's connect timeout to show.
            while (w.sim.now() < day(d + 1)) {
                w.sim.run_for(Duration::hours(1));
                const bool settled = w.sim.now() >= day(d) + Duration::hours(1);
                if (d >= 10 && settled)
                    QVERIFY2(w.alice.m().presence_of(bob_at_alice) == ContactPresence::Offline,
                             qPrintable("day " + QString::number(d) +
                                        ": the revoked Alice sees Bob online"));
                if (invisible && settled)
                    QVERIFY2(w.carol.m().presence_of(bob_at_carol) == ContactPresence::Offline,
                             qPrintable("day " + QString::number(d) +
                                        ": Carol sees the Invisible Bob online"));
                if (!invisible && d >= 1 && settled && d != 25)
                    QVERIFY2(w.carol.m().presence_of(bob_at_carol) == ContactPresence::Online,
                             qPrintable("day " + QString::number(d) + ": Carol sees Bob offline"));
            }
        }

        // Everything each wrote reached the other, once and in order
        // (Carol's Invisible-days messages too, after day 25).
        QVERIFY(w.sim.run_until([&] { return received(w.bob, carol_at_bob, "carol, day 29"); },
                                Duration::hours(2)));
        QCOMPARE(bodies_from(w.bob.store(), carol_at_bob, true), carol_sent);
        QCOMPARE(bodies_from(w.carol.store(), bob_at_carol, true), bob_sent);
        QCOMPARE(bodies_from(w.bob.store(), alice_at_bob, true).size(), std::size_t(0));
        // Bob forgot Alice; she kept trying for 20 days, and every attempt
        // after the revoke ended unreachable; what she wrote meanwhile was
        // never delivered.
        QVERIFY(!w.bob.store().contact(alice_at_bob));
        QCOMPARE(w.alice_node->count<node::ServiceConnected>(), alice_connected_at_revoke);
        QVERIFY(w.alice_node->count<node::ServiceUnreachable>() > alice_unreachable_at_revoke + 20);
        const auto alices = *w.alice.store().history(bob_at_alice, std::nullopt, 100);
        QCOMPARE(alices.size(), std::size_t(11));
        QCOMPARE(alices.back().body, std::string("alice, after the revoke"));
        QVERIFY(alices.back().state != store::MessageState::Delivered);
        // About four introduction-point sets a day (6-hour lifetime) for the
        // 25 visible days, plus the revoke's.
        QVERIFY(w.bob_node->node()->service_stats().intro_rotations >= rotations0 + 90);
        for (auto* p : {&w.alice, &w.bob, &w.carol})
            for (auto& e : p->events())
                QVERIFY(!std::holds_alternative<messenger::StorageFailed>(e));
    }
};

QTEST_GUILESS_MAIN(TestMessengerSim)
#include "tst_messenger_sim.moc"
