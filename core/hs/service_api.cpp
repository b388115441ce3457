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

}  // namespace sotto::hs
