#include "core/store/profile_key.hpp"

#include "core/crypto/aead.hpp"
#include "core/store/profile_store.hpp"

namespace sotto::store {

namespace {

constexpr std::string_view kWrapAadLabel = "sotto/profile/v1/data-key";

// The associated data binds the KDF parameters and salt to the wrapped key,
// and (only when set, so that older profiles keep opening) the binding.
Bytes wrap_aad(const crypto::ScryptParams& params, ByteView salt, KeyBinding binding) {
    Bytes aad(kWrapAadLabel.begin(), kWrapAadLabel.end());
    aad.push_back(0);
    auto n = le64(static_cast<std::int64_t>(params.n));
    auto r = le64(params.r);
    auto p = le64(params.p);
    aad.insert(aad.end(), n.begin(), n.end());
    aad.insert(aad.end(), r.begin(), r.end());
    aad.insert(aad.end(), p.begin(), p.end());
    aad.insert(aad.end(), salt.begin(), salt.end());
    if (binding.row_macs) {
        constexpr std::string_view kRowMacs = "row-macs/v1";
        aad.insert(aad.end(), kRowMacs.begin(), kRowMacs.end());
    }
    return aad;
}

}  // namespace

Status check_scrypt_params(const crypto::ScryptParams& params) {
    const std::uint64_t n = params.n;
    const bool pow2 = n >= 2 && (n & (n - 1)) == 0;
    if (!pow2 || n > (1u << 20) || params.r < 1 || params.r > 32 || params.p < 1 || params.p > 16 ||
        128ull * params.r * n * params.p > (1ull << 28))
        return fail(Errc::Malformed, "profile: unsupported scrypt parameters");
    return {};
}

DataKey generate_data_key(Rng& rng) {
    DataKey k;
    rng.fill(k.mut());
    return k;
}

Result<crypto::AeadKey> passphrase_key(std::string_view passphrase,
                                       const crypto::ScryptParams& params, ByteView salt) {
    if (auto s = check_scrypt_params(params); !s) return std::unexpected(s.error());
    auto k = crypto::scrypt(as_bytes(passphrase), salt, params, crypto::kAeadKeyLen);
    if (!k) return std::unexpected(k.error());
    return crypto::AeadKey(k->view());
}

Result<Bytes> wrap_data_key(const DataKey& data_key, const crypto::AeadKey& pk,
                            const crypto::ScryptParams& params, ByteView salt, KeyBinding binding,
                            Rng& rng) {
    crypto::AeadNonce nonce;
    rng.fill(nonce.bytes);
    Bytes out(nonce.bytes.begin(), nonce.bytes.end());
    if (auto s = crypto::aead_seal_append(pk, nonce, wrap_aad(params, salt, binding),
                                          data_key.view(), out);
        !s)
        return std::unexpected(s.error());
    return out;
}

Result<DataKey> unwrap_data_key(ByteView wrapped, const crypto::AeadKey& pk,
                                const crypto::ScryptParams& params, ByteView salt,
                                KeyBinding binding) {
    if (wrapped.size() != kWrappedKeyLen)
        return fail(Errc::Malformed, "profile: the wrapped data key has the wrong length");
    auto nonce = crypto::AeadNonce::from(wrapped.first(crypto::kAeadNonceLen));
    auto plain = crypto::aead_open(pk, nonce, wrap_aad(params, salt, binding),
                                   wrapped.subspan(crypto::kAeadNonceLen));
    if (!plain) {
        if (plain.error().code == Errc::BadSignature)
            return fail(Errc::BadSignature, kWrongPassphrase);
        return std::unexpected(plain.error());
    }
    DataKey k(*plain);
    secure_wipe(plain->data(), plain->size());
    return k;
}

}  // namespace sotto::store
