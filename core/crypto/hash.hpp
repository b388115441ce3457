// Hash functions of the protocol: SHA3-256 is `H` everywhere (DESIGN §2);
// SHAKE-256 is an extendable-output function for stream derivation; SHA-256
// is used by the relay-cell running digest (fast with SHA extensions) and by
// the RFC 5869 HKDF test vectors.
#pragma once

#include <initializer_list>

#include "core/util/bytes.hpp"

namespace sotto::crypto {

struct DigestTag {};
using Digest256 = FixedBytes<32, DigestTag>;

Digest256 sha3_256(ByteView data);
// H(a, b, ...) : SHA3-256 over the concatenation of length-prefixed parts, so
// that ("ab","c") and ("a","bc") never collide.
Digest256 sha3_256_parts(std::initializer_list<ByteView> parts);
Digest256 sha256(ByteView data);
void shake256(ByteView data, MutableByteView out);

// Incremental hash whose intermediate state can be read without ending it
// (needed for the running relay-cell digest).
class RunningDigest {
  public:
    enum class Algorithm { Sha256, Sha3_256 };
    explicit RunningDigest(Algorithm a = Algorithm::Sha256);
    ~RunningDigest();
    RunningDigest(RunningDigest&&) noexcept;
    RunningDigest& operator=(RunningDigest&&) noexcept;
    RunningDigest(const RunningDigest&) = delete;
    RunningDigest& operator=(const RunningDigest&) = delete;

    void update(ByteView data);
    // Digest of everything fed so far; the running state continues.
    Digest256 peek() const;
    // Copies state into `other` (for try-then-commit checks).
    void copy_to(RunningDigest& other) const;

  private:
    void* ctx_ = nullptr;  // EVP_MD_CTX
    Algorithm alg_;
};

}  // namespace sotto::crypto
