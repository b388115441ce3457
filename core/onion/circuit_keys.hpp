// Keys a circuit handshake produces for one hop: AES-128-CTR keys and
// running-digest seeds for each direction (forward = towards the relay).
#pragma once

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

}  // namespace sotto::onion
