// The transport seam (transport.hpp) over Sotto's own onion network: the
// virtual-private-services protocol run by one sans-I/O node (core/node),
// which serves both roles, as the messenger needs: our service for our
// contacts, and client connections to theirs.
//
// Protocol policy that lives here rather than in the node: a connection is
// one stream named "sotto" on the rendezvous circuit the node reports in
// ServiceConnected, and a stream is one conversation, so closing it (either
// side) closes its rendezvous circuit too and no circuit outlives it.
//
// Driving it: whoever drives the node (net/NodeDriver, or a simulated node)
// carries out the node's outputs after every call into this transport, and
// passes the node's application outputs (streams, service events) to
// on_node_output; what it does not claim is someone else's.
#pragma once

#include <deque>
#include <memory>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "core/hs/service_api.hpp"
#include "core/node/node.hpp"
#include "core/transport/transport.hpp"

namespace sotto::transport {

class OnionTransport final : public Transport {
  public:
    // Starts the node's private service with `config`. The node must
    // outlive the transport.
    static Result<std::unique_ptr<OnionTransport>> create(node::Node& node,
                                                          const hs::ServiceConfig& config,
                                                          TimePoint now);

    // Takes the node's event if it concerns this transport's streams,
    // attempts or service (and then returns true).
    bool on_node_output(node::Event& out, TimePoint now);
    hs::ServiceStats stats() const { return node_.service_stats(); }

    TransportKind kind() const override { return TransportKind::SottoOnion; }
    Status grant(Tag tag, const Grant& grant, bool hidden, TimePoint now) override;
    Status revoke(Tag tag, TimePoint now) override;
    Status hide(Tag tag, bool hidden, TimePoint now) override;
    void set_visible(bool visible, TimePoint now) override;
    AttemptId connect(const Credential& credential, TimePoint now) override;
    Status send(StreamId stream, ByteView data, TimePoint now) override;
    std::size_t pending(StreamId stream) const override;
    void close(StreamId stream, TimePoint now) override;
    void tick(TimePoint) override {}
    TimePoint next_deadline() const override { return TimePoint::never(); }
    std::vector<Event> take_events() override;

  private:
    explicit OnionTransport(node::Node& node) : node_(node) {}
    // What ServiceConnected asks for: open the conversation's stream.
    void open_conversation(AttemptId attempt, node::CircuitRef circuit, TimePoint now);
    // Drops our record of the stream and closes its rendezvous circuit.
    void end_conversation(StreamId stream, TimePoint now);
    template <typename E>
    void report(E e) {
        events_.emplace_back(std::in_place_type<E>, std::move(e));
    }

    // Attempts the node never started (e.g. no consensus yet) are numbered
    // above this bit, so they cannot collide with the node's.
    static constexpr AttemptId kLocalAttemptBit = AttemptId{1} << 63;

    node::Node& node_;
    std::unordered_set<AttemptId> attempts_;                     // the node's, until they end
    std::unordered_map<StreamId, AttemptId> opening_;            // outgoing, until StreamOpened
    std::unordered_map<StreamId, node::CircuitRef> circuit_of_;  // every stream we carry
    std::unordered_map<StreamId, Tag> tag_of_;                   // incoming streams
    AttemptId local_attempts_ = 0;
    std::vector<Event> events_;
};

}  // namespace sotto::transport
