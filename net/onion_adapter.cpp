#include "net/onion_adapter.hpp"

#include "core/dir/network_file.hpp"

namespace sotto::net {

Result<std::unique_ptr<OnionAdapter>> OnionAdapter::create(const store::ProfileIdentity& ident,
                                                           hs::ServiceConfig service,
                                                           Duration consensus_fetch_interval) {
    auto nf = dir::parse_network_file(ident.network_file);
    if (!nf) return std::unexpected(nf.error());
    auto identity = crypto::Ed25519SecretKey::from_seed(ident.node_identity.seed());
    auto onion = crypto::X25519SecretKey::from_bytes(ident.node_onion.view());
    if (!identity || !onion) return fail(Errc::Malformed, "the profile's node keys are damaged");
    node::NodeConfig cfg;
    cfg.network = std::move(*nf);
    cfg.consensus_fetch_interval = consensus_fetch_interval;
    auto driver =
        NodeDriver::create(std::move(cfg), node::NodeKeys{std::move(*identity), std::move(*onion)});
    if (!driver) return std::unexpected(driver.error());
    std::unique_ptr<OnionAdapter> a(new OnionAdapter());
    a->service_ = service;
    a->driver_ = std::move(*driver);
    auto* self = a.get();
    connect(a->driver_.get(), &NodeDriver::consensusChanged, self,
            [self] { self->on_consensus(); });
    return a;
}

OnionAdapter::~OnionAdapter() {
    if (driver_) driver_->set_application_sink({});
    transport_.reset();
}

void OnionAdapter::on_consensus() {
    if (is_ready()) return;
    const auto* c = driver_->consensus();
    if (!c) return;
    auto t = transport::OnionTransport::create(driver_->node_for_transport(), service_,
                                               NodeDriver::now());
    driver_->flush();
    if (!t) {
        emit failed(QString::fromStdString(t.error().message));
        return;
    }
    transport_ = std::move(*t);
    driver_->set_application_sink([this](node::Event& event) {
        if (!transport_->on_node_output(event, NodeDriver::now())) return false;
        emit activity();
        return true;
    });
    set_ready();
}

QString OnionAdapter::status() const {
    const auto* c = driver_->consensus();
    if (!c) return tr("Fetching the list of relays from the directory authorities…");
    return tr("connected: %1 relays").arg(c->relays.size());
}

}  // namespace sotto::net
