// The HSDir store: every check of paper 4.3 with its own error and counter,
// expiry, revisions, withdrawals with tombstones, and bounded memory under a
// flood of valid uploads.
#include <QtTest>

#include <chrono>

#include "core/hs/descriptor_id.hpp"
#include "core/hs/hsdir_store.hpp"
#include "core/util/rng.hpp"

using namespace sotto;
using namespace sotto::hs;

namespace {

constexpr std::int64_t kNow = 1'700'000'000;
const TimePoint kT = TimePoint::from_seconds(kNow);

// Each fixture is a different client key and secret id part.
std::uint64_t next_seed() {
    static std::uint64_t seed = 31;
    return seed++;
}

struct Fixture {
    DeterministicRng rng{next_seed()};
    crypto::Ed25519SecretKey ck = crypto::Ed25519SecretKey::generate(rng);
    SecretIdPart s = SecretIdPart::from(rng.bytes(32));

    // A valid descriptor; the HSDir never opens the section, so a small
    // random one keeps floods cheap.
    HsDescriptor make(std::uint64_t revision = 1, std::int64_t published = kNow,
                      std::uint32_t lifetime = 3600, std::size_t section = 28) {
        HsDescriptor d;
        d.secret_id = s;
        d.published = published;
        d.lifetime_s = lifetime;
        d.revision = revision;
        d.encrypted_intro_points = rng.bytes(section);
        return sign_hs_descriptor(d, ck);
    }
    Bytes encoded(std::uint64_t revision = 1, std::int64_t published = kNow,
                  std::uint32_t lifetime = 3600, std::size_t section = 28) {
        return encode_hs_descriptor(make(revision, published, lifetime, section));
    }
    DescriptorId id() const { return descriptor_id(client_key_id(ck.public_key()), s); }
    HsWithdrawal withdrawal(std::uint64_t revision) {
        HsWithdrawal w;
        w.secret_id = s;
        w.revision = revision;
        return sign_hs_withdrawal(w, ck);
    }
};

Errc error_of(const Status& s) {
    if (s) qFatal("expected an error");
    return s.error().code;
}

bool same(const Bytes* stored, const Bytes& b) {
    return stored && *stored == b;
}

}  // namespace

class TestHsDirStore : public QObject {
    Q_OBJECT
  private slots:
    void stores_and_serves() {
        Fixture f;
        HsDirStore store;
        auto b = f.encoded();
        QVERIFY(store.store(f.id(), b, kT).has_value());
        QVERIFY(same(store.fetch(f.id(), kT), b));
        QCOMPARE(store.size(), std::size_t{1});
        QCOMPARE(store.bytes(), b.size());
        QCOMPARE(store.next_expiry(), kT + Duration::seconds(3600));
        QCOMPARE(store.counters().stored, std::uint64_t{1});
        QCOMPARE(store.counters().fetch_hits, std::uint64_t{1});
        DescriptorId other = f.id();
        other.bytes[0] ^= 1;
        QVERIFY(store.fetch(other, kT) == nullptr);
        QCOMPARE(store.counters().fetch_misses, std::uint64_t{1});
    }

