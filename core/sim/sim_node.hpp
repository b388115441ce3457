// An onion node (sotto::node::Node) on a simulated host: the simulator's
// counterpart of net/NodeDriver. It feeds transport events and deadlines to
// the node on the virtual clock and carries out the node's outputs strictly
// in order over the simulator's in-memory transport: links to other nodes,
// exit connections to virtual services, ExitPause as paused reading. The
// node's events (circuits, streams, consensus, notices) are kept in a log
// with their times, summarised per circuit and stream, and passed to
// listeners so a scenario can react.
//
// The node's keys are kept so that a crashed host restarts with the same
// identity; everything else starts afresh, as after a real reboot.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "core/crypto/random.hpp"
#include "core/node/node.hpp"
#include "core/sim/simulator.hpp"

namespace sotto::sim {

using NodeEvent = node::Event;

struct TimedEvent {
    TimePoint at;
    std::uint64_t incarnation;  // which run of the node (0, then +1 per restart)
    NodeEvent event;
};

class SimNode final : public Endpoint {
  public:
    // Creates the node and puts it on a new host at `address` (for a relay,
    // config.relay->host; it listens on config.relay->port). `rng_label`
    // selects the node's random stream (distinct per node).
    static Result<SimNode*> create(Simulator& sim, std::string name, std::string address,
                                   node::NodeConfig config, node::NodeKeys keys,
                                   std::uint64_t rng_label);
    ~SimNode() override;

    const std::string& name() const { return name_; }
    // Null while crashed.
    node::Node* node() { return node_.get(); }
    const node::Node* node() const { return node_.get(); }
    bool alive() const { return node_ != nullptr; }
    std::uint64_t incarnation() const { return incarnation_; }
    const crypto::Ed25519PublicKey& identity() const { return identity_; }
    const node::NodeConfig& config() const { return config_; }
    const dir::Consensus* consensus() const { return node_ ? node_->consensus() : nullptr; }
    node::NodeStats stats() const { return node_ ? node_->stats() : node::NodeStats{}; }
    // This node as a path hop (relays only; from the config, not the consensus).
    node::PathHop hop() const;
    // The node's ids of its connected links with `other`, opened by either
    // end, as this node's transport holds them: empty once either end closed
    // the link and the close reached this one. Ids are never reused within
    // an incarnation, so a changed id means a new link.
    std::vector<node::LinkId> links_with(const Endpoint& other) const;

    // ---- client API: the Node call at now(), then its outputs ----
    Result<node::CircuitRef> build_circuit(std::size_t hops = 3);
    Result<node::CircuitRef> build_circuit(std::vector<node::PathHop> path);
    Result<node::StreamRef> open_stream(node::CircuitRef circuit, const std::string& host,
                                        std::uint16_t port);
    Status send(node::StreamRef stream, ByteView data);
    void close_stream(node::StreamRef stream);
    void close_circuit(node::CircuitRef circuit);
    void set_misbehaviour(node::Misbehaviour m);
    // Anything else: f(Node&, now) while the node is up, then its outputs.
    template <typename F>
    auto with_node(F&& f) -> Result<decltype(f(std::declval<node::Node&>(), TimePoint{}))>;

    // Crash and restart this node's host (see Simulator::crash).
    void crash() { sim().crash(host()); }
    Status restart();

    // ---- events ----
    const std::vector<TimedEvent>& events() const { return events_; }
    template <typename E>
    std::vector<E> events_of() const;
    template <typename E>
    std::size_t count() const;
    // Called for every event, after the summaries below are updated.
    void add_listener(std::function<void(SimNode&, const NodeEvent&)> listener) {
        listeners_.push_back(std::move(listener));
    }
    // Whether StreamData events keep their bytes in events() (the per-stream
    // summary always does); off saves memory in bulk transfers.
    void keep_data_in_events(bool keep) { keep_data_in_events_ = keep; }

