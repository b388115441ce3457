// Strong types of the private-service descriptor protocol (paper 4.2-4.3,
// DESIGN §2). Each identifier has its own type so that a client key id, a
// secret id part and a descriptor id can never be mixed up, and the
// descriptor cookie is a move-only `Secret` that is wiped when it goes away.
#pragma once

#include "core/util/bytes.hpp"

namespace sotto::hs {

// H(CK): the contact's address for the service; first byte spreads the
// time-period transitions over the period.
struct ClientKeyIdTag {};
using ClientKeyId = FixedBytes<32, ClientKeyIdTag>;

// H(H(CK), S): the name a descriptor is stored and fetched under.
struct DescriptorIdTag {};
using DescriptorId = FixedBytes<32, DescriptorIdTag>;

// S = H(DC, TP, RI): public (it is in the descriptor) but unpredictable for
// future periods without the cookie.
struct SecretIdPartTag {};
using SecretIdPart = FixedBytes<32, SecretIdPartTag>;

// DC: 32 random bytes the service creates for one contact. It derives the
// descriptor ids and the key of the introduction-point section, so it is
// kept in a `Secret` and never logged.
using DescriptorCookie = Secret<32>;

// Replica indices RI: each descriptor is stored twice, under two ids.
inline constexpr std::uint8_t kHsReplicas = 2;

}  // namespace sotto::hs
