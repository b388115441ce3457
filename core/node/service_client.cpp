#include "core/node/service_client.hpp"

#include "core/hs/descriptor_id.hpp"
#include "core/hs/hsdir_messages.hpp"
#include "core/hs/time_period.hpp"

namespace sotto::node {

using wire::RelayCommand;

namespace {
constexpr const char* kUnreachable = "the contact is offline or unreachable";
}  // namespace

Result<hs::ConnectId> ServiceClient::connect(const hs::ContactCredentials& creds,
                                             std::optional<std::vector<hs::IntroPointInfo>> points,
                                             TimePoint now) {
    const auto* ring = node_.hsdir_ring();
    if (!node_.consensus() || !ring || ring->empty())
        return fail(Errc::NotFound, "no consensus yet: cannot reach private services");
    const hs::ConnectId id = node_.new_id();
    const bool fetch = !points.has_value();
    std::vector<std::pair<hs::DescriptorId, PathHop>> targets;
    const auto tp = hs::time_period(now.unix_seconds(), creds.client_key_id, time_period_);
    // Replica 0's directories first, then replica 1's (4.3).
    for (std::uint8_t ri = 0; ri < hs::kHsReplicas && fetch; ++ri) {
        auto desc_id =
            hs::descriptor_id(creds.client_key_id, hs::secret_id_part(creds.cookie, tp, ri));
        for (auto* e : ring->responsible(desc_id)) targets.push_back({desc_id, PathHop::from(*e)});
    }
    auto& a = *attempts_
                   .emplace(id, std::make_unique<ConnectAttempt>(
                                    node_, *this, *this, id, creds, now + config_.connect_timeout,
                                    std::move(targets), std::move(points), config_.intro_wait))
                   .first->second;
    if (auto started = a.start(now); !started) {
        attempts_.erase(id);
        return std::unexpected(started.error());
    }
    if (fetch) follow(id, a.fetch_descriptor(now), now);
    node_.wake_housekeeping(now);
    return id;
}

ConnectAttempt* ServiceClient::find(hs::ConnectId id) {
    auto it = attempts_.find(id);
    return it == attempts_.end() ? nullptr : it->second.get();
}

void ServiceClient::follow(hs::ConnectId id, ConnectAttempt::Outcome outcome, TimePoint now) {
    if (auto* f = std::get_if<ConnectAttempt::Failed>(&outcome)) {
        give_up(id, f->why, now);
        return;
    }
    auto* c = std::get_if<ConnectAttempt::Connected>(&outcome);
    if (c == nullptr) return;
    auto it = attempts_.find(id);
    if (it == attempts_.end()) return;
    // The circuit is the application's now; the introduction circuit has
    // done its part.
    node_.circuits().give_to_application(c->circuit);
    if (const CircuitRef intro = it->second->take_circuits().second)
        node_.close_circuit(intro, "introduction done", now);
    attempts_.erase(id);
    node_.emit(ServiceConnected{id, c->circuit});
}

void ServiceClient::give_up(hs::ConnectId id, const char* why, TimePoint now) {
    auto it = attempts_.find(id);
    if (it == attempts_.end()) return;
    // The detail stays in the debug log; the application sees one reason.
    node_.log().log(LogLevel::Debug, "hs", std::string("connection attempt failed: ") + why);
    auto a = std::move(it->second);
    attempts_.erase(it);
    const auto [rend, intro] = a->take_circuits();
    if (rend) node_.close_circuit(rend, "connection attempt ended", now);
    if (intro) node_.close_circuit(intro, "connection attempt ended", now);
    // Nothing more is tried; the failure is told at the deadline.
    if (now < a->deadline())
        failed_.emplace(id, a->deadline());
    else
        node_.emit(ServiceUnreachable{id, kUnreachable});
}

void ServiceClient::on_ready(CircuitRef circuit, std::uint64_t id, TimePoint now) {
    auto* a = find(id);
    if (a == nullptr) {
        node_.close_circuit(circuit, "connection attempt gone", now);
        return;
    }
    if (circuit == a->rend_circuit()) {
        a->establish_rendezvous(now);
        return;
    }
    follow(id, a->send_introduce1(circuit, now), now);
}

void ServiceClient::on_cell(CircuitRef circuit, std::uint64_t id, FromHop from, wire::RelayCell& rc,
                            TimePoint now) {
    auto* a = find(id);
    if (a == nullptr || !from.last) return;
    if (circuit == a->rend_circuit()) {
        if (rc.command == RelayCommand::RendezvousEstablished)
            follow(id, a->rendezvous_established(now), now);
        else if (rc.command == RelayCommand::Rendezvous2)
            follow(id, a->complete_rendezvous(rc.data, now), now);
        return;
    }
    if (rc.command == RelayCommand::IntroduceAck && circuit == a->intro_circuit())
        a->introduce_acknowledged(now);
}

void ServiceClient::on_closed(CircuitRef circuit, std::uint64_t id, const std::string&,
                              TimePoint now) {
    auto* a = find(id);
    if (a == nullptr) return;
    if (circuit == a->rend_circuit()) {
        a->rend_circuit_lost();
        give_up(id, "the rendezvous circuit closed", now);
        return;
    }
    if (circuit == a->intro_circuit()) follow(id, a->intro_circuit_lost(now), now);
}

void ServiceClient::on_hs_job_done(HsJobKind, std::uint64_t id, std::optional<Bytes> answer,
                                   TimePoint now) {
    auto* a = find(id);
    if (a == nullptr) return;
    std::optional<Bytes> descriptor;
    if (answer) {
        auto resp = hs::decode_hsdir_response(*answer);
        if (resp && resp->status == hs::HsDirStatus::Ok) descriptor = std::move(resp->descriptor);
    }
    follow(id, a->descriptor_fetched(std::move(descriptor), now), now);
}

void ServiceClient::tick(TimePoint now) {
    std::vector<hs::ConnectId> late, next_point;
    for (auto& [id, a] : attempts_) {
        if (a->deadline() <= now)
            late.push_back(id);
        else if (a->intro_deadline() <= now)
            next_point.push_back(id);
    }
    for (auto id : late) give_up(id, "timed out", now);
    // No RENDEZVOUS2 within intro_wait: the next introduction point.
    for (auto id : next_point)
        if (auto* a = find(id)) follow(id, a->introduce_next(now), now);
    for (auto it = failed_.begin(); it != failed_.end();) {
        if (it->second <= now) {
            node_.emit(ServiceUnreachable{it->first, kUnreachable});
            it = failed_.erase(it);
        } else {
            ++it;
        }
    }
}

TimePoint ServiceClient::next_deadline() const {
    TimePoint t = TimePoint::never();
    for (auto& [id, a] : attempts_) t = earliest(t, earliest(a->deadline(), a->intro_deadline()));
    for (auto& [id, at] : failed_) t = earliest(t, at);
    return t;
}

}  // namespace sotto::node
