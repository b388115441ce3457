// Ed25519 signatures (RFC 8032): relay and authority identities, relay
// descriptors, consensus signatures, link authentication and, later, the
// per-contact client keys CK of the private-service protocol.
#pragma once

#include "core/util/bytes.hpp"
#include "core/util/error.hpp"
#include "core/util/rng.hpp"

namespace sotto::crypto {

struct Ed25519PublicTag {};
struct Ed25519SignatureTag {};
using Ed25519PublicKey = FixedBytes<32, Ed25519PublicTag>;
using Ed25519Signature = FixedBytes<64, Ed25519SignatureTag>;

// Holds the 32-byte seed; move-only and wiped.
class Ed25519SecretKey {
  public:
    static Ed25519SecretKey generate(Rng& rng);
    static Result<Ed25519SecretKey> from_seed(ByteView seed32);

    const Ed25519PublicKey& public_key() const { return pub_; }
    Ed25519Signature sign(ByteView message) const;
    ByteView seed() const { return seed_.view(); }  // for encrypted storage only
    // The expanded secret key (RFC 8032 5.1.5): SHA-512 of the seed, its
    // first half clamped into the scalar, the second half the nonce prefix.
    // Tor keeps service keys in this form and ADD_ONION takes it.
    Secret<64> expanded() const;

    Ed25519SecretKey(Ed25519SecretKey&&) noexcept = default;
    Ed25519SecretKey& operator=(Ed25519SecretKey&&) noexcept = default;

  private:
    Ed25519SecretKey() = default;
    Secret<32> seed_;
    Ed25519PublicKey pub_;
};

bool ed25519_verify(const Ed25519PublicKey& key, ByteView message, const Ed25519Signature& sig);

}  // namespace sotto::crypto
