// A relay on a path speaking for a stream that is not its own (issue 9,
// finding 1). Every relay can originate cells towards the origin under its
// own layer; the rendezvous point is the last real hop of both halves of a
// joined path, and a middle relay sits on every exit circuit. Neither may
// deliver DATA, CONNECTED or END on a stream that runs to another hop (the
// virtual end-to-end hop, the exit), nor open a stream at the service: the
// origin closes the circuit and counts it (NodeStats::circuits_torn_wrong_hop).
//
// The rendezvous case runs the real messenger engine on both ends, on the
// real onion transport over the simulated nodes (tests/common/sim_messenger), and
// the rendezvous point injects frames made with the chat encoders: a Welcome
// with its own pairwise key and a Message towards Alice, a Hello and a Message
// towards Bob. Accepted, they would make the rendezvous point a man in the
// middle of the invite. Virtual time only.
#include <QtTest>

#include <algorithm>
#include <map>

#include "core/chat/chat_frame.hpp"
#include "core/crypto/random.hpp"
#include "core/messenger/messenger.hpp"
#include "core/sim/onion_network.hpp"
#include "core/store/messenger_store.hpp"
#include "core/transport/onion_credentials.hpp"
#include "tests/common/sim_messenger.hpp"
#include "tests/common/sim_service.hpp"

using namespace sotto;
using namespace sotto::sim;

