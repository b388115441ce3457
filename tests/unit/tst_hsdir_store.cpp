// The HSDir store: every check of paper 4.3 with its own error and counter,
// expiry, revisions, withdrawals with tombstones, and bounded memory under a
// flood of valid uploads.
#include <QtTest>

#include <chrono>

#include "core/crypto/random.hpp"
#include "core/hs/descriptor_id.hpp"
#include "core/hs/hsdir_store.hpp"
#include "core/util/rng.hpp"

using namespace sotto;
using namespace sotto::hs;

namespace {

constexpr std::int64_t kNow = 1'700'000'000;
const TimePoint kT = TimePoint::from_seconds(kNow);
// The section size that makes a descriptor the largest an HSDir takes
// (20 KiB): the other fields are 151 bytes.
constexpr std::size_t kBigSection = kMaxHsDescriptorLen - 151;

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

    // Issue 9, finding 2: ~3,300 self-signed 20 KiB descriptors with 3-hour
    // lifetimes filled the default store, after which every real service's
    // 30-minute descriptor was refused for 3 hours. Now the real one is
    // accepted (something of the flood's is evicted) and served.
    void flood_of_long_lived_descriptors_does_not_lock_out_a_service() {
        HsDirStore store;  // the defaults: 64 MiB, 50,000 entries
        const auto& config = store.config();
        std::size_t flooded = 0;
        while (store.bytes() + kMaxHsDescriptorLen <= config.max_bytes) {
            Fixture f;  // a fresh key each time, as a flooder would use
            QVERIFY(
                store.store(f.id(), f.encoded(1, kNow, kMaxHsDescriptorLifetime, kBigSection), kT));
            ++flooded;
        }
        QVERIFY(flooded >= 3200);
        // The last gap, so that the store is full to the byte.
        if (const std::size_t gap = config.max_bytes - store.bytes(); gap >= 151 + 28) {
            Fixture f;
            QVERIFY(
                store.store(f.id(), f.encoded(1, kNow, kMaxHsDescriptorLifetime, gap - 151), kT));
        }
        QCOMPARE(store.bytes(), config.max_bytes);
        // One more of the flood's still gets in: uploads are never refused
        // for lack of room.
        Fixture more;
        QVERIFY(store.store(more.id(), more.encoded(1, kNow, kMaxHsDescriptorLifetime, kBigSection),
                            kT));
        // A real service's descriptor: Sotto's size, 30-minute lifetime.
        Fixture bob;
        const TimePoint later = kT + Duration::minutes(1);
        const auto real = bob.encoded(1, later.unix_seconds(), 1800, kIntroSectionLen);
        QCOMPARE(real.size(), std::size_t{4050});
        QVERIFY(store.store(bob.id(), real, later));
        QVERIFY(same(store.fetch(bob.id(), later), real));
        QVERIFY(store.bytes() <= config.max_bytes);
        QVERIFY(store.counters().evicted >= 2);
        QCOMPARE(store.counters().full, std::uint64_t{0});
    }

    // The flooder keeps going for a whole republication interval, from its
    // own links (1-hop circuits to the HSDir: the cheapest way to upload).
    // Each flooding link soon holds more than the link the service's upload
    // came over, so every further flood upload displaces the flood's own
    // oldest entries, and the service's descriptor is served until its
    // renewal replaces it.
    void flooding_links_displace_only_their_own_uploads() {
        HsDirConfig config;
        config.max_bytes = 1024 * 1024;
        HsDirStore store(config);
        const UploadSource service_link = 7;
        Fixture bob, carol;  // two contacts' descriptors, over the same middle relay
        const auto bob1 = bob.encoded(1, kNow, 1800, kIntroSectionLen);
        const auto carol1 = carol.encoded(1, kNow, 1800, kIntroSectionLen);
        QVERIFY(store.store(bob.id(), bob1, kT, service_link));
        QVERIFY(store.store(carol.id(), carol1, kT, service_link));
        constexpr UploadSource kFloodLinks[] = {100, 101, 102, 103};
        TimePoint t = kT;
        for (int second = 1; second <= 20 * 60; ++second) {
            t = kT + Duration::seconds(second);
            for (auto link : kFloodLinks) {
                Fixture f;
                auto s = store.store(
                    f.id(), f.encoded(1, t.unix_seconds(), kMaxHsDescriptorLifetime, kBigSection),
                    t, link);
                if (!s) QFAIL(s.error().message.c_str());
            }
            if (store.bytes() > config.max_bytes) QFAIL("store grew past its bound");
            if (!same(store.fetch(bob.id(), t), bob1) || !same(store.fetch(carol.id(), t), carol1))
                QFAIL(qPrintable(
                    QStringLiteral("a service's descriptor was evicted after %1 s").arg(second)));
        }
        QVERIFY(store.counters().evicted > 4000);
        for (auto link : kFloodLinks) QVERIFY(store.source_bytes(link) > 200 * 1024);
        // The renewal (a new circuit, so maybe another middle relay's link).
        const auto bob2 = bob.encoded(2, t.unix_seconds(), 1800, kIntroSectionLen);
        QVERIFY(store.store(bob.id(), bob2, t, 8));
        QVERIFY(same(store.fetch(bob.id(), t), bob2));
    }

