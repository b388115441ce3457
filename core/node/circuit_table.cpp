// The table of origin circuits and its dispatch to their handlers.
#include "core/node/circuit_table.hpp"

namespace sotto::node {

OriginCircuit& CircuitTable::add(OriginCircuit c) {
    if (c.handler == nullptr) c.handler = application_;
    const CircuitRef ref = c.ref;
    return circuits_.emplace(ref, std::move(c)).first->second;
}

OriginCircuit* CircuitTable::find(CircuitRef ref) {
    auto it = circuits_.find(ref);
    return it == circuits_.end() ? nullptr : &it->second;
}

const OriginCircuit* CircuitTable::find(CircuitRef ref) const {
    auto it = circuits_.find(ref);
    return it == circuits_.end() ? nullptr : &it->second;
}

std::optional<OriginCircuit> CircuitTable::take(CircuitRef ref) {
    auto it = circuits_.find(ref);
    if (it == circuits_.end()) return std::nullopt;
    OriginCircuit c = std::move(it->second);
    circuits_.erase(it);
    return c;
}

void CircuitTable::ready(OriginCircuit& c, TimePoint now) {
    c.handler->on_ready(c.ref, c.owner, now);
}

void CircuitTable::cell(OriginCircuit& c, FromHop from, wire::RelayCell& rc, TimePoint now) {
    c.handler->on_cell(c.ref, c.owner, from, rc, now);
}

void CircuitTable::closed(const OriginCircuit& c, const std::string& reason, TimePoint now) {
    if (c.handler != application_) c.handler->on_closed(c.ref, c.owner, reason, now);
    if (c.app_visible) application_->on_closed(c.ref, 0, reason, now);
}

Status CircuitTable::join_end_to_end_hop(CircuitRef ref, const onion::HopKeys& keys) {
    auto* c = find(ref);
    if (c == nullptr) return fail(Errc::NotFound, "no such circuit");
    auto hop = onion::HopCrypto::create(keys);
    if (!hop) return std::unexpected(hop.error());
    c->hops.push_back(std::move(*hop));
    c->bindings.push_back(onion::circuit_binding(keys));
    return {};
}

void CircuitTable::show_to_application(CircuitRef ref) {
    if (auto* c = find(ref)) c->app_visible = true;
}

void CircuitTable::give_to_application(CircuitRef ref) {
    if (auto* c = find(ref)) {
        c->handler = application_;
        c->owner = 0;
        c->app_visible = true;
    }
}

}  // namespace sotto::node