    void each_rejection_has_its_own_error_and_counter() {
        Fixture f;
        HsDirStore store;
        const auto id = f.id();
        auto expect = [&](Status s, Errc code, std::uint64_t HsDirStore::Counters::*counter,
                          const char* message = nullptr) {
            QVERIFY(!s.has_value());
            QCOMPARE(s.error().code, code);
            if (message) QCOMPARE(QString::fromStdString(s.error().message), QString(message));
            QCOMPARE(store.counters().*counter, std::uint64_t{1});
        };

        // Forgery: signed by another key while naming f.ck.
        auto mallory = crypto::Ed25519SecretKey::generate(f.rng);
        auto forged = f.make();
        forged.signature = mallory.sign(hs_descriptor_signed_part(forged));
        expect(store.store(id, encode_hs_descriptor(forged), kT), Errc::BadSignature,
               &HsDirStore::Counters::bad_signature,
               "descriptor signature does not verify with its client key");

        // Oversize: over 20 KiB.
        expect(store.store(id, f.encoded(1, kNow, 3600, kMaxHsDescriptorLen), kT), Errc::TooLarge,
               &HsDirStore::Counters::too_large);

        // Unknown version.
        auto v2 = f.encoded();
        v2[0] = 2;
        expect(store.store(id, v2, kT), Errc::BadVersion, &HsDirStore::Counters::bad_version);

        // Malformed: cut short.
        auto cut = f.encoded();
        cut.resize(cut.size() - 1);
        expect(store.store(id, cut, kT), Errc::Truncated, &HsDirStore::Counters::malformed);

        // Claimed id mismatch: a valid descriptor uploaded under another id.
        DescriptorId elsewhere = id;
        elsewhere.bytes[5] ^= 0x40;
        expect(store.store(elsewhere, f.encoded(), kT), Errc::BadIdentity,
               &HsDirStore::Counters::wrong_id, "descriptor does not belong under the claimed id");

        // Expired: published + lifetime <= now.
        expect(store.store(id, f.encoded(1, kNow - 3600, 3600), kT), Errc::Expired,
               &HsDirStore::Counters::expired);

        // From the future: more than 5 minutes ahead.
        expect(store.store(id, f.encoded(1, kNow + 301), kT), Errc::NotYetValid,
               &HsDirStore::Counters::not_yet_valid);

        // Downgrade: rev 5 stored, rev 4 offered.
        auto rev5 = f.encoded(5);
        QVERIFY(store.store(id, rev5, kT).has_value());
        auto s = store.store(id, f.encoded(4), kT);
        expect(s, Errc::Protocol, &HsDirStore::Counters::downgrade);
        QVERIFY(s.error().message.starts_with("revision downgrade"));

        // Same revision, different bytes.
        auto conflict = store.store(id, f.encoded(5), kT);
        expect(conflict, Errc::Protocol, &HsDirStore::Counters::revision_conflict);
        QVERIFY(conflict.error().message != s.error().message);
        QVERIFY(same(store.fetch(id, kT), rev5));

        // Nothing else was counted, and only the one good upload is stored.
        const auto& c = store.counters();
        QCOMPARE(c.stored, std::uint64_t{1});
        QCOMPARE(c.idempotent + c.withdrawn_replay + c.full + c.evicted, std::uint64_t{0});
        QCOMPARE(store.size(), std::size_t{1});
    }

    void boundaries_of_time_checks() {
        Fixture f;
        HsDirStore store;
        // Exactly max_clock_skew ahead is accepted; expiry at now is not.
        QVERIFY(store.store(f.id(), f.encoded(1, kNow + 300), kT).has_value());
        Fixture g;
        QCOMPARE(error_of(store.store(g.id(), g.encoded(1, kNow - 60, 60), kT)), Errc::Expired);
        QVERIFY(store.store(g.id(), g.encoded(1, kNow - 59, 60), kT).has_value());
    }

    void idempotent_reupload_and_upgrade() {
        Fixture f;
        HsDirStore store;
        auto r1 = f.encoded(1);
        QVERIFY(store.store(f.id(), r1, kT).has_value());
        QVERIFY(store.store(f.id(), r1, kT + Duration::seconds(10)).has_value());
        QCOMPARE(store.counters().idempotent, std::uint64_t{1});
        auto r2 = f.encoded(2, kNow, 120, 100);
        QVERIFY(store.store(f.id(), r2, kT).has_value());
        QVERIFY(same(store.fetch(f.id(), kT), r2));
        QCOMPARE(store.size(), std::size_t{1});
        QCOMPARE(store.bytes(), r2.size());
        QCOMPARE(store.next_expiry(), kT + Duration::seconds(120));
    }

    void entries_vanish_at_expiry_without_expire() {
        Fixture f;
        HsDirStore store;
        auto b = f.encoded(1, kNow, 600);
        QVERIFY(store.store(f.id(), b, kT).has_value());
        const TimePoint end = kT + Duration::seconds(600);
        QVERIFY(same(store.fetch(f.id(), end - Duration::micros(1)), b));
        QVERIFY(store.fetch(f.id(), end) == nullptr);
        QCOMPARE(store.size(), std::size_t{1});  // still held until expire()
        QCOMPARE(store.next_expiry(), end);
        store.expire(end - Duration::micros(1));
        QCOMPARE(store.size(), std::size_t{1});
        store.expire(end);
        QCOMPARE(store.size(), std::size_t{0});
        QCOMPARE(store.bytes(), std::size_t{0});
        QCOMPARE(store.next_expiry(), TimePoint::never());
        QCOMPARE(store.counters().expired_dropped, std::uint64_t{1});
        // An expired entry does not block a lower revision afterwards.
        Fixture g;
        HsDirStore s2;
        QVERIFY(s2.store(g.id(), g.encoded(5, kNow, 60), kT).has_value());
        QVERIFY(
            s2.store(g.id(), g.encoded(4, kNow + 60, 60), kT + Duration::seconds(60)).has_value());
    }

