#include "core/crypto/random.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/crypto/hash.hpp"

namespace sotto {

void SystemRng::fill(MutableByteView out) {
    if (out.empty()) return;
    if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) std::abort();
}

DeterministicRng::DeterministicRng(std::uint64_t seed) {
    std::uint8_t s[16] = {'s', 'o', 't', 't', 'o', '-', 'r', 'n', 'g'};
    for (int i = 0; i < 8; ++i) s[8 + i] = static_cast<std::uint8_t>(seed >> (8 * i));
    auto d = crypto::sha3_256(ByteView(s, sizeof s));
    key_ = d.bytes;
}

DeterministicRng::DeterministicRng(ByteView key, std::uint64_t label) {
    std::uint8_t l[8];
    for (int i = 0; i < 8; ++i) l[i] = static_cast<std::uint8_t>(label >> (8 * i));
    auto d = crypto::sha3_256_parts({key, ByteView(l, 8), as_bytes("fork")});
    key_ = d.bytes;
}

std::unique_ptr<DeterministicRng> DeterministicRng::fork(std::uint64_t label) {
    return std::unique_ptr<DeterministicRng>(new DeterministicRng(key_, label));
}

void DeterministicRng::fill(MutableByteView out) {
    std::size_t done = 0;
    while (done < out.size()) {
        if (pos_ == block_.size()) {
            std::uint8_t in[40];
            std::memcpy(in, key_.data(), 32);
            for (int i = 0; i < 8; ++i) in[32 + i] = static_cast<std::uint8_t>(counter_ >> (8 * i));
            ++counter_;
            crypto::shake256(ByteView(in, sizeof in), block_);
            pos_ = 0;
        }
        std::size_t n = std::min(out.size() - done, block_.size() - pos_);
        std::memcpy(out.data() + done, block_.data() + pos_, n);
        pos_ += n;
        done += n;
    }
}

}  // namespace sotto
