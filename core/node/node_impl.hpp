// Internal state of a Node, shared by the files that implement its core:
// node.cpp (links, outputs, timers, the NodeContext the components use),
// relay_circuits.cpp (the relay role), origin_circuits.cpp (circuits and
// streams this node builds, dispatched through the CircuitTable),
// directory_jobs.cpp (consensus fetch, descriptor upload, authority
// traffic, serving BEGIN_DIR, the private-service directory requests) and
// hs_relay_roles.cpp (wiring of the HSDir, introduction-point and
// rendezvous-point roles). The private-service protocol lives in its
// components (private_service.hpp, service_client.hpp, the *_role.hpp
// files), which see the node only as a NodeContext. Not a public header.
#pragma once

#include <deque>
#include <map>
#include <set>
#include <unordered_map>

#include "core/dir/authority.hpp"
#include "core/dir/dir_message.hpp"
#include "core/link/link_session.hpp"
#include "core/node/circuit_table.hpp"
#include "core/node/hsdir_role.hpp"
#include "core/node/intro_point_role.hpp"
#include "core/node/node.hpp"
#include "core/node/node_context.hpp"
#include "core/node/private_service.hpp"
#include "core/node/rendezvous_point_role.hpp"
#include "core/node/service_client.hpp"
#include "core/onion/flow_control.hpp"
#include "core/onion/ntor.hpp"
#include "core/onion/relay_crypto.hpp"
#include "core/wire/relay_cell.hpp"

namespace sotto::node {

using wire::CircuitId;
using wire::StreamId;

// Which circuit a (link, circuit id) pair belongs to.
struct CircuitSlot {
    enum class Kind { Relay, Origin } kind;
    std::uint64_t key;  // relay circuit key or CircuitRef
};

struct LinkEntry {
    LinkId id = 0;
    link::LinkSession session;
    bool outbound = false;
    bool transport_up = false;
    std::optional<crypto::Ed25519PublicKey> peer;  // outbound only
    // Changed only through attach_circuit / detach_circuit, which keep
    // idle_since: everything that needs a link (our circuits, relayed ones
    // in either direction, directory and private-service requests, which
    // all run on circuits) is in here.
    std::unordered_map<CircuitId, CircuitSlot> circuits;
    double create_tokens = 0;
    TimePoint tokens_at;
    // When `circuits` last became empty (or the link was made).
    TimePoint idle_since;
    Duration idle_timeout;  // drawn per link, see IdleLinkTimeout
    // HSDir upload bytes this link may still carry (Limits::hsdir_link_*);
    // unset: a full bucket.
    std::optional<double> hsdir_tokens;
    TimePoint hsdir_tokens_at;
};

// A stream that ends at this relay: an exit connection or a directory request.
struct HopStream {
    enum class Kind { Exit, Dir } kind;
    StreamId id = 0;
    ExitId exit = 0;
    bool connected = false;
    bool paused = false;  // we asked the driver to stop reading the exit
    onion::Window window = onion::Window::stream();
    std::deque<std::uint8_t> pending;  // waiting for window space, towards the client
    bool end_after_pending = false;
    std::size_t unwritten = 0;  // ExitSend bytes the driver has not written yet
    int owed_sendmes = 0;       // stream SENDMEs withheld while `unwritten` is high
    // Directory streams carry one request, then only its answer.
    dir::DirFramer framer;
    bool request_taken = false;
    TimePoint idle_deadline = TimePoint::never();  // ended then if nothing moved
    std::size_t accounted = 0;                     // this stream's share of dir_buffered
};

struct RelayCircuit {
    std::uint64_t key = 0;
    LinkId prev_link = 0;
    CircuitId prev_id = 0;
    LinkId next_link = 0;
    CircuitId next_id = 0;
    enum class Next { None, Connecting, Creating, Open } next = Next::None;
    std::optional<wire::Create2> pending_create;
    TimePoint extend_deadline = TimePoint::never();
    onion::HopCrypto crypto;
    onion::Window window = onion::Window::circuit();
    std::map<StreamId, HopStream> streams;
    int relay_early_seen = 0;
    crypto::Digest256 binding;  // onion::circuit_binding of this hop
    // Rendezvous point: the circuit this one is joined to. Cells that no hop
    // here recognises cross over to it.
    std::uint64_t splice = 0;
    std::size_t dir_streams = 0;  // of `streams`, the directory ones
    // HSDir: uploads and withdrawals received on this circuit.
    std::size_t hsdir_posts = 0;
};

struct OriginStream {
    StreamRef ref = 0;
    CircuitRef circuit = 0;
    StreamId id = 0;
    // The hop this stream runs to: the one its BEGIN went to (the exit, the
    // directory, the virtual end-to-end hop of a rendezvous) or, for a stream
    // a contact opened, the hop it came from. Only that hop may speak for it
    // (tor's layer hint): any other relay on the path can seal cells with its
    // own layer, and would otherwise inject or end this stream's data.
    std::size_t hop = 0;
    enum class State { Connecting, Open } state = State::Connecting;
    onion::Window window = onion::Window::stream();
    std::deque<std::uint8_t> backlog;
    // stream_send refused bytes: report StreamWritable once the backlog
    // has room again.
    bool writable_wanted = false;
    TimePoint deadline = TimePoint::never();
    std::uint64_t job = 0;  // nonzero: internal directory stream
};

struct DirJob {
    enum class Kind {
        FetchConsensus,
        UploadDescriptor,
        AuthorityMessage,
        HsUpload,  // service: a descriptor to an HSDir
        HsFetch,   // client: a descriptor from an HSDir
    } kind;
    std::uint64_t id = 0;
    std::size_t authority = 0;  // directory jobs
    // Private-service jobs: who hears the answer, and its key (a connect
    // attempt, or the uploads' contact).
    HsJobHandler* hs_handler = nullptr;
    std::uint64_t owner = 0;
    bool hs() const { return kind >= Kind::HsUpload; }
    Bytes request;  // encoded DirRequest
    CircuitRef circuit = 0;
    StreamRef stream = 0;
    dir::DirFramer framer;
    TimePoint deadline = TimePoint::never();
};

struct Node::Impl {
    Impl(NodeConfig config, NodeKeys keys, Rng& rng, LogSink& log);
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    NodeConfig config;
    NodeKeys keys;
    Rng* rng;
    LogSink* log;

