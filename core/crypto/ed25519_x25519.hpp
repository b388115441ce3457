// The X25519 form of an Ed25519 key (RFC 7748 §4.1's birational map, as
// libsodium implements it). The end-to-end session between two contacts
// (core/session) authenticates each side with the X25519 form of its
// pairwise Ed25519 key, the key that safety numbers are computed from, so a
// matching safety number also vouches for the session keys.
#pragma once

#include "core/crypto/ed25519.hpp"
#include "core/crypto/x25519.hpp"
#include "core/util/error.hpp"

namespace sotto::crypto {

// The X25519 secret of an Ed25519 key: the clamped first half of
// SHA-512(seed), the scalar Ed25519 itself signs with.
X25519SecretKey x25519_from_ed25519(const Ed25519SecretKey& key);

// The Montgomery u-coordinate of an Ed25519 public key. Fails on an encoding
// that is not a point, a point of small order or one outside the prime-order
// subgroup: no honest key is any of those.
Result<X25519PublicKey> x25519_from_ed25519(const Ed25519PublicKey& key);

}  // namespace sotto::crypto
