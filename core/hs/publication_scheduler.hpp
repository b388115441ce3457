// Delayed descriptor publication (paper 4.5, DESIGN §2). A service publishes
// one descriptor per contact; if they all reached the directories at once,
// the arrival times alone would link the contacts' descriptors to one
// service. So uploads to the same HSDir are spaced and every upload gets an
// independent random delay, which also hides relations from colluding
// directories.
//
// Each HSDir has a grid of slots, `spacing` apart; every (upload, HSDir) pair
// takes the next free slot of its HSDir and leaves at
//   send_at = slot + jitter,   jitter uniform in [0, max_jitter]
// where, for the uploads of one batch,
//   spacing = min(same_dir_spacing, spread_window / q)
// and q is the number of uploads queued for that HSDir: the batch's and those
// still pending from earlier batches. Why:
// - Capacity. With a fixed spacing an HSDir takes only
//   republish interval / spacing uploads per cycle (40 for 20 min / 30 s);
//   a service with more contacts than that per HSDir (6 uploads per contact
//   over the ring) had descriptors expire before their renewal left. Shrinking
//   the spacing with the load puts every slot of a batch inside
//   `spread_window`, so every upload leaves within spread_window + max_jitter
//   of being queued (exactly so when nothing was pending for the HSDir; a
//   batch behind pending uploads starts after their slots). The service keeps
//   republish_margin > spread_window + max_jitter, so a renewal always lands
//   before the descriptor it replaces expires.
// - Unlinkability under light load is unchanged: with few uploads per HSDir
//   the spacing stays `same_dir_spacing`.
// - The jitter is drawn around the slot, not added to the previous upload's
//   time. Added cumulatively, n uploads to one HSDir would take
//   n × (spacing + max_jitter / 2) whatever the spacing, and no window could
//   hold them. Gaps between uploads to one HSDir are spacing + (j2 - j1):
//   never a fixed, recognisable interval.
// - Slot order is random: the uploads of a batch are shuffled per HSDir before
//   they get slots, so the order in which an HSDir receives them says nothing
//   about the order the service listed its contacts in.
//
// Deterministic given the Rng; pure (no clock, no I/O).
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
    // The spacing between uploads to one HSDir under light load.
    Duration same_dir_spacing = Duration::seconds(30);
    Duration max_jitter = Duration::seconds(30);
    // Every slot of a batch for one HSDir lies within this window (the
    // spacing shrinks with the load). The service's republish margin must
    // exceed spread_window + max_jitter. Zero: no limit (fixed spacing).
    Duration spread_window = Duration::minutes(8);
    // Off: everything is sent at `now` (tests, or a user who prefers speed
    // over unlinkability).
    bool enabled = true;
    // An upload handed out more than this after its send time is overdue:
    // the process was suspended or stalled. Overdue uploads are not sent in
    // one go but get new slots (see PublicationScheduler::due). Generous for
    // an event loop's timer latency, far below the spacing and jitter.
    Duration overdue_after = Duration::seconds(1);
};

// The revision of a descriptor made at `now` for a contact whose last
// descriptor had revision `last`:
//   max(last + 1, now in µs + jitter),   jitter uniform in [0, kRevisionJitter)
// Revisions must only grow per descriptor id, also across restarts (the
// service keeps no counter on disk), hence the time. They need not be related
// across contacts, and must not be: one counter for the whole service gave
// the descriptors made in one tick consecutive revisions, which told
// colluding HSDirs they came from one service. The jitter makes descriptors
// made at one instant unrelated, and is small enough that a restart (which
// takes longer) still goes above the last revision uploaded before it.
inline constexpr Duration kRevisionJitter = Duration::seconds(1);
std::uint64_t next_revision(std::uint64_t last, TimePoint now, Rng& rng);

// The spacing between the slots of an HSDir with `queued` uploads queued:
// min(same_dir_spacing, spread_window / queued).
Duration effective_spacing(const PublicationConfig& config, std::size_t queued);

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
// (upload by upload, HSDir by HSDir); the slots are not in that order.
std::vector<ScheduledUpload> schedule(const std::vector<PendingUpload>& batch,
                                      const PublicationConfig& config, TimePoint now, Rng& rng);

// The same rules across batches: remembers each HSDir's last slot and how
// many uploads are pending for it, and hands out uploads when they are due.
class PublicationScheduler {
  public:
    PublicationScheduler(PublicationConfig config, Rng& rng) : config_(config), rng_(rng) {}

    // A batch shares each HSDir's window: hand in together what is queued
    // together (e.g. every contact's descriptors on republication).
    void add(const std::vector<PendingUpload>& batch, TimePoint now);
    void add(const PendingUpload& upload, TimePoint now) { add(std::vector{upload}, now); }
    // Uploads whose time has come, earliest first (ties in the order added).
    // Overdue ones (more than overdue_after late: after a suspend or a
    // stall) are not among them: handing them all out in one tick would send
    // them together, with one `published` second, and link the contacts.
    // They are scheduled again instead, as one batch queued at `now`, so they
    // leave spread over the window like any batch. With publication disabled
    // everything due is handed out.
    std::vector<ScheduledUpload> due(TimePoint now);
    // When due() next has something; never() when nothing is pending.
    TimePoint next_deadline() const;
    // Drops the pending uploads of a job (e.g. a superseded descriptor or a
    // revoked contact) and returns how many there were. The HSDirs' slots
    // stay taken, so the schedule of other uploads does not move.
    std::size_t cancel(std::uint64_t token);
    std::size_t pending() const { return queue_.size(); }
    // Uploads pending for one HSDir (what the spacing adapts to).
    std::size_t pending_for(const crypto::Ed25519PublicKey& hsdir) const;

    // Per HSDir: its last slot and the uploads pending for it.
    struct DirSlots {
        TimePoint last_slot = TimePoint::never();  // never(): no slot taken yet
        std::size_t pending = 0;
    };

  private:
    void forget_pending(const crypto::Ed25519PublicKey& hsdir);

    PublicationConfig config_;
    Rng& rng_;
    std::multimap<TimePoint, ScheduledUpload> queue_;
    std::map<crypto::Ed25519PublicKey, DirSlots> dirs_;
};

}  // namespace sotto::hs
