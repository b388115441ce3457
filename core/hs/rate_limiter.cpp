#include "core/hs/rate_limiter.hpp"

#include <cstring>

namespace sotto::hs {

std::size_t RateLimiter::KeyHash::operator()(const ContactKey& k) const noexcept {
    std::uint64_t h;
    std::memcpy(&h, k.data(), sizeof h);
    return static_cast<std::size_t>(h);
}

RateLimiter::RateLimiter(RateLimitConfig config) : config_(config) {}

void RateLimiter::drop_old(State& s, TimePoint now) const {
    while (!s.accepted.empty() && s.accepted.front() + config_.window <= now)
        s.accepted.pop_front();
}

bool RateLimiter::allow(const ContactKey& contact, TimePoint now) {
    State& s = contacts_[contact];
    drop_old(s, now);
    if (s.accepted.size() >= config_.count) {
        ++s.violations;
        return false;
    }
    s.accepted.push_back(now);
    return true;
}

std::size_t RateLimiter::violations(const ContactKey& contact) const {
    auto it = contacts_.find(contact);
    return it == contacts_.end() ? 0 : it->second.violations;
}

void RateLimiter::forget(const ContactKey& contact) {
    contacts_.erase(contact);
}

void RateLimiter::prune(TimePoint now) {
    for (auto it = contacts_.begin(); it != contacts_.end();) {
        drop_old(it->second, now);
        if (it->second.accepted.empty() && it->second.violations == 0)
            it = contacts_.erase(it);
        else
            ++it;
    }
}

}  // namespace sotto::hs
