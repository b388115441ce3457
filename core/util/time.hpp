// Time as the core sees it: a plain count of microseconds since the Unix
// epoch, passed in by the driver. The core never reads a clock itself, so the
// simulator can run it on a virtual clock.
#pragma once

#include <cstdint>
#include <limits>

namespace sotto {

struct Duration {
    std::int64_t us = 0;
    static constexpr Duration micros(std::int64_t v) { return {v}; }
    static constexpr Duration millis(std::int64_t v) { return {v * 1000}; }
    static constexpr Duration seconds(std::int64_t v) { return {v * 1000000}; }
    static constexpr Duration minutes(std::int64_t v) { return seconds(v * 60); }
    static constexpr Duration hours(std::int64_t v) { return minutes(v * 60); }
    constexpr std::int64_t seconds_count() const { return us / 1000000; }
    friend constexpr auto operator<=>(Duration, Duration) = default;
    friend constexpr Duration operator+(Duration a, Duration b) { return {a.us + b.us}; }
    friend constexpr Duration operator-(Duration a, Duration b) { return {a.us - b.us}; }
    friend constexpr Duration operator*(Duration a, std::int64_t k) { return {a.us * k}; }
    friend constexpr Duration operator/(Duration a, std::int64_t k) { return {a.us / k}; }
};

struct TimePoint {
    std::int64_t us = 0;  // since the Unix epoch
    static constexpr TimePoint from_seconds(std::int64_t s) { return {s * 1000000}; }
    static constexpr TimePoint never() { return {std::numeric_limits<std::int64_t>::max()}; }
    constexpr std::int64_t unix_seconds() const { return us / 1000000; }
    friend constexpr auto operator<=>(TimePoint, TimePoint) = default;
    friend constexpr TimePoint operator+(TimePoint t, Duration d) { return {t.us + d.us}; }
    friend constexpr TimePoint operator-(TimePoint t, Duration d) { return {t.us - d.us}; }
    friend constexpr Duration operator-(TimePoint a, TimePoint b) { return {a.us - b.us}; }
};

inline constexpr TimePoint earliest(TimePoint a, TimePoint b) {
    return a < b ? a : b;
}

}  // namespace sotto