    void withdrawal_removes_and_leaves_a_tombstone() {
        Fixture f;
        HsDirStore store;
        QVERIFY(store.store(f.id(), f.encoded(3), kT).has_value());
        // An older withdrawal than the stored revision is refused.
        QCOMPARE(error_of(store.withdraw(f.withdrawal(2), kT)), Errc::Protocol);
        QVERIFY(store.fetch(f.id(), kT) != nullptr);
        QCOMPARE(store.counters().withdrawal_refused, std::uint64_t{1});
        // A forged one too.
        auto forged = f.withdrawal(3);
        forged.sig.bytes[0] ^= 1;
        QCOMPARE(error_of(store.withdraw(forged, kT)), Errc::BadSignature);
        QVERIFY(store.fetch(f.id(), kT) != nullptr);

        QVERIFY(store.withdraw(f.withdrawal(3), kT).has_value());
        QVERIFY(store.fetch(f.id(), kT) == nullptr);
        QCOMPARE(store.size(), std::size_t{0});
        QCOMPARE(store.tombstones(), std::size_t{1});
        QCOMPARE(store.counters().withdrawals, std::uint64_t{1});

        // Replays of the withdrawn revision, or older ones, are refused...
        QCOMPARE(error_of(store.store(f.id(), f.encoded(3), kT)), Errc::Protocol);
        QCOMPARE(error_of(store.store(f.id(), f.encoded(1), kT)), Errc::Protocol);
        QCOMPARE(store.counters().withdrawn_replay, std::uint64_t{2});
        // ...a newer revision is a new publication.
        QVERIFY(store.store(f.id(), f.encoded(4), kT).has_value());

        // The tombstone lasts as long as any descriptor signed before the
        // withdrawal could be valid: skew + the longest lifetime.
        const TimePoint gone = kT + Duration::minutes(5) + Duration::hours(3);
        QCOMPARE(store.next_expiry(), kT + Duration::seconds(3600));
        store.expire(gone - Duration::micros(1));
        QCOMPARE(store.tombstones(), std::size_t{1});
        QCOMPARE(store.next_expiry(), gone);
        store.expire(gone);
        QCOMPARE(store.tombstones(), std::size_t{0});
        QVERIFY(store.store(f.id(), f.encoded(2, gone.unix_seconds()), gone).has_value());
    }

    void withdrawal_of_an_unknown_id_is_remembered() {
        Fixture f;
        HsDirStore store;
        auto w = store.withdraw(f.withdrawal(7), kT);
        QCOMPARE(error_of(w), Errc::NotFound);
        QCOMPARE(store.tombstones(), std::size_t{1});
        QCOMPARE(error_of(store.store(f.id(), f.encoded(7), kT)), Errc::Protocol);
        QVERIFY(store.store(f.id(), f.encoded(8), kT).has_value());
        // Tombstones merge: the highest revision and latest end win.
        QCOMPARE(error_of(store.withdraw(f.withdrawal(5), kT)), Errc::Protocol);
        QVERIFY(store.withdraw(f.withdrawal(8), kT + Duration::seconds(10)).has_value());
        QCOMPARE(store.tombstones(), std::size_t{1});
        QCOMPARE(error_of(store.store(f.id(), f.encoded(8), kT)), Errc::Protocol);
    }

    void tombstones_are_bounded() {
        HsDirConfig config;
        config.max_tombstones = 10;
        HsDirStore store(config);
        for (int i = 0; i < 25; ++i) {
            Fixture f;
            f.s = SecretIdPart::from(f.rng.bytes(32));
            (void)store.withdraw(f.withdrawal(1), kT + Duration::seconds(i));
            QVERIFY(store.tombstones() <= 10);
        }
        QCOMPARE(store.tombstones(), std::size_t{10});
    }

