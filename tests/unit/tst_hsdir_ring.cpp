// The HSDir hash ring: responsible relays are `spread` consecutive distinct
// HSDirs following the id, wrapping, and the two replicas of a descriptor
// usually land on different relays.
#include <QtTest>

#include <algorithm>
#include <set>

#include "core/crypto/random.hpp"
#include "core/hs/descriptor_id.hpp"
#include "core/hs/hsdir_ring.hpp"
#include "core/util/rng.hpp"

using namespace sotto;
using namespace sotto::hs;

namespace {

dir::Consensus consensus(std::size_t n, std::uint64_t seed, std::size_t every_nth_not_hsdir = 0) {
    DeterministicRng rng(seed);
    dir::Consensus c;
    c.network = "testnet";
    for (std::size_t i = 0; i < n; ++i) {
        dir::ConsensusEntry e;
        e.nickname = "relay" + std::to_string(i);
        e.identity = crypto::Ed25519PublicKey::from(rng.bytes(32));
        e.host = "127.0.0.1";
        e.port = static_cast<std::uint16_t>(9000 + i);
        e.flags = dir::kFlagRunning;
        if (every_nth_not_hsdir == 0 || i % every_nth_not_hsdir != 0) e.flags |= dir::kFlagHsDir;
        c.relays.push_back(e);
    }
    std::sort(c.relays.begin(), c.relays.end(),
              [](const auto& a, const auto& b) { return a.identity < b.identity; });
    return c;
}

// The ring by brute force: HSDir relays sorted by position.
std::vector<const dir::ConsensusEntry*> sorted_ring(const dir::Consensus& c) {
    std::vector<const dir::ConsensusEntry*> v;
    for (const auto& e : c.relays)
        if (e.flags & dir::kFlagHsDir) v.push_back(&e);
    std::sort(v.begin(), v.end(), [](auto* a, auto* b) {
        return hsdir_ring_position(a->identity) < hsdir_ring_position(b->identity);
    });
    return v;
}

DescriptorId random_id(Rng& rng) {
    return DescriptorId::from(rng.bytes(32));
}

}  // namespace

class TestHsDirRing : public QObject {
    Q_OBJECT
  private slots:
    void position_is_the_labelled_hash() {
        DeterministicRng rng(1);
        auto id = crypto::Ed25519PublicKey::from(rng.bytes(32));
        QCOMPARE(hsdir_ring_position(id),
                 crypto::sha3_256_parts({as_bytes("sotto-hsdir-ring"), id.view()}));
    }

    void only_hsdirs_are_on_the_ring() {
        auto c = consensus(30, 2, 3);  // every third relay lacks the flag
        HsDirRing ring(c);
        QCOMPARE(ring.size(), std::size_t{20});
        DeterministicRng rng(3);
        for (int i = 0; i < 200; ++i)
            for (auto* e : ring.responsible(random_id(rng))) QVERIFY(e->flags & dir::kFlagHsDir);
    }

    void responsible_are_consecutive_and_distinct() {
        auto c = consensus(50, 4);
        HsDirRing ring(c);
        auto expected_ring = sorted_ring(c);
        DeterministicRng rng(5);
        for (int i = 0; i < 2000; ++i) {
            const auto id = random_id(rng);
            auto got = ring.responsible(id);
            QCOMPARE(got.size(), kHsDirSpread);
            QCOMPARE(std::set<const dir::ConsensusEntry*>(got.begin(), got.end()).size(),
                     std::size_t{3});
            // First relay whose position is greater than the id, then its successors.
            std::size_t first = 0;
            while (first < expected_ring.size() &&
                   !(id.bytes < hsdir_ring_position(expected_ring[first]->identity).bytes))
                ++first;
            for (std::size_t k = 0; k < 3; ++k)
                QCOMPARE(got[k], expected_ring[(first + k) % expected_ring.size()]);
        }
    }

