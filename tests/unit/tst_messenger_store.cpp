// The MessengerStore contract (core/store/messenger_store.hpp), checked on
// both stores: every test function runs once on a ProfileStore in a
// temporary file and once on a MemoryStore (the global data rows), through
// the interface only, so the engine finds the same behaviour, error codes
// included, on either. What only the profile file has (encryption, the
// integrity checks, migrations, the passphrase) is tst_profile_store's.
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <memory>

#include "core/crypto/random.hpp"
#include "core/store/memory_store.hpp"
#include "core/store/profile_store.hpp"
#include "tests/common/store_samples.hpp"

using namespace sotto;
using namespace sotto::store;
using namespace sotto::testing;  // store_samples.hpp

namespace {

// The store a test function runs on, by the global data row's name.
struct Subject {
    QTemporaryDir dir;
    DeterministicRng rng{2024};
    std::unique_ptr<MessengerStore> store;

    Subject() {
        QFETCH_GLOBAL(QString, kind);
        if (kind == "ProfileStore") {
            const auto path = std::filesystem::path(dir.path().toStdString()) / "profile.sotto";
            auto s = ProfileStore::create(path, "passphrase", make_identity(rng), rng,
                                          crypto::ScryptParams{16, 1, 1});
            if (!s) qFatal("create failed: %s", s.error().message.c_str());
            store = std::move(*s);
        } else {
            store = std::make_unique<MemoryStore>(make_identity(rng));
        }
    }
    MessengerStore* operator->() { return store.get(); }
    MessengerStore& operator*() { return *store; }
};

// The error code of a failed call, nullopt for a success.
template <typename R>
std::optional<Errc> code(const R& r) {
    if (r) return std::nullopt;
    return r.error().code;
}

std::vector<std::string> bodies(const Result<std::vector<MessageRecord>>& list) {
    std::vector<std::string> out;
    if (list)
        for (const auto& m : *list) out.push_back(m.body);
    return out;
}

std::vector<std::string> bodies(MessengerStore& s, ContactId c) {
    return bodies(s.history(c, std::nullopt, 1000));
}

}  // namespace

