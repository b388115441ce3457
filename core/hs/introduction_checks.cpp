#include "core/hs/introduction_checks.hpp"

#include <cstring>

#include "core/crypto/hash.hpp"

namespace sotto::hs {

namespace {
constexpr std::string_view kCookieIndexLabel = "sotto-cookie-index";
}  // namespace

CookieIndex cookie_index(const Secret<32>& descriptor_cookie) {
    return CookieIndex::from(
        crypto::sha3_256_parts({as_bytes(kCookieIndexLabel), descriptor_cookie.view()}).view());
}

std::size_t CookieIndexHash::operator()(const CookieIndex& k) const noexcept {
    std::uint64_t h;
    std::memcpy(&h, k.data(), sizeof h);
    return static_cast<std::size_t>(h);
}

const char* drop_reason_name(DropReason r) {
    switch (r) {
        case DropReason::Undecryptable:
            return "undecryptable";
        case DropReason::UnknownCookie:
            return "unknown cookie";
        case DropReason::HiddenContact:
            return "hidden contact";
        case DropReason::Replay:
            return "replay";
        case DropReason::StaleTimestamp:
            return "stale timestamp";
        case DropReason::RateLimited:
            return "rate limited";
    }
    return "?";
}

IntroductionChecks::IntroductionChecks(IntroductionPolicy policy)
    : policy_(policy),
      // Twice the window: see replay_cache.hpp.
      replay_(ReplayCacheConfig{policy.timestamp_window * 2, policy.replay_max_entries}),
      limiter_(policy.rate_limit) {}

IntroductionVerdict IntroductionChecks::drop(DropReason r) {
    ++dropped_[static_cast<std::size_t>(r)];
    return Dropped{r};
}

IntroductionVerdict IntroductionChecks::check(ByteView body,
                                              const crypto::Ed25519PublicKey& auth_key,
                                              const crypto::X25519SecretKey& enc_key,
                                              const CookieTable& contacts, TimePoint now) {
    auto opened = service_open_introduce(body, auth_key, enc_key);
    if (!opened) return drop(DropReason::Undecryptable);

    auto it = contacts.find(cookie_index(opened->payload.descriptor_cookie));
    if (it == contacts.end()) return drop(DropReason::UnknownCookie);
    if (it->second.hidden) return drop(DropReason::HiddenContact);

    if (replay_.seen(opened->client_key, now)) return drop(DropReason::Replay);

    const std::int64_t now_s = now.unix_seconds();
    const std::int64_t window_s = policy_.timestamp_window.seconds_count();
    const std::int64_t ts = opened->payload.timestamp;
    if (ts < now_s - window_s || ts > now_s + window_s) return drop(DropReason::StaleTimestamp);

    if (!limiter_.allow(it->second.contact, now)) {
        // Named, so the service reports this one contact without looking
        // at the others.
        auto d = drop(DropReason::RateLimited);
        std::get<Dropped>(d).contact = it->second.contact;
        return d;
    }

    // Only now, see the header: what the cache holds is accepted requests.
    replay_.insert(opened->client_key, now);
    ++accepted_;
    return Accepted{it->second.contact, std::move(*opened)};
}

void IntroductionChecks::prune(TimePoint now) {
    replay_.expire(now);
    limiter_.prune(now);
}

}  // namespace sotto::hs
