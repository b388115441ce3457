// The service's ordered checks on every INTRODUCE2: each drop reason, the
// order between them, the counters, and that accepted requests carry the
// contact and the opened payload.
#include <QtTest>

#include "core/crypto/random.hpp"
#include "core/hs/introduction_checks.hpp"

using namespace sotto;
using namespace sotto::hs;

namespace {

const TimePoint t0 = TimePoint::from_seconds(1'700'000'000);

struct Contact {
    ContactKey id;
    Secret<32> dc;
};

class Fixture {
  public:
    explicit Fixture(std::uint64_t seed)
        : rng(seed),
          ik(crypto::Ed25519SecretKey::generate(rng)),
          enc(crypto::X25519SecretKey::generate(rng)) {}

    Contact add_contact(bool hidden = false) {
        Contact c;
        rng.fill(c.id.bytes);
        rng.fill(c.dc.mut());
        table[cookie_index(c.dc)] = CookieEntry{c.id, hidden};
        return c;
    }

    // An INTRODUCE1/2 body made by a client holding `dc`.
    Bytes introduce(const Secret<32>& dc, std::int64_t timestamp) {
        IntroducePayload p;
        rng.fill(p.rp_identity.bytes);
        rng.fill(p.rp_onion_key.bytes);
        p.rp_host = "192.0.2.7";
        p.rp_port = 443;
        rng.fill(p.rendezvous_cookie.bytes);
        p.descriptor_cookie = dc.clone();
        p.timestamp = timestamp;
        auto c = client_introduce(p, ik.public_key(), enc.public_key(), rng);
        if (!c) qFatal("client_introduce failed");
        return c->introduce1();
    }
    Bytes introduce(const Contact& c, TimePoint at = t0) {
        return introduce(c.dc, at.unix_seconds());
    }

    IntroductionVerdict check(IntroductionChecks& checks, ByteView body, TimePoint now = t0) {
        return checks.check(body, ik.public_key(), enc, table, now);
    }

    DeterministicRng rng;
    crypto::Ed25519SecretKey ik;
    crypto::X25519SecretKey enc;
    CookieTable table;
};

std::optional<DropReason> reason(const IntroductionVerdict& v) {
    if (auto* d = std::get_if<Dropped>(&v)) return d->reason;
    return std::nullopt;
}

// Checks that let a contact introduce itself once per `window`.
IntroductionChecks one_per(Duration window) {
    IntroductionPolicy policy;
    policy.rate_limit = RateLimitConfig{1, window};
    return IntroductionChecks(policy);
}

}  // namespace

class TestIntroductionChecks : public QObject {
    Q_OBJECT
  private slots:
    void accepts_a_current_contact() {
        Fixture f(1);
        auto alice = f.add_contact();
        f.add_contact();
        IntroductionChecks checks;
        auto v = f.check(checks, f.introduce(alice));
        auto* a = std::get_if<Accepted>(&v);
        QVERIFY(a != nullptr);
        QCOMPARE(a->contact, alice.id);
        QVERIFY(ct_equal(a->introduce.payload.descriptor_cookie.view(), alice.dc.view()));
        QCOMPARE(a->introduce.payload.rp_host, std::string("192.0.2.7"));
        QCOMPARE(checks.accepted(), std::uint64_t(1));
        // The accepted request can go straight on to the rendezvous.
        QVERIFY(service_rendezvous(a->introduce, f.ik.public_key(), f.enc, f.rng).has_value());
    }

    void undecryptable() {
        Fixture f(2);
        auto alice = f.add_contact();
        IntroductionChecks checks;
        // Made for another introduction point's keys.
        Fixture other(3);
        auto body = other.introduce(alice.dc, t0.unix_seconds());
        QCOMPARE(reason(f.check(checks, body)), DropReason::Undecryptable);
        // Garbage and a tampered ciphertext.
        QCOMPARE(reason(f.check(checks, Bytes(10, 1))), DropReason::Undecryptable);
        auto good = f.introduce(alice);
        good[100] ^= 1;
        QCOMPARE(reason(f.check(checks, good)), DropReason::Undecryptable);
        QCOMPARE(checks.dropped(DropReason::Undecryptable), std::uint64_t(3));
    }

