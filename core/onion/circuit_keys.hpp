// Keys a circuit handshake produces for one hop: AES-128-CTR keys and
// running-digest seeds for each direction (forward = towards the relay).
#pragma once

#include "core/crypto/hash.hpp"
#include "core/util/bytes.hpp"

namespace sotto::onion {

struct HopKeys {
    Secret<32> forward_digest;
    Secret<32> backward_digest;
    Secret<16> forward_key;
    Secret<16> backward_key;
};

// Splits 96 bytes of key material in the order above.
HopKeys split_hop_keys(ByteView material);
inline constexpr std::size_t kHopKeyMaterialLen = 96;

// A public value both ends of one circuit hop can compute and nobody else
// can: H("sotto-circuit-binding", Df, Db). Signing it (ESTABLISH_INTRO) ties
// a message to this hop so a relay cannot replay it on another circuit.
crypto::Digest256 circuit_binding(const HopKeys& keys);

}  // namespace sotto::onion
