// AES-CTR keystream for layered relay-cell encryption. Each circuit hop keeps
// one stream per direction whose counter runs across cells, like Tor's relay
// crypto. The EVP context is created once and reused for every cell.
#pragma once

#include "core/util/bytes.hpp"
#include "core/util/error.hpp"

namespace sotto::crypto {

class AesCtr {
  public:
    // key: 16 or 32 bytes; the IV is all zero because each key is used for one
    // direction of one circuit hop only.
    static Result<AesCtr> create(ByteView key);
    ~AesCtr();
    AesCtr(AesCtr&&) noexcept;
    AesCtr& operator=(AesCtr&&) noexcept;
    AesCtr(const AesCtr&) = delete;
    AesCtr& operator=(const AesCtr&) = delete;

    // In-place XOR with the next keystream bytes.
    void apply(MutableByteView data);

  private:
    AesCtr() = default;
    void* ctx_ = nullptr;  // EVP_CIPHER_CTX
};

}  // namespace sotto::crypto
