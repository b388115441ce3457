// An onion node, sans-I/O: the client, relay and directory-authority roles
// of the onion network in one state machine. A driver (net/NodeDriver over
// real sockets, or core/sim over in-memory links) calls the input methods
// with the current time and then carries out `take_outputs()`; it calls
// `tick()` when `next_deadline()` is reached. The node never blocks, reads a
// clock, or touches a socket.
//
// What it implements (tor-spec, reduced; see docs/protocol.md): links
// (core/link), circuits with ntor handshakes and layered relay crypto
// (core/onion), EXTEND2 hop by hop, streams with SENDME windows, exit
// streams under an exit policy, BEGIN_DIR directory streams, relay
// descriptor upload, consensus fetch and validation, and the authority role
// (core/dir/authority).
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "core/dir/consensus.hpp"
#include "core/hs/hs_descriptor.hpp"
#include "core/hs/service_api.hpp"
#include "core/node/node_config.hpp"
#include "core/node/node_io.hpp"
#include "core/util/log.hpp"
#include "core/util/rng.hpp"
#include "core/wire/relay_cell.hpp"

namespace sotto::node {

// One hop of a path chosen by the caller.
struct PathHop {
    crypto::Ed25519PublicKey identity;
    crypto::X25519PublicKey onion_key;
    std::string host;
    std::uint16_t port = 0;
    static PathHop from(const dir::ConsensusEntry& e);
    static PathHop from(const dir::AuthorityInfo& a);  // onion key learnt later (see below)
};

struct NodeStats {
    std::size_t links = 0;
    std::uint64_t links_closed_idle = 0;  // closed by this node for carrying no circuit
    std::size_t relay_circuits = 0;       // circuits passing through or ending here
    std::size_t origin_circuits = 0;      // circuits this node built
    std::size_t streams = 0;
    std::uint64_t cells_relayed = 0;
    std::uint64_t circuits_refused = 0;        // create limits
    std::uint64_t circuits_torn_protocol = 0;  // bad relay cells
    // Our circuits closed because a hop spoke for a stream that is not its
    // own (docs/protocol.md §5, "Which hop may speak for a stream").
    std::uint64_t circuits_torn_wrong_hop = 0;
    std::uint64_t extends_refused_private = 0;  // EXTEND2 to a non-public address
    std::uint64_t bytes_queued = 0;             // cells waiting in link queues, in bytes
    std::uint64_t exit_bytes_unwritten = 0;     // handed to exit connections, not yet written
    std::uint64_t introductions_forwarded = 0;  // as an introduction point
    std::uint64_t introductions_unknown_key = 0;
    std::size_t hsdir_descriptors = 0;  // as an HSDir
    // As a relay, BEGIN_DIR streams ending here (docs/protocol.md §6,
    // "Directory requests"): open now, bytes of requests and answers they
    // hold, refused (per-circuit cap or buffer budget) and closed for idling.
    std::size_t dir_streams = 0;
    std::uint64_t dir_bytes_buffered = 0;
    std::uint64_t dir_streams_refused = 0;
    std::uint64_t dir_streams_timed_out = 0;
    std::uint64_t hsdir_uploads_over_quota = 0;
};

// Test-only: where a misbehaving relay injects a relay cell of its own
// (Node::inject_toward_origin).
enum class InjectAt {
    // As a rendezvous point, on the client's (Alice's) half of each joined
    // pair, or on the service's (Bob's) half.
    RendezvousClientSide,
    RendezvousServiceSide,
    // As a middle relay: every circuit it forwards to a next hop.
    Middle,
};

class Node {
  public:
    // `rng` and `log` must outlive the node.
    static Result<std::unique_ptr<Node>> create(NodeConfig config, NodeKeys keys, Rng& rng,
                                                LogSink& log, TimePoint now);
    ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    // ---- driver inputs ----
    LinkId accept_link(TimePoint now);  // a transport connection came in
    void link_connected(LinkId link, TimePoint now);
    void link_failed(LinkId link, const std::string& reason, TimePoint now);
    void link_data(LinkId link, ByteView bytes, TimePoint now);
    void link_closed(LinkId link, TimePoint now);
    void exit_connected(ExitId exit, TimePoint now);
    void exit_failed(ExitId exit, const std::string& reason, TimePoint now);
    void exit_data(ExitId exit, ByteView bytes, TimePoint now);
    // The exit connection actually wrote `bytes` of what ExitSend gave it.
    // Until it does, the node withholds stream SENDMEs, so a target that
    // stops reading stalls the sender instead of growing this relay's buffer.
    void exit_written(ExitId exit, std::size_t bytes, TimePoint now);
    void exit_closed(ExitId exit, TimePoint now);
    void tick(TimePoint now);
    TimePoint next_deadline() const;
    // Everything the driver must do, and events, in order.
    std::vector<Output> take_outputs();

