// The client (Alice) of a private service: the client side of the paper's
// Fig. 3. From (H(CK), DC) it computes the descriptor ids of the current
// time period (both replicas), fetches from the responsible HSDirs in turn,
// checks and decrypts the descriptor, sets up a rendezvous point, sends
// INTRODUCE1 carrying DC inside the part encrypted to the introduction
// point's key (4.6), and verifies the service's RENDEZVOUS2 before anything
// flows. Every failure reads the same ("offline or unreachable"): a revoked
// contact must not be able to tell revocation from absence.
//
// Nor when it happens: every failure is reported at the attempt's deadline,
// ClientConfig::connect_timeout after it started, however early the attempt
// knew (issue 9, finding 5). Without the padding the time told the cases
// apart: no descriptor anywhere failed in about 4 s, a descriptor naming dead
// introduction keys (a service that shut down) after k × intro_wait plus the
// circuits, about 20 s. Every introduction point acknowledges every
// INTRODUCE1 alike (hs_relay_roles.cpp), so the acknowledgement says nothing
// either; the client waits ClientConfig::intro_wait for RENDEZVOUS2 after
// each one and then tries the next point. Only success ends an attempt
// early, and success is what the service chose to show.
#include <algorithm>
#include <utility>

#include "core/hs/descriptor_id.hpp"
#include "core/hs/hsdir_messages.hpp"
#include "core/hs/time_period.hpp"
#include "core/node/node_impl.hpp"

