// Builds a whole onion network inside a Simulator: directory authorities
// (their identities in a network file made on the fly, each also a relay; the
// file allows the private 10.x addresses every simulated host has),
// relays and clients, every one a SimNode on its own host, with timers
// shortened so that voting rounds and consensus fetches take virtual minutes,
// plus the standard virtual services exit streams can reach (echo and sink).
//
//   Simulator sim(1);
//   auto net = OnionNetwork::create(sim, {.authorities = 3, .relays = 20});
//   SimNode* alice = *net->add_client();
//   sim.run_until([&] { return net->has_full_consensus(*alice); }, Duration::minutes(5));
//   auto circ = alice->build_circuit(3);
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/crypto/random.hpp"
#include "core/sim/sim_node.hpp"
#include "core/sim/virtual_service.hpp"

namespace sotto::sim {

inline constexpr const char* kEchoHost = "echo.sim";
inline constexpr std::uint16_t kEchoPort = 7;
inline constexpr const char* kSinkHost = "sink.sim";
inline constexpr std::uint16_t kSinkPort = 9;

struct OnionNetworkOptions {
    std::size_t authorities = 3;
    std::size_t relays = 10;  // besides the authorities
    std::string name = "simnet";
    Duration authority_interval = Duration::seconds(60);
    Duration vote_delay = Duration::seconds(10);
    Duration consensus_fetch_interval = Duration::seconds(60);
    Duration descriptor_interval = Duration::minutes(10);
    // Authorities forget descriptors this old (a crashed relay leaves the
    // consensus after it).
    Duration descriptor_lifetime = Duration::minutes(30);
    std::uint16_t relay_port = 9001;
    // Network-file `flag-uptime`: how long authorities see a relay up before
    // it gets the HSDir and Intro/Rend flags. Zero, so that a simulated
    // network is ready in its first voting round.
    Duration flag_uptime = Duration{};
    // Every relay and authority exits to these (the default: anything).
    std::vector<node::ExitRule> exit_policy = {{"*", 1, 65535}};
    // Echo at kEchoHost:kEchoPort, sink at kSinkHost:kSinkPort.
    bool standard_services = true;
    // Last word on each node's configuration before it starts.
    std::function<void(node::NodeConfig&)> tweak;
};

class OnionNetwork {
  public:
    static Result<OnionNetwork> create(Simulator& sim, OnionNetworkOptions options = {});

    Simulator& sim() const { return *sim_; }
    const OnionNetworkOptions& options() const { return options_; }
    const dir::NetworkFile& network_file() const { return network_; }
    const std::vector<SimNode*>& authorities() const { return authorities_; }
    const std::vector<SimNode*>& relays() const { return relays_; }  // not authorities
    const std::vector<SimNode*>& clients() const { return clients_; }
    // Authorities, then relays: everything a consensus should list.
    std::vector<SimNode*> all_relays() const;
    SimNode* find(const crypto::Ed25519PublicKey& identity) const;

    // A client-only node on a new host.
    Result<SimNode*> add_client(std::string name = {});
    // Another relay (not in the network at start: it uploads its descriptor
    // and appears in a later consensus).
    Result<SimNode*> add_relay(std::string name = {});
    node::NodeConfig client_config() const;
    node::NodeConfig relay_config(const std::string& nickname, const std::string& host) const;

    // Null when standard_services is off.
    EchoService* echo() const { return echo_.get(); }
    SinkService* sink() const { return sink_.get(); }

    // Conditions for Simulator::run_until.
    // Every authority published a consensus listing all relays.
    bool authorities_published_full_consensus() const;
    // `n` holds a consensus listing all relays of the network.
    bool has_full_consensus(const SimNode& n) const;

  private:
    explicit OnionNetwork(Simulator& sim, OnionNetworkOptions options);
    node::NodeConfig base_config() const;
    Result<SimNode*> add_node(std::string name, std::string address, node::NodeConfig config);

    Simulator* sim_;
    OnionNetworkOptions options_;
    dir::NetworkFile network_;
    std::unique_ptr<DeterministicRng> keys_rng_;
    std::vector<SimNode*> authorities_;
    std::vector<SimNode*> relays_;
    std::vector<SimNode*> clients_;
    std::uint64_t next_label_ = 0;
    std::size_t relays_added_ = 0;
    std::shared_ptr<EchoService> echo_;
    std::shared_ptr<SinkService> sink_;
};

}  // namespace sotto::sim
