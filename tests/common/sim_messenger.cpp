#include "tests/common/sim_messenger.hpp"

namespace sotto::testing {

SimMessenger::SimMessenger(std::string name, sim::SimNode* node, const dir::NetworkId& network,
                           std::uint64_t seed, messenger::MessengerConfig config)
    : name_(std::move(name)), node_(node), rng_(seed), config_(std::move(config)) {
    store_ = std::make_unique<store::MemoryStore>(
        store::ProfileIdentity{name_, crypto::Ed25519SecretKey::generate(rng_),
                               Secret<32>(rng_.bytes(32)), "network file", network});
    node_->add_listener([this](sim::SimNode&, const sim::NodeEvent& e) { on_node_event(e); });
}

SimMessenger::~SimMessenger() {
    if (timer_) node_->sim().cancel(*timer_);
}

void SimMessenger::start(const hs::ServiceConfig& service) {
    auto t = node_->with_node([&](node::Node& n, TimePoint now) {
        return transport::OnionTransport::create(n, service, now);
    });
    if (!t || !*t) std::abort();
    transport_ = std::move(**t);
    host_ = std::make_unique<messenger::MessengerHost>(
        *store_, rng_, std::vector<transport::Transport*>{transport_.get()}, config_);
    host_->start(now());
    pump();
}

void SimMessenger::on_node_event(const sim::NodeEvent& e) {
    if (!transport_) return;
    node::Event event = e;  // the listener sees a copy; the transport may take from it
    if (transport_->on_node_output(event, now())) pump();
}

// The host, then the node's outputs of whatever the host asked of it; a
// node event that arrives meanwhile (the node runs its outputs in order)
// makes the outer call go round again.
void SimMessenger::pump() {
    host_->pump(now(), [this] {
        for (auto& e : host_->take_events()) events_.push_back(std::move(e));
        (void)node_->with_node([](node::Node&, TimePoint) {});
    });
    arm_timer();
}

void SimMessenger::arm_timer() {
    const TimePoint at = host_->next_deadline();
    if (at == timer_at_) return;
    if (timer_) node_->sim().cancel(*timer_);
    timer_.reset();
    timer_at_ = at;
    if (at == TimePoint::never()) return;
    timer_ = node_->sim().schedule_at(at, [this] {
        timer_.reset();
        timer_at_ = TimePoint::never();
        host_->tick(now());
        pump();
    });
}

}  // namespace sotto::testing
