// The private service's descriptors (paper Fig. 3, steps 3-4; 4.2-4.5): one
// per contact, signed with that contact's CK, stored under H(H(CK), S) with
// S = H(DC, TP, RI) at the HSDirs responsible for it, the introduction
// points encrypted under DC; all contacts share the same introduction
// points. Publication is delayed through hs::PublicationScheduler: contacts
// due together are handed to it as one batch, so they share each HSDir's
// spread window and their slot order is shuffled, and each descriptor is
// made and signed only when its upload leaves. Not a public header.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "core/hs/publication_scheduler.hpp"
#include "core/node/intro_point_set.hpp"
#include "core/node/node_context.hpp"
#include "core/node/service_contacts.hpp"

namespace sotto::node {

class DescriptorPublisher final : public HsJobHandler {
  public:
    DescriptorPublisher(NodeContext& node, const hs::ServiceConfig& config,
                        ServiceContacts& contacts, hs::ServiceStats& stats,
                        const IntroPointSet& intros);

    // Step 3: queues the contacts' descriptors for this cycle, as one
    // scheduler batch (they share each HSDir's window).
    void publish(const std::vector<hs::ContactId>& ids, TimePoint now);
    void publish_all(TimePoint now);
    // Revoke, hide, Invisible: the contact's uploads queued or under way
    // are dropped (nothing is withdrawn, see the .cpp).
    void drop_uploads(hs::ContactId id, TimePoint now);

    // Step 3: the uploads the scheduler says are due leave now.
    void send_due(TimePoint now);
    // Contacts whose descriptors are due for republication.
    void republish_due(TimePoint now);
    TimePoint next_deadline() const;

    // Step 4: the HSDir's answer to an upload.
    void on_hs_job_done(HsJobKind kind, std::uint64_t contact, std::optional<Bytes> answer,
                        TimePoint now) override;

  private:
    // A descriptor waiting in the publication scheduler. It is made and
    // signed only when an upload is due (see upload_body).
    struct PendingBody {
        hs::ContactId contact = 0;
        std::int64_t time_period = 0;
        std::uint8_t replica = 0;
        std::size_t remaining = 0;  // HSDirs still to send to
    };
    // Appends a contact's descriptors for this cycle to `batch`.
    void queue_contact(hs::ContactId id, ServiceContact& contact,
                       std::vector<hs::PendingUpload>& batch, TimePoint now);
    // The upload request for a scheduled descriptor, made now; none while
    // the introduction set is not up.
    std::optional<Bytes> upload_body(const PendingBody& p, TimePoint now);

    NodeContext& node_;
    const hs::ServiceConfig& config_;
    ServiceContacts& contacts_;
    hs::ServiceStats& stats_;
    const IntroPointSet& intros_;
    hs::PublicationScheduler scheduler_;
    std::map<std::uint64_t, PendingBody> uploads_;  // scheduler token -> descriptor
    TimePoint next_contact_publish_ = TimePoint::never();
};

}  // namespace sotto::node
