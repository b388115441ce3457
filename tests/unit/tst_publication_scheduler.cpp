// Delayed descriptor publication (paper 4.5): spacing per HSDir, jitter
// bounds, disabled mode, memory across batches, determinism.
#include <QtTest>

#include <map>
#include <set>

#include "core/hs/publication_scheduler.hpp"
#include "core/util/rng.hpp"

using namespace sotto;
using namespace sotto::hs;

namespace {

const TimePoint kT = TimePoint::from_seconds(1'700'000'000);
constexpr Duration kSpacing = Duration::seconds(30);
constexpr Duration kJitter = Duration::seconds(30);

crypto::Ed25519PublicKey dir_key(std::uint8_t i) {
    crypto::Ed25519PublicKey k;
    k.bytes.fill(i);
    return k;
}

DescriptorId desc_id(std::uint64_t i) {
    DescriptorId id;
    for (int b = 0; b < 8; ++b) id.bytes[b] = static_cast<std::uint8_t>(i >> (8 * b));
    return id;
}

// Upload i goes to HSDirs first..first+count-1.
PendingUpload upload(std::uint64_t token, std::uint8_t first, std::uint8_t count = 6) {
    PendingUpload u;
    u.id = desc_id(token);
    u.token = token;
    for (std::uint8_t k = 0; k < count; ++k) u.hsdirs.push_back(dir_key(first + k));
    return u;
}

std::map<crypto::Ed25519PublicKey, std::vector<ScheduledUpload>> by_dir(
    const std::vector<ScheduledUpload>& s) {
    std::map<crypto::Ed25519PublicKey, std::vector<ScheduledUpload>> m;
    for (const auto& x : s) m[x.hsdir].push_back(x);
    return m;
}

}  // namespace

class TestPublicationScheduler : public QObject {
    Q_OBJECT
  private slots:
    void defaults_follow_the_design() {
        PublicationConfig c;
        QCOMPARE(c.same_dir_spacing, Duration::seconds(30));
        QCOMPARE(c.max_jitter, Duration::seconds(30));
        QVERIFY(c.enabled);
    }

    void same_hsdir_uploads_are_spaced() {
        // 20 contacts' descriptors all bound for the same six HSDirs.
        DeterministicRng rng(1);
        std::vector<PendingUpload> batch;
        for (std::uint64_t i = 0; i < 20; ++i) batch.push_back(upload(i, 0));
        auto s = schedule(batch, {}, kT, rng);
        QCOMPARE(s.size(), std::size_t{120});
        for (const auto& [dir, list] : by_dir(s)) {
            QCOMPARE(list.size(), std::size_t{20});
            QVERIFY(list[0].send_at >= kT && list[0].send_at <= kT + kJitter);
            for (std::size_t k = 1; k < list.size(); ++k) {
                // In the order given; at least the spacing apart, at most
                // spacing + jitter (the jitter is added after the spacing).
                QCOMPARE(list[k].token, list[k - 1].token + 1);
                const Duration gap = list[k].send_at - list[k - 1].send_at;
                QVERIFY2(gap >= kSpacing && gap <= kSpacing + kJitter,
                         qPrintable(QString::number(gap.us)));
            }
        }
    }

    void jitter_is_bounded_uniform_and_independent() {
        // Every upload to a different HSDir: only jitter applies.
        DeterministicRng rng(2);
        std::vector<PendingUpload> batch;
        for (std::uint64_t i = 0; i < 40; ++i)
            batch.push_back(upload(i, static_cast<std::uint8_t>(i * 6)));
        auto s = schedule(batch, {}, kT, rng);
        QCOMPARE(s.size(), std::size_t{240});
        Duration min = kJitter, max{}, sum{};
        for (const auto& x : s) {
            const Duration d = x.send_at - kT;
            QVERIFY(d >= Duration{} && d <= kJitter);
            min = std::min(min, d);
            max = std::max(max, d);
            sum = sum + d;
        }
        const double mean_s = double(sum.us) / double(s.size()) / 1e6;
        qInfo("jitter over %zu uploads: min %.1f s, mean %.1f s, max %.1f s", s.size(),
              double(min.us) / 1e6, mean_s, double(max.us) / 1e6);
        QVERIFY(min < Duration::seconds(2));
        QVERIFY(max > Duration::seconds(28));
        QVERIFY(mean_s > 12 && mean_s < 18);
        // The six HSDirs of one descriptor get different delays.
        std::set<std::int64_t> first_upload;
        for (std::size_t k = 0; k < 6; ++k) first_upload.insert(s[k].send_at.us);
        QCOMPARE(first_upload.size(), std::size_t{6});
    }

    void zero_jitter_gives_exact_spacing() {
        DeterministicRng rng(3);
        PublicationConfig c;
        c.max_jitter = Duration{};
        auto s = schedule({upload(1, 0, 2), upload(2, 1, 2), upload(3, 0, 1)}, c, kT, rng);
        QCOMPARE(s.size(), std::size_t{5});
        QCOMPARE(s[0].send_at, kT);             // 1 → dir 0
        QCOMPARE(s[1].send_at, kT);             // 1 → dir 1
        QCOMPARE(s[2].send_at, kT + kSpacing);  // 2 → dir 1
        QCOMPARE(s[3].send_at, kT);             // 2 → dir 2
        QCOMPARE(s[4].send_at, kT + kSpacing);  // 3 → dir 0
        QCOMPARE(s[4].token, std::uint64_t{3});
        QCOMPARE(s[4].id, desc_id(3));
        QCOMPARE(s[4].hsdir, dir_key(0));
    }

