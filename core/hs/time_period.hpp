// Time periods of descriptor ids (paper 4.3, DESIGN §2): descriptor ids change
// once per period so a descriptor wanders over the HSDir ring, and the moment
// of change depends on the first byte of H(CK), so that the transitions of a
// service's many per-contact descriptors (and of different services) are
// spread over the whole period instead of causing one re-publication burst.
//
//   TP = floor((now + id_byte * period / 256) / period)
//
// with `period` in whole seconds (at least 1; shorter values count as 1 s).
// All arithmetic is exact 64-bit integer math with floor division, valid for
// every `now` (negative times included) without overflow.
#pragma once

#include <cstdint>

#include "core/hs/hs_types.hpp"
#include "core/util/time.hpp"

namespace sotto::hs {

// Default period length (DESIGN §2); tests and the local network use shorter ones.
inline constexpr Duration kDefaultTimePeriod = Duration::hours(24);

std::int64_t time_period(std::int64_t now_unix, const ClientKeyId& id, Duration period);
// First unix second that belongs to period `tp` for this id. Saturates at the
// int64 range for absurd `tp`.
std::int64_t period_start(std::int64_t tp, const ClientKeyId& id, Duration period);
// The unix second at which period `tp + 1` begins for this id (one past the
// last second of `tp`): when to have the next period's descriptor published.
std::int64_t period_end(std::int64_t tp, const ClientKeyId& id, Duration period);

}  // namespace sotto::hs
