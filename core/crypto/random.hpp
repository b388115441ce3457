// The two random generators behind util's Rng interface: production draws
// from the operating system's CSPRNG through OpenSSL; tests and the
// simulator use a seeded SHAKE-256 stream, so a seed replays a run bit for
// bit. Nothing in the core calls RAND_bytes directly.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "core/util/bytes.hpp"
#include "core/util/rng.hpp"

namespace sotto {

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
