#include "core/crypto/ed25519_x25519.hpp"

#include <sodium.h>

#include <cstdlib>

namespace sotto::crypto {

namespace {

void ensure_sodium() {
    // sodium_init is idempotent and thread-safe; it fails only when the
    // system has no randomness source, and then nothing here may go on.
    static const bool ok = sodium_init() >= 0;
    if (!ok) std::abort();
}

}  // namespace

X25519SecretKey x25519_from_ed25519(const Ed25519SecretKey& key) {
    ensure_sodium();
    // libsodium's secret key is seed | public key.
    Secret<crypto_sign_SECRETKEYBYTES> sk;
    std::copy_n(key.seed().begin(), 32, sk.data());
    std::copy_n(key.public_key().bytes.begin(), 32, sk.data() + 32);
    Secret<32> scalar;
    if (crypto_sign_ed25519_sk_to_curve25519(scalar.data(), sk.data()) != 0) std::abort();
    auto x = X25519SecretKey::from_bytes(scalar.view());
    // Any 32 bytes are an X25519 scalar.
    if (!x) std::abort();
    return std::move(*x);
}

Result<X25519PublicKey> x25519_from_ed25519(const Ed25519PublicKey& key) {
    ensure_sodium();
    X25519PublicKey out;
    if (crypto_sign_ed25519_pk_to_curve25519(out.data(), key.data()) != 0)
        return fail(Errc::Malformed, "not a usable Ed25519 public key");
    return out;
}

}  // namespace sotto::crypto