class TestMessengerStore : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase_data() {
        QTest::addColumn<QString>("kind");
        QTest::newRow("ProfileStore") << QString("ProfileStore");
        QTest::newRow("MemoryStore") << QString("MemoryStore");
    }

    void identity_and_settings() {
        Subject s;
        DeterministicRng again(2024);
        const ProfileIdentity expected = make_identity(again);
        QCOMPARE(s->identity().display_name, expected.display_name);
        QVERIFY(s->identity().node_identity.public_key() == expected.node_identity.public_key());
        QVERIFY(ct_equal(s->identity().node_onion.view(), expected.node_onion.view()));
        QCOMPARE(s->identity().network_file, expected.network_file);
        QVERIFY(s->identity().network_id == expected.network_id);

        QCOMPARE(*s->setting("presence_mode"), std::optional<std::string>());
        QVERIFY(s->set_setting("presence_mode", "away"));
        QVERIFY(s->set_setting("presence_mode", "invisible"));
        QVERIFY(s->set_setting("blank", ""));
        QCOMPARE(*s->setting("presence_mode"), std::optional<std::string>("invisible"));
        QCOMPARE(*s->setting("blank"), std::optional<std::string>(""));
        QCOMPARE(*s->setting("Presence_mode"), std::optional<std::string>());
    }

    void contacts_are_kept_listed_and_replaced() {
        Subject s;
        auto bob = make_contact(s.rng, "Bob");
        bob.id = 4711;  // ignored
        const auto bob_copy = clone(bob);
        auto carol = make_contact(s.rng, "Carol", false);
        const auto carol_copy = clone(carol);
        const ContactId b = *s->add_contact(std::move(bob));
        const ContactId c = *s->add_contact(std::move(carol));
        QVERIFY(b != 4711);
        QVERIFY(c > b);

        auto got = s->contact(c);
        QVERIFY(got);
        auto expected = clone(carol_copy);
        expected.id = c;
        QVERIFY(same(*got, expected));
        auto all = s->contacts();
        QVERIFY(all);
        QCOMPARE(all->size(), std::size_t(2));
        QCOMPARE((*all)[0].id, b);
        QCOMPARE((*all)[0].name, bob_copy.name);
        QCOMPARE((*all)[1].id, c);

        // Every field is replaced: Carol answered.
        auto answered = clone(*got);
        answered.state = ContactState::Established;
        answered.nickname = "C";
        answered.appear_offline = true;
        answered.invite_secret = SecretBytes();
        answered.invite_expires_at.reset();
        answered.their_pairwise = crypto::Ed25519SecretKey::generate(s.rng).public_key();
        answered.their_credentials = testing::onion_credentials(s.rng);
        QVERIFY(s->update_contact(answered));
        QVERIFY(same(*s->contact(c), answered));
        QCOMPARE(s->contact(b)->name, std::string("Bob"));

        QCOMPARE(code(s->contact(c + 100)), std::optional(Errc::NotFound));
        QCOMPARE(code(s->contact(0)), std::optional(Errc::NotFound));
        answered.id = c + 100;
        QCOMPARE(code(s->update_contact(answered)), std::optional(Errc::NotFound));
        answered.id = 0;
        QCOMPARE(code(s->update_contact(answered)), std::optional(Errc::NotFound));
    }

    void a_contact_the_store_cannot_keep_is_refused() {
        Subject s;
        const ContactId b = *s->add_contact(make_contact(s.rng, "Bob"));
        const auto before = *s->contact(b);

        auto bad_state = make_contact(s.rng, "X");
        bad_state.state = static_cast<ContactState>(9);
        QCOMPARE(code(s->add_contact(clone(bad_state))), std::optional(Errc::Malformed));
        auto no_grants = make_contact(s.rng, "Y");
        no_grants.our_grants.clear();
        QCOMPARE(code(s->add_contact(clone(no_grants))), std::optional(Errc::TooLarge));
        auto no_credentials = make_contact(s.rng, "Z");
        no_credentials.their_credentials.clear();
        QCOMPARE(code(s->add_contact(clone(no_credentials))), std::optional(Errc::TooLarge));
        auto twice = make_contact(s.rng, "W");
        twice.our_grants.push_back(twice.our_grants[0].clone());
        QCOMPARE(code(s->add_contact(clone(twice))), std::optional(Errc::Malformed));
        QCOMPARE(s->contacts()->size(), std::size_t(1));

        // An update that fails changes nothing.
        bad_state.id = b;
        QCOMPARE(code(s->update_contact(bad_state)), std::optional(Errc::Malformed));
        no_grants.id = b;
        QCOMPARE(code(s->update_contact(no_grants)), std::optional(Errc::TooLarge));
        QVERIFY(same(*s->contact(b), before));
    }

    void summaries_count_unread_and_show_the_newest_time() {
        Subject s;
        auto named = make_contact(s.rng, "Bob");
        named.nickname = "Bobby";
        named.appear_offline = true;
        const ContactId bob = *s->add_contact(std::move(named));
        const ContactId carol = *s->add_contact(make_contact(s.rng, "Carol"));
        const ContactId dave = *s->add_contact(make_contact(s.rng, "Dave", false));
        const auto at = [](int seconds) { return t0 + Duration::seconds(seconds); };
        QVERIFY(s->add_outgoing(bob, msg_id(s.rng), "out", at(5)));
        QVERIFY(s->add_incoming(bob, msg_id(s.rng), "in 1", at(1), at(7)));
        QVERIFY(s->add_incoming(bob, msg_id(s.rng), "in 2", at(2), at(9)));
        QVERIFY(s->add_incoming(carol, msg_id(s.rng), "in", at(3), at(4)));
        QVERIFY(s->add_outgoing(carol, msg_id(s.rng), "out", at(6)));

        auto sum = *s->contact_summaries();
        QCOMPARE(sum.size(), std::size_t(3));
        QCOMPARE(sum[0].id, bob);
        QCOMPARE(sum[0].display, std::string("Bobby"));
        QVERIFY(sum[0].appear_offline);
        QCOMPARE(sum[0].state, ContactState::Established);
        QCOMPARE(sum[0].unread, 2u);
        QCOMPARE(sum[0].last_message_at, std::optional(at(9)));  // incoming: received
        QCOMPARE(sum[1].display, std::string("Carol"));
        QCOMPARE(sum[1].unread, 1u);
        QCOMPARE(sum[1].last_message_at, std::optional(at(6)));  // outgoing: sent
        QCOMPARE(sum[2].id, dave);
        QCOMPARE(sum[2].state, ContactState::Requested);
        QCOMPARE(sum[2].unread, 0u);
        QVERIFY(!sum[2].last_message_at);

        QVERIFY(s->mark_read(bob));
        QVERIFY(s->mark_read(dave));
        QVERIFY(s->mark_read(999));
        sum = *s->contact_summaries();
        QCOMPARE(sum[0].unread, 0u);
        QCOMPARE(sum[1].unread, 1u);
        const auto read = *s->history(bob, std::nullopt, 10);
        for (const auto& m : read) QVERIFY(m.read);
        QVERIFY(!s->history(carol, std::nullopt, 10)->front().read);
    }

    void removing_a_contact_removes_its_history() {
        Subject s;
        const ContactId bob = *s->add_contact(make_contact(s.rng, "Bob"));
        const ContactId carol = *s->add_contact(make_contact(s.rng, "Carol"));
        const MessageId kept = msg_id(s.rng);
        QVERIFY(s->add_outgoing(bob, kept, "queued for bob", t0));
        QVERIFY(s->add_incoming(bob, msg_id(s.rng), "from bob", t0, t0));
        QVERIFY(s->add_outgoing(carol, msg_id(s.rng), "to carol", t0));
        auto used = make_invite(s.rng, "bob's");
        used.status = InviteStatus::Used;
        used.used_by = bob;
        const InviteId invite = *s->add_invite(std::move(used));

        QVERIFY(s->remove_contact(bob));
        QCOMPARE(code(s->contact(bob)), std::optional(Errc::NotFound));
        QVERIFY(s->history(bob, std::nullopt, 10)->empty());
        QVERIFY(s->outbox(bob)->empty());
        QCOMPARE(bodies(*s, carol), std::vector<std::string>{"to carol"});
        QCOMPARE(s->invite(invite)->status, InviteStatus::Used);
        QVERIFY(!s->invite(invite)->used_by);
        QCOMPARE(s->contact_summaries()->size(), std::size_t(1));
        QCOMPARE(code(s->remove_contact(bob)), std::optional(Errc::NotFound));
        QCOMPARE(code(s->set_message_state(bob, kept, MessageState::Sent)),
                 std::optional(Errc::NotFound));
        // Ids are never reused.
        QVERIFY(*s->add_contact(make_contact(s.rng, "Dave")) > carol);
    }

    void an_expired_request_fails_its_unsent_messages() {
        Subject s;
        const ContactId req = *s->add_contact(make_contact(s.rng, "Req", false));
        const ContactId est = *s->add_contact(make_contact(s.rng, "Est"));
        const MessageId delivered = msg_id(s.rng), sent = msg_id(s.rng);
        QVERIFY(s->add_outgoing(req, delivered, "a", t0));
        QVERIFY(s->set_message_state(req, delivered, MessageState::Delivered, t0));
        QVERIFY(s->add_outgoing(req, sent, "b", t0));
        QVERIFY(s->set_message_state(req, sent, MessageState::Sent));
        QVERIFY(s->add_incoming(req, msg_id(s.rng), "c", t0, t0));
        QVERIFY(s->add_outgoing(req, msg_id(s.rng), "d", t0));
        QVERIFY(s->add_outgoing(est, msg_id(s.rng), "e", t0));
        QCOMPARE(*s->requeue_failed(req), std::size_t(0));

        QVERIFY(s->mark_invite_expired(req));
        QCOMPARE(s->contact(req)->state, ContactState::InviteExpired);
        QVERIFY(s->outbox(req)->empty());
        std::vector<MessageState> states;
        const auto history = *s->history(req, std::nullopt, 10);
        for (const auto& m : history) states.push_back(m.state);
        QCOMPARE(states, (std::vector{MessageState::Delivered, MessageState::Failed,
                                      MessageState::Received, MessageState::Failed}));
        QCOMPARE(bodies(s->outbox(est)), std::vector<std::string>{"e"});
        QCOMPARE(code(s->mark_invite_expired(req)), std::optional(Errc::Protocol));
        QCOMPARE(code(s->mark_invite_expired(est)), std::optional(Errc::Protocol));
        QCOMPARE(code(s->mark_invite_expired(est + 50)), std::optional(Errc::NotFound));

        QCOMPARE(*s->requeue_failed(req), std::size_t(2));
        auto out = *s->outbox(req);
        QCOMPARE(bodies(out), (std::vector<std::string>{"b", "d"}));
        QCOMPARE(out[0].state, MessageState::Queued);
        QCOMPARE(*s->requeue_failed(req), std::size_t(0));
        QCOMPARE(*s->requeue_failed(est + 50), std::size_t(0));
    }

    void invites_are_kept_listed_and_replaced() {
        Subject s;
        auto first = make_invite(s.rng, "for Bob");
        first.id = 99;  // ignored
        first.probes = 3;
        const auto first_copy = clone(first);
        const InviteId a = *s->add_invite(std::move(first));
        const InviteId b = *s->add_invite(make_invite(s.rng, ""));
        QVERIFY(b > a);
        auto got = *s->invite(a);
        QCOMPARE(got.id, a);
        QCOMPARE(got.name_hint, std::string("for Bob"));
        QCOMPARE(got.status, InviteStatus::Open);
        QCOMPARE(got.probes, 3u);
        QCOMPARE(got.created_at, first_copy.created_at);
        QCOMPARE(got.expires_at, first_copy.expires_at);
        QVERIFY(ct_equal(got.secret.view(), first_copy.secret.view()));
        QVERIFY(ct_equal(got.pairwise_seed.view(), first_copy.pairwise_seed.view()));
        QVERIFY(ct_equal(got.grants[0].bytes.view(), first_copy.grants[0].bytes.view()));
        QVERIFY(!got.used_by);

        const ContactId bob = *s->add_contact(make_contact(s.rng, "Bob"));
        got.status = InviteStatus::Used;
        got.used_by = bob;
        got.probes = 4;
        QVERIFY(s->update_invite(got));
        auto all = *s->invites();
        QCOMPARE(all.size(), std::size_t(2));
        QCOMPARE(all[0].status, InviteStatus::Used);
        QCOMPARE(all[0].used_by, std::optional(bob));
        QCOMPARE(all[0].probes, 4u);
        QCOMPARE(all[1].id, b);

        QCOMPARE(code(s->invite(b + 10)), std::optional(Errc::NotFound));
        got.id = b + 10;
        QCOMPARE(code(s->update_invite(got)), std::optional(Errc::NotFound));
        got.id = 0;
        QCOMPARE(code(s->update_invite(got)), std::optional(Errc::NotFound));
    }

    void an_invite_the_store_cannot_keep_is_refused() {
        Subject s;
        const InviteId a = *s->add_invite(make_invite(s.rng, "kept"));
        auto nobody = make_invite(s.rng, "x");
        nobody.used_by = 777;
        QCOMPARE(code(s->add_invite(clone(nobody))), std::optional(Errc::NotFound));
        auto bad_status = make_invite(s.rng, "x");
        bad_status.status = static_cast<InviteStatus>(0);
        QCOMPARE(code(s->add_invite(clone(bad_status))), std::optional(Errc::Malformed));
        auto no_secret = make_invite(s.rng, "x");
        no_secret.secret = SecretBytes();
        QCOMPARE(code(s->add_invite(clone(no_secret))), std::optional(Errc::Malformed));
        auto no_grants = make_invite(s.rng, "x");
        no_grants.grants.clear();
        QCOMPARE(code(s->add_invite(clone(no_grants))), std::optional(Errc::TooLarge));
        QCOMPARE(s->invites()->size(), std::size_t(1));

        nobody.id = a;
        QCOMPARE(code(s->update_invite(nobody)), std::optional(Errc::NotFound));
        no_secret.id = a;
        QCOMPARE(code(s->update_invite(no_secret)), std::optional(Errc::Malformed));
        QCOMPARE(s->invite(a)->name_hint, std::string("kept"));
        QCOMPARE(s->invite(a)->status, InviteStatus::Open);
    }

    void accepted_codes_are_seen_until_purged() {
        Subject s;
        const Bytes gone = s.rng.bytes(32), edge = s.rng.bytes(32), kept = s.rng.bytes(32);
        QVERIFY(!*s->accepted_invite_seen(kept));
        QVERIFY(s->remember_accepted_invite(gone, t0 - Duration::hours(1)));
        QVERIFY(s->remember_accepted_invite(edge, t0 + Duration::hours(5)));
        QVERIFY(s->remember_accepted_invite(edge, t0));  // replaced: expires at t0
        QVERIFY(s->remember_accepted_invite(kept, t0 + Duration::seconds(1)));
        QVERIFY(*s->accepted_invite_seen(gone));
        QVERIFY(*s->accepted_invite_seen(edge));
        // A code is known by the first 32 bytes of its secret.
        Bytes longer = kept;
        longer.resize(64, 0xAB);
        QVERIFY(*s->accepted_invite_seen(longer));
        QVERIFY(!*s->accepted_invite_seen(ByteView(kept).first(31)));

        QCOMPARE(*s->purge_accepted_invites(t0 - Duration::hours(2)), std::size_t(0));
        QCOMPARE(*s->purge_accepted_invites(t0), std::size_t(2));  // at or before now
        QVERIFY(!*s->accepted_invite_seen(gone));
        QVERIFY(!*s->accepted_invite_seen(edge));
        QVERIFY(*s->accepted_invite_seen(kept));
        QCOMPARE(*s->purge_accepted_invites(t0), std::size_t(0));
        QCOMPARE(*s->purge_accepted_invites(t0 + Duration::seconds(1)), std::size_t(1));
        QVERIFY(!*s->accepted_invite_seen(longer));
    }

    void outgoing_messages_and_their_states() {
        Subject s;
        const ContactId bob = *s->add_contact(make_contact(s.rng, "Bob"));
        const ContactId carol = *s->add_contact(make_contact(s.rng, "Carol"));
        const MessageId m1 = msg_id(s.rng), m2 = msg_id(s.rng), m3 = msg_id(s.rng);
        auto first = *s->add_outgoing(bob, m1, "one", t0);
        QCOMPARE(first.contact, bob);
        QVERIFY(first.id == m1);
        QCOMPARE(first.direction, Direction::Outgoing);
        QCOMPARE(first.state, MessageState::Queued);
        QCOMPARE(first.body, std::string("one"));
        QCOMPARE(first.sent_at, t0);
        QVERIFY(!first.delivered_at);
        QVERIFY(first.read);
        const auto other = *s->add_outgoing(carol, m1, "same id, other contact", t0);
        QVERIFY(other.row > first.row);  // one sequence across contacts
        QVERIFY(s->add_outgoing(bob, m2, "two", t0)->row > other.row);
        QVERIFY(s->add_outgoing(bob, m3, "three", t0));
        QVERIFY(s->add_incoming(bob, msg_id(s.rng), "incoming", t0, t0));
        QCOMPARE(bodies(s->outbox(bob)), (std::vector<std::string>{"one", "two", "three"}));
        QVERIFY(same(s->outbox(bob)->front(), first));

        const auto later = t0 + Duration::seconds(30);
        QVERIFY(s->set_message_state(bob, m1, MessageState::Sent));
        QVERIFY(s->set_message_state(bob, m2, MessageState::Delivered, later));
        auto out = *s->outbox(bob);
        QCOMPARE(bodies(out), (std::vector<std::string>{"one", "three"}));
        QCOMPARE(out[0].state, MessageState::Sent);
        // Delivered is final; delivered_at is kept unless given.
        QVERIFY(s->set_message_state(bob, m2, MessageState::Sent));
        QVERIFY(s->set_message_state(bob, m2, MessageState::Queued, t0));
        QVERIFY(s->set_message_state(bob, m2, MessageState::Delivered));
        auto two = s->history(bob, std::nullopt, 10)->at(1);
        QCOMPARE(two.state, MessageState::Delivered);
        QCOMPARE(two.delivered_at, std::optional(later));
        QVERIFY(
            s->set_message_state(bob, m2, MessageState::Delivered, later + Duration::seconds(1)));
        two = s->history(bob, std::nullopt, 10)->at(1);
        QCOMPARE(two.delivered_at, std::optional(later + Duration::seconds(1)));
        QVERIFY(s->set_message_state(bob, m1, MessageState::Queued, later));
        QCOMPARE(s->outbox(bob)->front().state, MessageState::Queued);
        QCOMPARE(s->outbox(bob)->front().delivered_at, std::optional(later));
        QCOMPARE(s->outbox(carol)->size(), std::size_t(1));  // its own m1 untouched

        QCOMPARE(code(s->set_message_state(bob, msg_id(s.rng), MessageState::Sent)),
                 std::optional(Errc::NotFound));
        QCOMPARE(code(s->set_message_state(carol, m2, MessageState::Sent)),
                 std::optional(Errc::NotFound));
        QCOMPARE(code(s->set_message_state(bob, m3, MessageState::Received)),
                 std::optional(Errc::Protocol));
        QCOMPARE(code(s->set_message_state(bob, m3, MessageState::Failed)),
                 std::optional(Errc::Protocol));
        QCOMPARE(code(s->add_outgoing(carol + 9, msg_id(s.rng), "x", t0)),
                 std::optional(Errc::NotFound));
        // (contact, id) must be new.
        QCOMPARE(code(s->add_outgoing(bob, m3, "again", t0)), std::optional(Errc::Io));
        QCOMPARE(bodies(s->outbox(bob)), (std::vector<std::string>{"one", "three"}));
    }

    void incoming_messages_are_stored_once() {
        Subject s;
        const ContactId bob = *s->add_contact(make_contact(s.rng, "Bob"));
        const ContactId carol = *s->add_contact(make_contact(s.rng, "Carol"));
        const MessageId id = msg_id(s.rng);
        auto in = s->add_incoming(bob, id, "hi", t0, t0 + Duration::seconds(2));
        QVERIFY(in && *in);
        QCOMPARE((*in)->contact, bob);
        QCOMPARE((*in)->direction, Direction::Incoming);
        QCOMPARE((*in)->state, MessageState::Received);
        QCOMPARE((*in)->sent_at, t0);
        QCOMPARE((*in)->delivered_at, std::optional(t0 + Duration::seconds(2)));
        QVERIFY(!(*in)->read);
        QVERIFY(same(s->history(bob, std::nullopt, 1)->front(), **in));

        auto resend = s->add_incoming(bob, id, "hi", t0, t0 + Duration::seconds(9));
        QVERIFY(resend);
        QVERIFY(!*resend);
        QVERIFY(*s->add_incoming(carol, id, "hi", t0, t0));  // another contact's
        const MessageId ours = msg_id(s.rng);
        QVERIFY(s->add_outgoing(bob, ours, "mine", t0));
        QVERIFY(!*s->add_incoming(bob, ours, "echo", t0, t0));  // either direction
        QCOMPARE(bodies(*s, bob), (std::vector<std::string>{"hi", "mine"}));
        QCOMPARE(code(s->add_incoming(carol + 3, msg_id(s.rng), "x", t0, t0)),
                 std::optional(Errc::NotFound));
        QCOMPARE(code(s->set_message_state(bob, id, MessageState::Delivered)),
                 std::optional(Errc::Protocol));
    }

    void history_pages_back_from_the_newest() {
        Subject s;
        const ContactId bob = *s->add_contact(make_contact(s.rng, "Bob"));
        const ContactId carol = *s->add_contact(make_contact(s.rng, "Carol"));
        std::vector<MessageRowId> rows;
        for (int i = 0; i < 12; ++i) {
            QVERIFY(s->add_incoming(carol, msg_id(s.rng), "other", t0, t0));  // gaps in bob's rows
            if (i % 3 == 0)
                rows.push_back(
                    (**s->add_incoming(bob, msg_id(s.rng), std::to_string(i), t0, t0)).row);
            else
                rows.push_back(s->add_outgoing(bob, msg_id(s.rng), std::to_string(i), t0)->row);
        }
        QCOMPARE(bodies(s->history(bob, std::nullopt, 5)),
                 (std::vector<std::string>{"7", "8", "9", "10", "11"}));
        QCOMPARE(bodies(s->history(bob, rows[7], 5)),
                 (std::vector<std::string>{"2", "3", "4", "5", "6"}));
        QCOMPARE(bodies(s->history(bob, rows[2], 5)), (std::vector<std::string>{"0", "1"}));
        QVERIFY(s->history(bob, rows[0], 5)->empty());
        // `before` need not be one of the contact's rows, and is exclusive.
        QCOMPARE(bodies(s->history(bob, rows[4] + 1, 2)), (std::vector<std::string>{"3", "4"}));
        QCOMPARE(bodies(s->history(bob, rows[4], 2)), (std::vector<std::string>{"2", "3"}));
        QVERIFY(s->history(bob, std::nullopt, 0)->empty());
        QCOMPARE(s->history(bob, std::nullopt, std::size_t(-1))->size(), std::size_t(12));
        QCOMPARE(s->history(carol, std::nullopt, 100)->size(), std::size_t(12));
        QVERIFY(s->history(carol + 1, std::nullopt, 10)->empty());
        QVERIFY(s->outbox(carol + 1)->empty());
    }
};

QTEST_APPLESS_MAIN(TestMessengerStore)
#include "tst_messenger_store.moc"
