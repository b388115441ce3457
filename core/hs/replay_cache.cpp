#include "core/hs/replay_cache.hpp"

#include <algorithm>
#include <cstring>

namespace sotto::hs {

std::size_t ReplayCache::KeyHash::operator()(const crypto::X25519PublicKey& k) const noexcept {
    std::uint64_t h;
    std::memcpy(&h, k.data(), sizeof h);
    return static_cast<std::size_t>(h);
}

ReplayCache::ReplayCache(ReplayCacheConfig config) : config_(config) {
    config_.max_entries = std::max<std::size_t>(config_.max_entries, 1);
}

void ReplayCache::evict_front() {
    set_.erase(order_.front().key);
    order_.pop_front();
}

void ReplayCache::expire(TimePoint now) {
    while (!order_.empty() && order_.front().inserted + config_.horizon <= now) evict_front();
}

bool ReplayCache::seen(const crypto::X25519PublicKey& x, TimePoint now) {
    expire(now);
    return set_.contains(x);
}

void ReplayCache::insert(const crypto::X25519PublicKey& x, TimePoint now) {
    expire(now);
    if (set_.contains(x)) return;
    if (set_.size() >= config_.max_entries) {
        evict_front();
        ++evictions_;
    }
    set_.insert(x);
    order_.push_back({x, now});
}

bool ReplayCache::seen_or_insert(const crypto::X25519PublicKey& x, TimePoint now) {
    if (seen(x, now)) return true;
    insert(x, now);
    return false;
}

}  // namespace sotto::hs
