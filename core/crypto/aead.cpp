#include "core/crypto/aead.hpp"

#include <openssl/evp.h>

namespace sotto::crypto {

AeadNonce nonce_from_counter(std::uint64_t counter) {
    AeadNonce n;
    for (int i = 0; i < 8; ++i) n.bytes[4 + i] = static_cast<std::uint8_t>(counter >> (8 * i));
    return n;
}

Status aead_seal_append(const AeadKey& key, const AeadNonce& nonce, ByteView aad, ByteView plain,
                        Bytes& out) {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    if (ctx == nullptr) return fail(Errc::Crypto, "cipher context allocation failed");
    const std::size_t base = out.size();
    out.resize(base + plain.size() + kAeadTagLen);
    int len = 0;
    bool ok =
        EVP_EncryptInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, key.data(), nonce.data()) == 1 &&
        (aad.empty() ||
         EVP_EncryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1) &&
        EVP_EncryptUpdate(ctx, out.data() + base, &len, plain.data(),
                          static_cast<int>(plain.size())) == 1 &&
        EVP_EncryptFinal_ex(ctx, out.data() + base + len, &len) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kAeadTagLen,
                            out.data() + base + plain.size()) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        out.resize(base);
        return fail(Errc::Crypto, "AEAD encryption failed");
    }
    return {};
}

Result<Bytes> aead_seal(const AeadKey& key, const AeadNonce& nonce, ByteView aad, ByteView plain) {
    Bytes out;
    out.reserve(plain.size() + kAeadTagLen);
    if (auto s = aead_seal_append(key, nonce, aad, plain, out); !s)
        return std::unexpected(s.error());
    return out;
}

Result<Bytes> aead_open(const AeadKey& key, const AeadNonce& nonce, ByteView aad, ByteView sealed) {
    if (sealed.size() < kAeadTagLen)
        return fail(Errc::Truncated, "sealed data shorter than its tag");
    const std::size_t n = sealed.size() - kAeadTagLen;
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    if (ctx == nullptr) return fail(Errc::Crypto, "cipher context allocation failed");
    Bytes out(n);
    int len = 0;
    bool ok =
        EVP_DecryptInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, key.data(), nonce.data()) == 1 &&
        (aad.empty() ||
         EVP_DecryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1) &&
        EVP_DecryptUpdate(ctx, out.data(), &len, sealed.data(), static_cast<int>(n)) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kAeadTagLen,
                            const_cast<std::uint8_t*>(sealed.data() + n)) == 1;
    bool tag_ok = ok && EVP_DecryptFinal_ex(ctx, out.data() + len, &len) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!tag_ok) {
        secure_wipe(out.data(), out.size());
        return fail(Errc::BadSignature, "authentication tag did not verify");
    }
    return out;
}

}  // namespace sotto::crypto
