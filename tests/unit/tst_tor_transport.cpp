// The Tor transport's policy (core/transport/tor_transport), driven by hand
// as its driver would: what it asks of tor and when, and what the messenger
// is told. The same transport runs on a real tor in tests/tor.
#include <QtTest>

#include "core/crypto/random.hpp"
#include "core/transport/tor_transport.hpp"

using namespace sotto;
using namespace sotto::transport;

namespace {

const TimePoint t0{1'000'000'000};

TorTransportConfig fast_config() {
    TorTransportConfig c;
    c.publish_spacing = Duration::seconds(2);
    c.publish_jitter = Duration::seconds(1);
    c.connect_timeout = Duration::seconds(30);
    c.stream_buffer = 1000;
    c.rate_limit = {3, Duration::hours(1)};
    return c;
}

template <typename A>
std::size_t count(const std::vector<TorIo>& io) {
    return static_cast<std::size_t>(std::count_if(
        io.begin(), io.end(), [](const TorIo& a) { return std::holds_alternative<A>(a); }));
}
template <typename A>
const A* first(const std::vector<TorIo>& io) {
    for (const auto& a : io)
        if (auto* x = std::get_if<A>(&a)) return x;
    return nullptr;
}
template <typename E>
const E* first_event(const std::vector<Event>& ev) {
    for (const auto& e : ev)
        if (auto* x = std::get_if<E>(&e)) return x;
    return nullptr;
}

struct Contact {
    TorGrant grant;
    Grant wire;
    Credential credential;
};
Contact new_contact(Rng& rng) {
    auto g = generate_tor_grant(rng);
    Grant wire = tor_grant(g);
    Credential c = tor_credential(tor_credential_for(g));
    return {std::move(g), std::move(wire), std::move(c)};
}

// Grant, socket, ADD_ONION answered: the contact's service is up.
void publish(TorTransport& t, Tag tag, const Contact& c, TimePoint now) {
    QVERIFY(t.grant(tag, c.wire, false, now));
    auto io = t.take_io();
    QCOMPARE(count<tor_io::Listen>(io), std::size_t(1));
    t.on_listening(tag, "/p/s" + std::to_string(tag), now);
    io = t.take_io();
    QVERIFY(first<tor_io::AddOnion>(io));
    t.on_onion_added(tag, "id" + std::to_string(tag), now);
}

}  // namespace

class TestTorTransport : public QObject {
    Q_OBJECT
  private slots:
    void a_grant_publishes_a_service_for_that_contact_alone();
    void publications_are_spaced_and_jittered();
    void revoke_removes_the_service_and_closes_its_streams();
    void revoke_while_adding_deletes_the_service_when_tor_answers();
    void hide_and_invisible_take_services_down_and_back_up();
    void connect_adds_the_key_once_and_dials_isolated();
    void every_failure_is_unreachable();
    void connections_over_the_rate_limit_are_closed_and_flagged();
    void send_waits_for_room();
    void a_restarted_tor_gets_everything_again();
};

void TestTorTransport::a_grant_publishes_a_service_for_that_contact_alone() {
    DeterministicRng rng(1);
    TorTransport t(fast_config(), rng);
    auto c = new_contact(rng);
    QVERIFY(t.grant(7, c.wire, false, t0));
    auto io = t.take_io();
    QCOMPARE(io.size(), std::size_t(1));
    QCOMPARE(std::get<tor_io::Listen>(io[0]).tag, Tag(7));
    t.on_listening(7, "/profile/tor/s7.sock", t0);
    io = t.take_io();
    const auto* add = first<tor_io::AddOnion>(io);
    QVERIFY(add);
    QCOMPARE(add->tag, Tag(7));
    QCOMPARE(add->target, std::string("unix:/profile/tor/s7.sock"));
    QCOMPARE(add->virtual_port, fast_config().virtual_port);
    QVERIFY(ct_equal(add->seed.view(), c.grant.service_key.seed()));
    // Only this contact's client-auth key.
    QVERIFY(add->client == c.grant.client_auth.public_key());
    QCOMPARE(t.published(), std::size_t(0));
    t.on_onion_added(7, "abc", t0);
    QCOMPARE(t.published(), std::size_t(1));
    // A stream on the contact's socket is the contact's.
    t.on_accepted(7, 100, t0);
    auto ev = t.take_events();
    const auto* in = first_event<IncomingStream>(ev);
    QVERIFY(in);
    QCOMPARE(in->tag, Tag(7));
    QCOMPARE(in->stream, StreamId(100));
    // A grant for a hidden contact publishes nothing.
    auto hidden = new_contact(rng);
    QVERIFY(t.grant(8, hidden.wire, true, t0));
    QVERIFY(t.take_io().empty());
    // A wrong kind of grant is refused.
    QVERIFY(!t.grant(9, Grant{TransportKind::SottoOnion, SecretBytes(Bytes(64, 1))}, false, t0));
}

void TestTorTransport::publications_are_spaced_and_jittered() {
    DeterministicRng rng(2);
    TorTransport t(fast_config(), rng);
    std::vector<Contact> cs;
    for (int i = 0; i < 3; ++i) cs.push_back(new_contact(rng));
    for (Tag tag = 1; tag <= 3; ++tag) {
        QVERIFY(t.grant(tag, cs[tag - 1].wire, false, t0));
        t.on_listening(tag, "/s", t0);
    }
    auto io = t.take_io();
    QCOMPARE(count<tor_io::AddOnion>(io), std::size_t(1));
    TimePoint prev = t0;
    for (int i = 0; i < 2; ++i) {
        const TimePoint next = t.next_deadline();
        QVERIFY(next >= prev + Duration::seconds(2));
        QVERIFY(next <= prev + Duration::seconds(3));
        t.tick(next - Duration::micros(1));
        QCOMPARE(count<tor_io::AddOnion>(t.take_io()), std::size_t(0));
        t.tick(next);
        QCOMPARE(count<tor_io::AddOnion>(t.take_io()), std::size_t(1));
        prev = next;
    }
    QCOMPARE(t.next_deadline(), TimePoint::never());
}

void TestTorTransport::revoke_removes_the_service_and_closes_its_streams() {
    DeterministicRng rng(3);
    TorTransport t(fast_config(), rng);
    auto a = new_contact(rng), b = new_contact(rng);
    publish(t, 1, a, t0);
    publish(t, 2, b, t0 + Duration::seconds(10));
    t.on_accepted(1, 50, t0);
    t.on_accepted(2, 51, t0);
    t.take_events();
    QVERIFY(t.revoke(1, t0));
    auto io = t.take_io();
    const auto* del = first<tor_io::DelOnion>(io);
    QVERIFY(del);
    QCOMPARE(del->service_id, std::string("id1"));
    QCOMPARE(first<tor_io::StopListening>(io)->tag, Tag(1));
    // tor keeps open streams after DEL_ONION: the transport closes them.
    QCOMPARE(first<tor_io::Close>(io)->conn, ConnId(50));
    QCOMPARE(count<tor_io::Close>(io), std::size_t(1));
    auto ev = t.take_events();
    QCOMPARE(first_event<StreamClosed>(ev)->stream, StreamId(50));
    QCOMPARE(t.published(), std::size_t(1));
    // A connection that slipped in on the old socket is refused.
    t.on_accepted(1, 52, t0);
    QVERIFY(t.take_events().empty());
    QCOMPARE(first<tor_io::Close>(t.take_io())->conn, ConnId(52));
    // The other contact's stream still carries data.
    t.on_data(51, Bytes{1, 2}, t0);
    QVERIFY(first_event<StreamData>(t.take_events()));
    QVERIFY(!t.revoke(1, t0));
}

void TestTorTransport::revoke_while_adding_deletes_the_service_when_tor_answers() {
    DeterministicRng rng(4);
    TorTransport t(fast_config(), rng);
    auto a = new_contact(rng);
    QVERIFY(t.grant(1, a.wire, false, t0));
    t.on_listening(1, "/s", t0);
    QVERIFY(first<tor_io::AddOnion>(t.take_io()));
    QVERIFY(t.revoke(1, t0));
    QCOMPARE(count<tor_io::DelOnion>(t.take_io()), std::size_t(0));
    t.on_onion_added(1, "late", t0);
    auto io = t.take_io();
    QCOMPARE(first<tor_io::DelOnion>(io)->service_id, std::string("late"));
    QCOMPARE(t.published(), std::size_t(0));
    // Hidden while adding: deleted on the answer, and nothing else goes up.
    auto b = new_contact(rng);
    QVERIFY(t.grant(2, b.wire, false, t0 + Duration::seconds(10)));
    t.on_listening(2, "/s2", t0 + Duration::seconds(10));
    QVERIFY(first<tor_io::AddOnion>(t.take_io()));
    QVERIFY(t.hide(2, true, t0 + Duration::seconds(10)));
    t.on_onion_added(2, "late2", t0 + Duration::seconds(10));
    io = t.take_io();
    QCOMPARE(first<tor_io::DelOnion>(io)->service_id, std::string("late2"));
    QCOMPARE(count<tor_io::AddOnion>(io), std::size_t(0));
    QCOMPARE(count<tor_io::Listen>(io), std::size_t(0));
}

void TestTorTransport::hide_and_invisible_take_services_down_and_back_up() {
    DeterministicRng rng(5);
    TorTransport t(fast_config(), rng);
    auto a = new_contact(rng), b = new_contact(rng);
    publish(t, 1, a, t0);
    publish(t, 2, b, t0 + Duration::seconds(10));
    TimePoint now = t0 + Duration::seconds(20);
    QVERIFY(t.hide(1, true, now));
    auto io = t.take_io();
    QCOMPARE(first<tor_io::DelOnion>(io)->service_id, std::string("id1"));
    QCOMPARE(t.published(), std::size_t(1));
    QVERIFY(t.hide(1, false, now));
    io = t.take_io();
    QCOMPARE(count<tor_io::Listen>(io), std::size_t(1));
    t.on_listening(1, "/s1b", now);
    QVERIFY(first<tor_io::AddOnion>(t.take_io()));
    t.on_onion_added(1, "id1b", now);
    QCOMPARE(t.published(), std::size_t(2));
    // Invisible: every service goes.
    t.set_visible(false, now);
    io = t.take_io();
    QCOMPARE(count<tor_io::DelOnion>(io), std::size_t(2));
    QCOMPARE(count<tor_io::StopListening>(io), std::size_t(2));
    QCOMPARE(t.published(), std::size_t(0));
    // Visible again: back up one at a time (and not sooner than the
    // spacing after the last publication, at `now`).
    now = now + Duration::seconds(10);
    t.set_visible(true, now);
    io = t.take_io();
    QCOMPARE(count<tor_io::Listen>(io), std::size_t(2));
    t.on_listening(1, "/x1", now);
    t.on_listening(2, "/x2", now);
    QCOMPARE(count<tor_io::AddOnion>(t.take_io()), std::size_t(1));
    t.tick(t.next_deadline());
    QCOMPARE(count<tor_io::AddOnion>(t.take_io()), std::size_t(1));
}

void TestTorTransport::connect_adds_the_key_once_and_dials_isolated() {
    DeterministicRng rng(6);
    TorTransport t(fast_config(), rng);
    auto bob = new_contact(rng), carol = new_contact(rng);
    const AttemptId a1 = t.connect(bob.credential, t0);
    auto io = t.take_io();
    {
        const auto* auth = first<tor_io::AddClientAuth>(io);
        QVERIFY(auth);
        QVERIFY(auth->service == bob.grant.service_key.public_key());
        QVERIFY(ct_equal(auth->key.view(), bob.grant.client_auth.secret_bytes()));
    }
    // The key goes to tor before the dial.
    QVERIFY(std::holds_alternative<tor_io::AddClientAuth>(io[0]));
    const auto* dial = first<tor_io::Dial>(io);
    QVERIFY(dial);
    QVERIFY(dial->service == bob.grant.service_key.public_key());
    const std::string bob_isolation = dial->isolation;
    const ConnId c1 = dial->conn;
    t.on_dialled(c1, t0 + Duration::seconds(1));
    auto ev = t.take_events();
    const auto* connected = first_event<Connected>(ev);
    QVERIFY(connected);
    QCOMPARE(connected->attempt, a1);
    QCOMPARE(connected->stream, StreamId(c1));
    // Again to Bob: no second key; the same isolation as before.
    t.connect(bob.credential, t0);
    io = t.take_io();
    QCOMPARE(count<tor_io::AddClientAuth>(io), std::size_t(0));
    QCOMPARE(first<tor_io::Dial>(io)->isolation, bob_isolation);
    // Carol: her own key, her own circuits.
    t.connect(carol.credential, t0);
    io = t.take_io();
    QCOMPARE(count<tor_io::AddClientAuth>(io), std::size_t(1));
    QVERIFY(first<tor_io::Dial>(io)->isolation != bob_isolation);
}

void TestTorTransport::every_failure_is_unreachable() {
    DeterministicRng rng(7);
    TorTransport t(fast_config(), rng);
    auto bob = new_contact(rng);
    // tor's SOCKS error (F2: introduction failed).
    const AttemptId a1 = t.connect(bob.credential, t0);
    const ConnId c1 = first<tor_io::Dial>(t.take_io())->conn;
    t.on_dial_failed(c1, "F2", t0 + Duration::seconds(5));
    auto ev = t.take_events();
    QCOMPARE(first_event<Unreachable>(ev)->attempt, a1);
    // The connection closing before SOCKS answered.
    const AttemptId a2 = t.connect(bob.credential, t0);
    const ConnId c2 = first<tor_io::Dial>(t.take_io())->conn;
    t.on_closed(c2, "reset", t0);
    QCOMPARE(first_event<Unreachable>(t.take_events())->attempt, a2);
    // No answer at all: the timeout, and the connection is closed.
    const AttemptId a3 = t.connect(bob.credential, t0);
    const ConnId c3 = first<tor_io::Dial>(t.take_io())->conn;
    QCOMPARE(t.next_deadline(), t0 + Duration::seconds(30));
    t.tick(t0 + Duration::seconds(30));
    QCOMPARE(first_event<Unreachable>(t.take_events())->attempt, a3);
    QCOMPARE(first<tor_io::Close>(t.take_io())->conn, c3);
    // A late SOCKS success for it is closed, not reported.
    t.on_dialled(c3, t0 + Duration::seconds(31));
    QVERIFY(t.take_events().empty());
    QCOMPARE(first<tor_io::Close>(t.take_io())->conn, c3);
    // A credential that is no Tor credential: Unreachable as an event.
    const AttemptId a4 =
        t.connect(Credential{TransportKind::TorOnion, SecretBytes(Bytes(5, 1))}, t0);
    QVERIFY(t.take_io().empty());
    QCOMPARE(first_event<Unreachable>(t.take_events())->attempt, a4);
}

void TestTorTransport::connections_over_the_rate_limit_are_closed_and_flagged() {
    DeterministicRng rng(8);
    TorTransport t(fast_config(), rng);
    auto a = new_contact(rng);
    publish(t, 1, a, t0);
    for (ConnId c = 1; c <= 3; ++c)
        t.on_accepted(1, c, t0 + Duration::seconds(static_cast<std::int64_t>(c)));
    QCOMPARE(t.take_events().size(), std::size_t(3));
    t.take_io();
    t.on_accepted(1, 4, t0 + Duration::seconds(4));
    auto ev = t.take_events();
    QVERIFY(!first_event<IncomingStream>(ev));
    const auto* flagged = first_event<ContactFlagged>(ev);
    QVERIFY(flagged);
    QCOMPARE(flagged->tag, Tag(1));
    QCOMPARE(flagged->violations, std::size_t(1));
    QCOMPARE(first<tor_io::Close>(t.take_io())->conn, ConnId(4));
    // An hour later the contact is welcome again.
    t.on_accepted(1, 5, t0 + Duration::hours(1) + Duration::seconds(2));
    QVERIFY(first_event<IncomingStream>(t.take_events()));
}

void TestTorTransport::send_waits_for_room() {
    DeterministicRng rng(9);
    TorTransport t(fast_config(), rng);
    auto a = new_contact(rng);
    publish(t, 1, a, t0);
    t.on_accepted(1, 9, t0);
    t.take_events();
    QVERIFY(t.send(9, Bytes(600, 1), t0));
    auto io = t.take_io();
    QCOMPARE(first<tor_io::Write>(io)->data.size(), std::size_t(600));
    QCOMPARE(t.pending(9), std::size_t(600));
    auto full = t.send(9, Bytes(600, 2), t0);
    QVERIFY(!full);
    QCOMPARE(full.error().code, Errc::Limit);
    QVERIFY(t.take_io().empty());
    t.on_written(9, 50, t0);
    QVERIFY(t.take_events().empty());  // 550 pending: over half the buffer
    t.on_written(9, 100, t0);
    QCOMPARE(first_event<StreamWritable>(t.take_events())->stream, StreamId(9));
    QVERIFY(t.send(9, Bytes(500, 3), t0));
    QVERIFY(!t.send(12345, Bytes(1, 1), t0));
    // Closed by us: no event; by them: StreamClosed.
    t.close(9, t0);
    QCOMPARE(first<tor_io::Close>(t.take_io())->conn, ConnId(9));
    t.on_accepted(1, 10, t0);
    t.take_events();
    t.on_closed(10, "eof", t0);
    QCOMPARE(first_event<StreamClosed>(t.take_events())->stream, StreamId(10));
}

void TestTorTransport::a_restarted_tor_gets_everything_again() {
    DeterministicRng rng(10);
    TorTransport t(fast_config(), rng);
    auto a = new_contact(rng), b = new_contact(rng), bob = new_contact(rng);
    publish(t, 1, a, t0);
    publish(t, 2, b, t0 + Duration::seconds(10));
    const AttemptId pending = t.connect(bob.credential, t0 + Duration::seconds(10));
    t.take_io();
    TimePoint now = t0 + Duration::seconds(20);
    t.on_tor_restarted(now);
    QCOMPARE(first_event<Unreachable>(t.take_events())->attempt, pending);
    QCOMPARE(t.published(), std::size_t(0));
    auto io = t.take_io();
    // Sockets are kept; the services go back one at a time.
    QCOMPARE(count<tor_io::Listen>(io), std::size_t(0));
    QCOMPARE(count<tor_io::AddOnion>(io), std::size_t(1));
    t.tick(t.next_deadline());
    QCOMPARE(count<tor_io::AddOnion>(t.take_io()), std::size_t(1));
    // The client-auth key is given to the new tor.
    t.connect(bob.credential, now);
    QCOMPARE(count<tor_io::AddClientAuth>(t.take_io()), std::size_t(1));
}

QTEST_GUILESS_MAIN(TestTorTransport)
#include "tst_tor_transport.moc"
