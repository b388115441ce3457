#include "core/hs/hsdir_ring.hpp"

#include <algorithm>

namespace sotto::hs {

namespace {
constexpr std::string_view kRingLabel = "sotto-hsdir-ring";
}

crypto::Digest256 hsdir_ring_position(const crypto::Ed25519PublicKey& identity) {
    return crypto::sha3_256_parts({as_bytes(kRingLabel), identity.view()});
}

HsDirRing::HsDirRing(const dir::Consensus& consensus) {
    ring_.reserve(consensus.relays.size());
    for (const auto& e : consensus.relays)
        if (e.flags & dir::kFlagHsDir) ring_.push_back({hsdir_ring_position(e.identity), &e});
    std::sort(ring_.begin(), ring_.end(),
              [](const Slot& a, const Slot& b) { return a.position < b.position; });
    // A decoded consensus has no duplicate identities, but one assembled in
    // memory might; a relay must not count twice towards the spread.
    ring_.erase(std::unique(ring_.begin(), ring_.end(),
                            [](const Slot& a, const Slot& b) { return a.position == b.position; }),
                ring_.end());
}

std::vector<const dir::ConsensusEntry*> HsDirRing::responsible(const DescriptorId& id,
                                                               std::size_t spread) const {
    std::vector<const dir::ConsensusEntry*> out;
    const std::size_t n = std::min(spread, ring_.size());
    out.reserve(n);
    // Positions and ids are both 32-byte strings compared lexicographically.
    auto first = std::upper_bound(
        ring_.begin(), ring_.end(), id,
        [](const DescriptorId& k, const Slot& s) { return k.bytes < s.position.bytes; });
    std::size_t i = static_cast<std::size_t>(first - ring_.begin());
    for (std::size_t k = 0; k < n; ++k) out.push_back(ring_[(i + k) % ring_.size()].relay);
    return out;
}

}  // namespace sotto::hs
