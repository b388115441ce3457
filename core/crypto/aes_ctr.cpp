#include "core/crypto/aes_ctr.hpp"

#include <openssl/evp.h>

#include <cstdlib>

namespace sotto::crypto {

Result<AesCtr> AesCtr::create(ByteView key) {
    const EVP_CIPHER* c = key.size() == 16   ? EVP_aes_128_ctr()
                          : key.size() == 32 ? EVP_aes_256_ctr()
                                             : nullptr;
    if (c == nullptr) return fail(Errc::Malformed, "AES key must be 16 or 32 bytes");
    static const std::uint8_t kZeroIv[16] = {};
    auto* ctx = EVP_CIPHER_CTX_new();
    if (ctx == nullptr || EVP_EncryptInit_ex(ctx, c, nullptr, key.data(), kZeroIv) != 1) {
        EVP_CIPHER_CTX_free(ctx);
        return fail(Errc::Crypto, "AES-CTR initialisation failed");
    }
    AesCtr a;
    a.ctx_ = ctx;
    return a;
}

AesCtr::~AesCtr() {
    EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(ctx_));
}

AesCtr::AesCtr(AesCtr&& o) noexcept : ctx_(o.ctx_) {
    o.ctx_ = nullptr;
}

AesCtr& AesCtr::operator=(AesCtr&& o) noexcept {
    if (this != &o) {
        EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(ctx_));
        ctx_ = o.ctx_;
        o.ctx_ = nullptr;
    }
    return *this;
}

void AesCtr::apply(MutableByteView data) {
    int len = 0;
    if (EVP_EncryptUpdate(static_cast<EVP_CIPHER_CTX*>(ctx_), data.data(), &len, data.data(),
                          static_cast<int>(data.size())) != 1)
        std::abort();
}

}  // namespace sotto::crypto
