#include "core/crypto/kdf.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <string_view>

namespace sotto::crypto {

namespace {

Result<SecretBytes> derive(const char* kdf_name, OSSL_PARAM* params, std::size_t len) {
    // Fetched once per algorithm: an implicit fetch per call costs more than
    // the derivation itself on the handshake path.
    static EVP_KDF* hkdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    static EVP_KDF* scrypt_kdf = EVP_KDF_fetch(nullptr, "SCRYPT", nullptr);
    EVP_KDF* kdf = std::string_view(kdf_name) == "HKDF" ? hkdf : scrypt_kdf;
    if (kdf == nullptr) return fail(Errc::Crypto, std::string(kdf_name) + " unavailable");
    EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
    if (ctx == nullptr) return fail(Errc::Crypto, "KDF context allocation failed");
    SecretBytes out(len);
    int ok = EVP_KDF_derive(ctx, out.data(), len, params);
    EVP_KDF_CTX_free(ctx);
    if (ok != 1) return fail(Errc::Crypto, std::string(kdf_name) + " derivation failed");
    return out;
}

char* mut(ByteView v) {
    return const_cast<char*>(reinterpret_cast<const char*>(v.data()));
}

}  // namespace

Result<SecretBytes> hkdf(HkdfHash h, ByteView ikm, ByteView salt, ByteView info, std::size_t len) {
    const char* digest = h == HkdfHash::Sha256 ? "SHA256" : "SHA3-256";
    OSSL_PARAM params[5];
    int i = 0;
    params[i++] =
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(digest), 0);
    params[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, mut(ikm), ikm.size());
    if (!salt.empty())
        params[i++] =
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, mut(salt), salt.size());
    params[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, mut(info), info.size());
    params[i] = OSSL_PARAM_construct_end();
    return derive("HKDF", params, len);
}

namespace {

Status hmac_into(const char* digest, ByteView key, ByteView data, MutableByteView out32) {
    static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) return fail(Errc::Crypto, "HMAC unavailable");
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
    if (ctx == nullptr) return fail(Errc::Crypto, "HMAC context allocation failed");
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
        OSSL_PARAM_construct_end()};
    std::size_t outlen = 0;
    bool ok = EVP_MAC_init(ctx, key.data(), key.size(), params) == 1 &&
              EVP_MAC_update(ctx, data.data(), data.size()) == 1 &&
              EVP_MAC_final(ctx, out32.data(), &outlen, out32.size()) == 1 && outlen == 32;
    EVP_MAC_CTX_free(ctx);
    if (!ok) return fail(Errc::Crypto, "HMAC failed");
    return {};
}

}  // namespace

Result<Bytes> hmac_sha3_256(ByteView key, ByteView data) {
    Bytes out(32);
    if (auto ok = hmac_into("SHA3-256", key, data, out); !ok) return std::unexpected(ok.error());
    return out;
}

Result<Secret<32>> hmac_sha256(ByteView key, ByteView data) {
    Secret<32> out;
    if (auto ok = hmac_into("SHA256", key, data, out.mut()); !ok)
        return std::unexpected(ok.error());
    return out;
}

Result<SecretBytes> scrypt(ByteView passphrase, ByteView salt, const ScryptParams& p,
                           std::size_t len) {
    std::uint64_t n = p.n;
    std::uint32_t r = p.r, par = p.p;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, mut(passphrase),
                                          passphrase.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, mut(salt), salt.size()),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &par),
        OSSL_PARAM_construct_end()};
    return derive("SCRYPT", params, len);
}

}  // namespace sotto::crypto
