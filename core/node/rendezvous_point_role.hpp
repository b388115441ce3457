// The rendezvous-point relay role (paper Fig. 3, steps 8-9 and 13-14): a
// client's circuit ending here waits under a single-use cookie
// (ESTABLISH_RENDEZVOUS); the service's RENDEZVOUS1 with that cookie is
// passed to the client as RENDEZVOUS2 and the two circuits are joined, so
// that cells neither recognises here cross from one to the other. Not a
// public header.
#pragma once

#include <cstring>
#include <unordered_map>
#include <utility>

#include "core/hs/intro_messages.hpp"
#include "core/node/node_context.hpp"

namespace sotto::node {

struct CookieHash {
    std::size_t operator()(const hs::RendezvousCookie& k) const noexcept {
        std::size_t h;
        std::memcpy(&h, k.data(), sizeof h);
        return h;
    }
};

class RendezvousPointRole {
  public:
    explicit RendezvousPointRole(NodeContext& node) : node_(node) {}

    // Steps 8-9: the client's cookie, answered RENDEZVOUS_ESTABLISHED.
    void establish_rendezvous(RelayCircuitKey circuit, ByteView body, TimePoint now);
    // Steps 13-14: the service's RENDEZVOUS1; RENDEZVOUS2 to the client and
    // the join.
    void rendezvous1(RelayCircuitKey circuit, ByteView body);
    void circuit_gone(RelayCircuitKey circuit);
    // Tears down client circuits whose cookie waited too long.
    void timeouts(TimePoint now);
    bool waiting() const { return !cookies_.empty(); }

  private:
    NodeContext& node_;
    // Single-use cookie -> (client circuit, expiry), and the cookie waiting
    // on each circuit.
    std::unordered_map<hs::RendezvousCookie, std::pair<RelayCircuitKey, TimePoint>, CookieHash>
        cookies_;
    std::unordered_map<RelayCircuitKey, hs::RendezvousCookie> cookie_of_;
    Duration timeout_ = Duration::minutes(2);
};

}  // namespace sotto::node