    void the_largest_source_loses_its_oldest_entry_first() {
        HsDirConfig config;
        config.max_entries = 4;
        HsDirStore store(config);
        std::vector<Fixture> f(8);
        auto put = [&](std::size_t i, UploadSource src, int at_s) {
            return store.store(f[i].id(), f[i].encoded(1, kNow, 3600), kT + Duration::seconds(at_s),
                               src);
        };
        QVERIFY(put(0, 1, 0));
        QVERIFY(put(1, 1, 1));
        QVERIFY(put(2, 1, 2));
        QVERIFY(put(3, 2, 3));
        // Source 3 is new: source 1 holds the most and loses its oldest.
        QVERIFY(put(4, 3, 4));
        QVERIFY(store.fetch(f[0].id(), kT + Duration::seconds(4)) == nullptr);
        QVERIFY(store.fetch(f[1].id(), kT + Duration::seconds(4)) != nullptr);
        // Source 3 again: with this upload it holds as much as source 1, so
        // it displaces its own oldest.
        QVERIFY(put(5, 3, 5));
        QVERIFY(store.fetch(f[4].id(), kT + Duration::seconds(5)) == nullptr);
        QVERIFY(store.fetch(f[1].id(), kT + Duration::seconds(5)) != nullptr);
        QVERIFY(store.fetch(f[3].id(), kT + Duration::seconds(5)) != nullptr);
        QCOMPARE(store.size(), std::size_t{4});
        QCOMPARE(store.counters().evicted, std::uint64_t{2});
        QCOMPARE(store.counters().evicted_stale, std::uint64_t{0});
        QCOMPARE(store.counters().full, std::uint64_t{0});
    }

    // Under pressure an entry stored more than fresh_for (30 min) ago goes
    // before fresher ones, however long it claims to live: a long lifetime
    // is worth nothing against eviction.
    void stale_entries_go_first_whatever_their_lifetime() {
        HsDirConfig config;
        config.max_entries = 3;
        HsDirStore store(config);
        Fixture old_long, mid, recent, newcomer, next;
        const auto at = [](int minutes) { return kT + Duration::minutes(minutes); };
        QVERIFY(store.store(old_long.id(), old_long.encoded(1, kNow, kMaxHsDescriptorLifetime),
                            at(0), 1));
        QVERIFY(store.store(mid.id(), mid.encoded(1, at(20).unix_seconds(), 1800), at(20), 2));
        QVERIFY(
            store.store(recent.id(), recent.encoded(1, at(25).unix_seconds(), 1800), at(25), 2));
        // At 31 minutes the 3-hour entry is stale: it goes, although source
        // 2 holds more and everything else expires sooner.
        QVERIFY(
            store.store(newcomer.id(), newcomer.encoded(1, at(31).unix_seconds(), 900), at(31), 3));
        QVERIFY(store.fetch(old_long.id(), at(31)) == nullptr);
        QVERIFY(store.fetch(mid.id(), at(31)) != nullptr);
        QCOMPARE(store.counters().evicted_stale, std::uint64_t{1});
        // Nothing is stale at 35 minutes: the largest source (2) loses its
        // oldest entry.
        QVERIFY(store.store(next.id(), next.encoded(1, at(35).unix_seconds(), 900), at(35), 4));
        QVERIFY(store.fetch(mid.id(), at(35)) == nullptr);
        QVERIFY(store.fetch(recent.id(), at(35)) != nullptr);
        QVERIFY(store.fetch(newcomer.id(), at(35)) != nullptr);
        QCOMPARE(store.counters().evicted_stale, std::uint64_t{1});
        QCOMPARE(store.counters().evicted, std::uint64_t{2});
    }

