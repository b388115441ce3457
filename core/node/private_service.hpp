// The private service (Bob) on the onion network: the service side of the
// paper's Fig. 3 with the points DESIGN §2 closes, made of one part per job:
//
//   IntroPointSet        steps 1-2   introduction points, fresh IK_i each (4.1)
//   DescriptorPublisher  steps 3-4   per-contact descriptors, delayed (4.2-4.5)
//   RendezvousResponder  steps 12-13 INTRODUCE2 checks (4.6), RENDEZVOUS1
//   ServiceContacts                  the grants and whom the service hides from
//
// PrivateService owns them, runs the social actions across them and ticks
// them in a fixed order.
//
// Revoke, hide and Invisible look, to the contact, exactly like this node
// shutting down (issue 9, finding 5): nothing is withdrawn from the HSDirs
// (a shutdown withdraws nothing either), so the descriptor she may fetch
// stays until it expires, and it names introduction keys that died with the
// rotation; uploads still queued or under way for her are dropped, as a
// shutdown drops them; rendezvous circuits being built for her and her
// joined circuits are closed (finding 6). The client pads every failure to
// its connect timeout (service_client.hpp), so when her attempt ends says
// nothing either. None of it is logged above Debug (finding 11). Not a
// public header.
#pragma once

#include <memory>
#include <vector>

#include "core/node/descriptor_publisher.hpp"
#include "core/node/intro_point_set.hpp"
#include "core/node/rendezvous_responder.hpp"
#include "core/node/service_contacts.hpp"

namespace sotto::node {

class PrivateService {
  public:
    // Checks the configuration, then starts establishing introduction points.
    static Result<std::unique_ptr<PrivateService>> start(NodeContext& node,
                                                         hs::ServiceConfig config, TimePoint now);
    PrivateService(const PrivateService&) = delete;
    PrivateService& operator=(const PrivateService&) = delete;

    Status add_contact(hs::ContactId id, hs::ContactGrant grant, bool hidden, TimePoint now);
    Status revoke(hs::ContactId id, TimePoint now);
    Status hide(hs::ContactId id, bool hidden, TimePoint now);
    void set_visible(bool visible, TimePoint now);

    // The uploads due, then the introduction points, republication and the
    // replay cache, in that order.
    void tick(TimePoint now);
    TimePoint next_deadline() const;

    const hs::ServiceStats& stats() const { return stats_; }
    std::vector<crypto::Ed25519PublicKey> intro_keys() const { return intros_.keys(); }

  private:
    PrivateService(NodeContext& node, hs::ServiceConfig config, TimePoint now);

    hs::ServiceConfig config_;
    hs::ServiceStats stats_;
    ServiceContacts contacts_;
    RendezvousResponder responder_;
    IntroPointSet intros_;
    DescriptorPublisher publisher_;
};

}  // namespace sotto::node
