// MessengerHost (core/messenger/messenger_host.hpp): two messenger engines on
// the in-process loopback transport, driven by hand with one clock, through
// the transport seam only: an invite redeemed, a message both ways, the
// credential chosen by transport, a revoke, and a host that goes away.
#include <QTemporaryDir>
#include <QtTest>
#include <set>

#include "core/crypto/random.hpp"
#include "core/messenger/messenger_host.hpp"
#include "core/store/profile_store.hpp"
#include "tests/common/loopback_transport.hpp"
#include "tests/common/test_grants.hpp"

using namespace sotto;
using namespace sotto::messenger;

namespace {

const TimePoint t0 = TimePoint::from_seconds(1'767'225'600);

struct Side {
    Side(testing::LoopbackNetwork& net, const QTemporaryDir& dir, std::string name,
         std::uint64_t seed)
        : rng(seed) {
        const auto path = std::filesystem::path(dir.path().toStdString()) / (name + ".db");
        dir::NetworkId nid;
        nid.bytes.fill(3);
        auto st = store::ProfileStore::create(
            path, "pass",
            store::ProfileIdentity{name, crypto::Ed25519SecretKey::generate(rng),
                                   Secret<32>(rng.bytes(32)), "network file", nid},
            rng, crypto::ScryptParams{16, 1, 1});
        if (!st) qFatal("create: %s", st.error().message.c_str());
        store = std::move(*st);
        transport = net.transport();
    }
    void start(TimePoint now) {
        host = std::make_unique<MessengerHost>(
            *store, rng, std::vector<transport::Transport*>{transport.get()}, config);
        host->start(now);
    }
    Messenger& m() { return host->engine(); }

    DeterministicRng rng;
    MessengerConfig config;
    std::unique_ptr<store::ProfileStore> store;
    std::unique_ptr<testing::LoopbackTransport> transport;
    std::unique_ptr<MessengerHost> host;
};

// What a driver does when the other side's transport has news: pump both
// until neither has anything left.
void settle(Side& a, Side& b, TimePoint now) {
    for (int i = 0; i < 20; ++i) {
        a.host->pump(now);
        b.host->pump(now);
    }
}

// Both start; Alice redeems an invite of Bob's over the loopback. The
// contact ids: Bob at Alice's, Alice at Bob's.
std::optional<std::pair<ContactId, ContactId>> befriend(Side& alice, Side& bob) {
    alice.start(t0);
    bob.start(t0);
    auto invite = bob.m().create_invite(std::nullopt, t0);
    if (!invite) return std::nullopt;
    bob.host->pump(t0);  // the invite's grant is out
    auto c = alice.m().accept_invite(invite->code, t0);
    if (!c) return std::nullopt;
    settle(alice, bob, t0);
    auto bobs = bob.store->contacts();
    if (!bobs || bobs->size() != 1) return std::nullopt;
    return std::pair{*c, (*bobs)[0].id};
}

}  // namespace

class TestMessengerHost : public QObject {
    Q_OBJECT
  private slots:
    void two_engines_talk_through_the_seam() {
        QTemporaryDir dir;
        testing::LoopbackNetwork net;
        Side alice(net, dir, "Alice", 1), bob(net, dir, "Bob", 2);
        alice.start(t0);
        bob.start(t0);
        auto invite = bob.m().create_invite(std::nullopt, t0);
        QVERIFY(invite);
        bob.host->pump(t0);
        QCOMPARE(bob.transport->grant_count(), std::size_t(1));  // the invite's
        auto c = alice.m().accept_invite(invite->code, t0);
        QVERIFY2(c, c ? "" : c.error().message.c_str());
        settle(alice, bob, t0);
        auto at_alice = alice.store->contact(*c);
        QVERIFY(at_alice && at_alice->state == store::ContactState::Established);
        auto bobs = *bob.store->contacts();
        QCOMPARE(bobs.size(), std::size_t(1));
        const ContactId alice_at_bob = bobs[0].id;
        QCOMPARE(alice.m().presence_of(*c), ContactPresence::Online);
        QCOMPARE(bob.m().presence_of(alice_at_bob), ContactPresence::Online);
        // The invite's grant is gone; each holds the other's long-term one.
        QCOMPARE(bob.transport->grant_count(), std::size_t(1));
        QCOMPARE(bob.host->open_streams(), std::size_t(1));

        QVERIFY(alice.m().send_message(*c, "over the seam", t0));
        settle(alice, bob, t0);
        auto h = *bob.store->history(alice_at_bob, std::nullopt, 10);
        QCOMPARE(h.size(), std::size_t(1));
        QCOMPARE(h[0].body, std::string("over the seam"));
        auto mine = *alice.store->history(*c, std::nullopt, 10);
        QCOMPARE(mine[0].state, store::MessageState::Delivered);
        bool added = false;
        for (auto& e : bob.host->take_events()) added |= std::holds_alternative<MessageAdded>(e);
        QVERIFY(added);

        // Bob's host goes away: its streams close, and Alice sees him offline.
        bob.host.reset();
        settle(alice, alice, t0);
        QCOMPARE(alice.m().presence_of(*c), ContactPresence::Offline);
    }

