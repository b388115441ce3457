// The onion transport (core/transport/onion_transport) in a Qt event loop:
// owns the NodeDriver that runs the profile's onion node over real sockets,
// starts the private service on the first consensus (then ready()), and
// passes the node's stream and service events to the transport.
#pragma once

#include <memory>

#include "core/store/profile_store.hpp"
#include "core/transport/onion_transport.hpp"
#include "net/node_driver.hpp"
#include "net/transport_adapter.hpp"

namespace sotto::net {

class OnionAdapter final : public TransportAdapter {
    Q_OBJECT
  public:
    // A node for the profile's network with the profile's node keys; it
    // starts fetching a consensus at once.
    static Result<std::unique_ptr<OnionAdapter>> create(const store::ProfileIdentity& identity,
                                                        hs::ServiceConfig service,
                                                        Duration consensus_fetch_interval);
    ~OnionAdapter() override;

    transport::Transport& transport() override { return *transport_; }
    void flush() override { driver_->flush(); }
    QString status() const override;
    NodeDriver& node() { return *driver_; }
    hs::ServiceStats stats() const { return driver_->service_stats(); }

  private:
    OnionAdapter() = default;
    void on_consensus();

    hs::ServiceConfig service_;
    std::unique_ptr<NodeDriver> driver_;
    std::unique_ptr<transport::OnionTransport> transport_;
};

}  // namespace sotto::net
