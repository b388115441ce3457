// The client (Alice) of private services: owns this node's connection
// attempts (connect_attempt.hpp, paper Fig. 3 steps 6-11 and 14) and hears
// for them from the node, as the handler of their circuits and descriptor
// fetches. From (H(CK), DC) it computes the descriptor ids of the current
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
// INTRODUCE1 alike (intro_point_role.cpp), so the acknowledgement says
// nothing either; the client waits ClientConfig::intro_wait for RENDEZVOUS2
// after each one and then tries the next point. Only success ends an
// attempt early, and success is what the service chose to show. Not a
// public header.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "core/node/connect_attempt.hpp"

namespace sotto::node {

class ServiceClient final : public CircuitHandler, public HsJobHandler {
  public:
    explicit ServiceClient(NodeContext& node) : node_(node) {}

    // connect_service, or with `points`: connect_service_via (no fetch).
    Result<hs::ConnectId> connect(const hs::ContactCredentials& creds,
                                  std::optional<std::vector<hs::IntroPointInfo>> points,
                                  TimePoint now);
    void set_config(hs::ClientConfig config, Duration time_period) {
        config_ = config;
        time_period_ = time_period;
    }

    void tick(TimePoint now);
    // Exact, not the one-second housekeeping sweep: the padded failure is
    // told at the deadline to the microsecond, whatever the attempt did.
    TimePoint next_deadline() const;
    bool busy() const { return !attempts_.empty(); }

    void on_ready(CircuitRef circuit, std::uint64_t attempt, TimePoint now) override;
    void on_cell(CircuitRef circuit, std::uint64_t attempt, FromHop from, wire::RelayCell& cell,
                 TimePoint now) override;
    void on_closed(CircuitRef circuit, std::uint64_t attempt, const std::string& reason,
                   TimePoint now) override;
    void on_hs_job_done(HsJobKind kind, std::uint64_t attempt, std::optional<Bytes> answer,
                        TimePoint now) override;

  private:
    ConnectAttempt* find(hs::ConnectId id);
    // Acts on what an attempt's step led to.
    void follow(hs::ConnectId id, ConnectAttempt::Outcome outcome, TimePoint now);
    void give_up(hs::ConnectId id, const char* why, TimePoint now);

    NodeContext& node_;
    Duration time_period_ = Duration::hours(24);  // must match the services'
    hs::ClientConfig config_;
    // By pointer: an attempt's address is its handle while its steps run.
    std::map<hs::ConnectId, std::unique_ptr<ConnectAttempt>> attempts_;
    // Attempts that failed before their deadline, and that deadline: the
    // failure is reported then.
    std::map<hs::ConnectId, TimePoint> failed_;
};

}  // namespace sotto::node
