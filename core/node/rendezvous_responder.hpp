// The private service's answer to introductions (paper Fig. 3, steps 12-13):
// every INTRODUCE2 an introduction point passes on is checked first
// (hs::IntroductionChecks, 4.6: replay, timestamp, descriptor cookie of a
// current contact not hidden from, per-contact rate limit), all before a
// circuit to the rendezvous point is built; a rate-limited contact is
// flagged for the user. An accepted one gets a circuit to the client's
// rendezvous point carrying RENDEZVOUS1, and that circuit, joined, carries
// the contact's streams. Revoke, hide and Invisible close the contact's
// rendezvous circuits, being built or joined (issue 9, finding 6). Not a
// public header.
#pragma once

#include <map>
#include <optional>
#include <utility>

#include "core/hs/introduction_checks.hpp"
#include "core/node/node_context.hpp"
#include "core/node/service_contacts.hpp"

namespace sotto::node {

class RendezvousResponder final : public CircuitHandler {
  public:
    RendezvousResponder(NodeContext& node, const hs::ServiceConfig& config,
                        const ServiceContacts& contacts, hs::ServiceStats& stats, TimePoint now);

    // Steps 12-13: an INTRODUCE2 that came through the introduction point
    // with these keys. True if it was accepted (and a rendezvous started).
    bool handle_introduce2(const crypto::Ed25519PublicKey& auth_key,
                           const crypto::X25519SecretKey& enc_key, ByteView body, TimePoint now);
    // Closes the rendezvous circuits, being built or joined, of `id` (of
    // every contact when empty).
    void end_rendezvous(std::optional<hs::ContactId> id, TimePoint now);
    // A revoked contact: its rate-limit history and flag go with it.
    void forget_contact(const hs::ContactKey& key, hs::ContactId id);

    void tick(TimePoint now);
    TimePoint next_deadline() const { return next_prune_; }

    void on_ready(CircuitRef circuit, std::uint64_t, TimePoint now) override;
    void on_cell(CircuitRef circuit, std::uint64_t, FromHop from, wire::RelayCell& cell,
                 TimePoint now) override;
    void on_closed(CircuitRef circuit, std::uint64_t, const std::string& reason,
                   TimePoint now) override;

  private:
    NodeContext& node_;
    const ServiceContacts& contacts_;
    hs::ServiceStats& stats_;
    hs::IntroductionChecks checks_;
    // Building towards an RP, and what to send there; closed on revoke,
    // hide and Invisible.
    std::map<CircuitRef, hs::ContactId> pending_;
    std::map<CircuitRef, std::pair<Bytes, onion::HopKeys>> reply_;
    std::map<CircuitRef, hs::ContactId> joined_;  // circuits carrying a contact's streams
    // Refusals reported per contact (ContactFlagged).
    std::map<hs::ContactId, std::size_t> flagged_;
    TimePoint next_prune_;
};

}  // namespace sotto::node
