// X25519 Diffie-Hellman (RFC 7748): relay onion keys, the ntor circuit
// handshake, the link handshake and, later, the introduction handshake.
#pragma once

#include <memory>

#include "core/util/bytes.hpp"
#include "core/util/error.hpp"
#include "core/util/rng.hpp"

struct evp_pkey_st;

namespace sotto::crypto {

// Frees (and thereby wipes) an OpenSSL key object.
struct PkeyFree {
    void operator()(evp_pkey_st* p) const noexcept;
};

struct X25519PublicTag {};
using X25519PublicKey = FixedBytes<32, X25519PublicTag>;
using SharedSecret = Secret<32>;

class X25519SecretKey {
  public:
    static X25519SecretKey generate(Rng& rng);
    static Result<X25519SecretKey> from_bytes(ByteView scalar32);

    const X25519PublicKey& public_key() const { return pub_; }
    // Fails on an all-zero result (a small-order peer key), as RFC 7748 §6.1
    // recommends checking.
    Result<SharedSecret> agree(const X25519PublicKey& peer) const;
    ByteView secret_bytes() const { return scalar_.view(); }  // for encrypted storage only

    X25519SecretKey(X25519SecretKey&&) noexcept = default;
    X25519SecretKey& operator=(X25519SecretKey&&) noexcept = default;

  private:
    X25519SecretKey() = default;
    Secret<32> scalar_;
    X25519PublicKey pub_;
    // Kept so each agreement costs one scalar multiplication, not three.
    std::unique_ptr<evp_pkey_st, PkeyFree> pkey_;
};

}  // namespace sotto::crypto
