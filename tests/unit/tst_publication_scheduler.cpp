// Delayed descriptor publication (paper 4.5): spacing per HSDir adapting to
// the load (every slot within the spread window), shuffled slot order, jitter
// bounds, disabled mode, memory across batches, determinism.
#include <QtTest>

#include <map>
#include <set>

#include "core/crypto/random.hpp"
#include "core/hs/publication_scheduler.hpp"
#include "core/util/rng.hpp"

using namespace sotto;
using namespace sotto::hs;

namespace {

const TimePoint kT = TimePoint::from_seconds(1'700'000'000);
constexpr Duration kSpacing = Duration::seconds(30);
constexpr Duration kJitter = Duration::seconds(30);
constexpr Duration kWindow = Duration::minutes(8);

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

// Per HSDir, in the order of their send times.
std::map<crypto::Ed25519PublicKey, std::vector<ScheduledUpload>> by_dir(
    const std::vector<ScheduledUpload>& s) {
    std::map<crypto::Ed25519PublicKey, std::vector<ScheduledUpload>> m;
    for (const auto& x : s) m[x.hsdir].push_back(x);
    for (auto& [dir, list] : m)
        std::stable_sort(list.begin(), list.end(),
                         [](const auto& a, const auto& b) { return a.send_at < b.send_at; });
    return m;
}

// Drains a stateful scheduler, checking that due() hands out nothing early.
std::vector<ScheduledUpload> drain(PublicationScheduler& sched) {
    std::vector<ScheduledUpload> sent;
    while (sched.next_deadline() != TimePoint::never()) {
        const TimePoint now = sched.next_deadline();
        auto d = sched.due(now);
        if (d.empty()) qFatal("due() returned nothing at next_deadline()");
        for (const auto& x : d)
            if (x.send_at > now) qFatal("due() handed out an upload early");
        sent.insert(sent.end(), d.begin(), d.end());
    }
    return sent;
}

PublicationConfig no_jitter() {
    PublicationConfig c;
    c.max_jitter = Duration{};
    return c;
}

}  // namespace

class TestPublicationScheduler : public QObject {
    Q_OBJECT
  private slots:
    void defaults_follow_the_design() {
        PublicationConfig c;
        QCOMPARE(c.same_dir_spacing, Duration::seconds(30));
        QCOMPARE(c.max_jitter, Duration::seconds(30));
        QCOMPARE(c.spread_window, Duration::minutes(8));
        QVERIFY(c.enabled);
    }

    void spacing_adapts_to_the_queue() {
        PublicationConfig c;
        // Light load: the design's 30 s, up to window / spacing = 16 uploads.
        for (std::size_t q : {0, 1, 2, 10, 16}) QCOMPARE(effective_spacing(c, q), kSpacing);
        QCOMPARE(effective_spacing(c, 17), kWindow / 17);
        QCOMPARE(effective_spacing(c, 160), Duration::seconds(3));
        QCOMPARE(effective_spacing(c, 1000), Duration::millis(480));
        // No window: the fixed spacing of old.
        c.spread_window = Duration{};
        QCOMPARE(effective_spacing(c, 1000), kSpacing);
    }

    void light_load_keeps_the_30s_spacing() {
        // 10 contacts' descriptors all bound for the same six HSDirs: slots
        // 30 s apart, each upload within its slot's jitter.
        DeterministicRng rng(1);
        std::vector<PendingUpload> batch;
        for (std::uint64_t i = 0; i < 10; ++i) batch.push_back(upload(i, 0));
        auto s = schedule(batch, {}, kT, rng);
        QCOMPARE(s.size(), std::size_t{60});
        for (const auto& [dir, list] : by_dir(s)) {
            QCOMPARE(list.size(), std::size_t{10});
            for (std::size_t k = 0; k < list.size(); ++k) {
                const Duration d = list[k].send_at - kT;
                QVERIFY2(d >= kSpacing * static_cast<std::int64_t>(k) &&
                             d <= kSpacing * static_cast<std::int64_t>(k) + kJitter,
                         qPrintable(QString::number(d.us)));
            }
        }
        // Without jitter the gaps are exactly the spacing.
        DeterministicRng rng2(1);
        for (const auto& [dir, list] : by_dir(schedule(batch, no_jitter(), kT, rng2)))
            for (std::size_t k = 1; k < list.size(); ++k)
                QCOMPARE(list[k].send_at - list[k - 1].send_at, kSpacing);
    }

