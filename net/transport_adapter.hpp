// One core transport (core/transport) in a Qt event loop: the part that
// owns its I/O (a node driver's sockets, later a tor control connection)
// and tells the messenger driver when the transport has something for it.
// The messenger driver calls into transport() and then flush(), so what the
// calls asked for goes out before the event loop sleeps again.
//
// Bootstrapping: a transport may need the network first (the onion
// transport needs a consensus); ready() fires once when transport() can be
// used, progress() reports the way there, failed() ends it.
#pragma once

#include <QObject>
#include <QString>
#include <functional>
#include <memory>

#include "core/transport/transport.hpp"

namespace sotto::net {

class TransportAdapter : public QObject {
    Q_OBJECT
  public:
    using QObject::QObject;
    ~TransportAdapter() override = default;

    bool is_ready() const { return ready_; }
    // Valid once ready.
    virtual transport::Transport& transport() = 0;
    // Carries out what calls into transport() asked for.
    virtual void flush() {}
    // One line for people about where the transport stands, e.g.
    // "connected: 12 relays".
    virtual QString status() const = 0;
    // How far bootstrapping is, 0-100, or -1 where the transport cannot
    // tell (the UI shows a bar for the one and a spinner for the other).
    virtual int bootstrap_percent() const { return -1; }

  signals:
    // The transport has events for take_events(), or a new deadline.
    void activity();
    void progress(const QString& detail);
    void ready();
    void failed(const QString& message);

  protected:
    void set_ready() {
        ready_ = true;
        emit ready();
    }

  private:
    bool ready_ = false;
};

}  // namespace sotto::net
