// Key derivation: HKDF (RFC 5869) over SHA3-256 for protocol keys, with a
// SHA-256 variant for the RFC's test vectors; scrypt for passphrases.
#pragma once

#include "core/util/bytes.hpp"
#include "core/util/error.hpp"

namespace sotto::crypto {

enum class HkdfHash { Sha256, Sha3_256 };

// Output length up to 255 * hash length.
Result<SecretBytes> hkdf(HkdfHash h, ByteView ikm, ByteView salt, ByteView info, std::size_t len);

// HMAC over SHA3-256 (the ntor handshake's H_mac).
Result<Bytes> hmac_sha3_256(ByteView key, ByteView data);
// HMAC over SHA-256 (RFC 2104): the HKDF of the Noise sessions between
// contacts (core/session), whose suite fixes SHA-256. The result is key
// material, so it is a Secret.
Result<Secret<32>> hmac_sha256(ByteView key, ByteView data);

struct ScryptParams {
    std::uint64_t n = 1u << 15;
    std::uint32_t r = 8;
    std::uint32_t p = 1;
};
Result<SecretBytes> scrypt(ByteView passphrase, ByteView salt, const ScryptParams& params,
                           std::size_t len);

}  // namespace sotto::crypto
