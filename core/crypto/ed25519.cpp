#include "core/crypto/ed25519.hpp"

#include <openssl/evp.h>

#include <cstdlib>

namespace sotto::crypto {

namespace {

EVP_PKEY* private_key(ByteView seed) {
    return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size());
}

}  // namespace

Result<Ed25519SecretKey> Ed25519SecretKey::from_seed(ByteView seed32) {
    if (seed32.size() != 32) return fail(Errc::Malformed, "Ed25519 seed must be 32 bytes");
    EVP_PKEY* pk = private_key(seed32);
    if (pk == nullptr) return fail(Errc::Crypto, "Ed25519 key import failed");
    Ed25519SecretKey k;
    k.seed_ = Secret<32>(seed32);
    std::size_t len = 32;
    int ok = EVP_PKEY_get_raw_public_key(pk, k.pub_.data(), &len);
    EVP_PKEY_free(pk);
    if (ok != 1) return fail(Errc::Crypto, "Ed25519 public key derivation failed");
    return k;
}

Secret<64> Ed25519SecretKey::expanded() const {
    Secret<64> out;
    unsigned int len = 0;
    if (EVP_Digest(seed_.data(), Secret<32>::size, out.data(), &len, EVP_sha512(), nullptr) != 1 ||
        len != 64)
        std::abort();  // SHA-512 of 32 bytes cannot fail but for a broken library
    out.data()[0] &= 248;
    out.data()[31] &= 127;
    out.data()[31] |= 64;
    return out;
}

Ed25519SecretKey Ed25519SecretKey::generate(Rng& rng) {
    Secret<32> seed;
    rng.fill(seed.mut());
    auto k = from_seed(seed.view());
    if (!k) std::abort();
    return std::move(*k);
}

Ed25519Signature Ed25519SecretKey::sign(ByteView message) const {
    // The EVP_PKEY is rebuilt per call so that no OpenSSL object outlives the
    // wiped seed; signing is not on a per-cell path.
    EVP_PKEY* pk = private_key(seed_.view());
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    Ed25519Signature sig;
    std::size_t len = sig.size;
    bool ok = pk != nullptr && ctx != nullptr &&
              EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, pk) == 1 &&
              EVP_DigestSign(ctx, sig.data(), &len, message.data(), message.size()) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pk);
    if (!ok) std::abort();
    return sig;
}

bool ed25519_verify(const Ed25519PublicKey& key, ByteView message, const Ed25519Signature& sig) {
    EVP_PKEY* pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size);
    if (pk == nullptr) return false;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    bool ok = ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pk) == 1 &&
              EVP_DigestVerify(ctx, sig.data(), sig.size, message.data(), message.size()) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pk);
    return ok;
}

}  // namespace sotto::crypto
