// The private-service API the messenger builds on, independent of the
// transport: Sotto's own onion network implements it in core/node (the
// virtual-private-services protocol of the paper), and a later transport can
// implement it over a `tor` daemon (one v3 onion service per contact).
//
// A service (Bob) grants each contact (Alice) a client key CK and a
// descriptor cookie DC; Alice gets `ContactCredentials` = (H(CK), DC). Bob
// can revoke or hide a contact at any time; to that contact he is then
// exactly as unreachable as when he is offline: the same HSDir answers, the
// same introduction-point answers, the same failure after connect_timeout.
#pragma once

#include <cstdint>
#include <string>

#include "core/crypto/ed25519.hpp"
#include "core/hs/hs_types.hpp"
#include "core/hs/introduction_checks.hpp"
#include "core/hs/publication_scheduler.hpp"
#include "core/util/error.hpp"
#include "core/util/rng.hpp"
#include "core/util/time.hpp"

namespace sotto::hs {

// Chosen by the application (e.g. its database row id); never sent anywhere.
using ContactId = std::uint64_t;
// One connection attempt by a client.
using ConnectId = std::uint64_t;

// The service's secret material for one contact. The application stores it
// (encrypted) to restore the grant after a restart.
struct ContactGrant {
    crypto::Ed25519SecretKey client_key;  // CK: signs this contact's descriptors
    DescriptorCookie cookie;              // DC
    static ContactGrant generate(Rng& rng);
};

// What the contact receives once (in an invite) and keeps secret.
struct ContactCredentials {
    ClientKeyId client_key_id;  // H(CK)
    DescriptorCookie cookie;    // DC
    ContactCredentials clone() const { return {client_key_id, cookie.clone()}; }
};
ContactCredentials credentials_for(const ContactGrant& grant);

struct ServiceConfig {
    // Introduction points shared by every contact's descriptors (paper 4.2).
    std::size_t intro_points = 3;  // 1..10
    // Rotation: a fresh set of introduction points (and keys IK_i) after this
    // long or this many introductions, and on every revoke or hide.
    Duration intro_lifetime = Duration::hours(6);
    std::uint32_t intro_max_introductions = 2000;
    // Short on purpose: a descriptor nobody republishes is gone from every
    // directory within this time even if its withdrawal was lost.
    Duration descriptor_lifetime = Duration::minutes(30);
    // Republish this long before the current descriptor expires. Must
    // exceed publication.spread_window + publication.max_jitter (8 min +
    // 30 s): every renewal is then uploaded before the descriptor it replaces
    // expires, however many contacts share an HSDir (service_start checks).
    Duration republish_margin = Duration::minutes(10);
    // TP length; within next_period_margin of a boundary the next period's
    // descriptors are published too. The margin must cover one republish
    // interval (lifetime - republish_margin) plus the upload spread, so the
    // next period's descriptors are up before the boundary.
    Duration time_period = Duration::hours(24);
    Duration next_period_margin = Duration::hours(1);
    // Delayed publication (paper 4.5). spread_window (8 min) + max_jitter
    // (30 s) leave 90 s of the 10-minute republish margin for the upload
    // itself (a 3-hop circuit to the HSDir) and clock skew.
    PublicationConfig publication;
    IntroductionPolicy policy;  // rate limit, replay, timestamp window (4.6)
};

struct ClientConfig {
    // The whole attempt: descriptor fetch, introductions and rendezvous. It
    // is also when every failed attempt is reported, however early it knew:
    // a failure's timing must not tell "no descriptor" (withdrawn, or never
    // there) from "a descriptor naming dead keys" (a service that shut down)
    // from "a service that ignores this contact" (issue 9, finding 5).
    Duration connect_timeout = Duration::seconds(60);
    // How long to wait for the service's RENDEZVOUS2 after an introduction
    // point acknowledged the INTRODUCE1 (or, with no acknowledgement, after
    // sending it) before trying the descriptor's next introduction point.
    // Every introduction point acknowledges every INTRODUCE1 alike, so this
    // wait is what a client spends on each point whether the service is
    // offline or just does not answer it. Keep k × intro_wait well below
    // connect_timeout (3 × 5 s against 60 s), so a slow but present service
    // is reached through its last point before the attempt ends.
    Duration intro_wait = Duration::seconds(5);
};

// Counters a service keeps about itself (for tests, and the status view).
struct ServiceStats {
    std::uint64_t rendezvous_circuits = 0;  // circuits built towards rendezvous points
    std::uint64_t rendezvous_sent = 0;      // RENDEZVOUS1 cells sent (a rendezvous went ahead)
    // Rendezvous circuits closed before RENDEZVOUS1 by a revoke, a hide or
    // Invisible.
    std::uint64_t rendezvous_cancelled = 0;
    std::uint64_t introductions_accepted = 0;
    std::uint64_t descriptors_uploaded = 0;
    std::uint64_t intro_rotations = 0;
    std::size_t intro_points_up = 0;
    // INTRODUCE2s dropped silently (no answer, no circuit), one counter per
    // check of hs::IntroductionChecks, in its order.
    std::uint64_t dropped_undecryptable = 0;    // not for this IK_i / b_i, or malformed
    std::uint64_t dropped_unknown_cookie = 0;   // no current contact (stranger, revoked)
    std::uint64_t dropped_hidden = 0;           // a contact presence is hidden from
    std::uint64_t dropped_replay = 0;           // X seen within the replay horizon
    std::uint64_t dropped_stale_timestamp = 0;  // outside the timestamp window
    std::uint64_t dropped_rate_limited = 0;     // over the contact's rate limit
    // Contacts looked at to report rate-limited ones (ContactFlagged): the
    // cost of a rate-limited drop, which must not grow with the contacts.
    std::uint64_t contacts_examined_for_flags = 0;

    // The counter of a drop reason.
    static std::uint64_t ServiceStats::*counter(DropReason r);
    std::uint64_t& dropped(DropReason r) { return this->*counter(r); }
    std::uint64_t dropped(DropReason r) const { return this->*counter(r); }
    std::uint64_t dropped_total() const;
};

}  // namespace sotto::hs
