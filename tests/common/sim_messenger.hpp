// A messenger profile on a simulated node (issue 10, item 8): the real
// engine, run by MessengerHost on the real onion transport
// (core/transport/onion_transport) over a SimNode, each with its in-memory
// store (store::MemoryStore) and the host's deadline as a simulator timer. What
// net/MessengerDriver and net/OnionAdapter do over a NodeDriver, on the
// virtual clock instead, so a scenario runs messengers on a simulated onion
// network deterministically.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/crypto/random.hpp"
#include "core/messenger/messenger_host.hpp"
#include "core/sim/sim_node.hpp"
#include "core/store/memory_store.hpp"
#include "core/transport/onion_transport.hpp"

namespace sotto::testing {

class SimMessenger {
  public:
    // A fresh profile named `name` on `node`, network id `network`,
    // randomness from `seed`.
    SimMessenger(std::string name, sim::SimNode* node, const dir::NetworkId& network,
                 std::uint64_t seed, messenger::MessengerConfig config = {});
    ~SimMessenger();

    // Starts the node's private service and the engine.
    void start(const hs::ServiceConfig& service);

    messenger::Messenger& m() { return host_->engine(); }
    store::MemoryStore& store() { return *store_; }
    sim::SimNode* node() const { return node_; }
    TimePoint now() const { return node_->sim().now(); }
    // Runs `f(engine, now)`, then carries out what it asked for.
    template <typename F>
    auto act(F&& f) {
        auto r = f(host_->engine(), now());
        pump();
        return r;
    }
    // The engine's events so far (taken from the host after every pump).
    const std::vector<messenger::Event>& events() const { return events_; }

  private:
    void on_node_event(const sim::NodeEvent& e);
    void pump();
    void arm_timer();

    std::string name_;
    sim::SimNode* node_;
    DeterministicRng rng_;
    messenger::MessengerConfig config_;
    std::unique_ptr<store::MemoryStore> store_;
    std::unique_ptr<transport::OnionTransport> transport_;
    std::unique_ptr<messenger::MessengerHost> host_;
    std::vector<messenger::Event> events_;
    std::optional<sim::TimerId> timer_;
    TimePoint timer_at_ = TimePoint::never();
};

}  // namespace sotto::testing