    // What the components see of the node (node.cpp).
    struct Context final : NodeContext {
        explicit Context(Impl& impl) : d(impl) {}
        Impl& d;
        Rng& rng() override { return *d.rng; }
        LogSink& log() override { return *d.log; }
        const NodeConfig& config() const override { return d.config; }
        const crypto::Ed25519PublicKey& identity() const override {
            return d.keys.identity.public_key();
        }
        const dir::Consensus* consensus() const override {
            return d.consensus ? &*d.consensus : nullptr;
        }
        const hs::HsDirRing* hsdir_ring() const override { return d.ring ? &*d.ring : nullptr; }
        std::uint64_t new_id() override { return d.new_id(); }
        TimePoint now() const override { return d.last_now; }
        void emit(Event event) override { d.emit(std::move(event)); }
        void wake_housekeeping(TimePoint now) override { d.schedule_housekeeping(now); }
        std::vector<PathHop> path_to(const PathHop& last, std::size_t hops) override {
            return d.path_to(last, hops);
        }
        Result<CircuitRef> launch_circuit(std::vector<PathHop> path, CircuitHandler& handler,
                                          std::uint64_t owner, TimePoint now) override;
        void close_circuit(CircuitRef circuit, const std::string& reason, TimePoint now) override {
            d.origin_close(circuit, reason, true, now);
        }
        void send_to_last_hop(CircuitRef circuit, const wire::RelayCell& cell) override;
        std::optional<crypto::Digest256> last_hop_binding(CircuitRef circuit) const override;
        StreamRef accept_stream(CircuitRef circuit, wire::StreamId id, std::size_t from) override {
            return d.accept_stream(circuit, id, from);
        }
        bool stream_id_in_use(CircuitRef circuit, wire::StreamId id) const override;
        CircuitTable& circuits() override { return d.circuits; }
        void start_hs_job(HsJobKind kind, const PathHop& hsdir, Bytes request,
                          HsJobHandler& handler, std::uint64_t owner, TimePoint now) override {
            d.start_hs_job(kind, hsdir, std::move(request), handler, owner, now);
        }
        void abandon_hs_uploads(HsJobHandler& handler, std::uint64_t owner, TimePoint now) override;
        bool relay_circuit_exists(RelayCircuitKey key) const override {
            return d.relay_circuits.contains(key);
        }
        bool relay_circuit_extended(RelayCircuitKey key) const override;
        bool relay_circuit_joined(RelayCircuitKey key) const override;
        crypto::Digest256 relay_circuit_binding(RelayCircuitKey key) const override;
        void relay_send_back(RelayCircuitKey key, const wire::RelayCell& cell) override;
        void relay_tear_down(RelayCircuitKey key, wire::DestroyReason reason) override;
        void relay_join(RelayCircuitKey a, RelayCircuitKey b) override;
    };
    // Circuits the application built: reported as events.
    struct ApplicationCircuits final : CircuitHandler {
        explicit ApplicationCircuits(Impl& impl) : d(impl) {}
        Impl& d;
        void on_ready(CircuitRef circuit, std::uint64_t, TimePoint) override {
            d.emit(CircuitReady{circuit});
        }
        void on_cell(CircuitRef circuit, std::uint64_t, FromHop, wire::RelayCell&,
                     TimePoint now) override {
            d.origin_close(circuit, "unexpected relay command", true, now);
        }
        void on_closed(CircuitRef circuit, std::uint64_t, const std::string& reason,
                       TimePoint) override {
            d.emit(CircuitClosed{circuit, reason});
        }
    };
    // Circuits of the node's own directory jobs (directory_jobs.cpp).
    struct DirJobCircuits final : CircuitHandler {
        explicit DirJobCircuits(Impl& impl) : d(impl) {}
        Impl& d;
        void on_ready(CircuitRef, std::uint64_t job, TimePoint now) override {
            d.job_circuit_ready(job, now);
        }
        void on_cell(CircuitRef circuit, std::uint64_t, FromHop, wire::RelayCell&,
                     TimePoint now) override {
            d.origin_close(circuit, "unexpected relay command", true, now);
        }
        void on_closed(CircuitRef, std::uint64_t job, const std::string& reason,
                       TimePoint now) override {
            d.job_failed(job, "circuit closed: " + reason, now);
        }
    };
    Context context{*this};
    ApplicationCircuits application_circuits{*this};
    DirJobCircuits dir_job_circuits{*this};

