// The HSDir hash ring (paper 4.3, DESIGN §2): which relays store a
// descriptor. Every relay with the HSDir flag sits on a ring at position
// H("sotto-hsdir-ring", identity); a descriptor id is stored on the `spread`
// (3) relays whose positions follow the id, wrapping around. Since descriptor
// ids change every time period, a descriptor moves to different directories
// over time, and its two replicas (different ids) usually land on different
// relays. Built once per consensus; lookups are O(log n).
#pragma once

#include <vector>

#include "core/crypto/hash.hpp"
#include "core/dir/consensus.hpp"
#include "core/hs/hs_types.hpp"

namespace sotto::hs {

inline constexpr std::size_t kHsDirSpread = 3;

crypto::Digest256 hsdir_ring_position(const crypto::Ed25519PublicKey& identity);

class HsDirRing {
  public:
    HsDirRing() = default;
    // Keeps pointers into `consensus`, which must outlive the ring (rebuild
    // it whenever the consensus is replaced).
    explicit HsDirRing(const dir::Consensus& consensus);

    // The `spread` relays whose positions follow `id` (strictly greater,
    // wrapping); all of them if the ring has fewer. Distinct.
    std::vector<const dir::ConsensusEntry*> responsible(const DescriptorId& id,
                                                        std::size_t spread = kHsDirSpread) const;
    std::size_t size() const { return ring_.size(); }
    bool empty() const { return ring_.empty(); }

  private:
    struct Slot {
        crypto::Digest256 position;
        const dir::ConsensusEntry* relay = nullptr;
    };
    std::vector<Slot> ring_;  // sorted by position
};

}  // namespace sotto::hs