namespace sotto::node {

using wire::RelayCell;
using wire::RelayCommand;

namespace {
constexpr const char* kUnreachable = "the contact is offline or unreachable";
// As an HSDir allows: a descriptor from further in the future is refused.
constexpr Duration kMaxClockSkew = Duration::minutes(5);
}  // namespace

void Node::Impl::client_fail(hs::ConnectId id, const char* why, TimePoint now) {
    auto it = client.attempts.find(id);
    if (it == client.attempts.end()) return;
    // The detail stays in the debug log; the application sees one reason.
    log->log(LogLevel::Debug, "hs", std::string("connection attempt failed: ") + why);
    auto a = std::move(it->second);
    client.attempts.erase(it);
    if (a.rend_circuit) origin_close(a.rend_circuit, "connection attempt ended", true, now);
    if (a.intro_circuit) origin_close(a.intro_circuit, "connection attempt ended", true, now);
    // Nothing more is tried; the failure is told at the deadline.
    if (now < a.deadline)
        client.failed.emplace(id, a.deadline);
    else
        outputs.push_back(ServiceUnreachable{id, kUnreachable});
}

void Node::Impl::client_fetch_next(hs::ConnectId id, TimePoint now) {
    auto it = client.attempts.find(id);
    if (it == client.attempts.end()) return;
    auto& a = it->second;
    if (a.next_fetch >= a.fetch_targets.size()) {
        client_fail(id, "no HSDir had a usable descriptor", now);
        return;
    }
    auto& [desc_id, hsdir] = a.fetch_targets[a.next_fetch++];
    a.fetching = true;
    start_hs_job(DirJob::Kind::HsFetch, hsdir,
                 hs::encode_hsdir_request(hs::GetHsDescriptor{desc_id}), id, now);
}

void Node::Impl::client_job_done(const DirJob& job, std::optional<Bytes> encoded, TimePoint now) {
    auto it = client.attempts.find(job.owner);
    if (it == client.attempts.end()) return;
    auto& a = it->second;
    a.fetching = false;
    if (encoded) {
        const auto& wanted = a.fetch_targets[a.next_fetch - 1].first;
        auto d = hs::decode_hs_descriptor(*encoded);
        // The HSDir could answer with anything: only a descriptor signed by
        // the contact's CK, under the id we asked for, and decrypting with
        // our DC is accepted.
        if (d && hs::client_key_id(d->client_key) == a.creds.client_key_id &&
            hs::check_hs_descriptor(*d, wanted, now, kMaxClockSkew)) {
            if (auto points = hs::open_intro_points(*d, a.creds.cookie)) {
                a.intro_points = std::move(*points);
                if (a.rend_ready) client_introduce_next(a.id, now);
                return;
            }
        }
    }
    client_fetch_next(job.owner, now);
}

void Node::Impl::client_introduce_next(hs::ConnectId id, TimePoint now) {
    auto it = client.attempts.find(id);
    if (it == client.attempts.end()) return;
    auto& a = it->second;
    // Done with the current introduction point, if any. Its INTRODUCE1 (in
    // a.handshakes) may still be answered on the rendezvous circuit.
    a.intro_deadline = TimePoint::never();
    a.current_intro.reset();
    if (const CircuitRef ref = a.intro_circuit) {
        a.intro_circuit = 0;  // so that closing it does not land here again
        origin_close(ref, "introduction point given up", true, now);
    }
    auto tried = [&](const hs::IntroPointInfo& ip) {
        return std::ranges::find(a.tried_intro_keys, ip.auth_key) != a.tried_intro_keys.end();
    };
    while (a.intro_points && a.next_intro < a.intro_points->size() &&
           tried((*a.intro_points)[a.next_intro]))
        ++a.next_intro;
    if (!a.intro_points || a.next_intro >= a.intro_points->size()) {
        // Another HSDir may hold a newer descriptor (the service rotated its
        // introduction points since this one was stored).
        if (a.next_fetch < a.fetch_targets.size()) {
            a.intro_points.reset();
            a.next_intro = 0;
            client_fetch_next(id, now);
            return;
        }
        client_fail(id, "no introduction point led to a rendezvous", now);
        return;
    }
    const auto ip = (*a.intro_points)[a.next_intro++];
    a.tried_intro_keys.push_back(ip.auth_key);
    PathHop hop{ip.relay_identity, ip.relay_onion_key, ip.host, ip.port};
    auto circ =
        start_internal_circuit(path_to(hop, 3), OriginCircuit::Purpose::ClientIntro, id, now);
    if (!circ) {
        client_introduce_next(id, now);
        return;
    }
    a.intro_circuit = *circ;
    a.current_intro = ip;
}

void Node::Impl::client_circuit_ready(OriginCircuit& c, TimePoint now) {
    auto it = client.attempts.find(c.owner);
    if (it == client.attempts.end()) {
        origin_close(c.ref, "connection attempt gone", true, now);
        return;
    }
    auto& a = it->second;
    if (c.purpose == OriginCircuit::Purpose::ClientRend) {
        origin_send(c, c.hops.size() - 1,
                    RelayCell{RelayCommand::EstablishRendezvous, 0,
                              hs::encode_establish_rendezvous(a.cookie)});
        return;
    }
    // Introduction circuit: INTRODUCE1 to the point's key IK_i.
    if (c.ref != a.intro_circuit || !a.current_intro) {
        origin_close(c.ref, "introduction point given up", true, now);
        return;
    }
    const auto& ip = *a.current_intro;
    hs::IntroducePayload p;
    p.rp_identity = a.rend_point.identity;
    p.rp_onion_key = a.rend_point.onion_key;
    p.rp_host = a.rend_point.host;
    p.rp_port = a.rend_point.port;
    p.rendezvous_cookie = a.cookie;
    p.descriptor_cookie = a.creds.cookie.clone();
    p.timestamp = now.unix_seconds();
    auto intro = hs::client_introduce(p, ip.auth_key, ip.enc_key, *rng);
    if (!intro) {
        origin_close(c.ref, "introduction failed", true, now);
        return;
    }
    origin_send(c, c.hops.size() - 1, RelayCell{RelayCommand::Introduce1, 0, intro->introduce1()});
    a.handshakes.push_back(std::move(*intro));
    // The acknowledgement restarts this wait; without one, the point is
    // given up after it all the same.
    a.intro_deadline = now + client.config.intro_wait;
    schedule_housekeeping(now);
}

void Node::Impl::client_circuit_closed(CircuitRef ref, OriginCircuit::Purpose purpose,
                                       std::uint64_t owner, TimePoint now) {
    auto it = client.attempts.find(owner);
    if (it == client.attempts.end()) return;
    auto& a = it->second;
    if (purpose == OriginCircuit::Purpose::ClientRend && a.rend_circuit == ref) {
        a.rend_circuit = 0;
        client_fail(owner, "the rendezvous circuit closed", now);
        return;
    }
    if (purpose == OriginCircuit::Purpose::ClientIntro && a.intro_circuit == ref) {
        // Closed before an acknowledgement (the relay is gone, or it could
        // not be reached): nothing about the service, try the next point.
        a.intro_circuit = 0;
        client_introduce_next(owner, now);
    }
}

void Node::Impl::client_cell(OriginCircuit& c, std::size_t hop, RelayCell& rc, TimePoint now) {
    auto it = client.attempts.find(c.owner);
    if (it == client.attempts.end() || hop + 1 != c.hops.size()) return;
    auto& a = it->second;
    const auto id = a.id;
    if (c.purpose == OriginCircuit::Purpose::ClientRend) {
        if (rc.command == RelayCommand::RendezvousEstablished && !a.rend_ready) {
            a.rend_ready = true;
            if (a.intro_points) client_introduce_next(id, now);
            return;
        }
        if (rc.command == RelayCommand::Rendezvous2 && !a.handshakes.empty()) {
            // The answer to one of this attempt's INTRODUCE1s (all carried
            // the same cookie): the one whose AUTH verifies. Each handshake
            // gets this one try; the cookie is single use at the rendezvous
            // point, so no second RENDEZVOUS2 can come.
            auto reply = hs::decode_rendezvous2(rc.data);
            Result<onion::HopKeys> keys_ = std::unexpected(
                reply ? Error{Errc::BadSignature, "no introduction of this attempt matches"}
                      : reply.error());
            if (reply)
                for (auto& h : a.handshakes)
                    if ((keys_ = h.finish(reply->view()))) break;
            auto vhop = keys_ ? onion::HopCrypto::create(*keys_)
                              : Result<onion::HopCrypto>(std::unexpected(keys_.error()));
            if (!vhop) {
                // Not the service we were granted access to: treat as absent.
                client_fail(id, "the service failed the rendezvous handshake", now);
                return;
            }
            c.hops.push_back(std::move(*vhop));
            c.bindings.push_back(onion::circuit_binding(*keys_));
            c.purpose = OriginCircuit::Purpose::General;
            c.app_visible = true;
            const CircuitRef circuit = c.ref;
            if (const CircuitRef intro = std::exchange(a.intro_circuit, 0))
                origin_close(intro, "introduction done", true, now);
            client.attempts.erase(id);
            outputs.push_back(ServiceConnected{id, circuit});
            return;
        }
        return;
    }
    if (c.purpose == OriginCircuit::Purpose::ClientIntro &&
        rc.command == RelayCommand::IntroduceAck && c.ref == a.intro_circuit) {
        // The status is not looked at: introduction points send the same
        // acknowledgement for every INTRODUCE1, and one that still said
        // "unknown auth key" must not make this client move on sooner than
        // when the service simply does not answer.
        const CircuitRef ref = c.ref;
        a.intro_circuit = 0;
        origin_close(ref, "introduction acknowledged", true, now);
        // Wait for RENDEZVOUS2 this long, then try the next point.
        a.intro_deadline = now + client.config.intro_wait;
        schedule_housekeeping(now);
    }
}

void Node::Impl::client_timeouts(TimePoint now) {
    std::vector<hs::ConnectId> late, next_point;
    for (auto& [id, a] : client.attempts) {
        if (a.deadline <= now)
            late.push_back(id);
        else if (a.intro_deadline <= now)
            next_point.push_back(id);
    }
    for (auto id : late) client_fail(id, "timed out", now);
    // No RENDEZVOUS2 within intro_wait: the next introduction point.
    for (auto id : next_point) client_introduce_next(id, now);
    for (auto it = client.failed.begin(); it != client.failed.end();) {
        if (it->second <= now) {
            outputs.push_back(ServiceUnreachable{it->first, kUnreachable});
            it = client.failed.erase(it);
        } else {
            ++it;
        }
    }
}

TimePoint Node::Impl::client_deadline() const {
    // Exact, not the one-second housekeeping sweep: the padded failure is
    // told at the deadline to the microsecond, whatever the attempt did.
    TimePoint t = TimePoint::never();
    for (auto& [id, a] : client.attempts) t = earliest(t, earliest(a.deadline, a.intro_deadline));
    for (auto& [id, at] : client.failed) t = earliest(t, at);
    return t;
}

Result<hs::ConnectId> Node::connect_service(const hs::ContactCredentials& creds, TimePoint now) {
    return impl_->client_connect(creds, std::nullopt, now);
}

Result<hs::ConnectId> Node::connect_service_via(const hs::ContactCredentials& creds,
                                                std::vector<hs::IntroPointInfo> intro_points,
                                                TimePoint now) {
    if (intro_points.empty()) return fail(Errc::Config, "no introduction points given");
    return impl_->client_connect(creds, std::move(intro_points), now);
}

Result<hs::ConnectId> Node::Impl::client_connect(
    const hs::ContactCredentials& creds, std::optional<std::vector<hs::IntroPointInfo>> points,
    TimePoint now) {
    auto& d = *this;
    d.last_now = now;
    if (!d.consensus || !d.ring || d.ring->empty())
        return fail(Errc::NotFound, "no consensus yet: cannot reach private services");
    ConnectAttempt a;
    a.id = d.new_id();
    a.creds = creds.clone();
    a.deadline = now + d.client.config.connect_timeout;
    const bool fetch = !points.has_value();
    a.intro_points = std::move(points);
    const auto tp = hs::time_period(now.unix_seconds(), creds.client_key_id, d.client.time_period);
    // Replica 0's directories first, then replica 1's (4.3).
    for (std::uint8_t ri = 0; ri < hs::kHsReplicas && fetch; ++ri) {
        auto desc_id =
            hs::descriptor_id(creds.client_key_id, hs::secret_id_part(creds.cookie, tp, ri));
        for (auto* e : d.ring->responsible(desc_id))
            a.fetch_targets.push_back({desc_id, PathHop::from(*e)});
    }
    d.rng->fill(a.cookie.bytes);
    // A rendezvous point chosen now so it is ready when the descriptor is.
    std::vector<const dir::ConsensusEntry*> rps;
    for (auto& e : d.consensus->relays)
        if ((e.flags & dir::kFlagIntroRend) && e.identity != d.keys.identity.public_key())
            rps.push_back(&e);
    if (rps.empty()) return fail(Errc::NotFound, "the consensus lists no rendezvous point");
    a.rend_point = PathHop::from(*rps[d.rng->uniform(rps.size())]);
    const auto id = a.id;
    auto rend = d.path_to(a.rend_point, 3);
    d.client.attempts.emplace(id, std::move(a));
    auto circ =
        d.start_internal_circuit(std::move(rend), OriginCircuit::Purpose::ClientRend, id, now);
    if (!circ) {
        d.client.attempts.erase(id);
        return std::unexpected(circ.error());
    }
    d.client.attempts.at(id).rend_circuit = *circ;
    if (fetch) d.client_fetch_next(id, now);
    d.schedule_housekeeping(now);
    return id;
}

void Node::set_client_config(hs::ClientConfig config, Duration time_period) {
    impl_->client.config = config;
    impl_->client.time_period = time_period;
}

}  // namespace sotto::node
