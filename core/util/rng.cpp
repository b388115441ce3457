#include "core/util/rng.hpp"

namespace sotto {

std::uint64_t Rng::next_u64() {
    std::uint8_t b[8];
    fill(b);
    std::uint64_t v = 0;
    for (auto x : b) v = v << 8 | x;
    return v;
}

std::uint64_t Rng::uniform(std::uint64_t bound) {
    if (bound <= 1) return 0;
    // Rejection sampling removes the modulo bias.
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    for (;;) {
        std::uint64_t v = next_u64();
        if (v < limit) return v % bound;
    }
}

Bytes Rng::bytes(std::size_t n) {
    Bytes b(n);
    fill(b);
    return b;
}

}  // namespace sotto