    void thousand_uploads_for_one_hsdir_fit_the_window() {
        // 1,000 contacts whose descriptors all go to one HSDir. A fixed 30 s
        // spacing would take 8 h 20 min; the adapted spacing is 480 ms.
        std::vector<PendingUpload> batch;
        for (std::uint64_t i = 0; i < 1000; ++i) batch.push_back(upload(i, 0, 1));
        for (bool jitter : {false, true}) {
            const PublicationConfig c = jitter ? PublicationConfig{} : no_jitter();
            DeterministicRng rng(2);
            PublicationScheduler sched(c, rng);
            sched.add(batch, kT);
            QCOMPARE(sched.pending_for(dir_key(0)), std::size_t{1000});
            auto sent = drain(sched);
            QCOMPARE(sent.size(), std::size_t{1000});
            QCOMPARE(sched.pending_for(dir_key(0)), std::size_t{0});
            std::set<std::uint64_t> tokens;
            for (const auto& x : sent) {
                tokens.insert(x.token);
                QVERIFY(x.send_at >= kT);
                // Every slot lies within the window; the jitter comes on top.
                QVERIFY2(x.send_at <= kT + kWindow + (jitter ? kJitter : Duration{}),
                         qPrintable(QString::number((x.send_at - kT).us)));
            }
            QCOMPARE(tokens.size(), std::size_t{1000});
            const Duration last = sent.back().send_at - kT;
            qInfo("1000 uploads to one HSDir, jitter %s: last leaves after %.1f s",
                  jitter ? "on" : "off", double(last.us) / 1e6);
            if (!jitter) {
                QCOMPARE(sent.front().send_at, kT);
                for (std::size_t k = 1; k < sent.size(); ++k)
                    QCOMPARE(sent[k].send_at - sent[k - 1].send_at, Duration::millis(480));
            }
        }
    }

