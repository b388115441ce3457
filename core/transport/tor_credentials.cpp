#include "core/transport/tor_credentials.hpp"

namespace sotto::transport {

TorGrant generate_tor_grant(Rng& rng) {
    return {crypto::Ed25519SecretKey::generate(rng), crypto::X25519SecretKey::generate(rng)};
}

Grant tor_grant(const TorGrant& grant) {
    return {TransportKind::TorOnion,
            join_secrets(grant.service_key.seed(), grant.client_auth.secret_bytes())};
}

Credential tor_credential(const TorCredential& credential) {
    return {TransportKind::TorOnion,
            join_secrets(credential.service_key.view(), credential.client_auth.secret_bytes())};
}

TorCredential tor_credential_for(const TorGrant& grant) {
    // from_bytes of a key we hold cannot fail: it is 32 bytes.
    auto auth = crypto::X25519SecretKey::from_bytes(grant.client_auth.secret_bytes());
    return {grant.service_key.public_key(), std::move(*auth)};
}

Result<TorGrant> open_tor_grant(const Grant& grant) {
    if (grant.transport != TransportKind::TorOnion || grant.bytes.size() != kTorGrantBytes)
        return fail(Errc::Malformed, "not a Tor grant");
    auto service = crypto::Ed25519SecretKey::from_seed(grant.bytes.view().first(32));
    if (!service) return std::unexpected(service.error());
    auto auth = crypto::X25519SecretKey::from_bytes(grant.bytes.view().subspan(32));
    if (!auth) return std::unexpected(auth.error());
    return TorGrant{std::move(*service), std::move(*auth)};
}

Result<TorCredential> open_tor_credential(const Credential& credential) {
    if (credential.transport != TransportKind::TorOnion ||
        credential.bytes.size() != kTorCredentialBytes)
        return fail(Errc::Malformed, "not a Tor credential");
    auto auth = crypto::X25519SecretKey::from_bytes(credential.bytes.view().subspan(32));
    if (!auth) return std::unexpected(auth.error());
    return TorCredential{crypto::Ed25519PublicKey::from(credential.bytes.view().first(32)),
                         std::move(*auth)};
}

}  // namespace sotto::transport