namespace {

constexpr std::string_view kForgedBody = "forged by the rendezvous point";

dir::NetworkId test_network_id() {
    dir::NetworkId id;
    id.bytes.fill(7);
    return id;
}

bool contains(ByteView hay, ByteView needle) {
    return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

// Rendezvous circuits of the streams a node's messenger used, in order: the
// ones it reached a contact on and the ones contacts reached it on.
std::vector<node::CircuitRef> circuits_used(const SimNode& n) {
    std::vector<node::CircuitRef> out;
    for (const auto& e : n.events()) {
        if (const auto* c = std::get_if<node::ServiceConnected>(&e.event))
            out.push_back(c->circuit);
        if (const auto* i = std::get_if<node::IncomingStream>(&e.event)) out.push_back(i->circuit);
    }
    return out;
}

struct World : testing::BobAndAlice {
    explicit World(std::uint64_t seed) : BobAndAlice(seed, {.authorities = 3, .relays = 10}) {}

    bool bob_published(std::uint64_t uploads) {
        return sim.run_until(
            [&] {
                auto s = bob->node()->service_stats();
                return s.intro_points_up == 3 && s.descriptors_uploaded >= uploads;
            },
            Duration::minutes(15));
    }

    // Has every relay inject `cell` at `at`; returns on how many circuits it went.
    std::size_t inject(const wire::RelayCell& cell, node::InjectAt at) {
        std::size_t sent = 0;
        for (SimNode* r : net->all_relays()) {
            auto n = r->with_node([&](node::Node& node, TimePoint now) {
                return node.inject_toward_origin(cell, at, now);
            });
            if (n) sent += *n;
        }
        return sent;
    }

    // `bytes` as DATA cells on `stream`, then END, from every relay at `at`;
    // returns how many circuits the first cell went on.
    std::size_t inject_stream(wire::StreamId stream, ByteView bytes, node::InjectAt at) {
        std::size_t sent = 0;
        for (std::size_t i = 0; i < bytes.size(); i += wire::kRelayDataMax) {
            const auto chunk = bytes.subspan(i, std::min(wire::kRelayDataMax, bytes.size() - i));
            const auto n = inject(wire::RelayCell{wire::RelayCommand::Data, stream,
                                                  Bytes(chunk.begin(), chunk.end())},
                                  at);
            if (i == 0) sent = n;
        }
        inject(wire::RelayCell{wire::RelayCommand::End, stream,
                               Bytes{static_cast<std::uint8_t>(wire::EndReason::Done)}},
               at);
        return sent;
    }

    // Whether any StreamData event of `n` carried `needle`.
    static bool emitted(const SimNode& n, ByteView needle) {
        for (auto& d : n.events_of<node::StreamData>())
            if (contains(d.data, needle)) return true;
        return false;
    }
};

Bytes frame_bytes(const chat::Frame& f) {
    auto b = chat::encode_frame(f);
    if (!b) qFatal("encode_frame: %s", b.error().message.c_str());
    return *b;
}

std::vector<store::MessageRecord> all_messages(store::MessengerStore& st) {
    std::vector<store::MessageRecord> out;
    auto contacts = st.contacts();
    if (!contacts) return out;
    for (auto& c : *contacts)
        if (auto h = st.history(c.id, std::nullopt, 1000))
            out.insert(out.end(), h->begin(), h->end());
    return out;
}

// Alice redeems Bob's invite; right after her stream to Bob opens, the
// rendezvous point sends its own Welcome (its pairwise key, its credentials)
// and a Message down Alice's half, its own Hello and a Message down Bob's,
// then END on both. What the rendezvous point would need to sit in the
// middle of the invite, in frames the engines accept.
struct RendezvousAttack {
    explicit RendezvousAttack(World& world)
        : w(world),
          bob("bob", w.bob, test_network_id(), 1),
          alice("alice", w.alice, test_network_id(), 2) {}

    // Runs up to the injection; false if the set-up did not get there.
    bool inject() {
        hs::ServiceConfig service;
        service.intro_points = 3;
        bob.start(service);
        alice.start(service);
        auto invite = bob.act([](messenger::Messenger& m, TimePoint now) {
            return m.create_invite(std::nullopt, now);
        });
        if (!invite || !w.bob_published(6)) return false;
        auto c = alice.act([&](messenger::Messenger& m, TimePoint now) {
            return m.accept_invite(invite->code, now);
        });
        if (!c) return false;
        contact = *c;
        if (!w.sim.run_until([&] { return w.alice->count<node::StreamOpened>() >= 1; },
                             Duration::minutes(5)))
            return false;
        w.rng.fill(forged_id.bytes);
        const chat::ChatMessage forged_message{forged_id, w.sim.now(), std::string(kForgedBody)};
        to_alice = frame_bytes(chat::Welcome{
            "bob", rp_pairwise.public_key(),
            transport::list_of(transport::onion_credential(hs::credentials_for(rp_grant)))});
        to_bob = frame_bytes(chat::Hello{
            "alice", rp_pairwise.public_key(),
            transport::list_of(transport::onion_credential(hs::credentials_for(rp_grant)))});
        for (Bytes* b : {&to_alice, &to_bob}) {
            auto m = frame_bytes(forged_message);
            b->insert(b->end(), m.begin(), m.end());
        }
        // Alice's first stream on a new circuit is stream 1.
        return w.inject_stream(1, to_alice, node::InjectAt::RendezvousClientSide) == 1 &&
               w.inject_stream(1, to_bob, node::InjectAt::RendezvousServiceSide) == 1;
    }

    // Both sides hold a pairwise key for the other (the exchange completed).
    bool established() {
        auto a = alice.store().contact(contact);
        auto b = bob.store().contacts();
        return a && a->their_pairwise && b && b->size() == 1 && (*b)[0].their_pairwise;
    }

    // Alice's message reaches Bob's store.
    bool chat_works() {
        auto sent = alice.act([&](messenger::Messenger& m, TimePoint now) {
            return m.send_message(contact, "hello Bob", now);
        });
        return sent.has_value() && w.sim.run_until(
                                       [&] {
                                           auto msgs = all_messages(bob.store());
                                           return msgs.size() == 1 && msgs[0].body == "hello Bob";
                                       },
                                       Duration::minutes(2));
    }

    World& w;
    testing::SimMessenger bob, alice;
    messenger::ContactId contact = 0;
    crypto::Ed25519SecretKey rp_pairwise = crypto::Ed25519SecretKey::generate(w.rng);
    hs::ContactGrant rp_grant = hs::ContactGrant::generate(w.rng);
    chat::MessageId forged_id;
    Bytes to_alice, to_bob;
};

// Alice and Bob hold each other's real pairwise keys, not the rendezvous
// point's, and nothing forged was stored. QVERIFY in a void helper:
// the calling test checks QTest::currentTestFailed().
void check_real_keys(RendezvousAttack& attack) {
    auto a = attack.alice.store().contact(attack.contact);
    auto b = attack.bob.store().contacts();
    QVERIFY(a && b);
    QCOMPARE(b->size(), std::size_t(1));
    QVERIFY2(*a->their_pairwise != attack.rp_pairwise.public_key(),
             "Alice took the rendezvous point's Welcome");
    QVERIFY2(*(*b)[0].their_pairwise != attack.rp_pairwise.public_key(),
             "Bob took the rendezvous point's Hello");
    QVERIFY(*a->their_pairwise == (*b)[0].our_pairwise.public_key());
    QVERIFY(*(*b)[0].their_pairwise == a->our_pairwise.public_key());
    for (auto* p : {&attack.alice, &attack.bob})
        for (auto& msg : all_messages(p->store())) QVERIFY(msg.id != attack.forged_id);
}

}  // namespace

class TestRelayInjection : public QObject {
    Q_OBJECT
  private slots:
    // The rendezvous point injects (RendezvousAttack) down both halves.
    // None of it reaches either engine; both circuits close and are counted;
    // Alice reconnects and ends up with Bob's real pairwise key, and Bob
    // with Alice's.
    void rendezvous_point_cannot_speak_on_the_end_to_end_stream() {
        World w(91);
        QVERIFY(w.bootstrap());
        RendezvousAttack attack(w);
        QVERIFY(attack.inject());
        // Alice's Hello was not yet answered when the forgeries went out.
        QCOMPARE(w.bob->count<node::IncomingStream>(), std::size_t(1));
        // Alice tries again (the invite is still open: Bob never read a
        // Hello) and the real exchange completes.
        QVERIFY(w.sim.run_until([&] { return attack.established(); }, Duration::minutes(10)));
        check_real_keys(attack);
        if (QTest::currentTestFailed()) return;

        // The forged bytes never left either node.
        QVERIFY(!World::emitted(*w.alice, attack.to_alice));
        QVERIFY(!World::emitted(*w.bob, attack.to_bob));
        QVERIFY(!World::emitted(*w.alice, as_bytes(kForgedBody)));
        QVERIFY(!World::emitted(*w.bob, as_bytes(kForgedBody)));
        QVERIFY(!World::emitted(*w.alice, attack.rp_pairwise.public_key().view()));
        QVERIFY(!World::emitted(*w.bob, attack.rp_pairwise.public_key().view()));

        // Both ends closed their half at the first forged cell, and counted it.
        for (auto [who, peer] :
             {std::pair{w.alice, &attack.alice}, std::pair{w.bob, &attack.bob}}) {
            (void)peer;
            const auto used = circuits_used(*who);
            QVERIFY(used.size() >= 2);  // the attacked one, then a good one
            auto why = who->circuit_closed(used[0]);
            QVERIFY(why.has_value());
            QVERIFY2(
                why->find("hop 3 sent DATA for a stream that is not its own") != std::string::npos,
                why->c_str());
        }
        QCOMPARE(w.alice->stats().circuits_torn_wrong_hop, std::uint64_t(1));
        QCOMPARE(w.bob->stats().circuits_torn_wrong_hop, std::uint64_t(1));
        QVERIFY(attack.chat_works());
    }

