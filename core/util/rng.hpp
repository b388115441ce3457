// Randomness is injected. Production uses the operating system's CSPRNG
// through OpenSSL; the simulator uses a seeded deterministic generator so a
// seed replays a run bit for bit. Nothing in the core calls RAND_bytes
// directly.
#pragma once

#include <cstdint>
#include <memory>

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

// OpenSSL RAND_bytes; aborts if the CSPRNG fails, because continuing with
// predictable keys would be worse than stopping.
class SystemRng final : public Rng {
  public:
    void fill(MutableByteView out) override;
};

// SHAKE-256 keyed stream; for tests and the simulator only.
class DeterministicRng final : public Rng {
  public:
    explicit DeterministicRng(std::uint64_t seed);
    void fill(MutableByteView out) override;
    // A child generator with an independent stream (one per simulated node).
    std::unique_ptr<DeterministicRng> fork(std::uint64_t label);

  private:
    DeterministicRng(ByteView key, std::uint64_t label);
    std::array<std::uint8_t, 32> key_{};
    std::uint64_t counter_ = 0;
    std::array<std::uint8_t, 136> block_{};
    std::size_t pos_ = sizeof(block_);
};

}  // namespace sotto
