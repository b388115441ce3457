// ChaCha20-Poly1305 (RFC 8439): link records, encrypted descriptor sections,
// introduction requests and storage. 32-byte key, 12-byte nonce, 16-byte tag.
#pragma once

#include "core/util/bytes.hpp"
#include "core/util/error.hpp"

namespace sotto::crypto {

inline constexpr std::size_t kAeadKeyLen = 32;
inline constexpr std::size_t kAeadNonceLen = 12;
inline constexpr std::size_t kAeadTagLen = 16;

using AeadKey = Secret<kAeadKeyLen>;
struct AeadNonceTag {};
using AeadNonce = FixedBytes<kAeadNonceLen, AeadNonceTag>;

// Nonce from a 64-bit counter (little-endian, as RFC 8439 §2.8 does).
AeadNonce nonce_from_counter(std::uint64_t counter);

// Returns ciphertext || tag.
Result<Bytes> aead_seal(const AeadKey& key, const AeadNonce& nonce, ByteView aad, ByteView plain);
// Appends ciphertext || tag to `out` without an intermediate buffer.
Status aead_seal_append(const AeadKey& key, const AeadNonce& nonce, ByteView aad, ByteView plain,
                        Bytes& out);
// Fails with BadSignature when the tag does not verify; returns no plaintext then.
Result<Bytes> aead_open(const AeadKey& key, const AeadNonce& nonce, ByteView aad, ByteView sealed);

}  // namespace sotto::crypto
