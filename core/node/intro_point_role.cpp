#include "core/node/intro_point_role.hpp"

namespace sotto::node {

using wire::RelayCell;
using wire::RelayCommand;

void IntroPointRole::establish_intro(RelayCircuitKey circuit, ByteView body) {
    const auto& config = node_.config();
    const bool role = config.relay && config.relay->intro_rend;
    auto e = hs::decode_establish_intro(body);
    if (!role || !e ||
        !hs::check_establish_intro_binding(*e, node_.relay_circuit_binding(circuit)) ||
        node_.relay_circuit_extended(circuit)) {
        node_.relay_tear_down(circuit, wire::DestroyReason::Protocol);
        return;
    }
    const auto id = hs::auth_key_id(e->auth_key);
    if (auto mine = key_of_.find(circuit); mine != key_of_.end()) {
        circuits_.erase(mine->second);
        key_of_.erase(mine);
    }
    // A newer establishment for the same key replaces the old one.
    if (auto old = circuits_.find(id); old != circuits_.end()) key_of_.erase(old->second);
    circuits_[id] = circuit;
    key_of_[circuit] = id;
    node_.relay_send_back(
        circuit, RelayCell{RelayCommand::IntroEstablished, 0, hs::encode_intro_established()});
}

void IntroPointRole::introduce1(RelayCircuitKey circuit, ByteView body) {
    auto m = hs::decode_introduce(body);
    if (!m) {
        node_.relay_tear_down(circuit, wire::DestroyReason::Protocol);
        return;
    }
    // The same acknowledgement for every well-formed INTRODUCE1, sent
    // before the key is even looked up: whether this point holds a
    // circuit for the key must not show. Answering "unknown auth key"
    // told whoever held a current IK_i (a stranger handed it, a
    // revoked or hidden contact) that the service's introduction
    // circuits were up. The client learns whether its introduction
    // worked only from a RENDEZVOUS2, which it waits for a bounded
    // time (ClientConfig::intro_wait).
    node_.relay_send_back(circuit,
                          RelayCell{RelayCommand::IntroduceAck, 0,
                                    hs::encode_introduce_ack(hs::IntroduceAckStatus::Forwarded)});
    auto it = circuits_.find(m->auth_key_id);
    if (it == circuits_.end() || !node_.relay_circuit_exists(it->second)) {
        // No circuit for this key (never was, or rotated away):
        // dropped silently, like a request the service drops.
        ++unknown_;
        return;
    }
    ++forwarded_;
    const RelayCell introduce2{RelayCommand::Introduce2, 0, Bytes(body.begin(), body.end())};
    node_.relay_send_back(it->second, introduce2);
    if (node_.config().misbehaviour.replay_introductions)
        node_.relay_send_back(it->second, introduce2);
}

void IntroPointRole::circuit_gone(RelayCircuitKey circuit) {
    auto mine = key_of_.find(circuit);
    if (mine == key_of_.end()) return;
    if (auto ic = circuits_.find(mine->second); ic != circuits_.end() && ic->second == circuit)
        circuits_.erase(ic);
    key_of_.erase(mine);
}

std::vector<hs::AuthKeyId> IntroPointRole::keys() const {
    std::vector<hs::AuthKeyId> out;
    for (auto& [id, circuit] : circuits_) out.push_back(id);
    return out;
}

}  // namespace sotto::node
