#include "core/node/connect_attempt.hpp"

#include <algorithm>

#include "core/hs/descriptor_id.hpp"
#include "core/hs/hs_descriptor.hpp"
#include "core/hs/hsdir_messages.hpp"

namespace sotto::node {

using wire::RelayCell;
using wire::RelayCommand;

namespace {
// As an HSDir allows: a descriptor from further in the future is refused.
constexpr Duration kMaxClockSkew = Duration::minutes(5);
}  // namespace

ConnectAttempt::ConnectAttempt(NodeContext& node, CircuitHandler& circuits, HsJobHandler& jobs,
                               hs::ConnectId id, const hs::ContactCredentials& creds,
                               TimePoint deadline,
                               std::vector<std::pair<hs::DescriptorId, PathHop>> fetch_targets,
                               std::optional<std::vector<hs::IntroPointInfo>> intro_points,
                               Duration intro_wait)
    : node_(node),
      circuits_(circuits),
      jobs_(jobs),
      id_(id),
      creds_(creds.clone()),
      deadline_(deadline),
      intro_wait_(intro_wait),
      fetch_targets_(std::move(fetch_targets)),
      intro_points_(std::move(intro_points)) {}

Status ConnectAttempt::start(TimePoint now) {
    auto& rng = node_.rng();
    rng.fill(cookie_.bytes);
    // A rendezvous point chosen now so it is ready when the descriptor is.
    std::vector<const dir::ConsensusEntry*> rps;
    for (auto& e : node_.consensus()->relays)
        if ((e.flags & dir::kFlagIntroRend) && e.identity != node_.identity()) rps.push_back(&e);
    if (rps.empty()) return fail(Errc::NotFound, "the consensus lists no rendezvous point");
    rend_point_ = PathHop::from(*rps[rng.uniform(rps.size())]);
    auto circ = node_.launch_circuit(node_.path_to(rend_point_, 3), circuits_, id_, now);
    if (!circ) return std::unexpected(circ.error());
    rend_circuit_ = *circ;
    return {};
}

// ---- steps 6-7 ----

ConnectAttempt::Outcome ConnectAttempt::fetch_descriptor(TimePoint now) {
    if (next_fetch_ >= fetch_targets_.size()) return Failed{"no HSDir had a usable descriptor"};
    auto& [desc_id, hsdir] = fetch_targets_[next_fetch_++];
    node_.start_hs_job(HsJobKind::Fetch, hsdir,
                       hs::encode_hsdir_request(hs::GetHsDescriptor{desc_id}), jobs_, id_, now);
    return Going{};
}

ConnectAttempt::Outcome ConnectAttempt::descriptor_fetched(std::optional<Bytes> encoded,
                                                           TimePoint now) {
    if (encoded) {
        const auto& wanted = fetch_targets_[next_fetch_ - 1].first;
        auto d = hs::decode_hs_descriptor(*encoded);
        // The HSDir could answer with anything: only a descriptor signed by
        // the contact's CK, under the id we asked for, and decrypting with
        // our DC is accepted.
        if (d && hs::client_key_id(d->client_key) == creds_.client_key_id &&
            hs::check_hs_descriptor(*d, wanted, now, kMaxClockSkew)) {
            if (auto points = hs::open_intro_points(*d, creds_.cookie)) {
                intro_points_ = std::move(*points);
                if (rend_ready_) return introduce_next(now);
                return Going{};
            }
        }
    }
    return fetch_descriptor(now);
}

// ---- steps 8-9 ----

void ConnectAttempt::establish_rendezvous(TimePoint) {
    node_.send_to_last_hop(rend_circuit_, RelayCell{RelayCommand::EstablishRendezvous, 0,
                                                    hs::encode_establish_rendezvous(cookie_)});
}

ConnectAttempt::Outcome ConnectAttempt::rendezvous_established(TimePoint now) {
    if (rend_ready_) return Going{};
    rend_ready_ = true;
    if (intro_points_) return introduce_next(now);
    return Going{};
}

// ---- steps 10-11 ----

ConnectAttempt::Outcome ConnectAttempt::introduce_next(TimePoint now) {
    // Done with the current introduction point, if any. Its INTRODUCE1 (in
    // handshakes_) may still be answered on the rendezvous circuit.
    intro_deadline_ = TimePoint::never();
    current_intro_.reset();
    if (const CircuitRef ref = std::exchange(intro_circuit_, 0))
        // Forgotten first, so that closing it does not land here again.
        node_.close_circuit(ref, "introduction point given up", now);
    auto tried = [&](const hs::IntroPointInfo& ip) {
        return std::ranges::find(tried_intro_keys_, ip.auth_key) != tried_intro_keys_.end();
    };
    while (intro_points_ && next_intro_ < intro_points_->size() &&
           tried((*intro_points_)[next_intro_]))
        ++next_intro_;
    if (!intro_points_ || next_intro_ >= intro_points_->size()) {
        // Another HSDir may hold a newer descriptor (the service rotated its
        // introduction points since this one was stored).
        if (next_fetch_ < fetch_targets_.size()) {
            intro_points_.reset();
            next_intro_ = 0;
            return fetch_descriptor(now);
        }
        return Failed{"no introduction point led to a rendezvous"};
    }
    const auto ip = (*intro_points_)[next_intro_++];
    tried_intro_keys_.push_back(ip.auth_key);
    PathHop hop{ip.relay_identity, ip.relay_onion_key, ip.host, ip.port};
    auto circ = node_.launch_circuit(node_.path_to(hop, 3), circuits_, id_, now);
    if (!circ) return introduce_next(now);
    intro_circuit_ = *circ;
    current_intro_ = ip;
    return Going{};
}

ConnectAttempt::Outcome ConnectAttempt::send_introduce1(CircuitRef circuit, TimePoint now) {
    if (circuit != intro_circuit_ || !current_intro_) {
        node_.close_circuit(circuit, "introduction point given up", now);
        return Going{};
    }
    const auto& ip = *current_intro_;
    hs::IntroducePayload p;
    p.rp_identity = rend_point_.identity;
    p.rp_onion_key = rend_point_.onion_key;
    p.rp_host = rend_point_.host;
    p.rp_port = rend_point_.port;
    p.rendezvous_cookie = cookie_;
    p.descriptor_cookie = creds_.cookie.clone();
    p.timestamp = now.unix_seconds();
    auto intro = hs::client_introduce(p, ip.auth_key, ip.enc_key, node_.rng());
    if (!intro) {
        node_.close_circuit(circuit, "introduction failed", now);
        return Going{};
    }
    node_.send_to_last_hop(circuit, RelayCell{RelayCommand::Introduce1, 0, intro->introduce1()});
    handshakes_.push_back(std::move(*intro));
    // The acknowledgement restarts this wait; without one, the point is
    // given up after it all the same.
    intro_deadline_ = now + intro_wait_;
    node_.wake_housekeeping(now);
    return Going{};
}

void ConnectAttempt::introduce_acknowledged(TimePoint now) {
    // The status is not looked at: introduction points send the same
    // acknowledgement for every INTRODUCE1, and one that still said
    // "unknown auth key" must not make this client move on sooner than
    // when the service simply does not answer.
    const CircuitRef ref = std::exchange(intro_circuit_, 0);
    node_.close_circuit(ref, "introduction acknowledged", now);
    // Wait for RENDEZVOUS2 this long, then try the next point.
    intro_deadline_ = now + intro_wait_;
    node_.wake_housekeeping(now);
}

ConnectAttempt::Outcome ConnectAttempt::intro_circuit_lost(TimePoint now) {
    // Closed before an acknowledgement (the relay is gone, or it could not
    // be reached): nothing about the service, try the next point.
    intro_circuit_ = 0;
    return introduce_next(now);
}

// ---- step 14 ----

ConnectAttempt::Outcome ConnectAttempt::complete_rendezvous(ByteView body, TimePoint now) {
    if (handshakes_.empty()) return Going{};
    // The answer to one of this attempt's INTRODUCE1s (all carried the same
    // cookie): the one whose AUTH verifies. Each handshake gets this one
    // try; the cookie is single use at the rendezvous point, so no second
    // RENDEZVOUS2 can come.
    auto reply = hs::decode_rendezvous2(body);
    Result<onion::HopKeys> keys =
        std::unexpected(reply ? Error{Errc::BadSignature, "no introduction of this attempt matches"}
                              : reply.error());
    if (reply)
        for (auto& h : handshakes_)
            if ((keys = h.finish(reply->view()))) break;
    // Not the service we were granted access to: treat as absent.
    if (!keys || !node_.circuits().join_end_to_end_hop(rend_circuit_, *keys))
        return Failed{"the service failed the rendezvous handshake"};
    (void)now;
    return Connected{rend_circuit_};
}

}  // namespace sotto::node