    void slot_order_is_shuffled() {
        // The order an HSDir receives a batch in says nothing about the order
        // the service handed it over in.
        std::vector<PendingUpload> batch;
        for (std::uint64_t i = 0; i < 40; ++i) batch.push_back(upload(i, 0, 2));
        auto order = [&](std::uint64_t seed, std::uint8_t dir) {
            DeterministicRng rng(seed);
            std::vector<std::uint64_t> tokens;
            const auto dirs = by_dir(schedule(batch, no_jitter(), kT, rng));
            for (const auto& x : dirs.at(dir_key(dir))) tokens.push_back(x.token);
            return tokens;
        };
        const auto a = order(3, 0);
        QCOMPARE(a.size(), std::size_t{40});
        std::vector<std::uint64_t> sorted = a;
        std::sort(sorted.begin(), sorted.end());
        for (std::uint64_t i = 0; i < 40; ++i) QCOMPARE(sorted[i], i);  // a permutation
        // Far from the input order: count uploads that kept their place.
        std::size_t in_place = 0;
        for (std::uint64_t i = 0; i < 40; ++i) in_place += a[i] == i;
        QVERIFY2(in_place < 6, qPrintable(QString::number(in_place)));
        // Each HSDir gets its own order; the same seed gives the same one.
        QVERIFY(order(3, 1) != a);
        QCOMPARE(order(3, 0), a);
        QVERIFY(order(4, 0) != a);
        // The output itself stays in input order (upload by upload).
        DeterministicRng rng(3);
        auto s = schedule(batch, no_jitter(), kT, rng);
        for (std::size_t k = 0; k < s.size(); ++k) QCOMPARE(s[k].token, std::uint64_t(k / 2));
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
        auto s =
            schedule({upload(1, 0, 2), upload(2, 1, 2), upload(3, 0, 1)}, no_jitter(), kT, rng);
        QCOMPARE(s.size(), std::size_t{5});
        // In input order: 1 → dirs 0, 1; 2 → dirs 1, 2; 3 → dir 0.
        QCOMPARE(s[4].token, std::uint64_t{3});
        QCOMPARE(s[4].id, desc_id(3));
        QCOMPARE(s[4].hsdir, dir_key(0));
        QCOMPARE(s[3].send_at, kT);  // 2 → dir 2, alone there
        // Dirs 0 and 1 each take two uploads, one slot at kT and one 30 s on.
        for (auto [a, b] : {std::pair{0, 4}, std::pair{1, 2}}) {
            const auto lo = std::min(s[a].send_at, s[b].send_at);
            const auto hi = std::max(s[a].send_at, s[b].send_at);
            QCOMPARE(lo, kT);
            QCOMPARE(hi, kT + kSpacing);
        }
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
        QCOMPARE(sched.pending_for(dir_key(0)), std::size_t{10});
        QCOMPARE(sched.due(kT).size(), std::size_t{60});
        QCOMPARE(sched.pending_for(dir_key(0)), std::size_t{0});
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
        sched.add(batch, kT);
        auto due = drain(sched);
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
        // A second batch a second later, to the same dirs: its slots follow
        // the first's (at kT) by the spacing.
        sched.add(upload(2, 0, 3), kT + Duration::seconds(1));
        // And one to other dirs: only jitter.
        sched.add(upload(3, 10, 3), kT + Duration::seconds(1));
        auto sent = drain(sched);
        QCOMPARE(sent.size(), std::size_t{9});
        for (std::size_t k = 1; k < sent.size(); ++k)
            QVERIFY(sent[k - 1].send_at <= sent[k].send_at);
        for (const auto& x : sent) {
            if (x.token == 1) QVERIFY(x.send_at <= kT + kJitter);
            if (x.token == 2)
                QVERIFY(x.send_at >= kT + kSpacing && x.send_at <= kT + kSpacing + kJitter);
            if (x.token == 3) {
                QVERIFY(x.hsdir.bytes[0] >= 10);
                QVERIFY(x.send_at >= kT + Duration::seconds(1));
                QVERIFY(x.send_at <= kT + Duration::seconds(1) + kJitter);
            }
        }
        // Long after, nothing constrains a new upload any more.
        const TimePoint later = kT + Duration::minutes(10);
        sched.add(upload(4, 0, 3), later);
        QVERIFY(sched.next_deadline() >= later);
        QVERIFY(sched.next_deadline() <= later + kJitter);
        for (const auto& x : drain(sched)) QVERIFY(x.send_at <= later + kJitter);
    }

