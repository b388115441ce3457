// Per-contact introduction rate limit: 10 per sliding hour by default,
// configurable, violations counted per contact, idle contacts forgotten.
#include <QtTest>

#include "core/hs/rate_limiter.hpp"

using namespace sotto;
using namespace sotto::hs;

namespace {

ContactKey contact(std::uint8_t i) {
    ContactKey k;
    k.bytes.fill(i);
    return k;
}

const TimePoint t0 = TimePoint::from_seconds(1'700'000'000);

}  // namespace

class TestRateLimiter : public QObject {
    Q_OBJECT
  private slots:
    void default_is_ten_per_hour() {
        RateLimiter r;
        QCOMPARE(r.config().count, std::size_t(10));
        QCOMPARE(r.config().window, Duration::hours(1));
        for (int i = 0; i < 10; ++i) QVERIFY(r.allow(contact(1), t0 + Duration::minutes(i)));
        QVERIFY(!r.allow(contact(1), t0 + Duration::minutes(30)));
        QCOMPARE(r.violations(contact(1)), std::size_t(1));
        // Other contacts are not affected.
        QVERIFY(r.allow(contact(2), t0 + Duration::minutes(30)));
        QCOMPARE(r.violations(contact(2)), std::size_t(0));
    }

    void sliding_window() {
        RateLimiter r;
        for (int i = 0; i < 10; ++i) QVERIFY(r.allow(contact(1), t0 + Duration::minutes(i)));
        // One hour after the first, exactly one slot is free again.
        QVERIFY(!r.allow(contact(1), t0 + Duration::minutes(60) - Duration::seconds(1)));
        QVERIFY(r.allow(contact(1), t0 + Duration::minutes(60)));
        QVERIFY(!r.allow(contact(1), t0 + Duration::minutes(60)));
        QVERIFY(r.allow(contact(1), t0 + Duration::minutes(61)));
        QCOMPARE(r.violations(contact(1)), std::size_t(2));
    }

    void never_more_than_count_in_any_window() {
        // A steady stream of attempts, one a minute for five hours: any hour
        // holds at most 10 accepted ones.
        RateLimiter r;
        std::vector<TimePoint> accepted;
        for (int m = 0; m < 300; ++m) {
            auto now = t0 + Duration::minutes(m);
            if (r.allow(contact(3), now)) accepted.push_back(now);
        }
        for (std::size_t i = 0; i + 10 < accepted.size(); ++i)
            QVERIFY(accepted[i + 10] - accepted[i] >= Duration::hours(1));
        QCOMPARE(accepted.size(), std::size_t(50));
        QCOMPARE(r.violations(contact(3)), std::size_t(250));
    }

    void configurable() {
        RateLimiter r(RateLimitConfig{2, Duration::seconds(10)});
        QVERIFY(r.allow(contact(1), t0));
        QVERIFY(r.allow(contact(1), t0 + Duration::seconds(1)));
        QVERIFY(!r.allow(contact(1), t0 + Duration::seconds(2)));
        QVERIFY(r.allow(contact(1), t0 + Duration::seconds(10)));
        RateLimiter none(RateLimitConfig{0, Duration::hours(1)});
        QVERIFY(!none.allow(contact(1), t0));
    }

    void idle_contacts_are_forgotten_but_violators_are_kept() {
        RateLimiter r(RateLimitConfig{1, Duration::minutes(10)});
        QVERIFY(r.allow(contact(1), t0));
        QVERIFY(r.allow(contact(2), t0));
        QVERIFY(!r.allow(contact(2), t0));
        QCOMPARE(r.tracked_contacts(), std::size_t(2));
        r.prune(t0 + Duration::minutes(5));
        QCOMPARE(r.tracked_contacts(), std::size_t(2));
        r.prune(t0 + Duration::minutes(10));
        QCOMPARE(r.tracked_contacts(), std::size_t(1));
        QCOMPARE(r.violations(contact(2)), std::size_t(1));
        r.forget(contact(2));
        QCOMPARE(r.tracked_contacts(), std::size_t(0));
        QCOMPARE(r.violations(contact(2)), std::size_t(0));
    }

    void memory_bounded_by_contacts() {
        RateLimiter r;
        for (int round = 0; round < 100; ++round)
            for (std::uint8_t c = 0; c < 20; ++c)
                r.allow(contact(c), t0 + Duration::seconds(round));
        QCOMPARE(r.tracked_contacts(), std::size_t(20));
    }
};

QTEST_APPLESS_MAIN(TestRateLimiter)
#include "tst_rate_limiter.moc"
