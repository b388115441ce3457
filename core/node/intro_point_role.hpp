// The introduction-point relay role (paper Fig. 3, steps 1-2 and 10-12): a
// service's circuit ending here registers a per-establishment key IK_i with
// ESTABLISH_INTRO (4.1: the point knows the service by nothing else); a
// client's INTRODUCE1 naming that key goes on to the service as INTRODUCE2,
// and every well-formed INTRODUCE1 is acknowledged alike. Not a public
// header.
#pragma once

#include <cstring>
#include <unordered_map>
#include <vector>

#include "core/hs/intro_messages.hpp"
#include "core/node/node_context.hpp"

namespace sotto::node {

struct AuthKeyIdHash {
    std::size_t operator()(const hs::AuthKeyId& k) const noexcept {
        std::size_t h;
        std::memcpy(&h, k.data(), sizeof h);
        return h;
    }
};

class IntroPointRole {
  public:
    explicit IntroPointRole(NodeContext& node) : node_(node) {}

    // Steps 1-2: ESTABLISH_INTRO on `circuit`, answered INTRO_ESTABLISHED.
    void establish_intro(RelayCircuitKey circuit, ByteView body);
    // Steps 10-12: INTRODUCE1 from a client, forwarded as INTRODUCE2 on the
    // circuit established for its key.
    void introduce1(RelayCircuitKey circuit, ByteView body);
    void circuit_gone(RelayCircuitKey circuit);

    // The auth keys this relay serves.
    std::vector<hs::AuthKeyId> keys() const;
    std::uint64_t introductions_forwarded() const { return forwarded_; }
    std::uint64_t introductions_unknown() const { return unknown_; }

  private:
    NodeContext& node_;
    // Auth key id -> the service's circuit, and back.
    std::unordered_map<hs::AuthKeyId, RelayCircuitKey, AuthKeyIdHash> circuits_;
    std::unordered_map<RelayCircuitKey, hs::AuthKeyId> key_of_;
    std::uint64_t forwarded_ = 0;
    std::uint64_t unknown_ = 0;
};

}  // namespace sotto::node