    void disabled_sends_everything_now() {
        DeterministicRng rng(4);
        PublicationConfig c;
        c.enabled = false;
        std::vector<PendingUpload> batch;
        for (std::uint64_t i = 0; i < 10; ++i) batch.push_back(upload(i, 0));
        auto s = schedule(batch, c, kT, rng);
        QCOMPARE(s.size(), std::size_t{60});
        for (const auto& x : s) QCOMPARE(x.send_at, kT);
        PublicationScheduler sched(c, rng);
        for (const auto& u : batch) sched.add(u, kT);
        QCOMPARE(sched.next_deadline(), kT);
        QCOMPARE(sched.due(kT).size(), std::size_t{60});
    }

    void duplicate_hsdirs_are_sent_once() {
        DeterministicRng rng(5);
        PendingUpload u = upload(1, 0, 3);
        u.hsdirs.push_back(dir_key(1));  // replica 1 shares a relay with replica 0
        u.hsdirs.push_back(dir_key(7));
        auto s = schedule({u}, {}, kT, rng);
        QCOMPARE(s.size(), std::size_t{4});
    }

    void deterministic_given_the_rng() {
        std::vector<PendingUpload> batch;
        for (std::uint64_t i = 0; i < 15; ++i)
            batch.push_back(upload(i, static_cast<std::uint8_t>(i % 4)));
        DeterministicRng a(6), b(6), c(7);
        auto sa = schedule(batch, {}, kT, a);
        QCOMPARE(schedule(batch, {}, kT, b), sa);
        QVERIFY(schedule(batch, {}, kT, c) != sa);
        // The stateful scheduler makes the same choices for one batch.
        DeterministicRng d(6);
        PublicationScheduler sched({}, d);
        for (const auto& u : batch) sched.add(u, kT);
        auto due = sched.due(TimePoint::never() - Duration::seconds(1));
        auto sorted = sa;
        std::stable_sort(sorted.begin(), sorted.end(),
                         [](const auto& x, const auto& y) { return x.send_at < y.send_at; });
        QCOMPARE(due, sorted);
    }

    void stateful_scheduler_remembers_hsdirs_across_batches() {
        DeterministicRng rng(8);
        PublicationScheduler sched({}, rng);
        QCOMPARE(sched.next_deadline(), TimePoint::never());
        sched.add(upload(1, 0, 3), kT);
        QCOMPARE(sched.pending(), std::size_t{3});
        const TimePoint first = sched.next_deadline();
        QVERIFY(first >= kT && first <= kT + kJitter);
        // A second batch a second later, to the same dirs: spaced after the first.
        sched.add(upload(2, 0, 3), kT + Duration::seconds(1));
        // And one to other dirs: only jitter.
        sched.add(upload(3, 10, 3), kT + Duration::seconds(1));
        std::vector<ScheduledUpload> sent;
        TimePoint now = kT;
        while (sched.next_deadline() != TimePoint::never()) {
            now = sched.next_deadline();
            auto d = sched.due(now);
            QVERIFY(!d.empty());
            for (const auto& x : d) QVERIFY(x.send_at <= now);
            sent.insert(sent.end(), d.begin(), d.end());
        }
        QCOMPARE(sent.size(), std::size_t{9});
        for (std::size_t k = 1; k < sent.size(); ++k)
            QVERIFY(sent[k - 1].send_at <= sent[k].send_at);
        for (const auto& [dir, list] : by_dir(sent)) {
            for (std::size_t k = 1; k < list.size(); ++k)
                QVERIFY(list[k].send_at - list[k - 1].send_at >= kSpacing);
            if (dir.bytes[0] >= 10) {
                QCOMPARE(list.size(), std::size_t{1});
                QVERIFY(list[0].send_at <= kT + Duration::seconds(1) + kJitter);
            }
        }
        // Long after, nothing constrains a new upload any more.
        const TimePoint later = now + Duration::minutes(10);
        sched.add(upload(4, 0, 3), later);
        QVERIFY(sched.next_deadline() >= later);
        QVERIFY(sched.next_deadline() <= later + kJitter);
        for (const auto& x : sched.due(TimePoint::never())) QVERIFY(x.send_at <= later + kJitter);
    }

    void cancel_drops_a_job() {
        DeterministicRng rng(9);
        PublicationScheduler sched({}, rng);
        sched.add(upload(1, 0), kT);
        sched.add(upload(2, 0), kT);
        QCOMPARE(sched.pending(), std::size_t{12});
        QCOMPARE(sched.cancel(1), std::size_t{6});
        QCOMPARE(sched.cancel(1), std::size_t{0});
        auto all = sched.due(kT + Duration::minutes(5));
        QCOMPARE(all.size(), std::size_t{6});
        for (const auto& x : all) {
            QCOMPARE(x.token, std::uint64_t{2});
            // Its spacing slot behind the cancelled upload is kept.
            QVERIFY(x.send_at >= kT + kSpacing);
        }
    }
};

QTEST_APPLESS_MAIN(TestPublicationScheduler)
#include "tst_publication_scheduler.moc"
