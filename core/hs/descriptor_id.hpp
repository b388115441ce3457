// Descriptor identifiers (paper 4.3, DESIGN §2). The id is computed in two
// steps so that a directory can check that a descriptor belongs under an id
// without knowing the descriptor cookie, while nobody without the cookie can
// compute the ids of future periods:
//
//   H(CK) = H("sotto-client-key-id", CK)
//   S     = H("sotto-secret-id", DC, TP (8, big-endian), RI (1))
//   id    = H("sotto-descriptor-id", H(CK), S)
//
// H is SHA3-256 over length-prefixed parts (`crypto::sha3_256_parts`).
#pragma once

#include <cstdint>

#include "core/crypto/ed25519.hpp"
#include "core/hs/hs_types.hpp"

namespace sotto::hs {

ClientKeyId client_key_id(const crypto::Ed25519PublicKey& ck);
// `replica` is RI, 0 or 1 (kHsReplicas); other values hash too but no
// client ever looks for them.
SecretIdPart secret_id_part(const DescriptorCookie& dc, std::int64_t tp, std::uint8_t replica);
DescriptorId descriptor_id(const ClientKeyId& ck_id, const SecretIdPart& s);

}  // namespace sotto::hs
