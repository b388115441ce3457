#include "core/hs/time_period.hpp"

#include <limits>

namespace sotto::hs {

namespace {

std::int64_t period_seconds(Duration period) {
    // A period below one second would make every second its own period and
    // divide by zero at 0; treat it as the one-second minimum.
    const std::int64_t s = period.seconds_count();
    return s < 1 ? 1 : s;
}

// floor(id_byte * p / 256), split so the product cannot overflow:
// id * (q*256 + r) / 256 = id*q + floor(id*r / 256), and id*r < 2^16.
std::int64_t id_offset(const ClientKeyId& id, std::int64_t p) {
    const std::int64_t b = id.bytes[0];
    return b * (p / 256) + b * (p % 256) / 256;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

// In [0, b) for b > 0; computed from `%` so that it cannot overflow.
std::int64_t floor_mod(std::int64_t a, std::int64_t b) {
    std::int64_t r = a % b;
    if (r < 0) r += b;
    return r;
}

std::int64_t saturate(__int128 v) {
    if (v > std::numeric_limits<std::int64_t>::max())
        return std::numeric_limits<std::int64_t>::max();
    if (v < std::numeric_limits<std::int64_t>::min())
        return std::numeric_limits<std::int64_t>::min();
    return static_cast<std::int64_t>(v);
}

}  // namespace

std::int64_t time_period(std::int64_t now_unix, const ClientKeyId& id, Duration period) {
    const std::int64_t p = period_seconds(period);
    // floor((now + off) / p) = floor(now / p) + floor((now mod p + off) / p);
    // both terms of the second sum are below p (at most about 2^43 s, the
    // longest Duration), so nothing overflows even for now near the int64
    // limits.
    return floor_div(now_unix, p) + (floor_mod(now_unix, p) + id_offset(id, p)) / p;
}

std::int64_t period_start(std::int64_t tp, const ClientKeyId& id, Duration period) {
    const std::int64_t p = period_seconds(period);
    // TP(s) = tp  <=>  tp*p <= s + off < (tp+1)*p.
    return saturate(static_cast<__int128>(tp) * p - id_offset(id, p));
}

std::int64_t period_end(std::int64_t tp, const ClientKeyId& id, Duration period) {
    const std::int64_t p = period_seconds(period);
    return saturate((static_cast<__int128>(tp) + 1) * p - id_offset(id, p));
}

}  // namespace sotto::hs