    void pending_uploads_count_towards_the_spacing() {
        // 100 uploads for one HSDir (spacing 4.8 s), then, a minute later
        // with all of them still pending, 100 more: these share the window
        // with the 100 pending (spacing 2.4 s) and follow their last slot.
        DeterministicRng rng(10);
        PublicationScheduler sched(no_jitter(), rng);
        std::vector<PendingUpload> a, b;
        for (std::uint64_t i = 0; i < 100; ++i) {
            a.push_back(upload(i, 0, 1));
            b.push_back(upload(100 + i, 0, 1));
        }
        sched.add(a, kT);
        const TimePoint t1 = kT + Duration::seconds(2);
        QCOMPARE(sched.due(kT).size(), std::size_t{1});  // the slot at kT
        QCOMPARE(sched.pending_for(dir_key(0)), std::size_t{99});
        sched.add(b, t1);
        QCOMPARE(sched.pending_for(dir_key(0)), std::size_t{199});
        auto sent = drain(sched);
        QCOMPARE(sent.size(), std::size_t{199});
        const Duration first_gap = effective_spacing(no_jitter(), 100);
        const Duration second_gap = effective_spacing(no_jitter(), 199);
        QCOMPARE(first_gap, Duration::millis(4800));
        for (std::size_t k = 1; k < sent.size(); ++k) {
            const Duration gap = sent[k].send_at - sent[k - 1].send_at;
            // The first batch keeps its slots; the second comes after them.
            QCOMPARE(gap, k < 99 ? first_gap : second_gap);
            QCOMPARE(sent[k].token >= 100, k >= 99);
        }
        // The last slot: 99 × 4.8 s + 100 × 2.4 s after kT = 12 min 15 s.
        // Uploads pending from an earlier batch keep their slots, so the
        // second batch is not all within the window of its own arrival (the
        // bound documented in publication_scheduler.hpp).
        QCOMPARE(sent.back().send_at, kT + first_gap * 99 + second_gap * 100);
        // cancel() gives pending counts back.
        sched.add(a, t1);
        QCOMPARE(sched.pending_for(dir_key(0)), std::size_t{100});
        QCOMPARE(sched.cancel(5), std::size_t{1});
        QCOMPARE(sched.pending_for(dir_key(0)), std::size_t{99});
    }

    void cancel_drops_a_job() {
        DeterministicRng rng(9);
        PublicationScheduler sched({}, rng);
        sched.add(upload(1, 0), kT);
        sched.add(upload(2, 0), kT);
        QCOMPARE(sched.pending(), std::size_t{12});
        QCOMPARE(sched.cancel(1), std::size_t{6});
        QCOMPARE(sched.cancel(1), std::size_t{0});
        auto all = drain(sched);
        QCOMPARE(all.size(), std::size_t{6});
        for (const auto& x : all) {
            QCOMPARE(x.token, std::uint64_t{2});
            // Its slot behind the cancelled upload's is kept.
            QVERIFY(x.send_at >= kT + kSpacing);
        }
    }

    // Issue 9, finding 7: after a suspend or a stall, uploads whose slots all
    // passed must not leave in one tick (they would reach the HSDirs
    // together, with one `published` second and adjacent revisions, and link
    // the contacts). They are spread again from the moment the scheduler
    // sees them, by the same rules as a new batch.
    void overdue_uploads_are_spread_again_not_burst() {
        DeterministicRng rng(11);
        PublicationScheduler sched({}, rng);
        // 20 contacts, each descriptor to the same six HSDirs.
        std::vector<PendingUpload> batch;
        for (std::uint64_t i = 0; i < 20; ++i) batch.push_back(upload(i, 0));
        sched.add(batch, kT);
        QCOMPARE(sched.pending(), std::size_t{120});
        // The machine sleeps through every slot.
        const TimePoint resume = kT + Duration::hours(1);
        QVERIFY(sched.next_deadline() < resume - Duration::minutes(50));
        auto first = sched.due(resume);
        QVERIFY2(first.size() <= 1, qPrintable(QString::number(first.size())));
        std::vector<std::pair<TimePoint, ScheduledUpload>> sent;
        for (auto& x : first) sent.push_back({resume, x});
        // From here the timer fires on time.
        std::size_t max_per_tick = first.size();
        while (sched.next_deadline() != TimePoint::never()) {
            const TimePoint now = sched.next_deadline();
            QVERIFY(now >= resume);
            auto d = sched.due(now);
            max_per_tick = std::max(max_per_tick, d.size());
            for (auto& x : d) sent.push_back({now, x});
        }
        QCOMPARE(sent.size(), std::size_t{120});
        QCOMPARE(max_per_tick, std::size_t{1});
        // Per HSDir, from the resume on: the k-th upload leaves in
        // [k × spacing, k × spacing + max_jitter], the spacing being that of
        // 20 uploads queued for it, so all within the window.
        const Duration spacing = effective_spacing({}, 20);
        std::map<crypto::Ed25519PublicKey, std::vector<TimePoint>> times;
        for (auto& [at, x] : sent) {
            QCOMPARE(x.send_at, at);  // handed out on time, not late
            times[x.hsdir].push_back(at);
        }
        QCOMPARE(times.size(), std::size_t{6});
        for (auto& [dir, list] : times) {
            QCOMPARE(list.size(), std::size_t{20});
            std::sort(list.begin(), list.end());
            for (std::size_t k = 0; k < list.size(); ++k) {
                const Duration d = list[k] - resume;
                QVERIFY2(d >= spacing * static_cast<std::int64_t>(k) &&
                             d <= spacing * static_cast<std::int64_t>(k) + kJitter,
                         qPrintable(QString::number(d.us)));
            }
            QVERIFY(list.back() - resume <= kWindow + kJitter);
        }
        // No two uploads anywhere leave at the same instant.
        std::set<TimePoint> instants;
        for (auto& [at, x] : sent) instants.insert(at);
        QCOMPARE(instants.size(), sent.size());
    }