    std::vector<Output> outputs;
    std::set<LinkId> dirty_links;

    std::uint64_t next_id = 1;  // all node-assigned identifiers
    std::map<LinkId, LinkEntry> links;
    std::map<crypto::Ed25519PublicKey, LinkId> links_by_peer;
    std::map<std::uint64_t, RelayCircuit> relay_circuits;
    CircuitTable circuits{application_circuits};
    std::map<StreamRef, OriginStream> origin_streams;
    std::map<ExitId, std::pair<std::uint64_t, StreamId>> exits;  // -> relay circuit, stream
    std::map<std::uint64_t, DirJob> jobs;
    // Bytes held by every directory stream ending here (requests being read,
    // answers waiting for window space); at most limits.max_dir_buffer.
    std::size_t dir_buffered = 0;

    std::optional<dir::Consensus> consensus;
    std::optional<dir::Authority> authority;
    TimePoint next_consensus_fetch;
    TimePoint next_descriptor_upload = TimePoint::never();
    TimePoint next_housekeeping = TimePoint::never();
    NodeStats stats;
    TimePoint last_now;  // time of the current input, for paths that have none
    std::vector<std::pair<TimePoint, std::size_t>> retry_uploads;
    std::set<std::size_t> warned_authorities;  // unreachable, already reported
    // Authority: reachability checks under way, by the link opened for each.
    std::map<LinkId, dir::ReachabilityCheck> reachability_links;
    std::optional<hs::HsDirRing> ring;  // rebuilt with each consensus
    // Relay roles of the private-service protocol.
    HsdirRole hsdir;
    IntroPointRole intro_point{context};
    RendezvousPointRole rendezvous_point{context};
    // This node as a service (once started) and as a client.
    std::unique_ptr<PrivateService> service;
    ServiceClient client{context};

