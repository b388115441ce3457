// Delayed descriptor publication (paper 4.5, DESIGN §2). A service publishes
// one descriptor per contact; if they all reached the directories at once,
// the arrival times alone would link the contacts' descriptors to one
// service. So uploads to the same HSDir are spaced (default 30 s) and every
// upload gets an independent random delay (default up to 30 s), which also
// hides relations from colluding directories.
//
// For each (upload, HSDir) pair:
//   send_at = max(now, last send to that HSDir + same_dir_spacing) + jitter
// with jitter uniform in [0, max_jitter] and pairs processed in the order
// given. The jitter is added after the spacing, not folded into it, because a
// gap of exactly `same_dir_spacing` between uploads would itself mark them as
// coming from one scheduler. Deterministic given the Rng; pure (no clock, no
// I/O).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "core/crypto/ed25519.hpp"
#include "core/hs/hs_types.hpp"
#include "core/util/rng.hpp"
#include "core/util/time.hpp"

namespace sotto::hs {

struct PublicationConfig {
    Duration same_dir_spacing = Duration::seconds(30);
    Duration max_jitter = Duration::seconds(30);
    // Off: everything is sent at `now` (tests, or a user who prefers speed
    // over unlinkability).
    bool enabled = true;
};

struct PendingUpload {
    DescriptorId id;
    // The HSDirs of both replicas (normally 3 + 3; duplicates are sent once).
    std::vector<crypto::Ed25519PublicKey> hsdirs;
    std::uint64_t token = 0;  // opaque to the scheduler; names the caller's job
};

struct ScheduledUpload {
    std::uint64_t token = 0;
    DescriptorId id;
    crypto::Ed25519PublicKey hsdir;
    TimePoint send_at;
    friend bool operator==(const ScheduledUpload&, const ScheduledUpload&) = default;
};

// One batch, with no memory of earlier uploads. Output in input order
// (upload by upload, HSDir by HSDir).
std::vector<ScheduledUpload> schedule(const std::vector<PendingUpload>& batch,
                                      const PublicationConfig& config, TimePoint now, Rng& rng);

// The same rules across batches: remembers when each HSDir was last (or will
// next be) sent to, and hands out uploads when they are due.
class PublicationScheduler {
  public:
    PublicationScheduler(PublicationConfig config, Rng& rng) : config_(config), rng_(rng) {}

    void add(const PendingUpload& upload, TimePoint now);
    // Uploads whose time has come, earliest first (ties in the order added).
    std::vector<ScheduledUpload> due(TimePoint now);
    // When due() next has something; never() when nothing is pending.
    TimePoint next_deadline() const;
    // Drops the pending uploads of a job (e.g. a superseded descriptor or a
    // revoked contact) and returns how many there were. The HSDirs' spacing
    // slots stay taken, so the schedule of other uploads does not move.
    std::size_t cancel(std::uint64_t token);
    std::size_t pending() const { return queue_.size(); }

  private:
    PublicationConfig config_;
    Rng& rng_;
    std::multimap<TimePoint, ScheduledUpload> queue_;
    std::map<crypto::Ed25519PublicKey, TimePoint> last_send_;
};

}  // namespace sotto::hs
