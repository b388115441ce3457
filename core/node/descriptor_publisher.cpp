#include "core/node/descriptor_publisher.hpp"

#include "core/hs/descriptor_id.hpp"
#include "core/hs/hs_descriptor.hpp"
#include "core/hs/hsdir_messages.hpp"
#include "core/hs/time_period.hpp"

namespace sotto::node {

namespace {
// How often a contact whose last uploads are still queued is looked at again.
constexpr Duration kRequeueCheck = Duration::minutes(1);
}  // namespace

DescriptorPublisher::DescriptorPublisher(NodeContext& node, const hs::ServiceConfig& config,
                                         ServiceContacts& contacts, hs::ServiceStats& stats,
                                         const IntroPointSet& intros)
    : node_(node),
      config_(config),
      contacts_(contacts),
      stats_(stats),
      intros_(intros),
      scheduler_(config.publication, node.rng()) {}

void DescriptorPublisher::publish(const std::vector<hs::ContactId>& ids, TimePoint now) {
    // One batch: the scheduler spreads each HSDir's share of it over its
    // window, in an order unrelated to the order of `ids`.
    std::vector<hs::PendingUpload> batch;
    for (auto id : ids)
        if (auto* contact = contacts_.find(id)) queue_contact(id, *contact, batch, now);
    if (!batch.empty()) scheduler_.add(batch, now);
}

void DescriptorPublisher::publish_all(TimePoint now) {
    std::vector<hs::ContactId> ids;
    for (auto& [id, c] : contacts_.by_id) ids.push_back(id);
    publish(ids, now);
}

void DescriptorPublisher::queue_contact(hs::ContactId id, ServiceContact& contact,
                                        std::vector<hs::PendingUpload>& batch, TimePoint now) {
    contact.next_publish = TimePoint::never();
    const bool intros_up = stats_.intro_points_up > 0;
    const auto* ring = node_.hsdir_ring();
    if (contact.hidden || !contacts_.visible || !intros_up || !ring || ring->empty()) return;
    // Uploads still queued leave with the introduction points of the moment
    // they are due (upload_body), so they are never stale. Cancelling them
    // would give their HSDirs' slots away and put the contact behind
    // everything queued since. So a contact is queued anew only when its
    // previous uploads have all left (with the spacing adapted to the load
    // they all leave within spread_window + max_jitter, well before the
    // next republication).
    if (contact.queued > 0) {
        contact.next_publish = now + kRequeueCheck;
        next_contact_publish_ = earliest(next_contact_publish_, contact.next_publish);
        return;
    }

    const auto lifetime = config_.descriptor_lifetime;
    std::vector<std::int64_t> periods{
        hs::time_period(now.unix_seconds(), contact.ck_id, config_.time_period)};
    const auto end = hs::period_end(periods[0], contact.ck_id, config_.time_period);
    // Near a boundary the next period's descriptors go out too, so a client
    // whose clock is already past it finds one.
    if (TimePoint::from_seconds(end) - now <= config_.next_period_margin)
        periods.push_back(periods[0] + 1);
    for (auto tp : periods) {
        for (std::uint8_t ri = 0; ri < hs::kHsReplicas; ++ri) {
            auto secret = hs::secret_id_part(contact.grant.cookie, tp, ri);
            auto desc_id = hs::descriptor_id(contact.ck_id, secret);
            hs::PendingUpload up{desc_id, {}, node_.new_id()};
            for (auto* e : ring->responsible(desc_id)) up.hsdirs.push_back(e->identity);
            if (up.hsdirs.empty()) continue;
            uploads_[up.token] = PendingBody{id, tp, ri, up.hsdirs.size()};
            batch.push_back(std::move(up));
            ++contact.queued;
        }
    }
    contact.next_publish = now + lifetime - config_.republish_margin;
    next_contact_publish_ = earliest(next_contact_publish_, contact.next_publish);
}

std::optional<Bytes> DescriptorPublisher::upload_body(const PendingBody& p, TimePoint now) {
    auto* contact = contacts_.find(p.contact);
    if (contact == nullptr) return std::nullopt;
    // Made and signed at the moment it leaves, with the set that is up now,
    // not when the batch was scheduled: a batch-wide publication time or
    // consecutive revisions would tell colluding HSDirs which contacts'
    // descriptors belong to one service, whatever the delays (paper 4.5).
    // While a new set is being established nothing goes out: the whole set
    // is published once it is up.
    auto points = intros_.descriptor_points();
    if (!points) return std::nullopt;
    auto& rng = node_.rng();
    const auto secret = hs::secret_id_part(contact->grant.cookie, p.time_period, p.replica);
    // Per contact, time-based with jitter: unrelated to other contacts'
    // revisions (hs::next_revision).
    contact->revision = hs::next_revision(contact->revision, now, rng);
    auto sealed =
        hs::seal_intro_points(*points, contact->grant.cookie, secret,
                              contact->grant.client_key.public_key(), contact->revision, rng);
    if (!sealed) return std::nullopt;
    hs::HsDescriptor d{contact->grant.client_key.public_key(),
                       secret,
                       now.unix_seconds(),
                       static_cast<std::uint32_t>(config_.descriptor_lifetime.seconds_count()),
                       contact->revision,
                       std::move(*sealed)};
    d = hs::sign_hs_descriptor(std::move(d), contact->grant.client_key);
    return hs::encode_hsdir_request(hs::PostHsDescriptor{hs::descriptor_id(contact->ck_id, secret),
                                                         hs::encode_hs_descriptor(d)});
}

void DescriptorPublisher::drop_uploads(hs::ContactId id, TimePoint now) {
    // Nothing is withdrawn from the HSDirs: a node that shuts down withdraws
    // nothing, so a withdrawal would tell the contact (who can poll her
    // descriptor ids) that this was a revoke, a hide or Invisible. What is
    // stored there names introduction keys that are dead by now (rotated,
    // or closed while Invisible) and expires within descriptor_lifetime.
    // What has not reached an HSDir yet never does, as after a shutdown:
    // the uploads still queued, and those under way (their circuits close).
    if (auto* c = contacts_.find(id)) {
        c->queued = 0;
        c->next_publish = TimePoint::never();
    }
    for (auto u = uploads_.begin(); u != uploads_.end();) {
        if (u->second.contact == id) {
            scheduler_.cancel(u->first);
            u = uploads_.erase(u);
        } else {
            ++u;
        }
    }
    node_.abandon_hs_uploads(*this, id, now);
}

void DescriptorPublisher::send_due(TimePoint now) {
    const auto* consensus = node_.consensus();
    for (auto& up : scheduler_.due(now)) {
        auto it = uploads_.find(up.token);
        if (it == uploads_.end()) continue;
        const dir::ConsensusEntry* e = consensus ? consensus->find(up.hsdir) : nullptr;
        if (e != nullptr)
            if (auto body = upload_body(it->second, now))
                node_.start_hs_job(HsJobKind::Upload, PathHop::from(*e), std::move(*body), *this,
                                   it->second.contact, now);
        if (--it->second.remaining == 0) {
            if (auto* c = contacts_.find(it->second.contact)) --c->queued;
            uploads_.erase(it);
        }
    }
}

void DescriptorPublisher::republish_due(TimePoint now) {
    if (next_contact_publish_ > now) return;
    next_contact_publish_ = TimePoint::never();
    std::vector<hs::ContactId> due;
    for (auto& [id, c] : contacts_.by_id) {
        if (c.next_publish <= now)
            due.push_back(id);
        else
            next_contact_publish_ = earliest(next_contact_publish_, c.next_publish);
    }
    publish(due, now);
}

TimePoint DescriptorPublisher::next_deadline() const {
    return earliest(scheduler_.next_deadline(), next_contact_publish_);
}

void DescriptorPublisher::on_hs_job_done(HsJobKind, std::uint64_t, std::optional<Bytes> answer,
                                         TimePoint) {
    if (!answer) return;
    auto resp = hs::decode_hsdir_response(*answer);
    if (resp && resp->status == hs::HsDirStatus::Ok) ++stats_.descriptors_uploaded;
}

}  // namespace sotto::node