    // The same attack with the origin's hop check switched off (issue 10):
    // the forged bytes now reach both engines as stream data, and the
    // end-to-end session refuses them. Neither engine takes the forged
    // Welcome, Hello or Message; each closes the attacked stream itself;
    // Alice tries again and ends up with Bob's real key.
    void the_session_catches_an_injecting_rendezvous_point_without_the_hop_check() {
        World w(91);
        QVERIFY(w.bootstrap());
        for (SimNode* n : {w.alice, w.bob})
            QVERIFY(n->with_node([](node::Node& node, TimePoint) {
                node::Misbehaviour m;
                m.accept_stream_cells_from_any_hop = true;
                node.set_misbehaviour(m);
            }));
        RendezvousAttack attack(w);
        QVERIFY(attack.inject());
        const auto alice_stream = w.alice->events_of<node::StreamOpened>()[0].stream;
        QVERIFY(w.sim.run_until([&] { return attack.established(); }, Duration::minutes(10)));

        // The hop check was off: the forged bytes were delivered to the
        // engines this time, and no circuit was torn for a wrong hop.
        QVERIFY(World::emitted(*w.alice, ByteView(attack.to_alice).first(200)));
        QVERIFY(World::emitted(*w.bob, ByteView(attack.to_bob).first(200)));
        QCOMPARE(w.alice->stats().circuits_torn_wrong_hop, std::uint64_t(0));
        QCOMPARE(w.bob->stats().circuits_torn_wrong_hop, std::uint64_t(0));
        // Alice's engine closed the attacked stream itself, and so did Bob's
        // (a stream the node closes on its own or at the other end's END
        // gives another reason).
        QCOMPARE(w.alice->stream_closed(alice_stream),
                 std::optional<std::string>("closed locally"));
        QCOMPARE(w.bob->stream_closed(w.bob->events_of<node::IncomingStream>()[0].stream),
                 std::optional<std::string>("closed locally"));
        check_real_keys(attack);
        if (QTest::currentTestFailed()) return;
        QCOMPARE(attack.alice.store().contact(attack.contact)->name, std::string("bob"));
        QVERIFY(attack.chat_works());
    }

