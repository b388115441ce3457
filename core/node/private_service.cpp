#include "core/node/private_service.hpp"

namespace sotto::node {

namespace {
Status check_config(const hs::ServiceConfig& config) {
    if (config.intro_points < 1 || config.intro_points > 10)
        return fail(Errc::Config, "a service needs 1 to 10 introduction points");
    if (config.descriptor_lifetime <= config.republish_margin)
        return fail(Errc::Config, "descriptor lifetime must exceed the republish margin");
    const auto& pub = config.publication;
    if (pub.same_dir_spacing.us < 0 || pub.max_jitter.us < 0 || pub.spread_window.us < 0)
        return fail(Errc::Config, "publication spacing, jitter and window must not be negative");
    // Every upload of a batch leaves within spread_window + max_jitter of
    // being queued; a renewal must land before the descriptor it replaces
    // expires, i.e. within the republish margin.
    if (pub.enabled && pub.spread_window.us == 0)
        return fail(Errc::Config, "delayed publication needs a spread window");
    if (pub.enabled && config.republish_margin <= pub.spread_window + pub.max_jitter)
        return fail(Errc::Config,
                    "the republish margin must exceed the publication spread window plus the "
                    "maximum jitter, or descriptors expire before their renewal is uploaded");
    // The next period's descriptors must be up before the boundary: some
    // republication falls within the last (lifetime - margin) of the
    // next_period_margin, and its uploads take up to window + jitter.
    const Duration republish_interval = config.descriptor_lifetime - config.republish_margin;
    const Duration upload_time = pub.enabled ? pub.spread_window + pub.max_jitter : Duration{};
    if (config.time_period.us <= 0 || config.next_period_margin >= config.time_period)
        return fail(Errc::Config, "the next-period margin must be shorter than the time period");
    if (config.next_period_margin < republish_interval + upload_time)
        return fail(Errc::Config,
                    "the next-period margin must cover one republish interval (descriptor "
                    "lifetime minus republish margin) plus the publication window and jitter, or "
                    "the next period's descriptors may be missing at the boundary");
    return {};
}
}  // namespace

PrivateService::PrivateService(NodeContext& node, hs::ServiceConfig config, TimePoint now)
    : config_(config),
      responder_(node, config_, contacts_, stats_, now),
      intros_(node, config_, contacts_.visible, stats_, responder_,
              [this](TimePoint at) { publisher_.publish_all(at); }),
      publisher_(node, config_, contacts_, stats_, intros_) {}

Result<std::unique_ptr<PrivateService>> PrivateService::start(NodeContext& node,
                                                              hs::ServiceConfig config,
                                                              TimePoint now) {
    if (auto ok = check_config(config); !ok) return std::unexpected(ok.error());
    std::unique_ptr<PrivateService> s(new PrivateService(node, config, now));
    s->intros_.establish(now);
    return s;
}

Status PrivateService::add_contact(hs::ContactId id, hs::ContactGrant grant, bool hidden,
                                   TimePoint now) {
    if (contacts_.by_id.contains(id)) return fail(Errc::Config, "contact already granted");
    const auto ck_id = hs::client_key_id(grant.client_key.public_key());
    const auto index = hs::cookie_index(grant.cookie);
    ServiceContact c{std::move(grant), ck_id, index, hidden};
    const hs::ContactKey key = c.key();
    contacts_.cookies[c.index] = hs::CookieEntry{key, hidden};
    contacts_.by_key[key] = id;
    contacts_.by_id.emplace(id, std::move(c));
    publisher_.publish({id}, now);
    return {};
}

Status PrivateService::revoke(hs::ContactId id, TimePoint now) {
    auto it = contacts_.by_id.find(id);
    if (it == contacts_.by_id.end()) return fail(Errc::NotFound, "no such contact");
    publisher_.drop_uploads(id, now);
    const hs::ContactKey key = it->second.key();
    contacts_.cookies.erase(it->second.index);
    contacts_.by_key.erase(key);
    responder_.forget_contact(key, id);
    contacts_.by_id.erase(it);
    // Her rendezvous circuits, being built or joined, end now.
    responder_.end_rendezvous(id, now);
    intros_.rotate("a contact was revoked", /*keep_old=*/false, now);
    return {};
}

Status PrivateService::hide(hs::ContactId id, bool hidden, TimePoint now) {
    auto* contact = contacts_.find(id);
    if (contact == nullptr) return fail(Errc::NotFound, "no such contact");
    if (contact->hidden == hidden) return {};
    contact->hidden = hidden;
    contacts_.cookies[contact->index].hidden = hidden;
    if (hidden) {
        publisher_.drop_uploads(id, now);
        responder_.end_rendezvous(id, now);
        intros_.rotate("presence hidden from a contact", /*keep_old=*/false, now);
    } else {
        publisher_.publish({id}, now);
    }
    return {};
}

void PrivateService::set_visible(bool visible, TimePoint now) {
    if (contacts_.visible == visible) return;
    contacts_.visible = visible;
    if (!visible) {
        std::vector<hs::ContactId> ids;
        for (auto& [id, c] : contacts_.by_id) ids.push_back(id);
        for (auto id : ids) publisher_.drop_uploads(id, now);
        responder_.end_rendezvous(std::nullopt, now);
        // No introduction point may know a key of ours while invisible.
        intros_.close_all();
        return;
    }
    intros_.establish(now);
}

void PrivateService::tick(TimePoint now) {
    publisher_.send_due(now);
    intros_.tick(now);
    publisher_.republish_due(now);
    responder_.tick(now);
}

TimePoint PrivateService::next_deadline() const {
    return earliest(earliest(publisher_.next_deadline(), intros_.next_deadline()),
                    responder_.next_deadline());
}

}  // namespace sotto::node
