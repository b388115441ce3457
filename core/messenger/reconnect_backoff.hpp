// Reconnect delays for contacts that are offline: after the k-th consecutive
// failed attempt (k ≥ 1) wait min·2^(k-1), capped at max, with ±25 % jitter
// so that two profiles that lost each other at the same moment (or a
// profile and all its contacts after a restart) do not retry in lock step.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/util/rng.hpp"
#include "core/util/time.hpp"

namespace sotto::messenger {

inline Duration reconnect_delay(std::uint32_t failures, Duration min, Duration max, Rng& rng) {
    if (failures == 0) return Duration{};
    Duration base = min;
    for (std::uint32_t k = 1; k < failures && base < max; ++k) base = base * 2;
    base = std::min(base, max);
    const std::int64_t quarter = base.us / 4;
    if (quarter <= 0) return base;
    const auto spread =
        static_cast<std::int64_t>(rng.uniform(static_cast<std::uint64_t>(2 * quarter + 1)));
    return Duration{base.us - quarter + spread};
}

}  // namespace sotto::messenger
