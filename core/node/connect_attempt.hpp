// One client connection attempt to a private service (Alice's side of paper
// Fig. 3), one method per step:
//
//   fetch_descriptor     steps 6-7   the contact's descriptor from an HSDir
//   establish_rendezvous steps 8-9   a cookie at a rendezvous point
//   send_introduce1      steps 10-11 INTRODUCE1 through an introduction point
//   complete_rendezvous  step 14     RENDEZVOUS2 verified: the virtual hop
//
// The attempt owns what it knows (credentials, descriptor targets, the
// introduction points, the handshakes sent); ServiceClient owns the attempts
// and hears from the node. Each step says what it led to, and ServiceClient
// acts on it (ends the attempt or hands the circuit on). Not a public header.
#pragma once

#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "core/hs/introduce_crypto.hpp"
#include "core/hs/service_api.hpp"
#include "core/node/node_context.hpp"

namespace sotto::node {

class ConnectAttempt {
  public:
    // What a step led to.
    struct Going {};
    struct Failed {
        const char* why;  // for the debug log only
    };
    struct Connected {
        CircuitRef circuit;
    };
    using Outcome = std::variant<Going, Failed, Connected>;

    // `fetch_targets`: (descriptor id, HSDir) pairs to fetch from, in order;
    // `intro_points`: known already (Node::connect_service_via), no fetch.
    ConnectAttempt(NodeContext& node, CircuitHandler& circuits, HsJobHandler& jobs,
                   hs::ConnectId id, const hs::ContactCredentials& creds, TimePoint deadline,
                   std::vector<std::pair<hs::DescriptorId, PathHop>> fetch_targets,
                   std::optional<std::vector<hs::IntroPointInfo>> intro_points,
                   Duration intro_wait);

    hs::ConnectId id() const { return id_; }
    TimePoint deadline() const { return deadline_; }
    // When to give up on the current introduction point (never: none is
    // waited for).
    TimePoint intro_deadline() const { return intro_deadline_; }
    CircuitRef rend_circuit() const { return rend_circuit_; }
    CircuitRef intro_circuit() const { return intro_circuit_; }
    // Both circuits, for closing when the attempt ends; the attempt forgets them.
    void rend_circuit_lost() { rend_circuit_ = 0; }
    std::pair<CircuitRef, CircuitRef> take_circuits() {
        return {std::exchange(rend_circuit_, 0), std::exchange(intro_circuit_, 0)};
    }

    // Steps 8-9, launched first so that the point is ready when the
    // descriptor is: picks a rendezvous point and builds a circuit to it.
    Status start(TimePoint now);

    // Steps 6-7: the next HSDir's copy of the descriptor.
    Outcome fetch_descriptor(TimePoint now);
    // The HSDir's answer (none: the fetch failed).
    Outcome descriptor_fetched(std::optional<Bytes> descriptor, TimePoint now);

    // Steps 8-9: the rendezvous circuit is built: ESTABLISH_RENDEZVOUS.
    void establish_rendezvous(TimePoint now);
    Outcome rendezvous_established(TimePoint now);

    // Done with the current introduction point (if any): a circuit to the
    // next one not tried yet, or another HSDir's descriptor.
    Outcome introduce_next(TimePoint now);
    // Steps 10-11: the introduction circuit is built: INTRODUCE1 to IK_i.
    Outcome send_introduce1(CircuitRef circuit, TimePoint now);
    void introduce_acknowledged(TimePoint now);
    // The introduction circuit closed before an acknowledgement.
    Outcome intro_circuit_lost(TimePoint now);

    // Step 14: the service's RENDEZVOUS2 on the rendezvous circuit.
    Outcome complete_rendezvous(ByteView body, TimePoint now);

    bool rend_ready() const { return rend_ready_; }

  private:
    NodeContext& node_;
    CircuitHandler& circuits_;
    HsJobHandler& jobs_;
    hs::ConnectId id_;
    hs::ContactCredentials creds_;
    TimePoint deadline_;
    Duration intro_wait_;
    // Descriptor fetch: (descriptor id, HSDir) pairs still to try.
    std::vector<std::pair<hs::DescriptorId, PathHop>> fetch_targets_;
    std::size_t next_fetch_ = 0;  // the target being fetched is next_fetch_ - 1
    std::optional<std::vector<hs::IntroPointInfo>> intro_points_;
    std::size_t next_intro_ = 0;
    // Introduction keys already tried in this attempt: another HSDir's copy
    // of the same descriptor does not cost another intro_wait per point.
    std::vector<crypto::Ed25519PublicKey> tried_intro_keys_;
    // One rendezvous point and cookie for the whole attempt; the cookie stays
    // valid there until the attempt ends.
    CircuitRef rend_circuit_ = 0;
    hs::RendezvousCookie cookie_;
    bool rend_ready_ = false;
    PathHop rend_point_;
    // The introduction point being tried and the circuit to it.
    CircuitRef intro_circuit_ = 0;
    std::optional<hs::IntroPointInfo> current_intro_;
    // ClientConfig::intro_wait after the INTRODUCE_ACK (or after the
    // INTRODUCE1, if no acknowledgement comes).
    TimePoint intro_deadline_ = TimePoint::never();
    // Every INTRODUCE1 sent in this attempt, one per introduction point. The
    // single RENDEZVOUS2 may answer any of them: a service slower than
    // intro_wait through one point still gets through.
    std::vector<hs::ClientIntroduce> handshakes_;
};

}  // namespace sotto::node
