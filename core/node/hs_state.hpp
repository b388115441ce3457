// Node state for the private-service protocol (paper Fig. 3), shared by
// hs_relay_roles.cpp (HSDir, introduction point, rendezvous point),
// private_service.cpp (the service, Bob) and service_client.cpp (the client,
// Alice). Not a public header.
#pragma once

#include <cstring>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/hs/hs_descriptor.hpp"
#include "core/hs/hsdir_ring.hpp"
#include "core/hs/hsdir_store.hpp"
#include "core/hs/intro_messages.hpp"
#include "core/hs/introduce_crypto.hpp"
#include "core/hs/introduction_checks.hpp"
#include "core/hs/publication_scheduler.hpp"
#include "core/hs/service_api.hpp"
#include "core/node/node.hpp"

namespace sotto::node {

// ---- relay roles ----

struct AuthKeyIdHash {
    std::size_t operator()(const hs::AuthKeyId& k) const noexcept {
        std::size_t h;
        std::memcpy(&h, k.data(), sizeof h);
        return h;
    }
};
struct ContactKeyHash {
    // H(CK): its first bytes are uniformly distributed.
    std::size_t operator()(const hs::ContactKey& k) const noexcept {
        std::size_t h;
        std::memcpy(&h, k.data(), sizeof h);
        return h;
    }
};
struct CookieHash {
    std::size_t operator()(const hs::RendezvousCookie& k) const noexcept {
        std::size_t h;
        std::memcpy(&h, k.data(), sizeof h);
        return h;
    }
};

struct HsRelayState {
    hs::HsDirStore store{hs::HsDirConfig{}};
    // Introduction point: auth key id -> the service's circuit.
    std::unordered_map<hs::AuthKeyId, std::uint64_t, AuthKeyIdHash> intro_circuits;
    // Rendezvous point: single-use cookie -> (client circuit, expiry).
    std::unordered_map<hs::RendezvousCookie, std::pair<std::uint64_t, TimePoint>, CookieHash>
        rendezvous;
    Duration rendezvous_timeout = Duration::minutes(2);
    std::uint64_t introductions_forwarded = 0;
    std::vector<std::pair<hs::DescriptorId, TimePoint>> upload_log;  // record_hsdir_uploads
    std::uint64_t introductions_unknown = 0;
    std::uint64_t uploads_over_quota = 0;  // HSDir: refused by Limits::hsdir_*
};

// ---- the service (Bob) ----

struct ServiceContact {
    hs::ContactGrant grant;
    hs::ClientKeyId ck_id;
    hs::CookieIndex index;
    bool hidden = false;
    TimePoint next_publish = TimePoint::never();
    // Descriptors of this contact waiting in the publication scheduler.
    std::size_t queued = 0;
    // The revision of this contact's last descriptor (hs::next_revision).
    std::uint64_t revision = 0;
};

struct IntroSlot {
    std::uint64_t id = 0;
    crypto::Ed25519SecretKey auth_key;  // IK_i: fresh for this establishment only
    crypto::X25519SecretKey enc_key;    // decrypts INTRODUCE2 for this intro point
    PathHop relay;
    CircuitRef circuit = 0;
    bool established = false;
    TimePoint established_at;
    std::uint32_t introductions = 0;
};

struct ServiceState {
    hs::ServiceConfig config;
    std::map<hs::ContactId, ServiceContact> contacts;
    // O(1): a rate-limited drop looks its contact up here (issue 9, 11).
    std::unordered_map<hs::ContactKey, hs::ContactId, ContactKeyHash> by_key;
    hs::CookieTable cookies;
    std::vector<IntroSlot> intros;
    // After a scheduled rotation (lifetime or introduction count) the previous
    // set stays up until every descriptor that names it has expired, so a
    // contact who fetched one still gets through (make before break). Revoke,
    // hide and invisibility never keep it: there the old keys die at once,
    // so a descriptor the contact still finds (nothing is withdrawn) names
    // dead keys, as after a shutdown.
    std::vector<IntroSlot> retiring;
    TimePoint retire_at = TimePoint::never();
    bool visible = true;
    hs::IntroductionChecks checks;
    std::optional<hs::PublicationScheduler> scheduler;
    TimePoint rotate_at = TimePoint::never();
    TimePoint next_intro_attempt = TimePoint::never();
    // A descriptor waiting in the publication scheduler. It is made and
    // signed only when an upload is due (see service_upload_body).
    struct PendingBody {
        hs::ContactId contact = 0;
        std::int64_t time_period = 0;
        std::uint8_t replica = 0;
        std::size_t remaining = 0;  // HSDirs still to send to
    };
    std::map<std::uint64_t, PendingBody> uploads;  // scheduler token -> descriptor
    // Building towards an RP; closed on revoke, hide and Invisible.
    std::map<CircuitRef, hs::ContactId> rendezvous_pending;
    std::map<CircuitRef, std::pair<Bytes, onion::HopKeys>> rendezvous_reply;
    std::map<CircuitRef, hs::ContactId> joined;  // circuits carrying a contact's streams
    std::map<hs::ContactId, std::size_t> flagged;
    hs::ServiceStats stats;
    TimePoint next_contact_publish = TimePoint::never();
    TimePoint next_prune = TimePoint::never();
};

// ---- the client (Alice) ----

struct ConnectAttempt {
    hs::ConnectId id = 0;
    hs::ContactCredentials creds;
    TimePoint deadline;
    // Descriptor fetch: (descriptor id, HSDir) pairs still to try.
    std::vector<std::pair<hs::DescriptorId, PathHop>> fetch_targets;
    std::size_t next_fetch = 0;  // the target being fetched is next_fetch - 1
    bool fetching = false;
    std::optional<std::vector<hs::IntroPointInfo>> intro_points;
    std::size_t next_intro = 0;
    // Introduction keys already tried in this attempt: another HSDir's copy
    // of the same descriptor does not cost another intro_wait per point.
    std::vector<crypto::Ed25519PublicKey> tried_intro_keys;
    // One rendezvous point and cookie for the whole attempt; the cookie stays
    // valid there until the attempt ends.
    CircuitRef rend_circuit = 0;
    hs::RendezvousCookie cookie;
    bool rend_ready = false;
    PathHop rend_point;
    // The introduction point being tried and the circuit to it.
    CircuitRef intro_circuit = 0;
    std::optional<hs::IntroPointInfo> current_intro;
    // When to give up on the current introduction point and try the next:
    // ClientConfig::intro_wait after its INTRODUCE_ACK (or after the
    // INTRODUCE1, if no acknowledgement comes). never(): none is waited for.
    TimePoint intro_deadline = TimePoint::never();
    // Every INTRODUCE1 sent in this attempt, one per introduction point. The
    // single RENDEZVOUS2 may answer any of them: a service slower than
    // intro_wait through one point still gets through.
    std::vector<hs::ClientIntroduce> handshakes;
};

struct ClientState {
    Duration time_period = Duration::hours(24);  // must match the services'

    hs::ClientConfig config;
    std::map<hs::ConnectId, ConnectAttempt> attempts;
    // Attempts that failed before their deadline, and that deadline: the
    // failure is reported then (service_client.cpp).
    std::map<hs::ConnectId, TimePoint> failed;
};

}  // namespace sotto::node
