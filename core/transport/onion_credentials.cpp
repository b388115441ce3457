#include "core/transport/onion_credentials.hpp"

namespace sotto::transport {

Grant onion_grant(const hs::ContactGrant& grant) {
    return {TransportKind::SottoOnion, join_secrets(grant.client_key.seed(), grant.cookie.view())};
}

Credential onion_credential(const hs::ContactCredentials& credentials) {
    return {TransportKind::SottoOnion,
            join_secrets(credentials.client_key_id.view(), credentials.cookie.view())};
}

Result<hs::ContactGrant> open_onion_grant(const Grant& grant) {
    if (grant.transport != TransportKind::SottoOnion || grant.bytes.size() != kOnionGrantBytes)
        return fail(Errc::Malformed, "not a Sotto onion grant");
    auto ck = crypto::Ed25519SecretKey::from_seed(grant.bytes.view().first(32));
    if (!ck) return std::unexpected(ck.error());
    return hs::ContactGrant{std::move(*ck), hs::DescriptorCookie(grant.bytes.view().subspan(32))};
}

Result<hs::ContactCredentials> open_onion_credential(const Credential& credential) {
    if (credential.transport != TransportKind::SottoOnion ||
        credential.bytes.size() != kOnionCredentialBytes)
        return fail(Errc::Malformed, "not a Sotto onion credential");
    return hs::ContactCredentials{hs::ClientKeyId::from(credential.bytes.view().first(32)),
                                  hs::DescriptorCookie(credential.bytes.view().subspan(32))};
}

}  // namespace sotto::transport
