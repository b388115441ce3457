// The private service (Bob) on the onion network: the service side of the
// paper's Fig. 3 with the points DESIGN §2 closes.
//
// - Introduction points (4.1): k relays, each established with a fresh key
//   pair IK_i (and an X25519 key for INTRODUCE encryption) made for that
//   establishment alone; rotated after a lifetime or a number of
//   introductions, and on every revoke or hide (closed while Invisible), so
//   keys a former contact learnt are dead everywhere.
// - Per-contact descriptors (4.2-4.4): signed with that contact's CK, stored
//   under H(H(CK), S) with S = H(DC, TP, RI), introduction points encrypted
//   under DC; all contacts share the same introduction points.
// - Delayed publication (4.5) through hs::PublicationScheduler; contacts
//   due together are handed to it as one batch, so they share each HSDir's
//   spread window and their slot order is shuffled.
// - Checks on every INTRODUCE2 (4.6) through hs::IntroductionChecks, all
//   before a circuit to the rendezvous point is built.
// - Revoke, hide and Invisible look, to the contact, exactly like this node
//   shutting down (issue 9, finding 5): nothing is withdrawn from the HSDirs
//   (a shutdown withdraws nothing either), so the descriptor she may fetch
//   stays until it expires, and it names introduction keys that died with
//   the rotation; uploads still queued or under way for her are dropped, as a
//   shutdown drops them; rendezvous circuits being built for her and her
//   joined circuits are closed (finding 6). The client pads every failure to
//   its connect timeout (service_client.cpp), so when her attempt ends says
//   nothing either. None of it is logged above Debug (finding 11).
#include <algorithm>

#include "core/hs/descriptor_id.hpp"
#include "core/hs/hsdir_messages.hpp"
#include "core/hs/time_period.hpp"
#include "core/node/node_impl.hpp"

