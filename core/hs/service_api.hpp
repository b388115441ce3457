// The private-service API the messenger builds on, independent of the
// transport: Sotto's own onion network implements it in core/node (the
// virtual-private-services protocol of the paper), and a later transport can
// implement it over a `tor` daemon (one v3 onion service per contact).
//
// A service (Bob) grants each contact (Alice) a client key CK and a
// descriptor cookie DC; Alice gets `ContactCredentials` = (H(CK), DC). Bob
// can revoke or hide a contact at any time; to that contact he is then
// exactly as unreachable as when he is offline.
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
    // Republish this long before the current descriptor expires.
    Duration republish_margin = Duration::minutes(10);
    // TP length; near a boundary the next period's descriptors are
    // published too.
    Duration time_period = Duration::hours(24);
    Duration next_period_margin = Duration::hours(1);
    PublicationConfig publication;  // delayed publication (paper 4.5)
    IntroductionPolicy policy;      // rate limit, replay, timestamp window (4.6)
};

struct ClientConfig {
    Duration connect_timeout = Duration::seconds(60);
};

// Counters a service keeps about itself (for tests, and the status view).
struct ServiceStats {
    std::uint64_t rendezvous_circuits = 0;  // circuits built towards rendezvous points
    std::uint64_t introductions_accepted = 0;
    std::uint64_t descriptors_uploaded = 0;
    std::uint64_t withdrawals_sent = 0;
    std::uint64_t intro_rotations = 0;
    std::size_t intro_points_up = 0;
};

}  // namespace sotto::hs
