#include "core/sim/virtual_service.hpp"

#include <cstdio>
#include <cstdlib>

namespace sotto::sim {

void SinkService::on_open(ServiceSocket& socket) {
    received_[socket.id()].hash =
        std::make_shared<crypto::RunningDigest>(crypto::RunningDigest::Algorithm::Sha3_256);
}

void SinkService::on_data(ServiceSocket& socket, ByteView data) {
    auto& r = received_[socket.id()];
    if (!r.hash) on_open(socket);
    bytes_ += data.size();
    r.bytes += data.size();
    r.hash->update(data);
}

void SinkService::on_closed(ServiceSocket& socket) {
    received_[socket.id()].closed = true;
}

void ServiceHost::add(std::uint16_t port, std::shared_ptr<VirtualService> service) {
    services_[port] = std::move(service);
    sim().listen(host(), port);
}

void ServiceHost::on_accepted(SocketId socket, std::uint16_t port) {
    auto it = services_.find(port);
    if (it == services_.end()) {
        sim().close(socket);
        return;
    }
    open_[socket] = port;
    ServiceSocket s(sim(), socket, port);
    it->second->on_open(s);
    if (!sim().is_open(socket)) open_.erase(socket);  // the service closed it
}

void ServiceHost::on_data(SocketId socket, ByteView bytes) {
    auto it = open_.find(socket);
    if (it == open_.end()) return;
    ServiceSocket s(sim(), socket, it->second);
    services_.at(it->second)->on_data(s, bytes);
    if (!sim().is_open(socket)) open_.erase(socket);
}

void ServiceHost::on_closed(SocketId socket) {
    auto it = open_.find(socket);
    if (it == open_.end()) return;
    const std::uint16_t port = it->second;
    open_.erase(it);
    ServiceSocket s(sim(), socket, port);
    services_.at(port)->on_closed(s);
}

ServiceHost& service_host(Simulator& sim, const std::string& address) {
    if (auto h = sim.find_host(address)) {
        if (auto* sh = dynamic_cast<ServiceHost*>(sim.endpoint(*h))) return *sh;
        if (sim.endpoint(*h) == nullptr) return sim.attach(*h, std::make_unique<ServiceHost>());
        // Programming error in a scenario: the address belongs to a node.
        std::fprintf(stderr, "sim: %s is not a service host\n", address.c_str());
        std::abort();
    }
    return sim.emplace<ServiceHost>(address);
}

}  // namespace sotto::sim