    // Back-pressure (issue 10, item 3): a write that does not fit the
    // transport's buffer waits in the host, in order, instead of closing the
    // stream; the engine holds new messages in the outbox until the stream is
    // writable again; nothing is lost, duplicated or reconnected.
    void a_full_stream_waits_instead_of_closing() {
        QTemporaryDir dir;
        testing::LoopbackNetwork net;
        Side alice(net, dir, "Alice", 7), bob(net, dir, "Bob", 8);
        auto pair = befriend(alice, bob);
        QVERIFY(pair);
        const auto [c, alice_at_bob] = *pair;
        QCOMPARE(alice.m().presence_of(c), ContactPresence::Online);
        const auto attempts = alice.transport->attempts();

        // Room for about three of these sealed messages, from now on.
        alice.transport->drain();
        alice.transport->set_stream_capacity(3500);  // records are padded to 1 KiB steps
        const std::string body(250, 'x');
        for (int i = 0; i < 10; ++i)
            QVERIFY(alice.m().send_message(c, body + std::to_string(i), t0));
        settle(alice, bob, t0);
        QVERIFY(alice.transport->sends_refused() > 0);
        QCOMPARE(alice.host->open_streams(), std::size_t(1));
        QCOMPARE(alice.m().presence_of(c), ContactPresence::Online);
        const auto delivered_first = bob.store->history(alice_at_bob, std::nullopt, 50)->size();
        QVERIFY(delivered_first > 0 && delivered_first < 10);

        // Written while blocked: it stays Queued, not on the wire.
        auto late = alice.m().send_message(c, "written while blocked", t0);
        QVERIFY(late);
        settle(alice, bob, t0);
        QCOMPARE(late->state, store::MessageState::Queued);
        // No ack timer runs on a blocked stream (it would resend into the
        // queue, or spin the host on a deadline in the past).
        QVERIFY(alice.host->next_deadline() > t0 + alice.m().config().ack_timeout);

        for (int round = 0; round < 30; ++round) {
            alice.transport->drain();
            settle(alice, bob, t0);
        }
        auto got = *bob.store->history(alice_at_bob, std::nullopt, 50);
        QCOMPARE(got.size(), std::size_t(11));
        std::set<std::string> bodies;
        for (auto& m : got) bodies.insert(m.body);
        QCOMPARE(bodies.size(), std::size_t(11));
        QVERIFY(bodies.contains("written while blocked"));
        const auto mine = *alice.store->history(c, std::nullopt, 50);
        QCOMPARE(mine.size(), std::size_t(11));
        for (auto& m : mine) QCOMPARE(m.state, store::MessageState::Delivered);
        // The same stream all along.
        QCOMPARE(alice.transport->attempts(), attempts);
        QCOMPARE(alice.host->open_streams(), std::size_t(1));
        QCOMPARE(bob.host->open_streams(), std::size_t(1));
    }

