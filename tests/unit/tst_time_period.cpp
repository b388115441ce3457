// Time periods of descriptor ids: known values, transitions spread over the
// period by the first byte of H(CK), exact boundaries, no overflow.
#include <QtTest>

#include <algorithm>
#include <limits>

#include "core/crypto/random.hpp"
#include "core/hs/time_period.hpp"
#include "core/util/rng.hpp"

using namespace sotto;
using namespace sotto::hs;

namespace {

ClientKeyId id_with_byte(std::uint8_t b) {
    ClientKeyId id;
    id.bytes.fill(0xee);  // only the first byte may matter
    id.bytes[0] = b;
    return id;
}

// The DESIGN formula evaluated in 128-bit arithmetic, as a reference.
std::int64_t reference(std::int64_t now, std::uint8_t b, std::int64_t p) {
    __int128 x = static_cast<__int128>(now) + static_cast<__int128>(b) * p / 256;
    __int128 q = x / p;
    if (x % p != 0 && x < 0) --q;
    return static_cast<std::int64_t>(q);
}

constexpr std::int64_t kDay = 86400;

}  // namespace

class TestTimePeriod : public QObject {
    Q_OBJECT
  private slots:
    void known_values() {
        const auto day = Duration::seconds(kDay);
        // 1'700'000'000 = 19675 * 86400 + 80000
        QCOMPARE(time_period(1'700'000'000, id_with_byte(0), day), std::int64_t{19675});
        // +43200 s: past the boundary
        QCOMPARE(time_period(1'700'000'000, id_with_byte(128), day), std::int64_t{19676});
        // offset floor(255 * 86400 / 256) = 86062
        QCOMPARE(time_period(1'700'000'000, id_with_byte(255), day), std::int64_t{19676});
        QCOMPARE(time_period(1'699'920'000 - 86062 - 1, id_with_byte(255), day),
                 std::int64_t{19674});
        QCOMPARE(time_period(1'699'920'000 - 86062, id_with_byte(255), day), std::int64_t{19675});
        QCOMPARE(time_period(0, id_with_byte(0), day), std::int64_t{0});
        QCOMPARE(time_period(-1, id_with_byte(0), day), std::int64_t{-1});
        QCOMPARE(time_period(kDay - 1, id_with_byte(0), day), std::int64_t{0});
        QCOMPARE(time_period(kDay, id_with_byte(0), day), std::int64_t{1});
        QCOMPARE(kDefaultTimePeriod, Duration::hours(24));
    }

    void only_the_first_byte_matters() {
        ClientKeyId a = id_with_byte(77), b;
        b.bytes.fill(0x01);
        b.bytes[0] = 77;
        for (std::int64_t t : {std::int64_t{0}, std::int64_t{123456789}, std::int64_t{-5}})
            QCOMPARE(time_period(t, a, Duration::hours(24)),
                     time_period(t, b, Duration::hours(24)));
    }

    void matches_the_reference_formula() {
        DeterministicRng rng(5);
        const std::int64_t periods[] = {1, 2, 7, 255, 256, 257, 3600, kDay, 7 * kDay};
        for (int i = 0; i < 20000; ++i) {
            const std::int64_t p = periods[rng.uniform(std::size(periods))];
            const auto b = static_cast<std::uint8_t>(rng.uniform(256));
            const std::int64_t now =
                static_cast<std::int64_t>(rng.uniform(4'000'000'000)) - 1'000'000'000;
            QCOMPARE(time_period(now, id_with_byte(b), Duration::seconds(p)), reference(now, b, p));
        }
    }

    void boundaries_are_exact() {
        for (std::int64_t p : {std::int64_t{1}, std::int64_t{7}, std::int64_t{300}, kDay}) {
            const auto period = Duration::seconds(p);
            for (int b = 0; b < 256; ++b) {
                const auto id = id_with_byte(static_cast<std::uint8_t>(b));
                for (std::int64_t tp : {std::int64_t{-3}, std::int64_t{0}, std::int64_t{19675}}) {
                    const std::int64_t start = period_start(tp, id, period);
                    const std::int64_t end = period_end(tp, id, period);
                    QCOMPARE(end - start, p);
                    QCOMPARE(end, period_start(tp + 1, id, period));
                    QCOMPARE(time_period(start, id, period), tp);
                    QCOMPARE(time_period(end - 1, id, period), tp);
                    QCOMPARE(time_period(start - 1, id, period), tp - 1);
                    QCOMPARE(time_period(end, id, period), tp + 1);
                }
            }
        }
    }

    void transitions_are_spread_over_the_period() {
        // Where in the day each id byte changes period: 256 distinct instants,
        // evenly spaced (no gap longer than ceil(86400/256) s), so a service's
        // descriptors are not all republished at the same moment.
        const auto day = Duration::seconds(kDay);
        std::vector<std::int64_t> at;
        for (int b = 0; b < 256; ++b) {
            const std::int64_t s =
                period_start(19675, id_with_byte(static_cast<std::uint8_t>(b)), day);
            at.push_back(((s % kDay) + kDay) % kDay);
        }
        std::sort(at.begin(), at.end());
        QVERIFY(std::adjacent_find(at.begin(), at.end()) == at.end());
        std::int64_t max_gap = at.front() + kDay - at.back();
        for (std::size_t i = 1; i < at.size(); ++i) max_gap = std::max(max_gap, at[i] - at[i - 1]);
        QVERIFY2(max_gap <= (kDay + 255) / 256, qPrintable(QString::number(max_gap)));
        // Id byte 0 changes at midnight UTC, byte 128 at noon.
        QCOMPARE(period_start(1, id_with_byte(0), day), kDay);
        QCOMPARE(period_start(1, id_with_byte(128), day), kDay / 2);
    }

    void sub_second_period_counts_as_one_second() {
        QCOMPARE(time_period(100, id_with_byte(200), Duration::millis(500)), std::int64_t{100});
        QCOMPARE(time_period(100, id_with_byte(200), Duration{}), std::int64_t{100});
        QCOMPARE(period_end(100, id_with_byte(200), Duration{}), std::int64_t{101});
    }

    void extreme_inputs_do_not_overflow() {
        // Run under UBSan too: signed overflow would abort there.
        constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
        constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
        const Duration huge{std::numeric_limits<std::int64_t>::max()};
        const std::int64_t p = huge.seconds_count();
        for (int b : {0, 1, 128, 255}) {
            const auto id = id_with_byte(static_cast<std::uint8_t>(b));
            for (Duration d : {Duration::seconds(1), Duration::seconds(kDay), huge}) {
                QCOMPARE(time_period(kMax, id, d),
                         reference(kMax, static_cast<std::uint8_t>(b), d.seconds_count()));
                QCOMPARE(time_period(kMin, id, d),
                         reference(kMin, static_cast<std::uint8_t>(b), d.seconds_count()));
                QVERIFY(time_period(kMax, id, d) >= time_period(kMax - 1, id, d));
            }
            QCOMPARE(period_end(kMax, id, Duration::seconds(kDay)), kMax);  // saturates
            QCOMPARE(period_start(kMin, id, Duration::seconds(kDay)), kMin);
            QVERIFY(period_start(0, id, huge) <= 0);
            QVERIFY(period_end(0, id, huge) <= p);
        }
    }
};

QTEST_APPLESS_MAIN(TestTimePeriod)
#include "tst_time_period.moc"