    void stranger_with_a_random_cookie() {
        Fixture f(4);
        f.add_contact();
        IntroductionChecks checks;
        Secret<32> random_dc;
        f.rng.fill(random_dc.mut());
        QCOMPARE(reason(f.check(checks, f.introduce(random_dc, t0.unix_seconds()))),
                 DropReason::UnknownCookie);
        QCOMPARE(checks.dropped(DropReason::UnknownCookie), std::uint64_t(1));
        // A stranger spends no replay-cache entry.
        QCOMPARE(checks.replay_cache().size(), std::size_t(0));
    }

    void revoked_contact_is_unknown() {
        Fixture f(5);
        auto dave = f.add_contact();
        IntroductionChecks checks;
        f.table.erase(cookie_index(dave.dc));
        QCOMPARE(reason(f.check(checks, f.introduce(dave))), DropReason::UnknownCookie);
    }

    void hidden_contact() {
        Fixture f(6);
        auto carol = f.add_contact(/*hidden=*/true);
        IntroductionChecks checks;
        QCOMPARE(reason(f.check(checks, f.introduce(carol))), DropReason::HiddenContact);
        QCOMPARE(checks.dropped(DropReason::HiddenContact), std::uint64_t(1));
    }

    void replay() {
        Fixture f(7);
        auto alice = f.add_contact();
        IntroductionChecks checks;
        auto body = f.introduce(alice);
        QVERIFY(std::holds_alternative<Accepted>(f.check(checks, body)));
        QCOMPARE(reason(f.check(checks, body, t0 + Duration::minutes(3))), DropReason::Replay);
        QCOMPARE(checks.dropped(DropReason::Replay), std::uint64_t(1));
        // Replays are not charged to the contact's rate limit.
        QCOMPARE(checks.violations(alice.id), std::size_t(0));
    }

    void replay_caught_across_the_whole_timestamp_window() {
        // Stamped 10 min in the future, first seen at t0: a replay 19 min later
        // would still pass the timestamp check, so the cache must remember it.
        Fixture f(8);
        auto alice = f.add_contact();
        IntroductionChecks checks;
        auto body = f.introduce(alice, t0 + Duration::minutes(10));
        QVERIFY(std::holds_alternative<Accepted>(f.check(checks, body)));
        checks.prune(t0 + Duration::minutes(19));
        QCOMPARE(reason(f.check(checks, body, t0 + Duration::minutes(19))), DropReason::Replay);
    }

    void stale_timestamp() {
        Fixture f(9);
        auto alice = f.add_contact();
        IntroductionChecks checks;
        QCOMPARE(reason(f.check(checks, f.introduce(alice, t0 - Duration::minutes(11)))),
                 DropReason::StaleTimestamp);
        QCOMPARE(reason(f.check(checks, f.introduce(alice, t0 + Duration::minutes(11)))),
                 DropReason::StaleTimestamp);
        // The edges of the window are inside.
        QVERIFY(std::holds_alternative<Accepted>(
            f.check(checks, f.introduce(alice, t0 - Duration::minutes(10)))));
        QVERIFY(std::holds_alternative<Accepted>(
            f.check(checks, f.introduce(alice, t0 + Duration::minutes(10)))));
        QCOMPARE(checks.dropped(DropReason::StaleTimestamp), std::uint64_t(2));
        // Extreme values cannot overflow the comparison.
        QCOMPARE(reason(f.check(checks, f.introduce(alice.dc, INT64_MIN))),
                 DropReason::StaleTimestamp);
        QCOMPARE(reason(f.check(checks, f.introduce(alice.dc, INT64_MAX))),
                 DropReason::StaleTimestamp);
    }

    void configurable_window() {
        Fixture f(10);
        auto alice = f.add_contact();
        IntroductionPolicy policy;
        policy.timestamp_window = Duration::minutes(1);
        IntroductionChecks checks(policy);
        QCOMPARE(checks.replay_cache().config().horizon, Duration::minutes(2));
        QCOMPARE(reason(f.check(checks, f.introduce(alice, t0 - Duration::minutes(2)))),
                 DropReason::StaleTimestamp);
    }

