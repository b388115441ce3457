// Virtual services: the plain TCP servers that exit streams reach inside the
// simulator (what a web server is to a real exit relay). A service is
// registered at address:port with `add_service`; each accepted connection is
// a `ServiceSocket`. Built in: `EchoService` (returns every byte) and
// `SinkService` (counts and hashes what it receives); anything else is a
// `VirtualService` subclass or a `CallbackService`.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/sim/simulator.hpp"

namespace sotto::sim {

// One accepted connection, as a service sees it.
class ServiceSocket {
  public:
    ServiceSocket(Simulator& sim, SocketId id, std::uint16_t port)
        : sim_(&sim), id_(id), port_(port) {}
    void send(ByteView bytes) { sim_->send(id_, bytes); }
    void close() { sim_->close(id_); }
    // Stops / resumes receiving (the sender's bytes wait in the network).
    void set_reading(bool reading) { sim_->set_reading(id_, reading); }
    SocketId id() const { return id_; }
    std::uint16_t port() const { return port_; }
    TimePoint now() const { return sim_->now(); }

  private:
    Simulator* sim_;
    SocketId id_;
    std::uint16_t port_;
};

class VirtualService {
  public:
    virtual ~VirtualService() = default;
    virtual void on_open(ServiceSocket&) {}
    virtual void on_data(ServiceSocket& socket, ByteView data) = 0;
    // The client closed (or the connection was cut); not called after close().
    virtual void on_closed(ServiceSocket&) {}
};

class EchoService final : public VirtualService {
  public:
    void on_open(ServiceSocket&) override { ++connections_; }
    void on_data(ServiceSocket& socket, ByteView data) override {
        bytes_ += data.size();
        socket.send(data);
    }
    std::uint64_t connections() const { return connections_; }
    std::uint64_t bytes() const { return bytes_; }

  private:
    std::uint64_t connections_ = 0;
    std::uint64_t bytes_ = 0;
};

class SinkService final : public VirtualService {
  public:
    struct Received {
        std::uint64_t bytes = 0;
        bool closed = false;
        crypto::Digest256 digest() const { return hash->peek(); }  // SHA3-256 of the bytes
        std::shared_ptr<crypto::RunningDigest> hash;
    };
    void on_open(ServiceSocket& socket) override;
    void on_data(ServiceSocket& socket, ByteView data) override;
    void on_closed(ServiceSocket& socket) override;
    std::uint64_t bytes() const { return bytes_; }
    std::size_t connections() const { return received_.size(); }
    // Per connection, in accept order.
    const std::map<SocketId, Received>& received() const { return received_; }

  private:
    std::uint64_t bytes_ = 0;
    std::map<SocketId, Received> received_;
};

class CallbackService final : public VirtualService {
  public:
    std::function<void(ServiceSocket&)> open;
    std::function<void(ServiceSocket&, ByteView)> data;
    std::function<void(ServiceSocket&)> closed;
    void on_open(ServiceSocket& s) override {
        if (open) open(s);
    }
    void on_data(ServiceSocket& s, ByteView d) override {
        if (data) data(s, d);
    }
    void on_closed(ServiceSocket& s) override {
        if (closed) closed(s);
    }
};

// The endpoint on a host that serves virtual services on its ports.
class ServiceHost final : public Endpoint {
  public:
    void add(std::uint16_t port, std::shared_ptr<VirtualService> service);
    void on_accepted(SocketId socket, std::uint16_t port) override;
    void on_data(SocketId socket, ByteView bytes) override;
    void on_closed(SocketId socket) override;
    void on_crash() override { open_.clear(); }

  private:
    std::map<std::uint16_t, std::shared_ptr<VirtualService>> services_;
    std::map<SocketId, std::uint16_t> open_;
};

// Registers `service` at address:port, creating the host if it is new (an
// address that already runs something else is a scenario bug and aborts).
// Returns the service for convenience.
template <typename S>
S& add_service(Simulator& sim, const std::string& address, std::uint16_t port,
               std::shared_ptr<S> service);
ServiceHost& service_host(Simulator& sim, const std::string& address);

template <typename S>
S& add_service(Simulator& sim, const std::string& address, std::uint16_t port,
               std::shared_ptr<S> service) {
    S& ref = *service;
    service_host(sim, address).add(port, std::move(service));
    return ref;
}

}  // namespace sotto::sim
