// The deterministic network simulator: a virtual clock, one event queue
// ordered by (time, sequence number), and an in-memory transport between
// simulated hosts that behaves like TCP (reliable, ordered byte streams with
// latency, jitter, bandwidth and loss-as-delay from `NetworkModel`), plus the
// faults a test wants to inject: partitions, host crashes and restarts.
//
// Whatever runs on a host is an `Endpoint` (a driven onion Node in
// sim_node.hpp, the virtual services in virtual_service.hpp, or a trivial
// test endpoint). Transport calls never call back synchronously: every
// callback is a scheduled event, so endpoints are never re-entered. All
// randomness comes from one seed, so a seed replays a run bit for bit;
// `fingerprint()` digests every delivered chunk with its time and endpoints
// so tests can compare two runs.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/crypto/hash.hpp"
#include "core/crypto/random.hpp"
#include "core/sim/network_model.hpp"
#include "core/util/bytes.hpp"
#include "core/util/rng.hpp"
#include "core/util/time.hpp"

namespace sotto::sim {

using HostId = std::uint32_t;
using SocketId = std::uint64_t;  // one end of a connection, never reused
using TimerId = std::uint64_t;

// 2026-01-01T00:00:00Z, where every simulation starts unless told otherwise.
inline constexpr TimePoint kEpoch = TimePoint::from_seconds(1767225600);

class Simulator;

// What runs on a simulated host. Callbacks arrive as events on the virtual
// clock; the endpoint reacts with Simulator transport calls.
class Endpoint {
  public:
    virtual ~Endpoint() = default;
    // A connection this endpoint opened with Simulator::connect is up.
    virtual void on_connected(SocketId) {}
    virtual void on_connect_failed(SocketId, const std::string& /*reason*/) {}
    // Someone connected to a port this host listens on.
    virtual void on_accepted(SocketId, std::uint16_t /*port*/) {}
    virtual void on_data(SocketId, ByteView) {}
    // The other end closed, or the connection was cut (partition, crash).
    virtual void on_closed(SocketId) {}
    // The host crashed: drop all state except what survives a reboot. No
    // further callbacks arrive until on_restart.
    virtual void on_crash() {}
    virtual void on_restart() {}

    HostId host() const { return host_; }
    Simulator& sim() const { return *sim_; }

  private:
    friend class Simulator;
    Simulator* sim_ = nullptr;
    HostId host_ = 0;
};

struct SimStats {
    std::uint64_t events = 0;
    std::uint64_t connections = 0;         // accepted
    std::uint64_t connections_failed = 0;  // refused or unreachable
    std::uint64_t connections_cut = 0;     // by partitions and crashes
    std::uint64_t chunks_delivered = 0;
    std::uint64_t bytes_delivered = 0;
    std::uint64_t retransmissions = 0;  // segments delayed by loss
    std::uint64_t reads_paused = 0;     // set_reading(false) on a socket that was reading
};

class Simulator {
  public:
    explicit Simulator(std::uint64_t seed, NetworkModel model = {}, TimePoint start = kEpoch);
    ~Simulator();
    Simulator(const Simulator&) = delete;
    Simulator& operator=(const Simulator&) = delete;

    // ---- clock and events ----
    TimePoint now() const { return now_; }
    std::uint64_t seed() const { return seed_; }
    // Events at the same time run in the order they were scheduled. A time
    // in the past runs at now().
    TimerId schedule_at(TimePoint at, std::move_only_function<void()> fn);
    TimerId schedule_after(Duration d, std::move_only_function<void()> fn);
    void cancel(TimerId id);
    // Runs the next event; false when the queue is empty.
    bool step();
    // Runs events until `done()` holds (checked before the first and after
    // every event) or `max` of virtual time has passed; false on timeout,
    // with the clock at the deadline.
    bool run_until(const std::function<bool()>& done, Duration max);
    // Runs every event up to now() + d; the clock ends at now() + d.
    void run_for(Duration d);
    // Scheduled events, including cancelled ones not yet reached.
    std::size_t pending_events() const { return queue_.size(); }

    // ---- hosts ----
    // `address` is what others connect to (a name or an IP string); unique.
    HostId add_host(std::string address);
    // Puts `endpoint` on `host` (replacing any previous one) and returns it.
    template <typename T>
    T& attach(HostId host, std::unique_ptr<T> endpoint) {
        T& ref = *endpoint;
        attach_endpoint(host, std::move(endpoint));
        return ref;
    }
    template <typename T, typename... Args>
    T& emplace(std::string address, Args&&... args) {
        HostId h = add_host(std::move(address));
        return attach(h, std::make_unique<T>(std::forward<Args>(args)...));
    }
    Endpoint* endpoint(HostId host) const;
    const std::string& address(HostId host) const;
    std::optional<HostId> find_host(const std::string& address) const;
    std::size_t host_count() const { return hosts_.size(); }
    void listen(HostId host, std::uint16_t port);

