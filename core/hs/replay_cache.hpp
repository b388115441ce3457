// Replay cache for introductions (paper 4.6, limitation 1): an introduction
// point could relay a valid INTRODUCE2 again and again to make the service
// build circuits to the rendezvous point it names. The service remembers the
// client's ephemeral key X of every introduction it accepted and drops a
// second one with the same X. X is bound to the ciphertext (it derives the key
// and is part of the AAD), so a replay cannot change X and still decrypt.
//
// Entries live for `horizon`, which must cover every instant at which the same
// message would still pass the timestamp check: a request stamped up to
// `window` in the future stays acceptable until `window` after its stamp, so
// the horizon is at least twice the timestamp window (IntroductionChecks sets
// it so).
//
// Memory is bounded by `max_entries`. When the cache is full the oldest entry
// is evicted, even if it is still within the horizon. Trade-off: the
// alternative — refusing new introductions while full — would let anyone able
// to fill the cache lock every contact out. Evicting keeps
// the service reachable; a replay of an evicted request is still limited by
// the timestamp window and the per-contact rate limit, and `evictions()` lets
// the service notice the pressure. Only accepted introductions enter it (at
// most the rate limit, 10 per contact per hour by default), so filling it
// takes some 800 contacts working together (8192 entries, 10 each).
#pragma once

#include <cstdint>
#include <deque>
#include <unordered_set>

#include "core/crypto/x25519.hpp"
#include "core/util/time.hpp"

namespace sotto::hs {

struct ReplayCacheConfig {
    Duration horizon = Duration::minutes(20);
    std::size_t max_entries = 8192;
};

class ReplayCache {
  public:
    explicit ReplayCache(ReplayCacheConfig config = {});

    // True when `x` was inserted within the horizon (a replay). O(1) on
    // average; expiry is amortised over calls.
    bool seen(const crypto::X25519PublicKey& x, TimePoint now);
    // Remembers `x` (a no-op if it is already there). IntroductionChecks
    // inserts only once a request passed every check, so that requests it
    // refuses (rate-limited, stale) neither fill the cache nor block a
    // later retry of the same request.
    void insert(const crypto::X25519PublicKey& x, TimePoint now);
    // seen(), and insert() if not.
    bool seen_or_insert(const crypto::X25519PublicKey& x, TimePoint now);
    // Drops entries older than the horizon (also done by seen_or_insert).
    void expire(TimePoint now);

    std::size_t size() const { return set_.size(); }
    std::uint64_t evictions() const { return evictions_; }
    const ReplayCacheConfig& config() const { return config_; }

  private:
    // X is a uniformly random curve point for honest clients, so its first
    // bytes are a fine hash. A rogue contact could grind colliding keys, but
    // the set never holds more than max_entries, which bounds the damage.
    struct KeyHash {
        std::size_t operator()(const crypto::X25519PublicKey& k) const noexcept;
    };
    struct Entry {
        crypto::X25519PublicKey key;
        TimePoint inserted;
    };

    void evict_front();

    ReplayCacheConfig config_;
    std::unordered_set<crypto::X25519PublicKey, KeyHash> set_;
    // Insertion order. A clock that steps backwards only delays expiry of
    // the entries behind the step; it never drops one early.
    std::deque<Entry> order_;
    std::uint64_t evictions_ = 0;
};

}  // namespace sotto::hs