    // ---- client API ----
    // A random path of `hops` distinct Running relays from the consensus.
    Result<CircuitRef> build_circuit(TimePoint now, std::size_t hops = 3);
    Result<CircuitRef> build_circuit(std::vector<PathHop> path, TimePoint now);
    // An exit stream to host:port from the circuit's last hop.
    Result<StreamRef> open_stream(CircuitRef circuit, const std::string& host, std::uint16_t port,
                                  TimePoint now);
    // A BEGIN_DIR stream to the circuit's last hop; the caller frames
    // directory requests itself (dir::DirFramer). The node's own directory
    // traffic does not need this: it runs as internal jobs.
    Result<StreamRef> open_dir_stream(CircuitRef circuit, TimePoint now);
    Status stream_send(StreamRef stream, ByteView data, TimePoint now);
    void close_stream(StreamRef stream, TimePoint now);
    void close_circuit(CircuitRef circuit, TimePoint now);
    // Bytes accepted by stream_send but not yet packaged into cells.
    std::size_t stream_backlog(StreamRef stream) const;

    // ---- private service: this node as the service (Bob) ----
    // Starts establishing introduction points; descriptors follow for every
    // contact once they are up.
    Status service_start(hs::ServiceConfig config, TimePoint now);
    Status service_add_contact(hs::ContactId id, hs::ContactGrant grant, bool hidden,
                               TimePoint now);
    // Stops publishing, withdraws, forgets the grant, rotates introduction
    // points and republishes the others (DESIGN §2 "Revocation").
    Status service_revoke(hs::ContactId id, TimePoint now);
    // Like revoke, but keeps the grant so the contact can be shown again.
    Status service_hide(hs::ContactId id, bool hidden, TimePoint now);
    // Invisible: no descriptor for anyone and no introduction point.
    void service_set_visible(bool visible, TimePoint now);
    hs::ServiceStats service_stats() const;
    // Test-only: the introduction keys IK_i currently in use.
    std::vector<crypto::Ed25519PublicKey> service_intro_keys() const;

    // ---- private service: this node as a client (Alice) ----
    // Ends in ServiceConnected or ServiceUnreachable.
    Result<hs::ConnectId> connect_service(const hs::ContactCredentials& creds, TimePoint now);
    // Test-only: introduces to `intro_points` directly with `creds`' cookie,
    // skipping the descriptor fetch: what someone who learnt the points
    // elsewhere can do (a former contact who kept an old descriptor, or a
    // stranger handed a contact's IK_i). Ends like connect_service.
    Result<hs::ConnectId> connect_service_via(const hs::ContactCredentials& creds,
                                              std::vector<hs::IntroPointInfo> intro_points,
                                              TimePoint now);
    void set_client_config(hs::ClientConfig config, Duration time_period);

    // ---- state ----
    const dir::Consensus* consensus() const;
    const crypto::Ed25519PublicKey& identity() const;
    const crypto::X25519PublicKey& onion_key() const;
    const NodeConfig& config() const;
    NodeStats stats() const;
    // For the relay role: the descriptor this node uploads.
    std::optional<dir::RelayDescriptor> relay_descriptor(TimePoint now) const;
    // Test-only: change misbehaviour at run time (adversarial simulations).
    void set_misbehaviour(Misbehaviour m);
    // Test-only observation of the relay roles (what an adversary running
    // this relay would see):
    // uploads accepted as an HSDir (needs Misbehaviour::record_hsdir_uploads),
    const std::vector<std::pair<hs::DescriptorId, TimePoint>>& hsdir_upload_log() const;
    // auth keys this relay serves as an introduction point,
    std::vector<hs::AuthKeyId> intro_point_keys() const;
    // and the HSDir's answer to a raw request, as if it came over a circuit
    // (but charged to no link: the store counts it as kLocalUpload).
    Bytes serve_hsdir_request(ByteView request, TimePoint now);
    // Test-only: this relay originates a relay cell itself, sealed with its
    // own backward layer, towards the origin of every circuit `at` selects:
    // what any relay on a path can do. Returns how many circuits it went on.
    std::size_t inject_toward_origin(const wire::RelayCell& cell, InjectAt at, TimePoint now);

    struct Impl;

  private:
    explicit Node(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace sotto::node