    // A reader that never makes room: the host's bound closes the stream
    // (and the engine sees it closed) rather than holding data forever.
    void a_stream_over_the_wait_bound_closes() {
        QTemporaryDir dir;
        testing::LoopbackNetwork net;
        Side alice(net, dir, "Alice", 9), bob(net, dir, "Bob", 10);
        alice.config.stream_wait_limit = 2000;
        auto pair = befriend(alice, bob);
        QVERIFY(pair);
        const auto [c, alice_at_bob] = *pair;
        QCOMPARE(alice.host->open_streams(), std::size_t(1));
        const auto attempts = alice.transport->attempts();
        alice.transport->set_stream_capacity(0);
        for (int i = 0; i < 10; ++i) QVERIFY(alice.m().send_message(c, std::string(400, 'y'), t0));
        settle(alice, bob, t0);
        // The stream closed at both ends; Alice dials again (her new stream
        // cannot even finish its handshake through a transport that takes
        // nothing, so neither side sees the other online).
        QVERIFY(alice.transport->attempts() > attempts);
        QCOMPARE(alice.m().presence_of(c), ContactPresence::Offline);
        QCOMPARE(bob.m().presence_of(alice_at_bob), ContactPresence::Offline);
        QVERIFY(bob.store->history(alice_at_bob, std::nullopt, 50)->empty());
        // Still in the outbox: nothing was lost.
        QCOMPARE(alice.store->outbox(c)->size(), std::size_t(10));
    }

    void a_revoked_contact_is_closed_and_not_let_in_again() {
        QTemporaryDir dir;
        testing::LoopbackNetwork net;
        Side alice(net, dir, "Alice", 3), bob(net, dir, "Bob", 4);
        auto pair = befriend(alice, bob);
        QVERIFY(pair);  // one contact at Bob's
        const auto [bob_at_alice, alice_at_bob] = *pair;
        const auto attempts = alice.transport->attempts();
        QVERIFY(bob.m().revoke(alice_at_bob, t0));
        settle(alice, bob, t0);
        QCOMPARE(bob.transport->grant_count(), std::size_t(0));
        QCOMPARE(alice.m().presence_of(bob_at_alice), ContactPresence::Offline);
        // Her retries find nobody.
        TimePoint t = t0;
        for (int i = 0; i < 10; ++i) {
            t = std::max(t, alice.host->next_deadline());
            alice.host->tick(t);
            bob.host->pump(t);
        }
        QVERIFY(alice.transport->attempts() > attempts);
        QCOMPARE(alice.m().presence_of(bob_at_alice), ContactPresence::Offline);
        QCOMPARE(bob.host->open_streams(), std::size_t(0));
    }

    // A contact reachable only over a transport this profile does not run is
    // offline to us: no attempt reaches any transport, and its grant for a
    // transport we lack is skipped, not an error.
    void a_credential_is_used_only_on_its_own_transport() {
        QTemporaryDir dir;
        testing::LoopbackNetwork net;
        Side alice(net, dir, "Alice", 5);
        transport::CredentialList tor_only;
        tor_only.push_back({transport::TransportKind::TorOnion, SecretBytes(Bytes(64, 7))});
        transport::GrantList grants = testing::onion_grants(alice.rng);
        grants.push_back({transport::TransportKind::TorOnion, SecretBytes(Bytes(64, 8))});
        auto id = alice.store->add_contact(store::ContactRecord{
            .state = store::ContactState::Established,
            .name = "Tor user",
            .our_grants = std::move(grants),
            .their_credentials = std::move(tor_only),
            .our_pairwise = crypto::Ed25519SecretKey::generate(alice.rng),
            .their_pairwise = crypto::Ed25519SecretKey::generate(alice.rng).public_key(),
            .created_at = t0,
        });
        QVERIFY(id);
        alice.start(t0);
        TimePoint t = t0;
        for (int i = 0; i < 5; ++i) {
            t = std::max(t, alice.host->next_deadline());
            alice.host->tick(t);
        }
        QCOMPARE(alice.transport->attempts(), std::uint64_t(0));
        QCOMPARE(alice.transport->grant_count(), std::size_t(1));
        QCOMPARE(alice.m().presence_of(*id), ContactPresence::Offline);
        for (auto& e : alice.host->take_events())
            QVERIFY(!std::holds_alternative<StorageFailed>(e));
    }
};

QTEST_GUILESS_MAIN(TestMessengerHost)
#include "tst_messenger_host.moc"
