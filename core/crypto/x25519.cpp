#include "core/crypto/x25519.hpp"

#include <openssl/evp.h>

#include <cstdlib>

namespace sotto::crypto {

void PkeyFree::operator()(evp_pkey_st* p) const noexcept {
    EVP_PKEY_free(p);
}

Result<X25519SecretKey> X25519SecretKey::from_bytes(ByteView scalar32) {
    if (scalar32.size() != 32) return fail(Errc::Malformed, "X25519 secret must be 32 bytes");
    EVP_PKEY* pk =
        EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, scalar32.data(), scalar32.size());
    if (pk == nullptr) return fail(Errc::Crypto, "X25519 key import failed");
    X25519SecretKey k;
    k.scalar_ = Secret<32>(scalar32);
    std::size_t len = 32;
    int ok = EVP_PKEY_get_raw_public_key(pk, k.pub_.data(), &len);
    k.pkey_.reset(pk);
    if (ok != 1) return fail(Errc::Crypto, "X25519 public key derivation failed");
    return k;
}

X25519SecretKey X25519SecretKey::generate(Rng& rng) {
    Secret<32> s;
    rng.fill(s.mut());
    auto k = from_bytes(s.view());
    if (!k) std::abort();
    return std::move(*k);
}

Result<SharedSecret> X25519SecretKey::agree(const X25519PublicKey& peer) const {
    EVP_PKEY* mine = pkey_.get();
    EVP_PKEY* theirs =
        EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer.data(), peer.size);
    EVP_PKEY_CTX* ctx = mine ? EVP_PKEY_CTX_new(mine, nullptr) : nullptr;
    SharedSecret out;
    std::size_t len = out.size;
    bool ok = ctx != nullptr && theirs != nullptr && EVP_PKEY_derive_init(ctx) == 1 &&
              EVP_PKEY_derive_set_peer(ctx, theirs) == 1 &&
              EVP_PKEY_derive(ctx, out.data(), &len) == 1 && len == 32;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(theirs);
    // OpenSSL already refuses an all-zero result; the explicit check keeps
    // that guarantee independent of the provider.
    if (!ok) return fail(Errc::Crypto, "X25519 agreement failed (invalid peer key)");
    std::uint8_t acc = 0;
    for (auto b : out.view()) acc |= b;
    if (acc == 0) return fail(Errc::Crypto, "X25519 agreement produced the zero point");
    return out;
}

}  // namespace sotto::crypto
