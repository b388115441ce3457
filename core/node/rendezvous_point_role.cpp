#include "core/node/rendezvous_point_role.hpp"

#include <vector>

namespace sotto::node {

using wire::RelayCell;
using wire::RelayCommand;

void RendezvousPointRole::establish_rendezvous(RelayCircuitKey circuit, ByteView body,
                                               TimePoint now) {
    const auto& config = node_.config();
    const bool role = config.relay && config.relay->intro_rend;
    auto cookie = hs::decode_establish_rendezvous(body);
    if (!role || !cookie || cookie_of_.contains(circuit) || node_.relay_circuit_joined(circuit) ||
        cookies_.contains(*cookie)) {
        node_.relay_tear_down(circuit, wire::DestroyReason::Protocol);
        return;
    }
    cookies_[*cookie] = {circuit, now + timeout_};
    cookie_of_[circuit] = *cookie;
    node_.wake_housekeeping(now);
    node_.relay_send_back(circuit, RelayCell{RelayCommand::RendezvousEstablished, 0,
                                             hs::encode_rendezvous_established()});
}

void RendezvousPointRole::rendezvous1(RelayCircuitKey circuit, ByteView body) {
    auto m = hs::decode_rendezvous1(body);
    auto it = m ? cookies_.find(m->cookie) : cookies_.end();
    const bool found = it != cookies_.end() && node_.relay_circuit_exists(it->second.first);
    if (!found || it->second.first == circuit) {
        node_.relay_tear_down(circuit, wire::DestroyReason::Protocol);
        return;
    }
    const RelayCircuitKey client = it->second.first;
    // Single use: the cookie is gone before anything else happens.
    cookies_.erase(it);
    cookie_of_.erase(client);
    node_.relay_send_back(
        client, RelayCell{RelayCommand::Rendezvous2, 0, hs::encode_rendezvous2(m->reply)});
    node_.relay_join(client, circuit);
}

void RendezvousPointRole::circuit_gone(RelayCircuitKey circuit) {
    auto mine = cookie_of_.find(circuit);
    if (mine == cookie_of_.end()) return;
    cookies_.erase(mine->second);
    cookie_of_.erase(mine);
}

void RendezvousPointRole::timeouts(TimePoint now) {
    std::vector<RelayCircuitKey> late;
    for (auto& [cookie, entry] : cookies_)
        if (entry.second <= now) late.push_back(entry.first);
    for (auto key : late)
        if (node_.relay_circuit_exists(key))
            node_.relay_tear_down(key, wire::DestroyReason::Timeout);
}

}  // namespace sotto::node