    void one_key_holds_at_most_four_entries() {
        HsDirStore store;
        Fixture f, other;
        QVERIFY(store.store(other.id(), other.encoded(), kT));
        std::vector<DescriptorId> ids;
        const std::uint32_t lifetimes[] = {1800, 600, 3600, 1200, 900};
        for (auto lifetime : lifetimes) {
            f.s = SecretIdPart::from(f.rng.bytes(32));
            ids.push_back(f.id());
            QVERIFY(store.store(f.id(), f.encoded(1, kNow, lifetime), kT));
        }
        // The fifth id evicted the key's soonest-expiring entry (600 s).
        QCOMPARE(store.size(), std::size_t{5});
        QCOMPARE(store.counters().evicted_key_limit, std::uint64_t{1});
        QVERIFY(store.fetch(ids[1], kT) == nullptr);
        for (std::size_t i : {0, 2, 3, 4}) QVERIFY(store.fetch(ids[i], kT) != nullptr);
        QVERIFY(store.fetch(other.id(), kT) != nullptr);
        // A new revision under a stored id is not a further entry.
        QCOMPARE(f.id(), ids[4]);
        QVERIFY(store.store(f.id(), f.encoded(2, kNow, 600), kT));
        QCOMPARE(store.size(), std::size_t{5});
        QCOMPARE(store.counters().evicted_key_limit, std::uint64_t{1});
    }

    void closed_sources_are_pooled() {
        HsDirStore store;
        Fixture a, b, c;
        QVERIFY(store.store(a.id(), a.encoded(), kT, 1));
        QVERIFY(store.store(b.id(), b.encoded(), kT, 2));
        QVERIFY(store.store(c.id(), c.encoded(), kT, 3));
        const auto one = store.source_bytes(1), two = store.source_bytes(2);
        store.source_closed(1);
        store.source_closed(2);
        store.source_closed(99);  // nothing from it: no effect
        QCOMPARE(store.source_bytes(1), std::size_t{0});
        QCOMPARE(store.source_bytes(2), std::size_t{0});
        QCOMPARE(store.source_bytes(kClosedSources), one + two);
        QCOMPARE(store.source_bytes(3), c.encoded().size());
        // Pooled entries are still served, and leave the pool when they go.
        QVERIFY(store.fetch(a.id(), kT) != nullptr);
        QVERIFY(store.withdraw(a.withdrawal(1), kT).has_value());
        QCOMPARE(store.source_bytes(kClosedSources), two);
    }

    void room_rules_for_replacements_and_expired_entries() {
        HsDirConfig config;
        config.max_entries = 3;
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
        // Expired entries are dropped before anything is evicted.
        Fixture n;
        const TimePoint later = kT + Duration::seconds(61);
        QVERIFY(small.store(n.id(), n.encoded(1, later.unix_seconds(), 600), later));
        QCOMPARE(small.counters().evicted, std::uint64_t{0});
        QCOMPARE(small.counters().expired_dropped, std::uint64_t{1});
        QVERIFY(small.fetch(h1.id(), later) != nullptr);
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
        // 40k valid, small descriptors with random lifetimes from one link
        // into a store of 1000 entries: memory stays bounded, every upload is
        // accepted, the flood displaces only its own oldest entries (what
        // survives of it is what came last), and a descriptor that came over
        // another link survives.
        constexpr int kUploads = 40'000;
        HsDirConfig config;
        config.max_entries = 1000;
        config.max_bytes = 1000 * 200;
        HsDirStore store(config);
        Fixture legit;
        QVERIFY(store.store(legit.id(), legit.encoded(1, kNow, 1800), kT, 1));
        std::vector<std::pair<DescriptorId, int>> all;
        all.reserve(kUploads);
        const auto started = std::chrono::steady_clock::now();
        std::optional<Fixture> f;
        for (int i = 0; i < kUploads; ++i) {
            // A key per 4 descriptors: as many as one key may hold.
            if (i % 4 == 0) f.emplace();
            f->s = SecretIdPart::from(f->rng.bytes(32));
            const auto lifetime =
                static_cast<std::uint32_t>(120 + f->rng.uniform(kMaxHsDescriptorLifetime - 120));
            const auto now = kT + Duration::millis(i);  // all still valid and fresh at the end
            if (auto s = store.store(f->id(), f->encoded(1, kNow, lifetime), now, 2); !s)
                QFAIL(s.error().message.c_str());
            all.push_back({f->id(), i});
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
        int first_kept = kUploads, last_dropped = -1;
        for (const auto& [id, i] : all) {
            if (store.fetch(id, end))
                first_kept = std::min(first_kept, i);
            else
                last_dropped = std::max(last_dropped, i);
        }
        QVERIFY(last_dropped < first_kept);
        const auto& c = store.counters();
        QCOMPARE(c.full, std::uint64_t{0});
        QCOMPARE(c.stored, std::uint64_t{kUploads + 1});
        QCOMPARE(c.stored, c.evicted + store.size());
    }
};

QTEST_APPLESS_MAIN(TestHsDirStore)
#include "tst_hsdir_store.moc"
