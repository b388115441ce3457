// The private service's introduction points (paper Fig. 3, steps 1-2; 4.1):
// k relays, each established over its own circuit with a fresh key pair
// IK_i (and an X25519 key for INTRODUCE encryption) made for that
// establishment alone. Rotated after a lifetime or a number of
// introductions (the old set serving on until the descriptors naming it
// expire), and at once on every revoke or hide, so keys a former contact
// learnt are dead everywhere; closed while Invisible. An INTRODUCE2 arriving
// on one of its circuits goes to the RendezvousResponder with that point's
// keys. Not a public header.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "core/hs/service_api.hpp"
#include "core/node/node_context.hpp"

namespace sotto::node {

class RendezvousResponder;

struct IntroSlot {
    std::uint64_t id = 0;               // its circuit's owner key
    crypto::Ed25519SecretKey auth_key;  // IK_i: fresh for this establishment only
    crypto::X25519SecretKey enc_key;    // decrypts INTRODUCE2 for this intro point
    PathHop relay;
    CircuitRef circuit = 0;
    bool established = false;
    TimePoint established_at;
    std::uint32_t introductions = 0;
};

class IntroPointSet final : public CircuitHandler {
  public:
    // `all_up`: called when every point of a new set is established (the
    // descriptors must name the whole set).
    IntroPointSet(NodeContext& node, const hs::ServiceConfig& config, const bool& visible,
                  hs::ServiceStats& stats, RendezvousResponder& responder,
                  std::function<void(TimePoint)> all_up);

    // Steps 1-2: circuits to new points until the set is complete.
    void establish(TimePoint now);
    // keep_old: the current set keeps serving until its descriptors expire.
    void rotate(const char* why, bool keep_old, TimePoint now);
    // Invisible: no point may know a key of ours.
    void close_all();

    void tick(TimePoint now);
    TimePoint next_deadline() const;

    // What a descriptor names: every point of the current set, none while
    // one of them is not established yet.
    std::optional<std::vector<hs::IntroPointInfo>> descriptor_points() const;
    std::vector<crypto::Ed25519PublicKey> keys() const;

    void on_ready(CircuitRef circuit, std::uint64_t, TimePoint now) override;
    void on_cell(CircuitRef circuit, std::uint64_t, FromHop from, wire::RelayCell& cell,
                 TimePoint now) override;
    void on_closed(CircuitRef circuit, std::uint64_t, const std::string& reason,
                   TimePoint now) override;

  private:
    void retire_old();
    void count_up();

    NodeContext& node_;
    const hs::ServiceConfig& config_;
    const bool& visible_;
    hs::ServiceStats& stats_;
    RendezvousResponder& responder_;
    std::function<void(TimePoint)> all_up_;
    std::vector<IntroSlot> intros_;
    // After a scheduled rotation (lifetime or introduction count) the previous
    // set stays up until every descriptor that names it has expired, so a
    // contact who fetched one still gets through (make before break). Revoke,
    // hide and invisibility never keep it: there the old keys die at once,
    // so a descriptor the contact still finds (nothing is withdrawn) names
    // dead keys, as after a shutdown.
    std::vector<IntroSlot> retiring_;
    TimePoint retire_at_ = TimePoint::never();
    TimePoint rotate_at_ = TimePoint::never();
    TimePoint next_attempt_ = TimePoint::never();
};

}  // namespace sotto::node
