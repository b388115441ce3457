// The bytes of a Tor grant and credential (TransportKind::TorOnion entries
// of core/transport/credential.hpp), for the per-contact mapping of issue 11:
// every contact gets a v3 onion service of its own, which only that
// contact's client-authorisation key can use.
//   grant:      service Ed25519 seed (32) | client-auth X25519 secret (32)
//   credential: service Ed25519 public key (32) | client-auth X25519 secret (32)
// The service keeps the client-auth secret in the grant only so that the
// credential can be derived again (Welcome, a repeated invite answer); what
// it gives tor is the public half (ADD_ONION ClientAuthV3). The contact's
// tor gets the secret (ONION_CLIENT_AUTH_ADD) and the address derived from
// the public key. A fresh pair for every contact: no key is shared between
// two contacts, so nothing in them links the two services to one user.
#pragma once

#include "core/crypto/ed25519.hpp"
#include "core/crypto/x25519.hpp"
#include "core/transport/credential.hpp"

namespace sotto::transport {

inline constexpr std::size_t kTorGrantBytes = 64;
inline constexpr std::size_t kTorCredentialBytes = 64;

struct TorGrant {
    crypto::Ed25519SecretKey service_key;
    crypto::X25519SecretKey client_auth;
};
struct TorCredential {
    crypto::Ed25519PublicKey service_key;
    crypto::X25519SecretKey client_auth;
};

// Fresh keys for one contact.
TorGrant generate_tor_grant(Rng& rng);
Grant tor_grant(const TorGrant& grant);
Credential tor_credential(const TorCredential& credential);
TorCredential tor_credential_for(const TorGrant& grant);
// Errc::Malformed for the wrong kind or length, or bytes that are no key.
Result<TorGrant> open_tor_grant(const Grant& grant);
Result<TorCredential> open_tor_credential(const Credential& credential);

}  // namespace sotto::transport
