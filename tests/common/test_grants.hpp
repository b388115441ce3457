// Fresh Sotto-onion grants and credentials for test records (what the
// messenger would issue), as one-entry lists.
#pragma once

#include <cstdlib>

#include "core/transport/credential.hpp"

namespace sotto::testing {

inline transport::IssuedGrant issue_onion(Rng& rng) {
    auto g = transport::issue_grant(transport::TransportKind::SottoOnion, rng);
    if (!g) std::abort();  // the onion transport is always built in
    return std::move(*g);
}
inline transport::GrantList onion_grants(Rng& rng) {
    return transport::list_of(issue_onion(rng).grant);
}
inline transport::CredentialList onion_credentials(Rng& rng) {
    return transport::list_of(issue_onion(rng).credential);
}

}  // namespace sotto::testing
