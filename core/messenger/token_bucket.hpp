// A token bucket on the injected clock: up to `burst` takes at once, then
// one per `interval`. The engine limits each contact's incoming messages
// with it (MessengerConfig::incoming_burst / incoming_interval).
//
// Credit is kept as time (one token = one interval) so refilling is exact
// integer arithmetic whatever the clock's step. A clock that goes backwards
// refills nothing but takes nothing away either, so a jump back cannot lock
// a contact out.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

#include "core/util/time.hpp"

namespace sotto::messenger {

class TokenBucket {
  public:
    TokenBucket(std::uint32_t burst, Duration interval)
        : interval_(interval), capacity_(interval * burst), credit_(capacity_) {}

    // True, and one token used, if a token is available at `now`.
    bool take(TimePoint now) {
        if (last_ && now > *last_) credit_ = std::min(capacity_, credit_ + (now - *last_));
        last_ = now;
        if (credit_ < interval_) return false;
        credit_ = credit_ - interval_;
        return true;
    }

  private:
    Duration interval_;
    Duration capacity_;
    Duration credit_;  // full until the first take
    std::optional<TimePoint> last_;
};

}  // namespace sotto::messenger