namespace sotto::node {

using wire::RelayCell;
using wire::RelayCommand;

namespace {
constexpr Duration kIntroRetry = Duration::seconds(5);
constexpr Duration kPruneInterval = Duration::minutes(10);
// How often a contact whose last uploads are still queued is looked at again.
constexpr Duration kRequeueCheck = Duration::minutes(1);
// The reason given for circuits the service ends for a social action
// (revoke, hide, Invisible): neutral, since reasons reach the application
// and its logs.
constexpr const char* kServiceCircuitEnded = "closed by the service";
}  // namespace

std::vector<PathHop> Node::Impl::path_to(const PathHop& last, std::size_t hops) {
    std::vector<PathHop> path;
    if (!consensus || hops == 0) return path;
    std::vector<const dir::ConsensusEntry*> pool;
    for (auto& e : consensus->relays)
        if ((e.flags & dir::kFlagRunning) && e.identity != last.identity &&
            e.identity != keys.identity.public_key())
            pool.push_back(&e);
    if (pool.size() + 1 < hops) return path;
    for (std::size_t i = 0; i + 1 < hops; ++i) {
        auto k = rng->uniform(pool.size());
        path.push_back(PathHop::from(*pool[k]));
        pool.erase(pool.begin() + static_cast<long>(k));
    }
    path.push_back(last);
    return path;
}

Result<CircuitRef> Node::Impl::start_internal_circuit(std::vector<PathHop> path,
                                                      OriginCircuit::Purpose purpose,
                                                      std::uint64_t owner, TimePoint now) {
    if (path.empty()) return fail(Errc::NotFound, "no path: the consensus lists too few relays");
    auto ref = start_circuit(std::move(path), 0, now);
    if (!ref) return ref;
    auto& c = origin_circuits.at(*ref);
    c.purpose = purpose;
    c.owner = owner;
    c.app_visible = false;
    return ref;
}

void Node::Impl::start_hs_job(DirJob::Kind kind, const PathHop& hsdir, Bytes request,
                              std::uint64_t owner, TimePoint now) {
    DirJob job;
    job.kind = kind;
    job.owner = owner;
    job.request = std::move(request);
    launch_job(std::move(job), path_to(hsdir, 3), now);
}

// ---- introduction points ----

void Node::Impl::service_establish_intros(TimePoint now) {
    auto& s = *service;
    s.next_intro_attempt = TimePoint::never();
    if (!s.visible) return;
    if (!consensus) {
        s.next_intro_attempt = now + kIntroRetry;
        return;
    }
    std::vector<const dir::ConsensusEntry*> pool;
    for (auto& e : consensus->relays) {
        if (!(e.flags & dir::kFlagIntroRend) || e.identity == keys.identity.public_key()) continue;
        auto on_relay = [&](const IntroSlot& x) { return x.relay.identity == e.identity; };
        // A relay serving the retiring set would see both sets at once.
        const bool used = std::any_of(s.intros.begin(), s.intros.end(), on_relay) ||
                          std::any_of(s.retiring.begin(), s.retiring.end(), on_relay);
        if (!used) pool.push_back(&e);
    }
    const bool fresh_generation = s.intros.empty();
    while (s.intros.size() < s.config.intro_points && !pool.empty()) {
        auto k = rng->uniform(pool.size());
        const auto* relay = pool[k];
        pool.erase(pool.begin() + static_cast<long>(k));
        IntroSlot slot{new_id(), crypto::Ed25519SecretKey::generate(*rng),
                       crypto::X25519SecretKey::generate(*rng), PathHop::from(*relay)};
        auto circ = start_internal_circuit(path_to(slot.relay, 3),
                                           OriginCircuit::Purpose::ServiceIntro, slot.id, now);
        if (!circ) continue;
        slot.circuit = *circ;
        s.intros.push_back(std::move(slot));
    }
    if (s.intros.size() < s.config.intro_points) s.next_intro_attempt = now + kIntroRetry;
    if (fresh_generation && !s.intros.empty()) s.rotate_at = now + s.config.intro_lifetime;
}

namespace {
// Forgets the slots' keys, then closes their circuits: once the circuits are
// gone no introduction point knows the keys, and nothing here may answer to
// them again.
std::vector<CircuitRef> take_circuits(std::vector<IntroSlot>& slots) {
    std::vector<CircuitRef> circuits;
    for (auto& slot : slots) circuits.push_back(slot.circuit);
    slots.clear();
    return circuits;
}
}  // namespace

void Node::Impl::service_retire_old_intros() {
    auto& s = *service;
    s.retire_at = TimePoint::never();
    for (auto c : take_circuits(s.retiring))
        origin_close(c, "introduction point retired", true, last_now);
}

void Node::Impl::service_close_intros() {
    auto& s = *service;
    service_retire_old_intros();
    s.stats.intro_points_up = 0;
    for (auto c : take_circuits(s.intros))
        origin_close(c, "introduction point retired", true, last_now);
}

void Node::Impl::service_rotate_intros(const char* why, bool keep_old, TimePoint now) {
    auto& s = *service;
    ++s.stats.intro_rotations;
    // Debug only, every rotation: a rotation outside the schedule means a
    // revoke or a hide, and the time of one in a log at Info would say so.
    log->log(LogLevel::Debug, "hs", std::string("rotating introduction points: ") + why);
    if (keep_old) {
        // Descriptors naming the current set were all published before now,
        // so none is valid after now + descriptor_lifetime: until then the
        // set keeps serving the contacts who fetched one. Slots not yet
        // established are in no descriptor and go at once.
        service_retire_old_intros();
        std::vector<CircuitRef> unused;
        for (auto& slot : s.intros) {
            if (slot.established)
                s.retiring.push_back(std::move(slot));
            else
                unused.push_back(slot.circuit);
        }
        s.intros.clear();
        s.stats.intro_points_up = 0;
        s.retire_at = s.retiring.empty() ? TimePoint::never() : now + s.config.descriptor_lifetime;
        for (auto c : unused) origin_close(c, "introduction point retired", true, now);
    } else {
        service_close_intros();
    }
    s.rotate_at = TimePoint::never();
    service_establish_intros(now);
}

// ---- descriptors ----

void Node::Impl::service_publish(hs::ContactId id, TimePoint now) {
    service_publish(std::vector<hs::ContactId>{id}, now);
}

void Node::Impl::service_publish(const std::vector<hs::ContactId>& ids, TimePoint now) {
    auto& s = *service;
    // One batch: the scheduler spreads each HSDir's share of it over its
    // window, in an order unrelated to the order of `ids`.
    std::vector<hs::PendingUpload> batch;
    for (auto id : ids) {
        auto it = s.contacts.find(id);
        if (it == s.contacts.end()) continue;
        service_queue_contact(id, it->second, batch, now);
    }
    if (!batch.empty()) s.scheduler->add(batch, now);
}

void Node::Impl::service_queue_contact(hs::ContactId id, ServiceContact& contact,
                                       std::vector<hs::PendingUpload>& batch, TimePoint now) {
    auto& s = *service;
    contact.next_publish = TimePoint::never();
    const bool intros_up = s.stats.intro_points_up > 0;
    if (contact.hidden || !s.visible || !intros_up || !ring || ring->empty()) return;
    // Uploads still queued leave with the introduction points of the moment
    // they are due (service_upload_body), so they are never stale. Cancelling
    // them would give their HSDirs' slots away and put the contact behind
    // everything queued since. So a contact is queued anew only when its
    // previous uploads have all left (with the spacing adapted to the load
    // they all leave within spread_window + max_jitter, well before the
    // next republication).
    if (contact.queued > 0) {
        contact.next_publish = now + kRequeueCheck;
        s.next_contact_publish = earliest(s.next_contact_publish, contact.next_publish);
        return;
    }

    const auto lifetime = s.config.descriptor_lifetime;
    std::vector<std::int64_t> periods{
        hs::time_period(now.unix_seconds(), contact.ck_id, s.config.time_period)};
    const auto end = hs::period_end(periods[0], contact.ck_id, s.config.time_period);
    // Near a boundary the next period's descriptors go out too, so a client
    // whose clock is already past it finds one.
    if (TimePoint::from_seconds(end) - now <= s.config.next_period_margin)
        periods.push_back(periods[0] + 1);
    for (auto tp : periods) {
        for (std::uint8_t ri = 0; ri < hs::kHsReplicas; ++ri) {
            auto secret = hs::secret_id_part(contact.grant.cookie, tp, ri);
            auto desc_id = hs::descriptor_id(contact.ck_id, secret);
            hs::PendingUpload up{desc_id, {}, new_id()};
            for (auto* e : ring->responsible(desc_id)) up.hsdirs.push_back(e->identity);
            if (up.hsdirs.empty()) continue;
            s.uploads[up.token] = ServiceState::PendingBody{id, tp, ri, up.hsdirs.size()};
            batch.push_back(std::move(up));
            ++contact.queued;
        }
    }
    contact.next_publish = now + lifetime - s.config.republish_margin;
    s.next_contact_publish = earliest(s.next_contact_publish, contact.next_publish);
}

std::optional<Bytes> Node::Impl::service_upload_body(const ServiceState::PendingBody& p,
                                                     TimePoint now) {
    auto& s = *service;
    auto it = s.contacts.find(p.contact);
    if (it == s.contacts.end()) return std::nullopt;
    auto& contact = it->second;
    // Made and signed at the moment it leaves, with the set that is up now,
    // not when the batch was scheduled: a batch-wide publication time or
    // consecutive revisions would tell colluding HSDirs which contacts'
    // descriptors belong to one service, whatever the delays (paper 4.5).
    // While a new set is being established nothing goes out: the whole set
    // is published once it is up.
    std::vector<hs::IntroPointInfo> points;
    for (auto& slot : s.intros) {
        if (!slot.established) return std::nullopt;
        points.push_back({slot.relay.identity, slot.relay.onion_key, slot.relay.host,
                          slot.relay.port, slot.auth_key.public_key(), slot.enc_key.public_key()});
    }
    if (points.empty()) return std::nullopt;
    const auto secret = hs::secret_id_part(contact.grant.cookie, p.time_period, p.replica);
    // Per contact, time-based with jitter: unrelated to other contacts'
    // revisions (hs::next_revision).
    contact.revision = hs::next_revision(contact.revision, now, *rng);
    auto sealed =
        hs::seal_intro_points(points, contact.grant.cookie, secret,
                              contact.grant.client_key.public_key(), contact.revision, *rng);
    if (!sealed) return std::nullopt;
    hs::HsDescriptor d{contact.grant.client_key.public_key(),
                       secret,
                       now.unix_seconds(),
                       static_cast<std::uint32_t>(s.config.descriptor_lifetime.seconds_count()),
                       contact.revision,
                       std::move(*sealed)};
    d = hs::sign_hs_descriptor(std::move(d), contact.grant.client_key);
    return hs::encode_hsdir_request(hs::PostHsDescriptor{hs::descriptor_id(contact.ck_id, secret),
                                                         hs::encode_hs_descriptor(d)});
}

void Node::Impl::service_publish_all(TimePoint now) {
    std::vector<hs::ContactId> ids;
    for (auto& [id, c] : service->contacts) ids.push_back(id);
    service_publish(ids, now);
}

void Node::Impl::service_drop_uploads(hs::ContactId id, TimePoint now) {
    auto& s = *service;
    // Nothing is withdrawn from the HSDirs: a node that shuts down withdraws
    // nothing, so a withdrawal would tell the contact (who can poll her
    // descriptor ids) that this was a revoke, a hide or Invisible. What is
    // stored there names introduction keys that are dead by now (rotated,
    // or closed while Invisible) and expires within descriptor_lifetime.
    // What has not reached an HSDir yet never does, as after a shutdown:
    // the uploads still queued, and those under way (their circuits close).
    if (auto c = s.contacts.find(id); c != s.contacts.end()) {
        c->second.queued = 0;
        c->second.next_publish = TimePoint::never();
    }
    for (auto u = s.uploads.begin(); u != s.uploads.end();) {
        if (u->second.contact == id) {
            s.scheduler->cancel(u->first);
            u = s.uploads.erase(u);
        } else {
            ++u;
        }
    }
    std::vector<std::uint64_t> under_way;
    for (auto& [job_id, job] : jobs)
        if (job.kind == DirJob::Kind::HsUpload && job.owner == id) under_way.push_back(job_id);
    for (auto job_id : under_way) job_failed(job_id, "upload abandoned", now);
}

void Node::Impl::service_end_rendezvous(std::optional<hs::ContactId> id, TimePoint now) {
    auto& s = *service;
    // Circuits still being built towards a rendezvous point (an INTRODUCE2
    // was accepted, RENDEZVOUS1 not sent yet) and circuits already joined:
    // none may carry anything for this contact (or, with no contact, for
    // anyone) from now on. Closed like a shutdown closes them.
    std::vector<CircuitRef> ends;
    for (const auto* m : {&s.rendezvous_pending, &s.joined})
        for (auto& [ref, cid] : *m)
            if (!id || cid == *id) ends.push_back(ref);
    for (auto ref : ends) {
        if (s.rendezvous_pending.erase(ref) > 0) ++s.stats.rendezvous_cancelled;
        s.rendezvous_reply.erase(ref);
        origin_close(ref, kServiceCircuitEnded, true, now);
    }
}

bool Node::Impl::service_serves(hs::ContactId id) const {
    const auto& s = *service;
    auto it = s.contacts.find(id);
    return s.visible && it != s.contacts.end() && !it->second.hidden;
}

void Node::Impl::service_job_done(const DirJob& job, bool ok, TimePoint) {
    if (!service || !ok) return;
    if (job.kind == DirJob::Kind::HsUpload) ++service->stats.descriptors_uploaded;
}

// ---- circuits ----

void Node::Impl::service_circuit_ready(OriginCircuit& c, TimePoint now) {
    auto& s = *service;
    if (c.purpose == OriginCircuit::Purpose::ServiceIntro) {
        for (auto& slot : s.intros) {
            if (slot.id != c.owner) continue;
            auto e = hs::make_establish_intro(slot.auth_key, c.bindings.back(), *rng);
            origin_send(c, c.hops.size() - 1,
                        RelayCell{RelayCommand::EstablishIntro, 0, hs::encode_establish_intro(e)});
            return;
        }
        origin_close(c.ref, "introduction slot gone", true, now);
        return;
    }
    if (c.purpose == OriginCircuit::Purpose::ServiceRend) {
        auto r = s.rendezvous_reply.find(c.ref);
        auto contact = s.rendezvous_pending.find(c.ref);
        if (r == s.rendezvous_reply.end() || contact == s.rendezvous_pending.end()) return;
        // Revoke, hide and Invisible close these circuits at once
        // (service_end_rendezvous); this only makes sure.
        if (!service_serves(contact->second)) {
            origin_close(c.ref, kServiceCircuitEnded, true, now);
            return;
        }
        origin_send(c, c.hops.size() - 1, RelayCell{RelayCommand::Rendezvous1, 0, r->second.first});
        ++s.stats.rendezvous_sent;
        // The client's end of the joined path becomes a hop of this circuit.
        auto hop = onion::HopCrypto::create(r->second.second);
        if (!hop) {
            origin_close(c.ref, "rendezvous key setup failed", true, now);
            return;
        }
        c.hops.push_back(std::move(*hop));
        c.bindings.push_back(onion::circuit_binding(r->second.second));
        s.joined[c.ref] = contact->second;
        s.rendezvous_reply.erase(r);
        s.rendezvous_pending.erase(contact);
        c.app_visible = true;
    }
}

void Node::Impl::service_circuit_closed(CircuitRef ref, OriginCircuit::Purpose purpose,
                                        std::uint64_t owner, TimePoint now) {
    if (!service) return;
    auto& s = *service;
    if (purpose == OriginCircuit::Purpose::ServiceIntro) {
        auto it = std::find_if(s.intros.begin(), s.intros.end(), [&](const IntroSlot& x) {
            return x.id == owner && x.circuit == ref;
        });
        if (it == s.intros.end()) {
            // A retiring point that went early is not replaced; one closed
            // on purpose is already gone from both lists.
            std::erase_if(s.retiring,
                          [&](const IntroSlot& x) { return x.id == owner && x.circuit == ref; });
            return;
        }
        // A lost introduction point is replaced by a new one with a new key;
        // descriptors are republished once it is up.
        s.intros.erase(it);
        s.stats.intro_points_up = static_cast<std::size_t>(
            std::count_if(s.intros.begin(), s.intros.end(), [](auto& x) { return x.established; }));
        s.next_intro_attempt = earliest(s.next_intro_attempt, now + Duration::seconds(1));
        return;
    }
    s.rendezvous_pending.erase(ref);
    s.rendezvous_reply.erase(ref);
    s.joined.erase(ref);
}

void Node::Impl::service_cell(OriginCircuit& c, std::size_t hop, RelayCell& rc, TimePoint now) {
    auto& s = *service;
    const bool last = hop + 1 == c.hops.size();
    if (c.purpose == OriginCircuit::Purpose::ServiceIntro && last) {
        auto owned = [&](const IntroSlot& x) { return x.id == c.owner; };
        auto slot = std::find_if(s.intros.begin(), s.intros.end(), owned);
        // A retiring point still forwards introductions from contacts who
        // hold a descriptor naming it.
        const bool retiring = slot == s.intros.end();
        if (retiring) {
            slot = std::find_if(s.retiring.begin(), s.retiring.end(), owned);
            if (slot == s.retiring.end()) return;
        }
        if (rc.command == RelayCommand::IntroEstablished && !slot->established) {
            slot->established = true;
            slot->established_at = now;
            s.stats.intro_points_up = static_cast<std::size_t>(std::count_if(
                s.intros.begin(), s.intros.end(), [](auto& x) { return x.established; }));
            // Every contact's descriptor must name the current set: publish
            // once all of it is up, not once per introduction point.
            if (s.stats.intro_points_up == s.intros.size()) service_publish_all(now);
            return;
        }
        if (rc.command == RelayCommand::Introduce2) {
            auto verdict =
                s.checks.check(rc.data, slot->auth_key.public_key(), slot->enc_key, s.cookies, now);
            if (auto* dropped = std::get_if<hs::Dropped>(&verdict)) {
                // Silently: no answer, no circuit; counted per reason. A
                // rate-limited contact is reported so the user can revoke it.
                ++s.stats.dropped(dropped->reason);
                // The drop names the contact: one lookup, whatever the
                // number of contacts (a flood must not cost O(contacts)
                // per cell).
                if (dropped->reason == hs::DropReason::RateLimited && dropped->contact) {
                    auto who = s.by_key.find(*dropped->contact);
                    if (who == s.by_key.end()) return;
                    ++s.stats.contacts_examined_for_flags;
                    const auto v = s.checks.violations(who->first);
                    // Reported at 1, 2, 4, 8, ... refusals: the user hears
                    // of a rogue contact at once without one event per
                    // dropped introduction.
                    auto& reported = s.flagged[who->second];
                    if (v > 0 && v >= 2 * reported) {
                        reported = v;
                        outputs.push_back(ContactFlagged{who->second, v});
                    }
                }
                return;
            }
            auto& accepted = std::get<hs::Accepted>(verdict);
            auto contact = s.by_key.find(accepted.contact);
            if (contact == s.by_key.end()) return;
            ++s.stats.introductions_accepted;
            if (++slot->introductions >= s.config.intro_max_introductions && !retiring)
                s.rotate_at = now;
            auto r = hs::service_rendezvous(accepted.introduce, slot->auth_key.public_key(),
                                            slot->enc_key, *rng);
            if (!r) return;
            const auto& p = accepted.introduce.payload;
            PathHop rp{p.rp_identity, p.rp_onion_key, p.rp_host, p.rp_port};
            auto circ = start_internal_circuit(path_to(rp, 3), OriginCircuit::Purpose::ServiceRend,
                                               contact->second, now);
            if (!circ) return;
            ++s.stats.rendezvous_circuits;
            s.rendezvous_pending[*circ] = contact->second;
            s.rendezvous_reply[*circ] = {std::move(r->rendezvous1), std::move(r->service_keys)};
            return;
        }
        return;
    }
    if (c.purpose == OriginCircuit::Purpose::ServiceRend && last &&
        rc.command == RelayCommand::Begin) {
        auto joined = s.joined.find(c.ref);
        if (joined == s.joined.end() || rc.stream_id == 0 || c.streams.contains(rc.stream_id))
            return;
        // A contact revoked or hidden from (or Invisible) gets no stream; the
        // circuit was closed then, this only makes sure.
        if (!service_serves(joined->second)) {
            origin_close(c.ref, kServiceCircuitEnded, true, now);
            return;
        }
        OriginStream st;
        st.ref = new_id();
        st.circuit = c.ref;
        st.id = rc.stream_id;
        st.hop = hop;  // the virtual hop: the client's end of the joined path
        st.state = OriginStream::State::Open;
        const auto ref = st.ref;
        origin_streams.emplace(ref, std::move(st));
        c.streams[rc.stream_id] = ref;
        origin_send(c, c.hops.size() - 1, RelayCell{RelayCommand::Connected, rc.stream_id, {}});
        outputs.push_back(IncomingStream{joined->second, ref, c.ref});
        return;
    }
    origin_close(c.ref, "unexpected cell on a service circuit", true, now);
}

// ---- timers ----

void Node::Impl::service_tick(TimePoint now) {
    if (!service) return;
    auto& s = *service;
    for (auto& up : s.scheduler->due(now)) {
        auto it = s.uploads.find(up.token);
        if (it == s.uploads.end()) continue;
        const dir::ConsensusEntry* e = consensus ? consensus->find(up.hsdir) : nullptr;
        if (e != nullptr)
            if (auto body = service_upload_body(it->second, now))
                start_hs_job(DirJob::Kind::HsUpload, PathHop::from(*e), std::move(*body),
                             it->second.contact, now);
        if (--it->second.remaining == 0) {
            if (auto c = s.contacts.find(it->second.contact); c != s.contacts.end())
                --c->second.queued;
            s.uploads.erase(it);
        }
    }
    if (s.rotate_at <= now)
        service_rotate_intros("lifetime or introduction count reached", /*keep_old=*/true, now);
    if (s.retire_at <= now) service_retire_old_intros();
    if (s.next_intro_attempt <= now) service_establish_intros(now);
    if (s.next_contact_publish <= now) {
        s.next_contact_publish = TimePoint::never();
        std::vector<hs::ContactId> due;
        for (auto& [id, c] : s.contacts) {
            if (c.next_publish <= now)
                due.push_back(id);
            else
                s.next_contact_publish = earliest(s.next_contact_publish, c.next_publish);
        }
        service_publish(due, now);
    }
    if (s.next_prune <= now) {
        s.checks.prune(now);
        s.next_prune = now + kPruneInterval;
    }
}

TimePoint Node::Impl::service_deadline() const {
    if (!service) return TimePoint::never();
    auto& s = *service;
    TimePoint t = earliest(s.scheduler->next_deadline(), s.rotate_at);
    t = earliest(t, s.next_intro_attempt);
    t = earliest(t, s.next_contact_publish);
    t = earliest(t, s.retire_at);
    return earliest(t, s.next_prune);
}

// ---- public API ----

Status Node::service_start(hs::ServiceConfig config, TimePoint now) {
    auto& d = *impl_;
    d.last_now = now;
    if (d.service) return fail(Errc::Protocol, "the private service is already running");
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
    d.service.emplace();
    auto& s = *d.service;
    s.config = config;
    s.checks = hs::IntroductionChecks(config.policy);
    s.scheduler.emplace(config.publication, *d.rng);
    s.next_prune = now + kPruneInterval;
    d.service_establish_intros(now);
    return {};
}

Status Node::service_add_contact(hs::ContactId id, hs::ContactGrant grant, bool hidden,
                                 TimePoint now) {
    auto& d = *impl_;
    d.last_now = now;
    if (!d.service) return fail(Errc::Protocol, "start the private service first");
    auto& s = *d.service;
    if (s.contacts.contains(id)) return fail(Errc::Config, "contact already granted");
    const auto ck_id = hs::client_key_id(grant.client_key.public_key());
    const auto index = hs::cookie_index(grant.cookie);
    ServiceContact c{std::move(grant), ck_id, index, hidden};
    hs::ContactKey key = hs::ContactKey::from(c.ck_id.view());
    s.cookies[c.index] = hs::CookieEntry{key, hidden};
    s.by_key[key] = id;
    s.contacts.emplace(id, std::move(c));
    d.service_publish(id, now);
    return {};
}

Status Node::service_revoke(hs::ContactId id, TimePoint now) {
    auto& d = *impl_;
    d.last_now = now;
    if (!d.service) return fail(Errc::Protocol, "no private service");
    auto& s = *d.service;
    auto it = s.contacts.find(id);
    if (it == s.contacts.end()) return fail(Errc::NotFound, "no such contact");
    d.service_drop_uploads(id, now);
    hs::ContactKey key = hs::ContactKey::from(it->second.ck_id.view());
    s.cookies.erase(it->second.index);
    s.by_key.erase(key);
    s.checks.forget_contact(key);
    s.flagged.erase(id);
    s.contacts.erase(it);
    // Her rendezvous circuits, being built or joined, end now.
    d.service_end_rendezvous(id, now);
    d.service_rotate_intros("a contact was revoked", /*keep_old=*/false, now);
    return {};
}

Status Node::service_hide(hs::ContactId id, bool hidden, TimePoint now) {
    auto& d = *impl_;
    d.last_now = now;
    if (!d.service) return fail(Errc::Protocol, "no private service");
    auto& s = *d.service;
    auto it = s.contacts.find(id);
    if (it == s.contacts.end()) return fail(Errc::NotFound, "no such contact");
    if (it->second.hidden == hidden) return {};
    it->second.hidden = hidden;
    s.cookies[it->second.index].hidden = hidden;
    if (hidden) {
        d.service_drop_uploads(id, now);
        d.service_end_rendezvous(id, now);
        d.service_rotate_intros("presence hidden from a contact", /*keep_old=*/false, now);
    } else {
        d.service_publish(id, now);
    }
    return {};
}

void Node::service_set_visible(bool visible, TimePoint now) {
    auto& d = *impl_;
    d.last_now = now;
    if (!d.service || d.service->visible == visible) return;
    auto& s = *d.service;
    s.visible = visible;
    if (!visible) {
        std::vector<hs::ContactId> ids;
        for (auto& [id, c] : s.contacts) ids.push_back(id);
        for (auto id : ids) d.service_drop_uploads(id, now);
        d.service_end_rendezvous(std::nullopt, now);
        // No introduction point may know a key of ours while invisible.
        d.service_close_intros();
        s.rotate_at = TimePoint::never();
        s.next_intro_attempt = TimePoint::never();
        return;
    }
    d.service_establish_intros(now);
}

hs::ServiceStats Node::service_stats() const {
    return impl_->service ? impl_->service->stats : hs::ServiceStats{};
}

std::vector<crypto::Ed25519PublicKey> Node::service_intro_keys() const {
    std::vector<crypto::Ed25519PublicKey> out;
    if (impl_->service)
        for (const auto* slots : {&impl_->service->intros, &impl_->service->retiring})
            for (auto& slot : *slots) out.push_back(slot.auth_key.public_key());
    return out;
}

}  // namespace sotto::node