    // ---- transport, for endpoints ----
    // Opens a connection from `from` to address:port. The listener's
    // on_accepted runs one latency later, the initiator's on_connected one
    // latency after that; a refused or unreachable connect reports
    // on_connect_failed after the same round trip.
    SocketId connect(HostId from, const std::string& address, std::uint16_t port);
    // Queues bytes for the other end (in order; may be cut into segments).
    // Bytes written before the connection is up are sent when it is (unless
    // the socket is closed first); writes to a closed socket are dropped.
    void send(SocketId socket, ByteView bytes);
    // Closes this end; the other end gets on_closed after the bytes in flight.
    void close(SocketId socket);
    // While not reading, arriving bytes are held (in order) for the socket.
    void set_reading(SocketId socket, bool reading);
    bool is_open(SocketId socket) const;
    std::optional<HostId> peer_host(SocketId socket) const;

    // ---- network model and faults ----
    const NetworkModel& model() const { return model_; }
    // Overrides the model between a and b, both directions.
    void set_path(HostId a, HostId b, PathModel path);
    const PathModel& path(HostId from, HostId to) const;
    // Hosts in `a` and hosts in `b` cannot reach each other until heal():
    // new connects fail and existing connections between them are cut (both
    // ends get on_closed). Partitions accumulate; other pairs are unaffected.
    void partition(const std::vector<HostId>& a, const std::vector<HostId>& b);
    // The same by endpoint: sim.partition({alice, guard}, {exit}).
    void partition(std::initializer_list<const Endpoint*> a,
                   std::initializer_list<const Endpoint*> b);
    void heal();
    bool reachable(HostId a, HostId b) const;
    // The host stops abruptly: every peer gets on_closed one latency later,
    // nothing in flight to or from it is delivered, connects to it fail, and
    // its endpoint gets on_crash.
    void crash(HostId host);
    void crash(const Endpoint& e) { crash(e.host()); }
    // Brings the host back; its endpoint gets on_restart.
    void restart(HostId host);
    void restart(const Endpoint& e) { restart(e.host()); }
    bool is_up(HostId host) const;
    // Bytes the host's endpoint handed to the network so far (every
    // connection, also across crashes): what a service costs its uplink.
    std::uint64_t bytes_sent(HostId host) const { return hosts_.at(host).bytes_sent; }

    // ---- determinism ----
    // An independent generator for `label` (e.g. one per node).
    std::unique_ptr<DeterministicRng> fork_rng(std::uint64_t label);
    // Folds something an endpoint observed into the run fingerprint.
    void note(std::string_view what, ByteView data = {});
    // SHA3-256 over every delivered chunk (time, endpoints, bytes), every
    // connection event and every note, in order.
    crypto::Digest256 fingerprint() const { return digest_.peek(); }
    const SimStats& stats() const { return stats_; }

  private:
    struct Event {
        TimePoint at;
        std::uint64_t seq;
        TimerId id;
        mutable std::move_only_function<void()> fn;
        bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
    };
    enum class SocketState { Connecting, Open, Closed };
    struct Socket {
        HostId host = 0;
        SocketId peer = 0;  // 0 until accepted
        HostId peer_host = 0;
        SocketState state = SocketState::Connecting;
        bool reading = true;
        std::vector<Bytes> held;                // arrived while not reading
        bool close_held = false;                // on_closed waits for held bytes
        TimePoint last_arrival;                 // of bytes this end sent, at the peer
        Bytes unsent;                           // written while connecting
        std::unique_ptr<DeterministicRng> rng;  // jitter and loss, this direction
    };
    struct Host {
        std::string address;
        std::unique_ptr<Endpoint> endpoint;
        std::set<std::uint16_t> ports;
        std::set<SocketId> sockets;
        bool up = true;
        std::uint64_t incarnation = 0;
        std::uint64_t bytes_sent = 0;
    };

    void attach_endpoint(HostId host, std::unique_ptr<Endpoint> endpoint);
    Socket* find(SocketId id);
    const Socket* find(SocketId id) const;
    SocketId new_socket(HostId host, SocketId peer, HostId peer_host, SocketState state);
    void erase_socket(SocketId id);
    Duration one_way_delay(const PathModel& p, Rng& rng);
    void transmit(SocketId from, ByteView bytes);
    void arrive_syn(SocketId initiator, std::string address, std::uint16_t port);
    void fail_connect(SocketId initiator, Duration after, std::string reason);
    void deliver(SocketId to, HostId from_host, Bytes bytes);
    void deliver_close(SocketId to);
    void flush_held(SocketId id);
    // Forgets socket `id` and tells its host at `at` that it closed (or that
    // the connect failed), unless the host crashed in between.
    void drop_and_notify(SocketId id, TimePoint at, const char* reason);
    bool run_next(TimePoint limit);
    void record(std::string_view tag, std::initializer_list<std::uint64_t> fields,
                ByteView data = {});

    std::uint64_t seed_;
    NetworkModel model_;
    TimePoint now_;
    DeterministicRng rng_;
    std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
    std::unordered_set<TimerId> cancelled_;
    std::uint64_t next_seq_ = 0;
    TimerId next_timer_ = 1;
    SocketId next_socket_ = 1;
    std::vector<Host> hosts_;
    std::map<std::string, HostId> by_address_;
    std::map<SocketId, Socket> sockets_;
    std::map<std::pair<HostId, HostId>, PathModel> paths_;
    std::map<std::pair<HostId, HostId>, TimePoint> link_free_;  // bandwidth, per direction
    std::vector<std::pair<std::set<HostId>, std::set<HostId>>> partitions_;
    crypto::RunningDigest digest_{crypto::RunningDigest::Algorithm::Sha3_256};
    SimStats stats_;
};

}  // namespace sotto::sim
