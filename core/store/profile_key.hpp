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

// The cost of new profiles and of every passphrase change: N = 2^17, r = 8
// takes 128 MiB and about 0.3–0.5 s per unlock on a laptop (bench_store),
// 4 times the work of the 2^15 that profiles made before used (those keep
// their N, which is stored, until the passphrase is changed).
inline constexpr crypto::ScryptParams kProfileScrypt{std::uint64_t(1) << 17, 8, 1};

// Parameters read from a file may be hostile: N a power of two in
// [2, 2^20], r in [1, 32], p in [1, 16], and 128·N·r·p at most 256 MiB.
// Errc::Malformed otherwise.
Status check_scrypt_params(const crypto::ScryptParams& params);

DataKey generate_data_key(Rng& rng);

// The key scrypt derives from the passphrase (the slow step, done once per
// unlock).
Result<crypto::AeadKey> passphrase_key(std::string_view passphrase,
                                       const crypto::ScryptParams& params, ByteView salt);

// What the wrapping binds besides the KDF parameters and the salt: whether
// the profile's rows carry MACs (row_integrity.hpp). A profile that has them
// cannot be passed off as one from before them (MACs, digest and flag
// stripped) without the passphrase: the data key would not unwrap.
struct KeyBinding {
    bool row_macs = false;
};

Result<Bytes> wrap_data_key(const DataKey& data_key, const crypto::AeadKey& passphrase_key,
                            const crypto::ScryptParams& params, ByteView salt, KeyBinding binding,
                            Rng& rng);
// Errc::BadSignature with message kWrongPassphrase when the passphrase (or
// the wrapped key, or the binding) is wrong.
Result<DataKey> unwrap_data_key(ByteView wrapped, const crypto::AeadKey& passphrase_key,
                                const crypto::ScryptParams& params, ByteView salt,
                                KeyBinding binding);

}  // namespace sotto::store