    void rate_limited() {
        Fixture f(11);
        auto alice = f.add_contact();
        auto bob = f.add_contact();
        IntroductionChecks checks;
        for (int i = 0; i < 10; ++i)
            QVERIFY(std::holds_alternative<Accepted>(
                f.check(checks, f.introduce(alice, t0), t0 + Duration::seconds(i))));
        QCOMPARE(reason(f.check(checks, f.introduce(alice), t0 + Duration::seconds(20))),
                 DropReason::RateLimited);
        QCOMPARE(checks.violations(alice.id), std::size_t(1));
        QCOMPARE(checks.dropped(DropReason::RateLimited), std::uint64_t(1));
        // Bob is unaffected.
        QVERIFY(std::holds_alternative<Accepted>(f.check(checks, f.introduce(bob))));
        QCOMPARE(checks.violations(bob.id), std::size_t(0));
        checks.forget_contact(alice.id);
        QCOMPARE(checks.violations(alice.id), std::size_t(0));
    }

    // --- Order -------------------------------------------------------------

    void replayed_from_hidden_contact_is_hidden_not_replay() {
        Fixture f(12);
        auto carol = f.add_contact();
        IntroductionChecks checks;
        auto body = f.introduce(carol);
        QVERIFY(std::holds_alternative<Accepted>(f.check(checks, body)));
        f.table[cookie_index(carol.dc)].hidden = true;
        QCOMPARE(reason(f.check(checks, body)), DropReason::HiddenContact);
        QCOMPARE(checks.dropped(DropReason::Replay), std::uint64_t(0));
    }

    void replayed_from_revoked_contact_is_unknown_not_replay() {
        Fixture f(13);
        auto dave = f.add_contact();
        IntroductionChecks checks;
        auto body = f.introduce(dave);
        QVERIFY(std::holds_alternative<Accepted>(f.check(checks, body)));
        f.table.clear();
        QCOMPARE(reason(f.check(checks, body)), DropReason::UnknownCookie);
    }

    void stale_from_unknown_is_unknown() {
        Fixture f(14);
        IntroductionChecks checks;
        Secret<32> dc;
        f.rng.fill(dc.mut());
        QCOMPARE(reason(f.check(checks, f.introduce(dc, 0))), DropReason::UnknownCookie);
    }

    void stale_replay_is_replay() {
        // Replay before timestamp: an old copy relayed again is named a replay.
        Fixture f(15);
        auto alice = f.add_contact();
        IntroductionChecks checks;
        auto body = f.introduce(alice, t0);
        QVERIFY(std::holds_alternative<Accepted>(f.check(checks, body)));
        QCOMPARE(reason(f.check(checks, body, t0 + Duration::minutes(15))), DropReason::Replay);
    }

    void stale_and_replayed_do_not_use_the_rate_limit() {
        Fixture f(16);
        auto alice = f.add_contact();
        IntroductionChecks checks = one_per(Duration::hours(1));
        QCOMPARE(reason(f.check(checks, f.introduce(alice, t0 - Duration::hours(1)))),
                 DropReason::StaleTimestamp);
        auto body = f.introduce(alice);
        QVERIFY(std::holds_alternative<Accepted>(f.check(checks, body)));
        QCOMPARE(reason(f.check(checks, body)), DropReason::Replay);
        QCOMPARE(checks.violations(alice.id), std::size_t(0));
        // A stale request while limited is still reported as stale.
        QCOMPARE(reason(f.check(checks, f.introduce(alice, t0 + Duration::hours(1)))),
                 DropReason::StaleTimestamp);
        QCOMPARE(reason(f.check(checks, f.introduce(alice))), DropReason::RateLimited);
    }