    // The rendezvous point opens a stream of its own at the service (BEGIN
    // under its layer on Bob's half): no IncomingStream, the circuit closes,
    // and it is counted as a wrong hop.
    void rendezvous_point_cannot_open_a_stream_at_the_service() {
        World w(92);
        QVERIFY(w.bootstrap());
        auto grant = hs::ContactGrant::generate(w.rng);
        auto creds = hs::credentials_for(grant);
        auto ok = w.bob->with_node([&](node::Node& n, TimePoint now) {
            hs::ServiceConfig c;
            c.intro_points = 3;
            if (!n.service_start(c, now)) qFatal("service_start failed");
            if (!n.service_add_contact(1, std::move(grant), false, now))
                qFatal("add_contact failed");
        });
        QVERIFY(ok.has_value());
        QVERIFY(w.bob_published(6));
        auto attempt = w.alice->with_node(
            [&](node::Node& n, TimePoint now) { return n.connect_service(creds, now); });
        QVERIFY(attempt && *attempt);
        QVERIFY(w.sim.run_until([&] { return w.alice->count<node::ServiceConnected>() == 1; },
                                Duration::minutes(5)));
        const auto circuit = w.alice->events_of<node::ServiceConnected>()[0].circuit;

        QCOMPARE(w.inject(wire::RelayCell{wire::RelayCommand::Begin, 1,
                                          wire::encode_begin({"sotto", 1})},
                          node::InjectAt::RendezvousServiceSide),
                 std::size_t(1));
        QVERIFY(w.sim.run_until([&] { return w.alice->circuit_closed(circuit).has_value(); },
                                Duration::seconds(30)));
        QCOMPARE(w.bob->count<node::IncomingStream>(), std::size_t(0));
        QCOMPARE(w.bob->stats().circuits_torn_wrong_hop, std::uint64_t(1));
    }

    // A middle relay of an exit circuit sends CONNECTED before the exit
    // does, or DATA, or END on the open stream: none is delivered, the
    // circuit closes, and it is counted.
    void middle_relay_cannot_speak_for_an_exit_stream() {
        World w(93);
        QVERIFY(w.bootstrap());
        const auto& relays = w.net->relays();  // not authorities: no other circuits pass them
        QVERIFY(relays.size() >= 3);
        const std::vector<node::PathHop> path = {relays[0]->hop(), relays[1]->hop(),
                                                 relays[2]->hop()};
        const ByteView forged_text = as_bytes("forged by the middle relay");
        const Bytes forged(forged_text.begin(), forged_text.end());
        const wire::RelayCommand cases[] = {wire::RelayCommand::Connected, wire::RelayCommand::Data,
                                            wire::RelayCommand::End};
        std::uint64_t torn = 0;
        for (auto cmd : cases) {
            auto circuit = w.alice->build_circuit(path);
            QVERIFY(circuit.has_value());
            QVERIFY(w.sim.run_until([&] { return w.alice->circuit_ready(*circuit); },
                                    Duration::minutes(1)));
            auto stream = w.alice->open_stream(*circuit, kEchoHost, kEchoPort);
            QVERIFY(stream.has_value());
            // CONNECTED goes out at once, ahead of the exit's; DATA and END
            // once the stream is open.
            if (cmd != wire::RelayCommand::Connected)
                QVERIFY(w.sim.run_until([&] { return w.alice->stream_opened(*stream); },
                                        Duration::minutes(1)));
            const Bytes data = cmd == wire::RelayCommand::Data ? forged
                               : cmd == wire::RelayCommand::End
                                   ? Bytes{static_cast<std::uint8_t>(wire::EndReason::Done)}
                                   : Bytes{};
            QCOMPARE(relays[1]
                         ->with_node([&](node::Node& n, TimePoint now) {
                             return n.inject_toward_origin(wire::RelayCell{cmd, 1, data},
                                                           node::InjectAt::Middle, now);
                         })
                         .value_or(0),
                     std::size_t(1));
            w.sim.run_for(Duration::seconds(10));
            if (cmd == wire::RelayCommand::Connected)
                QVERIFY2(!w.alice->stream_opened(*stream), "forged CONNECTED opened the stream");
            QVERIFY2(w.alice->stream_data(*stream).empty(), "forged DATA was delivered");
            auto why = w.alice->stream_closed(*stream);
            QVERIFY(why.has_value());
            QVERIFY2(why->starts_with("circuit closed"), why->c_str());
            QVERIFY(w.alice->circuit_closed(*circuit).has_value());
            QCOMPARE(w.alice->stats().circuits_torn_wrong_hop, ++torn);
        }
        QVERIFY(!World::emitted(*w.alice, forged));
    }
};

QTEST_APPLESS_MAIN(TestRelayInjection)
#include "tst_relay_injection.moc"
