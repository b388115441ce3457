// The bytes of a Sotto-onion grant and credential (TransportKind::SottoOnion
// entries of core/transport/credential.hpp): the private-service protocol's
// (CK, DC) and (H(CK), DC) of the paper, laid out as the store has always
// kept them.
//   grant:      CK Ed25519 seed (32) | DC (32)
//   credential: H(CK) (32) | DC (32)
// Only the onion transport and the migration of old profiles and invite
// codes read these; the messenger never does.
#pragma once

#include "core/hs/service_api.hpp"
#include "core/transport/credential.hpp"

namespace sotto::transport {

inline constexpr std::size_t kOnionGrantBytes = 64;
inline constexpr std::size_t kOnionCredentialBytes = 64;

Grant onion_grant(const hs::ContactGrant& grant);
Credential onion_credential(const hs::ContactCredentials& credentials);
// Errc::Malformed for the wrong kind or length (or a seed that is no key).
Result<hs::ContactGrant> open_onion_grant(const Grant& grant);
Result<hs::ContactCredentials> open_onion_credential(const Credential& credential);

}  // namespace sotto::transport