    void a_little_late_is_not_overdue() {
        // A timer that fires a few milliseconds late (an event loop) hands
        // the upload out at once; only more than `overdue_after` late counts
        // as overdue.
        DeterministicRng rng(12);
        PublicationScheduler sched(no_jitter(), rng);
        sched.add(upload(1, 0, 1), kT);
        sched.add(upload(2, 5, 1), kT);
        QCOMPARE(sched.due(kT + Duration::millis(20)).size(), std::size_t{2});
        sched.add(upload(3, 9, 1), kT + Duration::minutes(1));
        auto late = sched.due(kT + Duration::minutes(1) + PublicationConfig{}.overdue_after +
                              Duration::millis(1));
        QCOMPARE(late.size(), std::size_t{0});  // spread again: it leaves at a new slot
        QCOMPARE(sched.pending(), std::size_t{1});
        QCOMPARE(drain(sched).size(), std::size_t{1});
        // Disabled delays send everything whenever asked.
        PublicationConfig off;
        off.enabled = false;
        PublicationScheduler now_sched(off, rng);
        now_sched.add(upload(4, 0), kT);
        QCOMPARE(now_sched.due(kT + Duration::hours(1)).size(), std::size_t{6});
    }

    // Descriptors made at one instant (publication delays off, or several
    // uploads due at once) get revisions that grow per contact but are
    // unrelated across contacts: not a run of consecutive numbers.
    void revisions_are_unrelated_across_contacts() {
        DeterministicRng rng(13);
        std::vector<std::uint64_t> last(20, 0), made;
        for (int round = 0; round < 3; ++round)
            for (std::size_t c = 0; c < last.size(); ++c) {
                const auto r = next_revision(last[c], kT, rng);
                QVERIFY(r > last[c]);  // grows per contact, even at one instant
                QVERIFY(r >= static_cast<std::uint64_t>(kT.us));
                QVERIFY(r < static_cast<std::uint64_t>((kT + kRevisionJitter).us) + 3);
                last[c] = r;
                if (round == 0) made.push_back(r);
            }
        std::sort(made.begin(), made.end());
        std::size_t adjacent = 0;
        for (std::size_t k = 1; k < made.size(); ++k) adjacent += made[k] - made[k - 1] <= 1;
        QCOMPARE(adjacent, std::size_t{0});
        QVERIFY(made.back() - made.front() >= static_cast<std::uint64_t>(kRevisionJitter.us / 2));
        // Later in time, later revisions (they also survive a restart).
        QVERIFY(next_revision(0, kT + kRevisionJitter, rng) > made.back());
    }
};

QTEST_APPLESS_MAIN(TestPublicationScheduler)
#include "tst_publication_scheduler.moc"
