// The introduction replay cache: duplicates within the horizon are caught,
// entries expire, memory stays bounded and the oldest entry goes first.
#include <QtTest>

#include "core/hs/replay_cache.hpp"

using namespace sotto;
using namespace sotto::hs;

namespace {

crypto::X25519PublicKey key(std::uint32_t i) {
    crypto::X25519PublicKey k;
    // Spread the index over the hashed prefix and the tail.
    for (int b = 0; b < 4; ++b) {
        k.bytes[b] = static_cast<std::uint8_t>(i >> (8 * b));
        k.bytes[31 - b] = static_cast<std::uint8_t>(i >> (8 * b));
    }
    return k;
}

const TimePoint t0 = TimePoint::from_seconds(1'700'000'000);

}  // namespace

class TestReplayCache : public QObject {
    Q_OBJECT
  private slots:
    void detects_duplicates() {
        ReplayCache c;
        QVERIFY(!c.seen_or_insert(key(1), t0));
        QVERIFY(c.seen_or_insert(key(1), t0));
        QVERIFY(c.seen_or_insert(key(1), t0 + Duration::minutes(5)));
        QVERIFY(!c.seen_or_insert(key(2), t0));
        QCOMPARE(c.size(), std::size_t(2));
    }

    void entries_expire_after_the_horizon() {
        ReplayCache c(ReplayCacheConfig{Duration::minutes(20), 100});
        QVERIFY(!c.seen_or_insert(key(1), t0));
        QVERIFY(!c.seen_or_insert(key(2), t0 + Duration::minutes(10)));
        // Just inside the horizon: still a replay (and not refreshed by it).
        QVERIFY(c.seen_or_insert(key(1), t0 + Duration::minutes(20) - Duration::seconds(1)));
        // At the horizon the first one is gone; the second is not.
        QVERIFY(!c.seen_or_insert(key(1), t0 + Duration::minutes(20)));
        QVERIFY(c.seen_or_insert(key(2), t0 + Duration::minutes(20)));
        c.expire(t0 + Duration::hours(2));
        QCOMPARE(c.size(), std::size_t(0));
    }

    void bounded_memory_evicts_oldest() {
        ReplayCache c(ReplayCacheConfig{Duration::hours(1), 4});
        for (std::uint32_t i = 0; i < 4; ++i)
            QVERIFY(!c.seen_or_insert(key(i), t0 + Duration::seconds(i)));
        QCOMPARE(c.size(), std::size_t(4));
        QCOMPARE(c.evictions(), std::uint64_t(0));
        QVERIFY(!c.seen_or_insert(key(4), t0 + Duration::seconds(4)));
        QCOMPARE(c.size(), std::size_t(4));
        QCOMPARE(c.evictions(), std::uint64_t(1));
        // key(0) was the oldest: forgotten (the documented trade-off) ...
        QVERIFY(!c.seen_or_insert(key(0), t0 + Duration::seconds(5)));
        // ... which evicted key(1); key(2..4) and key(0) are remembered.
        for (std::uint32_t i : {2u, 3u, 4u, 0u}) QVERIFY(c.seen_or_insert(key(i), t0));
        QVERIFY(!c.seen_or_insert(key(1), t0 + Duration::seconds(6)));
    }

    void expiry_makes_room_before_eviction() {
        ReplayCache c(ReplayCacheConfig{Duration::minutes(1), 2});
        QVERIFY(!c.seen_or_insert(key(1), t0));
        QVERIFY(!c.seen_or_insert(key(2), t0));
        QVERIFY(!c.seen_or_insert(key(3), t0 + Duration::minutes(2)));
        QCOMPARE(c.evictions(), std::uint64_t(0));
        QCOMPARE(c.size(), std::size_t(1));
    }

    void clock_stepping_back_never_expires_early() {
        ReplayCache c(ReplayCacheConfig{Duration::minutes(10), 100});
        QVERIFY(!c.seen_or_insert(key(1), t0));
        QVERIFY(!c.seen_or_insert(key(2), t0 - Duration::minutes(5)));
        // key(2) is remembered at least until its own horizon.
        QVERIFY(c.seen_or_insert(key(2), t0 + Duration::minutes(4)));
    }

    void many_entries() {
        ReplayCache c(ReplayCacheConfig{Duration::minutes(20), 100000});
        for (std::uint32_t i = 0; i < 50000; ++i) QVERIFY(!c.seen_or_insert(key(i), t0));
        for (std::uint32_t i = 0; i < 50000; i += 97) QVERIFY(c.seen_or_insert(key(i), t0));
        QCOMPARE(c.size(), std::size_t(50000));
    }
};

QTEST_APPLESS_MAIN(TestReplayCache)
#include "tst_replay_cache.moc"