    // ---- node.cpp ----
    std::uint64_t new_id() { return next_id++; }
    void act(Action a) { outputs.emplace_back(std::in_place_type<Action>, std::move(a)); }
    void emit(Event e) { outputs.emplace_back(std::in_place_type<Event>, std::move(e)); }
    void notice(LogLevel level, const std::string& line);
    LinkEntry* link(LinkId id);
    // An open or opening outbound link to `hop`, creating one if needed.
    LinkId link_to(const PathHop& hop, TimePoint now);
    // Registers a new link's entry, with its idle timeout drawn.
    LinkEntry& add_link(LinkId id, link::LinkSession session, bool outbound,
                        std::optional<crypto::Ed25519PublicKey> peer, TimePoint now);
    void attach_circuit(LinkEntry& l, CircuitId id, CircuitSlot slot);
    void detach_circuit(LinkEntry& l, CircuitId id);
    // When the link is due to close for carrying no circuit; never while it
    // has one, is handshaking, or has cells waiting to be written.
    TimePoint idle_close_at(const LinkEntry& l) const;
    void send_cell(LinkId link, const wire::Cell& cell);
    void close_link(LinkId link, const std::string& why, TimePoint now, bool tell_driver);
    CircuitId allocate_circ_id(LinkEntry& l);
    void on_link_open(LinkEntry& l, TimePoint now);
    void dispatch_cell(LinkEntry& l, const wire::Cell& cell, TimePoint now);
    void flush_links();
    void housekeeping(TimePoint now);
    void schedule_housekeeping(TimePoint now);

    // ---- relay_circuits.cpp ----
    void relay_on_create(LinkEntry& l, const wire::Cell& cell, TimePoint now);
    void relay_on_cell(RelayCircuit& c, bool from_prev, const wire::Cell& cell, TimePoint now);
    void relay_on_destroy(RelayCircuit& c, bool from_prev, wire::DestroyReason r, TimePoint now);
    void relay_link_lost(std::uint64_t key, LinkId lost, TimePoint now);
    void relay_next_link_open(LinkId link, TimePoint now);
    void relay_send_back(RelayCircuit& c, const wire::RelayCell& rc);
    void relay_destroy(RelayCircuit& c, wire::DestroyReason r, bool tell_prev, bool tell_next);
    void hop_stream_flush(RelayCircuit& c, HopStream& s);
    void hop_stream_end(RelayCircuit& c, StreamId id, wire::EndReason r, bool send_end);
    // Directory streams: bytes of a request arriving, the answer going out
    // (framed, within the buffer budget), and keeping dir_buffered in step
    // with the stream's buffers after either changed.
    void dir_stream_data(RelayCircuit& c, HopStream& s, Bytes data, TimePoint now);
    void dir_answer(RelayCircuit& c, HopStream& s, ByteView answer);
    void dir_account(HopStream& s);
    void relay_timeouts(TimePoint now);
    bool exit_allowed(const std::string& host, std::uint16_t port) const;