    void wraps_around_and_follows_strictly() {
        auto c = consensus(10, 6);
        HsDirRing ring(c);
        auto r = sorted_ring(c);
        DescriptorId top;
        top.bytes.fill(0xff);
        auto got = ring.responsible(top);
        QCOMPARE(got, (std::vector<const dir::ConsensusEntry*>{r[0], r[1], r[2]}));
        // An id just below the last position: the last relay, then the first two.
        auto last = DescriptorId::from(hsdir_ring_position(r[9]->identity).view());
        auto below = last;
        for (int i = 31; i >= 0; --i)
            if (below.bytes[i]-- != 0) break;
        QCOMPARE(ring.responsible(below),
                 (std::vector<const dir::ConsensusEntry*>{r[9], r[0], r[1]}));
        // An id equal to a position: that relay does not follow it.
        QCOMPARE(ring.responsible(last),
                 (std::vector<const dir::ConsensusEntry*>{r[0], r[1], r[2]}));
        QCOMPARE(ring.responsible(top, 5).size(), std::size_t{5});
        QCOMPARE(ring.responsible(top, 0).size(), std::size_t{0});
    }

    void small_rings() {
        DescriptorId id;
        id.bytes.fill(0x42);
        HsDirRing none(consensus(0, 7));
        QVERIFY(none.empty());
        QVERIFY(none.responsible(id).empty());
        HsDirRing empty_default;
        QVERIFY(empty_default.responsible(id).empty());
        for (std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{3}}) {
            auto c = consensus(n, 8);
            HsDirRing ring(c);
            auto got = ring.responsible(id);
            QCOMPARE(got.size(), n);
            QCOMPARE(std::set<const dir::ConsensusEntry*>(got.begin(), got.end()).size(), n);
        }
    }

    void duplicate_identities_count_once() {
        auto c = consensus(4, 9);
        c.relays.push_back(c.relays[0]);
        c.relays.push_back(c.relays[1]);
        HsDirRing ring(c);
        QCOMPARE(ring.size(), std::size_t{4});
        DescriptorId id;
        for (int i = 0; i < 50; ++i) {
            id.bytes[0] = static_cast<std::uint8_t>(i * 5);
            auto got = ring.responsible(id);
            std::set<crypto::Ed25519PublicKey> ids;
            for (auto* e : got) ids.insert(e->identity);
            QCOMPARE(ids.size(), std::size_t{3});
        }
    }

    void replicas_usually_land_on_different_relays() {
        // With n HSDirs, two independent ids share a relay when their start
        // positions are within 2 slots: probability about 5/n. Measure it.
        DeterministicRng rng(10);
        for (std::size_t n : {std::size_t{30}, std::size_t{100}}) {
            auto c = consensus(n, 11 + n);
            HsDirRing ring(c);
            int disjoint = 0;
            constexpr int kTrials = 2000;
            std::map<const dir::ConsensusEntry*, int> load;
            for (int i = 0; i < kTrials; ++i) {
                auto ck = crypto::Ed25519PublicKey::from(rng.bytes(32));
                DescriptorCookie dc(rng.bytes(32));
                const auto tp = static_cast<std::int64_t>(19000 + rng.uniform(1000));
                auto h = client_key_id(ck);
                auto r0 = ring.responsible(descriptor_id(h, secret_id_part(dc, tp, 0)));
                auto r1 = ring.responsible(descriptor_id(h, secret_id_part(dc, tp, 1)));
                std::set<const dir::ConsensusEntry*> all(r0.begin(), r0.end());
                all.insert(r1.begin(), r1.end());
                if (all.size() == 6) ++disjoint;
                for (auto* e : r0) ++load[e];
            }
            const double share = double(disjoint) / kTrials;
            const double expected = 1.0 - 5.0 / double(n);
            qInfo(
                "n=%zu: replicas on disjoint relays in %.1f%% of %d descriptors (expected ~%.1f%%)",
                n, 100 * share, kTrials, 100 * expected);
            QVERIFY(share > expected - 0.05);
            // Every relay gets some of the load.
            QCOMPARE(load.size(), n);
        }
    }
};

QTEST_APPLESS_MAIN(TestHsDirRing)
#include "tst_hsdir_ring.moc"
