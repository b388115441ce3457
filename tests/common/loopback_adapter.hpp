// The loopback transport (tests/common/loopback_transport.hpp) in a Qt
// event loop, for net::MessengerDriver: the UI tests and the UI benchmark.
// What one endpoint does reaches the others as their events; the adapter
// wakes its driver with a queued call, as a socket would.
//
// Tests only: the app always uses a real transport.
#pragma once

#include <QObject>

#include "net/transport_adapter.hpp"
#include "tests/common/loopback_transport.hpp"

namespace sotto::testing {

// Ready at once; activity() is queued whenever another endpoint sent it
// something.
class LoopbackAdapter final : public net::TransportAdapter {
    Q_OBJECT
  public:
    explicit LoopbackAdapter(LoopbackNetwork& network);
    transport::Transport& transport() override { return transport_; }
    LoopbackTransport& loopback() { return transport_; }
    QString status() const override { return QStringLiteral("loopback"); }

  private:
    LoopbackTransport transport_;
    bool woken_ = false;
};

}  // namespace sotto::testing
