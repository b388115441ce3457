#include "core/sim/onion_network.hpp"

#include <algorithm>

namespace sotto::sim {

namespace {

constexpr std::uint64_t kKeysRngDomain = 0x2ull << 56;

// 10.<net>.<hi>.<lo> with lo in 1..250, so every node has a plain address.
std::string address(int net, std::size_t index) {
    return "10." + std::to_string(net) + "." + std::to_string(index / 250) + "." +
           std::to_string(index % 250 + 1);
}

}  // namespace

OnionNetwork::OnionNetwork(Simulator& sim, OnionNetworkOptions options)
    : sim_(&sim), options_(std::move(options)), keys_rng_(sim.fork_rng(kKeysRngDomain)) {}

Result<OnionNetwork> OnionNetwork::create(Simulator& sim, OnionNetworkOptions options) {
    if (options.authorities == 0) return fail(Errc::Config, "a network needs an authority");
    OnionNetwork net(sim, std::move(options));
    net.network_.name = net.options_.name;
    // Every simulated host is on 10.x: a network that refused private
    // addresses would list no relay and extend nowhere.
    net.network_.allow_private_addresses = true;
    net.network_.flag_uptime_s = net.options_.flag_uptime.seconds_count();
    if (net.options_.standard_services) {
        net.echo_ = std::make_shared<EchoService>();
        net.sink_ = std::make_shared<SinkService>();
        add_service(sim, kEchoHost, kEchoPort, net.echo_);
        add_service(sim, kSinkHost, kSinkPort, net.sink_);
    }

    // Authority keys first: every node's network file names them.
    std::vector<node::NodeKeys> auth_keys;
    for (std::size_t i = 0; i < net.options_.authorities; ++i) {
        node::NodeKeys k{crypto::Ed25519SecretKey::generate(*net.keys_rng_),
                         crypto::X25519SecretKey::generate(*net.keys_rng_)};
        net.network_.authorities.push_back(dir::AuthorityInfo{
            .nickname = "auth" + std::to_string(i),
            .identity = k.identity.public_key(),
            .host = address(0, i),
            .port = net.options_.relay_port,
        });
        auth_keys.push_back(std::move(k));
    }
    for (std::size_t i = 0; i < auth_keys.size(); ++i) {
        const auto& info = net.network_.authorities[i];
        node::NodeConfig c = net.relay_config(info.nickname, info.host);
        c.authority = true;
        if (net.options_.tweak) net.options_.tweak(c);
        auto n = SimNode::create(sim, info.nickname, info.host, std::move(c),
                                 std::move(auth_keys[i]), net.next_label_++);
        if (!n) return std::unexpected(n.error());
        net.authorities_.push_back(*n);
    }
    for (std::size_t i = 0; i < net.options_.relays; ++i) {
        auto n = net.add_relay();
        if (!n) return std::unexpected(n.error());
    }
    return net;
}

node::NodeConfig OnionNetwork::base_config() const {
    node::NodeConfig c;
    c.network = network_;
    c.authority_config.interval = options_.authority_interval;
    c.authority_config.vote_delay = options_.vote_delay;
    c.authority_config.descriptor_lifetime = options_.descriptor_lifetime;
    // Reachability checks at most once per round: a real network's rounds
    // (30 min) are longer than its recheck interval (20 min) too, and in the
    // simulator every check is a full link handshake, which over a month of
    // 12-hour rounds would be most of the simulated work.
    c.authority_config.recheck_interval =
        std::max(c.authority_config.recheck_interval, options_.authority_interval);
    c.consensus_fetch_interval = options_.consensus_fetch_interval;
    return c;
}

node::NodeConfig OnionNetwork::client_config() const {
    return base_config();
}

node::NodeConfig OnionNetwork::relay_config(const std::string& nickname,
                                            const std::string& host) const {
    node::NodeConfig c = base_config();
    c.relay = node::RelayConfig{
        .nickname = nickname,
        .host = host,
        .port = options_.relay_port,
        .exit_policy = options_.exit_policy,
        .descriptor_interval = options_.descriptor_interval,
    };
    return c;
}

Result<SimNode*> OnionNetwork::add_node(std::string name, std::string addr,
                                        node::NodeConfig config) {
    if (options_.tweak) options_.tweak(config);
    node::NodeKeys k{crypto::Ed25519SecretKey::generate(*keys_rng_),
                     crypto::X25519SecretKey::generate(*keys_rng_)};
    return SimNode::create(*sim_, std::move(name), std::move(addr), std::move(config), std::move(k),
                           next_label_++);
}

Result<SimNode*> OnionNetwork::add_relay(std::string name) {
    const std::size_t i = relays_added_++;
    if (name.empty()) name = "relay" + std::to_string(i);
    const std::string addr = address(1, i);
    auto n = add_node(name, addr, relay_config(name, addr));
    if (n) relays_.push_back(*n);
    return n;
}

Result<SimNode*> OnionNetwork::add_client(std::string name) {
    const std::size_t i = clients_.size();
    if (name.empty()) name = "client" + std::to_string(i);
    auto n = add_node(name, address(2, i), client_config());
    if (n) clients_.push_back(*n);
    return n;
}

std::vector<SimNode*> OnionNetwork::all_relays() const {
    std::vector<SimNode*> out = authorities_;
    out.insert(out.end(), relays_.begin(), relays_.end());
    return out;
}

SimNode* OnionNetwork::find(const crypto::Ed25519PublicKey& identity) const {
    for (auto* group : {&authorities_, &relays_, &clients_})
        for (SimNode* n : *group)
            if (n->identity() == identity) return n;
    return nullptr;
}

bool OnionNetwork::authorities_published_full_consensus() const {
    const std::size_t want = authorities_.size() + relays_.size();
    for (const SimNode* a : authorities_) {
        auto c = a->last_consensus();
        if (!c || c->relays != want) return false;
    }
    return true;
}

bool OnionNetwork::has_full_consensus(const SimNode& n) const {
    const dir::Consensus* c = n.consensus();
    return c != nullptr && c->relays.size() == authorities_.size() + relays_.size();
}

}  // namespace sotto::sim