    // ---- origin_circuits.cpp ----
    // `handler` null: the application's circuit.
    Result<CircuitRef> start_circuit(std::vector<PathHop> path, CircuitHandler* handler,
                                     std::uint64_t owner, TimePoint now);
    void origin_link_open(OriginCircuit& c, TimePoint now);
    void origin_on_cell(OriginCircuit& c, const wire::Cell& cell, TimePoint now);
    // Whether hop `from` may send `rc` on this circuit (a stream's cells come
    // only from the hop it runs to; see OriginStream::hop).
    bool origin_hop_may_speak(const OriginCircuit& c, std::size_t from,
                              const wire::RelayCell& rc) const;
    // Finishes the pending handshake with the relay's reply and adds the hop.
    Status origin_add_hop(OriginCircuit& c, ByteView reply);
    void origin_send(OriginCircuit& c, std::size_t hop, const wire::RelayCell& rc,
                     bool early = false);
    void origin_close(CircuitRef ref, const std::string& reason, bool send_destroy, TimePoint now);
    void origin_stream_flush(OriginStream& s);
    void origin_stream_closed(StreamRef ref, const std::string& reason, bool send_end);
    Result<StreamRef> start_stream(CircuitRef circuit, wire::RelayCommand cmd, Bytes begin_data,
                                   std::uint64_t job, TimePoint now);
    // A stream the far end of `circuit` opened (see NodeContext::accept_stream).
    StreamRef accept_stream(CircuitRef circuit, StreamId id, std::size_t from);
    void origin_timeouts(TimePoint now);
    std::vector<PathHop> pick_path(std::size_t hops);
    // Internal circuits: a path of `hops` ending at `last`.
    std::vector<PathHop> path_to(const PathHop& last, std::size_t hops);

    // ---- hs_relay_roles.cpp ----
    // A private-service relay command addressed to this hop; false if not one.
    bool hs_relay_cell(RelayCircuit& c, wire::RelayCell& rc, TimePoint now);
    // `via`: the circuit the request came on (null: Node::serve_hsdir_request),
    // which the upload quotas and the store's source accounting use.
    std::optional<Bytes> hs_serve_dir(ByteView body, TimePoint now, RelayCircuit* via = nullptr);
    // Refusal reason when an upload over `via` is over its quotas; charges it otherwise.
    std::optional<std::string> hs_upload_quota(RelayCircuit& via, std::size_t bytes, TimePoint now);
    void hs_relay_circuit_gone(std::uint64_t key);
    void hs_relay_timeouts(TimePoint now);

    // ---- directory_jobs.cpp ----
    void start_job(DirJob::Kind kind, std::size_t authority, const dir::DirRequest& req,
                   TimePoint now);
    // Runs a directory request over a new circuit along `path` (BEGIN_DIR at its end).
    void launch_job(DirJob job, std::vector<PathHop> path, TimePoint now);
    void job_circuit_ready(std::uint64_t job, TimePoint now);
    void job_stream_open(std::uint64_t job, TimePoint now);
    void job_stream_data(std::uint64_t job, ByteView data, TimePoint now);
    void job_failed(std::uint64_t job, const std::string& why, TimePoint now);
    void job_timeouts(TimePoint now);
    void directory_schedule(TimePoint now);
    void serve_dir_request(RelayCircuit& c, HopStream& s, ByteView body, TimePoint now);
    // A private-service request to an HSDir over a three-hop circuit.
    void start_hs_job(HsJobKind kind, const PathHop& hsdir, Bytes request, HsJobHandler& handler,
                      std::uint64_t owner, TimePoint now);
    void adopt_consensus(dir::Consensus c, TimePoint now);
    // Authority: opens a link of its own to the check's address expecting
    // its identity; the handshake's outcome is the answer.
    void start_reachability_check(const dir::ReachabilityCheck& check, TimePoint now);
    // True if `l` was opened for a check (now answered and closed).
    bool reachability_link_open(LinkEntry& l, TimePoint now);
    void reachability_link_closed(LinkId link, const std::string& why, TimePoint now);
    void upload_descriptor(TimePoint now);
    dir::RelayDescriptor make_descriptor(TimePoint now) const;
};

}  // namespace sotto::node