    void full_store_evicts_only_shorter_lived_entries() {
        HsDirConfig config;
        config.max_entries = 3;
        HsDirStore store(config);
        Fixture f;
        std::vector<DescriptorId> ids;
        auto put = [&](std::uint32_t lifetime, TimePoint now = kT) {
            f.s = SecretIdPart::from(f.rng.bytes(32));
            ids.push_back(f.id());
            return store.store(f.id(), f.encoded(1, now.unix_seconds(), lifetime), now);
        };
        QVERIFY(put(600));
        QVERIFY(put(1200));
        QVERIFY(put(1800));
        // Not longer-lived than the soonest-expiring entry: refused.
        QCOMPARE(error_of(put(600)), Errc::Limit);
        QCOMPARE(error_of(put(300)), Errc::Limit);
        QCOMPARE(store.counters().full, std::uint64_t{2});
        // Longer-lived: evicts the 600 s one.
        QVERIFY(put(900));
        QCOMPARE(store.counters().evicted, std::uint64_t{1});
        QCOMPARE(store.size(), std::size_t{3});
        QVERIFY(store.fetch(ids[0], kT) == nullptr);
        QVERIFY(store.fetch(ids[1], kT) != nullptr);
        // A higher revision of a stored id needs no room, even when it
        // expires sooner than everything else.
        HsDirStore small(config);
        Fixture g, h1, h2;
        QVERIFY(small.store(g.id(), g.encoded(1, kNow, 600), kT));
        QVERIFY(small.store(h1.id(), h1.encoded(1, kNow, 7200), kT));
        QVERIFY(small.store(h2.id(), h2.encoded(1, kNow, 7200), kT));
        QVERIFY(small.store(g.id(), g.encoded(2, kNow, 60), kT));
        QCOMPARE(small.size(), std::size_t{3});
        QCOMPARE(small.counters().evicted, std::uint64_t{0});
        QCOMPARE(small.next_expiry(), kT + Duration::seconds(60));
        // Expired entries are dropped before anything is evicted or refused.
        QVERIFY(put(60, kT + Duration::seconds(901)));
        QCOMPARE(store.counters().evicted, std::uint64_t{1});
        QVERIFY(store.counters().expired_dropped >= 1);
    }

    void byte_limit_is_enforced() {
        HsDirConfig config;
        config.max_bytes = 2000;
        HsDirStore store(config);
        Fixture f;
        std::uint32_t lifetime = 60;
        for (int i = 0; i < 200; ++i) {
            f.s = SecretIdPart::from(f.rng.bytes(32));
            (void)store.store(f.id(), f.encoded(1, kNow, lifetime, 28 + (i % 5) * 50), kT);
            lifetime = std::min<std::uint32_t>(lifetime + 30, kMaxHsDescriptorLifetime);
            QVERIFY(store.bytes() <= config.max_bytes);
        }
        QVERIFY(store.counters().evicted > 0);
        // A descriptor larger than the whole budget is refused outright.
        f.s = SecretIdPart::from(f.rng.bytes(32));
        QCOMPARE(error_of(store.store(f.id(), f.encoded(1, kNow, 10800, 2000), kT)), Errc::Limit);
    }

    void flood_of_valid_descriptors_stays_bounded() {
        // 100k valid, small descriptors with random lifetimes into a store of
        // 1000 entries: memory stays bounded, and what survives is what lives
        // longest (every descriptor not kept expires no later than every
        // descriptor kept).
        constexpr int kUploads = 100'000;
        HsDirConfig config;
        config.max_entries = 1000;
        config.max_bytes = 1000 * 200;
        HsDirStore store(config);
        Fixture f;
        // A long-lived legitimate descriptor stored before the flood.
        Fixture legit;
        QVERIFY(store.store(legit.id(), legit.encoded(1, kNow, kMaxHsDescriptorLifetime), kT));
        std::vector<std::pair<DescriptorId, TimePoint>> all;
        all.reserve(kUploads);
        const auto started = std::chrono::steady_clock::now();
        for (int i = 0; i < kUploads; ++i) {
            f.s = SecretIdPart::from(f.rng.bytes(32));
            const auto lifetime =
                static_cast<std::uint32_t>(120 + f.rng.uniform(kMaxHsDescriptorLifetime - 120));
            const auto now = kT + Duration::millis(i);  // all still valid at the end
            (void)store.store(f.id(), f.encoded(1, kNow, lifetime), now);
            all.push_back({f.id(), TimePoint::from_seconds(kNow + lifetime)});
            if (store.size() > config.max_entries || store.bytes() > config.max_bytes)
                QFAIL("store grew past its bounds");
        }
        qInfo("flood of %d uploads: %lld ms", kUploads,
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - started)
                                         .count()));
        const TimePoint end = kT + Duration::millis(kUploads);
        QCOMPARE(store.size(), config.max_entries);
        QVERIFY(store.fetch(legit.id(), end) != nullptr);
        TimePoint min_kept = TimePoint::never(), max_dropped{};
        for (const auto& [id, expires] : all) {
            if (store.fetch(id, end))
                min_kept = earliest(min_kept, expires);
            else
                max_dropped = std::max(max_dropped, expires);
        }
        QVERIFY(max_dropped <= min_kept);
        const auto& c = store.counters();
        QCOMPARE(c.stored, c.evicted + store.size());
        QCOMPARE(c.stored + c.full, std::uint64_t{kUploads + 1});
    }
};

QTEST_APPLESS_MAIN(TestHsDirStore)
#include "tst_hsdir_store.moc"
