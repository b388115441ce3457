// Per-contact introduction rate limit (paper 4.6, limitation 2): a rogue
// contact holds a valid descriptor cookie and could send many introductions
// with different rendezvous cookies to make the service build circuits. The
// service accepts at most `count` introductions per contact in any sliding
// window of length `window` (default 10 per hour, as the paper suggests) and
// counts the refusals, so the user can be told which contact misbehaves and
// decide to revoke it.
//
// A sliding-window log (the times of the accepted introductions) rather than a
// token bucket: it enforces "at most 10 in any hour" exactly, where a bucket
// would allow a burst of 10 plus a refill. Only accepted introductions enter
// the log, so a contact that keeps trying while limited is not locked out
// forever once it stops.
//
// Memory: the keys are contacts the service already recognised by their
// cookie, so the table holds at most one entry per contact, each at most
// `count` time points. A contact with an empty log and no violations is idle
// and forgotten by `prune`; violations are kept until `forget` (revocation) so
// the report survives quiet periods.
#pragma once

#include <cstdint>
#include <deque>
#include <unordered_map>

#include "core/util/bytes.hpp"
#include "core/util/time.hpp"

namespace sotto::hs {

struct ContactKeyTag {};
// An opaque 32-byte contact identifier chosen by the caller (e.g. H(CK_AB)).
using ContactKey = FixedBytes<32, ContactKeyTag>;

struct RateLimitConfig {
    std::size_t count = 10;
    Duration window = Duration::hours(1);
};

class RateLimiter {
  public:
    explicit RateLimiter(RateLimitConfig config = {});

    // True (and recorded) when `contact` had fewer than `count` accepted
    // introductions in (now - window, now]; otherwise counts a violation.
    bool allow(const ContactKey& contact, TimePoint now);
    // Refusals so far for this contact (0 for an unknown one).
    std::size_t violations(const ContactKey& contact) const;
    // Removes a contact entirely (revocation, or after reporting it).
    void forget(const ContactKey& contact);
    // Forgets idle contacts: nothing in the window and no violations.
    // O(contacts); call it now and then (e.g. hourly).
    void prune(TimePoint now);

    std::size_t tracked_contacts() const { return contacts_.size(); }
    const RateLimitConfig& config() const { return config_; }

  private:
    // Keys come only from the service's own contact table (after the cookie
    // check), so attacker-chosen collisions are not a concern.
    struct KeyHash {
        std::size_t operator()(const ContactKey& k) const noexcept;
    };
    struct State {
        std::deque<TimePoint> accepted;  // oldest first, at most config_.count
        std::size_t violations = 0;
    };
    void drop_old(State& s, TimePoint now) const;

    RateLimitConfig config_;
    std::unordered_map<ContactKey, State, KeyHash> contacts_;
};

}  // namespace sotto::hs
