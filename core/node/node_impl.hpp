// Internal state of a Node, shared by the files that implement its roles:
// node.cpp (links, outputs, timers), relay_circuits.cpp (the relay role),
// origin_circuits.cpp (circuits and streams this node builds),
// directory_jobs.cpp (consensus fetch, descriptor upload, authority
// traffic, serving BEGIN_DIR). Not a public header.
#pragma once

#include <deque>
#include <map>
#include <set>
#include <unordered_map>

#include "core/dir/authority.hpp"
#include "core/dir/dir_message.hpp"
#include "core/link/link_session.hpp"
#include "core/node/hs_state.hpp"
#include "core/node/node.hpp"
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
    // Introduction point: the key this circuit was established for.
    std::optional<hs::AuthKeyId> intro_key;
    // Rendezvous point: the cookie waiting for a service on this circuit.
    std::optional<hs::RendezvousCookie> rend_cookie;
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

struct OriginCircuit {
    CircuitRef ref = 0;
    LinkId link = 0;
    CircuitId id = 0;
    std::vector<PathHop> path;
    std::vector<onion::HopCrypto> hops;
    std::vector<crypto::Digest256> bindings;  // per hop, onion::circuit_binding
    std::optional<onion::ClientHandshake> pending;
    enum class State { Connecting, Building, Open } state = State::Connecting;
    TimePoint build_deadline = TimePoint::never();
    onion::Window window = onion::Window::circuit();
    std::map<StreamId, StreamRef> streams;
    StreamId next_stream = 1;
    std::uint64_t job = 0;  // nonzero: built for an internal directory job
    // What the circuit is for; internal purposes are not reported to the
    // application until they become its (a joined rendezvous circuit).
    enum class Purpose { General, Dir, ServiceIntro, ServiceRend, ClientIntro, ClientRend };
    Purpose purpose = Purpose::General;
    std::uint64_t owner = 0;  // intro slot, contact, or connect attempt
    bool app_visible = true;
};

struct DirJob {
    enum class Kind {
        FetchConsensus,
        UploadDescriptor,
        AuthorityMessage,
        HsUpload,    // service: a descriptor to an HSDir
        HsWithdraw,  // service: a signed withdrawal to an HSDir
        HsFetch,     // client: a descriptor from an HSDir
    } kind;
    std::uint64_t id = 0;
    std::size_t authority = 0;  // directory jobs
    std::uint64_t owner = 0;    // private-service jobs: connect attempt, or uploads' contact
    bool hs() const { return kind >= Kind::HsUpload; }
    Bytes request;  // encoded DirRequest
    CircuitRef circuit = 0;
    StreamRef stream = 0;
    dir::DirFramer framer;
    TimePoint deadline = TimePoint::never();
};

struct Node::Impl {
    NodeConfig config;
    NodeKeys keys;
    Rng* rng;
    LogSink* log;

    std::vector<Output> outputs;
    std::set<LinkId> dirty_links;

    std::uint64_t next_id = 1;  // all node-assigned identifiers
    std::map<LinkId, LinkEntry> links;
    std::map<crypto::Ed25519PublicKey, LinkId> links_by_peer;
    std::map<std::uint64_t, RelayCircuit> relay_circuits;
    std::map<CircuitRef, OriginCircuit> origin_circuits;
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
    HsRelayState hs_relay;
    std::optional<hs::HsDirRing> ring;  // rebuilt with each consensus
    std::optional<ServiceState> service;
    ClientState client;

    // ---- node.cpp ----
    std::uint64_t new_id() { return next_id++; }
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
    Result<CircuitRef> start_circuit(std::vector<PathHop> path, std::uint64_t job, TimePoint now);
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
    void origin_timeouts(TimePoint now);
    std::vector<PathHop> pick_path(std::size_t hops);

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

    // ---- private_service.cpp ----
    void service_tick(TimePoint now);
    TimePoint service_deadline() const;
    void service_circuit_ready(OriginCircuit& c, TimePoint now);
    void service_circuit_closed(CircuitRef ref, OriginCircuit::Purpose purpose, std::uint64_t owner,
                                TimePoint now);
    void service_cell(OriginCircuit& c, std::size_t hop, wire::RelayCell& rc, TimePoint now);
    void service_establish_intros(TimePoint now);
    // keep_old: the current set keeps serving until its descriptors expire.
    void service_rotate_intros(const char* why, bool keep_old, TimePoint now);
    void service_retire_old_intros();
    void service_publish(hs::ContactId id, TimePoint now);
    // One scheduler batch for all of them: they share each HSDir's window.
    void service_publish(const std::vector<hs::ContactId>& ids, TimePoint now);
    void service_publish_all(TimePoint now);
    // Appends a contact's descriptors for this cycle to `batch`.
    void service_queue_contact(hs::ContactId id, ServiceContact& contact,
                               std::vector<hs::PendingUpload>& batch, TimePoint now);
    // The upload request for a scheduled descriptor, made now; none while
    // the introduction set is not up.
    std::optional<Bytes> service_upload_body(const ServiceState::PendingBody& p, TimePoint now);
    // Revoke, hide, Invisible: the contact's uploads queued or under way
    // are dropped (nothing is withdrawn, see private_service.cpp).
    void service_drop_uploads(hs::ContactId id, TimePoint now);
    // Closes the rendezvous circuits, being built or joined, of `id` (of
    // every contact when empty).
    void service_end_rendezvous(std::optional<hs::ContactId> id, TimePoint now);
    // Whether the service is there for `id`: a current contact, not hidden
    // from, and not Invisible.
    bool service_serves(hs::ContactId id) const;
    void service_close_intros();
    void service_job_done(const DirJob& job, bool ok, TimePoint now);

    // ---- service_client.cpp ----
    void client_circuit_ready(OriginCircuit& c, TimePoint now);
    void client_circuit_closed(CircuitRef ref, OriginCircuit::Purpose purpose, std::uint64_t owner,
                               TimePoint now);
    void client_cell(OriginCircuit& c, std::size_t hop, wire::RelayCell& rc, TimePoint now);
    void client_fetch_next(hs::ConnectId id, TimePoint now);
    void client_introduce_next(hs::ConnectId id, TimePoint now);
    void client_job_done(const DirJob& job, std::optional<Bytes> descriptor, TimePoint now);
    void client_fail(hs::ConnectId id, const char* why, TimePoint now);
    void client_timeouts(TimePoint now);
    TimePoint client_deadline() const;
    // connect_service, or with `points`: connect_service_via (no fetch).
    Result<hs::ConnectId> client_connect(const hs::ContactCredentials& creds,
                                         std::optional<std::vector<hs::IntroPointInfo>> points,
                                         TimePoint now);

    // Internal circuits: a path of `hops` ending at `last`.
    std::vector<PathHop> path_to(const PathHop& last, std::size_t hops);
    Result<CircuitRef> start_internal_circuit(std::vector<PathHop> path,
                                              OriginCircuit::Purpose purpose, std::uint64_t owner,
                                              TimePoint now);
    void start_hs_job(DirJob::Kind kind, const PathHop& hsdir, Bytes request, std::uint64_t owner,
                      TimePoint now);

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
