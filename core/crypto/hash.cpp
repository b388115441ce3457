#include "core/crypto/hash.hpp"

#include <openssl/evp.h>

#include <cstdlib>

namespace sotto::crypto {

namespace {

const EVP_MD* md_for(RunningDigest::Algorithm a) {
    // Fetched once; EVP_MD_fetch avoids the implicit-fetch cost on every use.
    static EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    static EVP_MD* sha3 = EVP_MD_fetch(nullptr, "SHA3-256", nullptr);
    return a == RunningDigest::Algorithm::Sha256 ? sha256 : sha3;
}

void must(int ok) {
    // Hash functions only fail on allocation failure or a broken provider;
    // there is no sensible way to continue.
    if (ok != 1) std::abort();
}

Digest256 one_shot(const char* name, ByteView data) {
    Digest256 out;
    unsigned int len = 0;
    must(EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_get_digestbyname(name),
                    nullptr));
    return out;
}

}  // namespace

Digest256 sha3_256(ByteView data) {
    return one_shot("SHA3-256", data);
}
Digest256 sha256(ByteView data) {
    return one_shot("SHA256", data);
}

Digest256 sha3_256_parts(std::initializer_list<ByteView> parts) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    must(ctx != nullptr);
    must(EVP_DigestInit_ex(ctx, md_for(RunningDigest::Algorithm::Sha3_256), nullptr));
    for (auto p : parts) {
        std::uint8_t len[4] = {
            static_cast<std::uint8_t>(p.size() >> 24), static_cast<std::uint8_t>(p.size() >> 16),
            static_cast<std::uint8_t>(p.size() >> 8), static_cast<std::uint8_t>(p.size())};
        must(EVP_DigestUpdate(ctx, len, 4));
        must(EVP_DigestUpdate(ctx, p.data(), p.size()));
    }
    Digest256 out;
    unsigned int n = 0;
    must(EVP_DigestFinal_ex(ctx, out.data(), &n));
    EVP_MD_CTX_free(ctx);
    return out;
}

void shake256(ByteView data, MutableByteView out) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    must(ctx != nullptr);
    must(EVP_DigestInit_ex(ctx, EVP_shake256(), nullptr));
    must(EVP_DigestUpdate(ctx, data.data(), data.size()));
    must(EVP_DigestFinalXOF(ctx, out.data(), out.size()));
    EVP_MD_CTX_free(ctx);
}

RunningDigest::RunningDigest(Algorithm a) : alg_(a) {
    auto* ctx = EVP_MD_CTX_new();
    must(ctx != nullptr);
    must(EVP_DigestInit_ex(ctx, md_for(a), nullptr));
    ctx_ = ctx;
}

RunningDigest::~RunningDigest() {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
}

RunningDigest::RunningDigest(RunningDigest&& o) noexcept : ctx_(o.ctx_), alg_(o.alg_) {
    o.ctx_ = nullptr;
}

RunningDigest& RunningDigest::operator=(RunningDigest&& o) noexcept {
    if (this != &o) {
        EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
        ctx_ = o.ctx_;
        alg_ = o.alg_;
        o.ctx_ = nullptr;
    }
    return *this;
}

void RunningDigest::update(ByteView data) {
    must(EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size()));
}

Digest256 RunningDigest::peek() const {
    // Thread-local scratch context avoids an allocation per cell.
    thread_local EVP_MD_CTX* scratch = EVP_MD_CTX_new();
    must(EVP_MD_CTX_copy_ex(scratch, static_cast<EVP_MD_CTX*>(ctx_)));
    Digest256 out;
    unsigned int n = 0;
    must(EVP_DigestFinal_ex(scratch, out.data(), &n));
    return out;
}

void RunningDigest::copy_to(RunningDigest& other) const {
    must(EVP_MD_CTX_copy_ex(static_cast<EVP_MD_CTX*>(other.ctx_), static_cast<EVP_MD_CTX*>(ctx_)));
    other.alg_ = alg_;
}

}  // namespace sotto::crypto
