// Configuration of one onion node: which roles it plays (client always; relay
// and authority optionally), its keys, and every limit and timer. Defaults
// suit a real deployment; the simulator and localnet shorten the timers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/crypto/ed25519.hpp"
#include "core/crypto/x25519.hpp"
#include "core/dir/authority.hpp"
#include "core/dir/network_file.hpp"
#include "core/hs/hsdir_store.hpp"
#include "core/link/link_session.hpp"

namespace sotto::node {

struct NodeKeys {
    crypto::Ed25519SecretKey identity;
    crypto::X25519SecretKey onion;
};

// Exit policy: which targets a BEGIN may reach. Empty = no exit.
struct ExitRule {
    std::string host;            // exact host, or "*" for any
    std::uint16_t port_min = 1;  // inclusive
    std::uint16_t port_max = 65535;
};

struct RelayConfig {
    std::string nickname;
    std::string host;  // advertised address
    std::uint16_t port = 0;
    bool hsdir = true;
    bool intro_rend = true;
    std::vector<ExitRule> exit_policy;
    // Re-upload the descriptor this often (and at start).
    Duration descriptor_interval = Duration::minutes(30);
};

struct Limits {
    std::size_t max_circuits_total = 20000;
    std::size_t max_circuits_per_link = 2000;
    // Token bucket for CREATE2 per link: `create_burst` at once, refilled at
    // `create_per_second`.
    double create_per_second = 50;
    double create_burst = 200;
    std::size_t max_streams_per_circuit = 500;
    // Bytes an origin stream may hold queued before stream_send refuses.
    std::size_t max_stream_buffer = 16 * 1024 * 1024;
    // BEGIN_DIR streams ending at this relay (docs/protocol.md §6, "Directory
    // requests"). A client needs one per circuit; more at once are refused.
    std::size_t max_dir_streams_per_circuit = 4;
    // Bytes of directory requests and unsent answers all those streams may
    // hold together; a stream that would go over is ended (resource limit).
    // With the per-stream request limit this bounds what directory traffic
    // costs the relay, whatever clients send or leave unread.
    std::size_t max_dir_buffer = 64 * 1024 * 1024;
    // HSDir uploads and withdrawals (docs/protocol-hs-descriptors.md, "HSDir
    // admission"). A service sends one per circuit; more on one circuit are
    // refused, so a flooder pays for a circuit (an ntor handshake here, under
    // the CREATE2 bucket above) every few uploads.
    std::size_t hsdir_posts_per_circuit = 4;
    // Request bytes per link, as a token bucket: `hsdir_link_burst_bytes` at
    // once, refilled at `hsdir_link_bytes_per_second`. The link is the one the
    // circuit arrived on, for a 3-hop upload a middle relay's link that many
    // services share, so the rate is far above what honest uploads through
    // one relay come to (10 Sotto descriptors a second) and the burst holds a
    // large service's whole republication (250 descriptors); it bounds how
    // fast one link can make the HSDir verify signatures and churn the store.
    double hsdir_link_bytes_per_second = 40 * 1024;
    double hsdir_link_burst_bytes = 1024 * 1024;
};

// Test-only behaviour for adversarial simulations; all off in production.
struct Misbehaviour {
    bool corrupt_relayed_cells = false;  // flip a byte in every relayed cell
    bool replay_relayed_cells = false;   // send every relayed cell twice
    // As an introduction point, forward every INTRODUCE2 twice (paper 4.6,
    // limitation 1: the service must drop the copy).
    bool replay_introductions = false;
    // As an HSDir, keep a log of every accepted upload with its arrival time
    // (colluding directories in the linkage tests). Observation only.
    bool record_hsdir_uploads = false;
    // As a client, never acknowledge DATA (no circuit or stream SENDME): a
    // reader that asks and then stops reading, leaving the answer with the relay.
    bool withhold_sendmes = false;
    // As an origin, take stream cells from whichever hop of the circuit
    // sent them, as before issue 9's finding 1: the end-to-end session
    // (core/session) must then still catch a relay that injects.
    bool accept_stream_cells_from_any_hop = false;
};

// A range a duration is drawn from, uniformly.
struct DurationRange {
    Duration min;
    Duration max;
};

// When links that carry no circuit are closed (docs/protocol.md §1, "Idle
// links"). Only the side that opened a link creates circuits on it, so that
// side decides; the other side's timeout is a backstop for peers that never
// close, longer than any opener's so that it cannot cut a link just as a
// CREATE2 arrives.
struct IdleLinkTimeout {
    // Links a client opens. Drawn per link (Tor's 3 to 4.5 minutes) so the
    // moment a client lets go of a relay does not tell which client it is.
    DurationRange client{Duration::minutes(3), Duration::seconds(270)};
    // Links a relay opens, mostly to other relays for EXTEND2. Reopening costs
    // both busy ends a handshake and the next circuit a round trip, and a
    // link between two public relays says nothing about any user, so they
    // are kept much longer (Tor: one hour, give or take a quarter).
    DurationRange relay{Duration::minutes(45), Duration::minutes(75)};
    // Links a peer opened to this node.
    Duration accepted = Duration::minutes(90);
};

struct NodeConfig {
    dir::NetworkFile network;
    std::optional<RelayConfig> relay;  // absent: client only
    bool authority = false;            // requires relay; identity must be in `network`
    dir::AuthorityConfig authority_config;
    hs::HsDirConfig hsdir;  // the HSDir role's store (relay->hsdir)
    link::LinkConfig link;
    IdleLinkTimeout idle_link_timeout;
    Limits limits;
    Duration circuit_build_timeout = Duration::seconds(30);
    Duration stream_connect_timeout = Duration::seconds(30);
    Duration dir_request_timeout = Duration::seconds(30);
    // As a relay: a BEGIN_DIR stream that moves no byte for this long (the
    // request stalls, or the client stops reading the answer) is ended.
    Duration dir_stream_idle_timeout = Duration::seconds(60);
    // Clients re-fetch the consensus this often (and when it expires).
    Duration consensus_fetch_interval = Duration::minutes(10);
    Misbehaviour misbehaviour;
};

}  // namespace sotto::node
