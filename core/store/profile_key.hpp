// The profile's key hierarchy: a random 32-byte data key seals every field
// (through SealedBox); the data key itself is stored wrapped
// (ChaCha20-Poly1305) under a passphrase key from scrypt. Salt, scrypt
// parameters and the wrapped key sit in the clear `meta` table; the wrapped
// key's tag is the check value that tells a wrong passphrase apart, and
// changing the passphrase only rewraps the data key.
#pragma once

#include <string_view>

#include "core/crypto/kdf.hpp"
#include "core/store/sealed_box.hpp"
#include "core/util/bytes.hpp"
#include "core/util/error.hpp"
#include "core/util/rng.hpp"

namespace sotto::store {

inline constexpr std::size_t kSaltLen = 16;
// nonce || wrapped key || tag
inline constexpr std::size_t kWrappedKeyLen = crypto::kAeadNonceLen + 32 + crypto::kAeadTagLen;

// Parameters read from a file may be hostile: N a power of two in
// [2, 2^20], r in [1, 32], p in [1, 16], and 128·N·r·p at most 256 MiB (the
// default, N = 2^15 and r = 8, takes 32 MiB). Errc::Malformed otherwise.
Status check_scrypt_params(const crypto::ScryptParams& params);

DataKey generate_data_key(Rng& rng);

Result<Bytes> wrap_data_key(const DataKey& data_key, std::string_view passphrase,
                            const crypto::ScryptParams& params, ByteView salt, Rng& rng);
// Errc::BadSignature with message kWrongPassphrase when the passphrase (or
// the wrapped key) is wrong.
Result<DataKey> unwrap_data_key(ByteView wrapped, std::string_view passphrase,
                                const crypto::ScryptParams& params, ByteView salt);

}  // namespace sotto::store