    // Summaries of the current incarnation (cleared on crash: the node's
    // identifiers restart too).
    bool circuit_ready(node::CircuitRef c) const { return ready_.contains(c); }
    std::optional<std::string> circuit_closed(node::CircuitRef c) const;
    bool circuit_open(node::CircuitRef c) const {
        return ready_.contains(c) && !closed_.contains(c);
    }
    bool stream_opened(node::StreamRef s) const { return opened_.contains(s); }
    std::optional<std::string> stream_closed(node::StreamRef s) const;
    // All bytes received on the stream so far (empty if none).
    const Bytes& stream_data(node::StreamRef s) const;
    std::optional<node::ConsensusChanged> last_consensus() const { return consensus_event_; }

    // Recent log lines (Info and above) for failure diagnostics.
    const std::deque<std::string>& recent_log() const { return log_.recent; }
    std::uint64_t warnings() const { return log_.warnings; }

    // ---- Endpoint ----
    void on_connected(SocketId s) override;
    void on_connect_failed(SocketId s, const std::string& reason) override;
    void on_accepted(SocketId s, std::uint16_t port) override;
    void on_data(SocketId s, ByteView bytes) override;
    void on_closed(SocketId s) override;
    void on_crash() override;
    void on_restart() override;

  private:
    struct Log final : LogSink {
        std::string* name = nullptr;
        Simulator* sim = nullptr;
        std::deque<std::string> recent;
        std::uint64_t warnings = 0;
        void log(LogLevel level, std::string_view area, std::string_view message) override;
    };
    // What a simulator socket is to the node.
    struct Attachment {
        bool is_link;
        std::uint64_t id;  // LinkId or ExitId
    };

    SimNode(std::string name, node::NodeConfig config, node::NodeKeys keys,
            std::uint64_t rng_label);
    Status start(Simulator& sim);
    // Takes the node's outputs and carries them out in order; calls made
    // while pumping only append, so the order is always the node's.
    void pump();
    void execute(node::Output& out);
    void execute(node::Action& action);
    void record(NodeEvent event);
    void arm_timer();
    void on_timer(std::uint64_t generation);
    void forget(SocketId s);

    std::string name_;
    node::NodeConfig config_;
    SecretBytes identity_seed_;
    SecretBytes onion_secret_;
    crypto::Ed25519PublicKey identity_;
    crypto::X25519PublicKey onion_key_;
    std::uint64_t rng_label_;
    std::uint64_t incarnation_ = 0;
    Log log_;
    // Declared before node_: the node holds references to both.
    std::unique_ptr<DeterministicRng> rng_;
    std::unique_ptr<node::Node> node_;

    std::map<node::LinkId, SocketId> links_;
    std::map<node::ExitId, SocketId> exits_;
    std::map<SocketId, Attachment> sockets_;
    std::deque<node::Output> pending_;
    bool pumping_ = false;
    std::uint64_t timer_generation_ = 0;
    std::optional<TimePoint> timer_at_;
    TimePoint last_tick_;
    int ticks_at_same_time_ = 0;

    std::vector<TimedEvent> events_;
    std::vector<std::function<void(SimNode&, const NodeEvent&)>> listeners_;
    bool keep_data_in_events_ = true;
    std::set<node::CircuitRef> ready_;
    std::map<node::CircuitRef, std::string> closed_;
    std::set<node::StreamRef> opened_;
    std::map<node::StreamRef, std::string> stream_closed_;
    std::map<node::StreamRef, Bytes> stream_data_;
    std::optional<node::ConsensusChanged> consensus_event_;
};

template <typename F>
auto SimNode::with_node(F&& f) -> Result<decltype(f(std::declval<node::Node&>(), TimePoint{}))> {
    using R = decltype(f(std::declval<node::Node&>(), TimePoint{}));
    if (!node_) return fail(Errc::Protocol, name_ + " is down");
    if constexpr (std::is_void_v<R>) {
        f(*node_, sim().now());
        pump();
        return {};
    } else {
        R r = f(*node_, sim().now());
        pump();
        return r;
    }
}

template <typename E>
std::vector<E> SimNode::events_of() const {
    std::vector<E> out;
    for (const auto& e : events_)
        if (const auto* x = std::get_if<E>(&e.event)) out.push_back(*x);
    return out;
}

template <typename E>
std::size_t SimNode::count() const {
    std::size_t n = 0;
    for (const auto& e : events_) n += std::holds_alternative<E>(e.event) ? 1 : 0;
    return n;
}

}  // namespace sotto::sim
