#include "core/hs/service_api.hpp"

#include "core/hs/descriptor_id.hpp"

namespace sotto::hs {

ContactGrant ContactGrant::generate(Rng& rng) {
    DescriptorCookie dc;
    rng.fill(dc.mut());
    return ContactGrant{crypto::Ed25519SecretKey::generate(rng), std::move(dc)};
}

ContactCredentials credentials_for(const ContactGrant& grant) {
    return ContactCredentials{client_key_id(grant.client_key.public_key()), grant.cookie.clone()};
}

std::uint64_t ServiceStats::*ServiceStats::counter(DropReason r) {
    switch (r) {
        case DropReason::Undecryptable:
            return &ServiceStats::dropped_undecryptable;
        case DropReason::UnknownCookie:
            return &ServiceStats::dropped_unknown_cookie;
        case DropReason::HiddenContact:
            return &ServiceStats::dropped_hidden;
        case DropReason::Replay:
            return &ServiceStats::dropped_replay;
        case DropReason::StaleTimestamp:
            return &ServiceStats::dropped_stale_timestamp;
        case DropReason::RateLimited:
            break;
    }
    return &ServiceStats::dropped_rate_limited;
}

std::uint64_t ServiceStats::dropped_total() const {
    return dropped_undecryptable + dropped_unknown_cookie + dropped_hidden + dropped_replay +
           dropped_stale_timestamp + dropped_rate_limited;
}

}  // namespace sotto::hs
