// Randomness is injected: every component that draws random bytes takes an
// Rng. The generators themselves (the system CSPRNG and the simulator's
// seeded one) live in core/crypto/random.hpp, because the deterministic one
// is built on SHAKE-256 and util sits below crypto.
#pragma once

#include <cstdint>

#include "core/util/bytes.hpp"

namespace sotto {

class Rng {
  public:
    virtual ~Rng() = default;
    virtual void fill(MutableByteView out) = 0;

    std::uint64_t next_u64();
    // Uniform in [0, bound) without modulo bias; bound > 0.
    std::uint64_t uniform(std::uint64_t bound);
    Bytes bytes(std::size_t n);
};

}  // namespace sotto