    // Issue 9, finding 11: the replay cache takes a request only once it
    // passed every check. A flood of rate-limited requests does not fill it,
    // and a request the limiter refused can be sent again once the contact
    // is within its limit.
    void rate_limited_requests_stay_out_of_the_replay_cache() {
        Fixture f(18);
        auto alice = f.add_contact();
        IntroductionChecks checks = one_per(Duration::minutes(5));
        QVERIFY(std::holds_alternative<Accepted>(f.check(checks, f.introduce(alice))));
        QCOMPARE(checks.replay_cache().size(), std::size_t(1));
        for (int i = 0; i < 50; ++i)
            QCOMPARE(reason(f.check(checks, f.introduce(alice), t0 + Duration::seconds(1))),
                     DropReason::RateLimited);
        QCOMPARE(checks.replay_cache().size(), std::size_t(1));
        // Stale ones stay out too.
        QCOMPARE(reason(f.check(checks, f.introduce(alice, t0 - Duration::hours(1)))),
                 DropReason::StaleTimestamp);
        QCOMPARE(checks.replay_cache().size(), std::size_t(1));
    }

    void a_rate_limited_request_can_be_retried() {
        Fixture f(19);
        auto alice = f.add_contact();
        IntroductionChecks checks = one_per(Duration::minutes(5));
        QVERIFY(std::holds_alternative<Accepted>(f.check(checks, f.introduce(alice))));
        const auto body = f.introduce(alice, t0 + Duration::minutes(2));
        QCOMPARE(reason(f.check(checks, body, t0 + Duration::minutes(2))), DropReason::RateLimited);
        // Within the replay horizon and the timestamp window, and the limit
        // has room again: the same request goes through, once.
        const TimePoint retry = t0 + Duration::minutes(5) + Duration::seconds(1);
        QVERIFY(std::holds_alternative<Accepted>(f.check(checks, body, retry)));
        QCOMPARE(reason(f.check(checks, body, retry)), DropReason::Replay);
    }

    void a_rate_limited_drop_names_its_contact() {
        Fixture f(20);
        auto alice = f.add_contact();
        f.add_contact();
        IntroductionChecks checks = one_per(Duration::hours(1));
        QVERIFY(std::holds_alternative<Accepted>(f.check(checks, f.introduce(alice))));
        auto v = f.check(checks, f.introduce(alice));
        auto* d = std::get_if<Dropped>(&v);
        QVERIFY(d != nullptr);
        QCOMPARE(d->reason, DropReason::RateLimited);
        QVERIFY(d->contact.has_value());
        QCOMPARE(*d->contact, alice.id);
        // Other drops name nobody.
        auto u = f.check(checks, Bytes(10, 1));
        QVERIFY(!std::get<Dropped>(u).contact.has_value());
    }

    void counters_add_up() {
        Fixture f(17);
        auto alice = f.add_contact();
        auto carol = f.add_contact(true);
        IntroductionChecks checks;
        auto body = f.introduce(alice);
        f.check(checks, body);
        f.check(checks, body);
        f.check(checks, f.introduce(carol));
        f.check(checks, Bytes(3));
        QCOMPARE(checks.accepted(), std::uint64_t(1));
        QCOMPARE(checks.dropped(DropReason::Replay), std::uint64_t(1));
        QCOMPARE(checks.dropped(DropReason::HiddenContact), std::uint64_t(1));
        QCOMPARE(checks.dropped(DropReason::Undecryptable), std::uint64_t(1));
        QCOMPARE(checks.dropped(DropReason::UnknownCookie), std::uint64_t(0));
        QCOMPARE(checks.dropped(DropReason::StaleTimestamp), std::uint64_t(0));
        QCOMPARE(checks.dropped(DropReason::RateLimited), std::uint64_t(0));
        QCOMPARE(std::string(drop_reason_name(DropReason::RateLimited)),
                 std::string("rate limited"));
    }

    void cookie_index_is_labelled_and_distinct() {
        Secret<32> a, b;
        a.mut()[0] = 1;
        b.mut()[0] = 2;
        QVERIFY(cookie_index(a) != cookie_index(b));
        QCOMPARE(cookie_index(a), cookie_index(a.clone()));
        QVERIFY(!std::equal(a.view().begin(), a.view().end(), cookie_index(a).bytes.begin()));
    }
};

QTEST_APPLESS_MAIN(TestIntroductionChecks)
#include "tst_introduction_checks.moc"
