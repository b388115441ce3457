#include "core/node/intro_point_set.hpp"

#include <algorithm>

#include "core/hs/intro_messages.hpp"
#include "core/node/rendezvous_responder.hpp"

namespace sotto::node {

using wire::RelayCell;
using wire::RelayCommand;

namespace {
constexpr Duration kIntroRetry = Duration::seconds(5);

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

IntroPointSet::IntroPointSet(NodeContext& node, const hs::ServiceConfig& config,
                             const bool& visible, hs::ServiceStats& stats,
                             RendezvousResponder& responder, std::function<void(TimePoint)> all_up)
    : node_(node),
      config_(config),
      visible_(visible),
      stats_(stats),
      responder_(responder),
      all_up_(std::move(all_up)) {}

void IntroPointSet::establish(TimePoint now) {
    next_attempt_ = TimePoint::never();
    if (!visible_) return;
    const auto* consensus = node_.consensus();
    if (!consensus) {
        next_attempt_ = now + kIntroRetry;
        return;
    }
    std::vector<const dir::ConsensusEntry*> pool;
    for (auto& e : consensus->relays) {
        if (!(e.flags & dir::kFlagIntroRend) || e.identity == node_.identity()) continue;
        auto on_relay = [&](const IntroSlot& x) { return x.relay.identity == e.identity; };
        // A relay serving the retiring set would see both sets at once.
        const bool used = std::any_of(intros_.begin(), intros_.end(), on_relay) ||
                          std::any_of(retiring_.begin(), retiring_.end(), on_relay);
        if (!used) pool.push_back(&e);
    }
    const bool fresh_generation = intros_.empty();
    auto& rng = node_.rng();
    while (intros_.size() < config_.intro_points && !pool.empty()) {
        auto k = rng.uniform(pool.size());
        const auto* relay = pool[k];
        pool.erase(pool.begin() + static_cast<long>(k));
        IntroSlot slot{node_.new_id(), crypto::Ed25519SecretKey::generate(rng),
                       crypto::X25519SecretKey::generate(rng), PathHop::from(*relay)};
        auto circ = node_.launch_circuit(node_.path_to(slot.relay, 3), *this, slot.id, now);
        if (!circ) continue;
        slot.circuit = *circ;
        intros_.push_back(std::move(slot));
    }
    if (intros_.size() < config_.intro_points) next_attempt_ = now + kIntroRetry;
    if (fresh_generation && !intros_.empty()) rotate_at_ = now + config_.intro_lifetime;
}

void IntroPointSet::retire_old() {
    retire_at_ = TimePoint::never();
    for (auto c : take_circuits(retiring_))
        node_.close_circuit(c, "introduction point retired", node_.now());
}

void IntroPointSet::close_all() {
    retire_old();
    stats_.intro_points_up = 0;
    for (auto c : take_circuits(intros_))
        node_.close_circuit(c, "introduction point retired", node_.now());
    rotate_at_ = TimePoint::never();
    next_attempt_ = TimePoint::never();
}

void IntroPointSet::rotate(const char* why, bool keep_old, TimePoint now) {
    ++stats_.intro_rotations;
    // Debug only, every rotation: a rotation outside the schedule means a
    // revoke or a hide, and the time of one in a log at Info would say so.
    node_.log().log(LogLevel::Debug, "hs", std::string("rotating introduction points: ") + why);
    if (keep_old) {
        // Descriptors naming the current set were all published before now,
        // so none is valid after now + descriptor_lifetime: until then the
        // set keeps serving the contacts who fetched one. Slots not yet
        // established are in no descriptor and go at once.
        retire_old();
        std::vector<CircuitRef> unused;
        for (auto& slot : intros_) {
            if (slot.established)
                retiring_.push_back(std::move(slot));
            else
                unused.push_back(slot.circuit);
        }
        intros_.clear();
        stats_.intro_points_up = 0;
        retire_at_ = retiring_.empty() ? TimePoint::never() : now + config_.descriptor_lifetime;
        for (auto c : unused) node_.close_circuit(c, "introduction point retired", now);
    } else {
        retire_old();
        stats_.intro_points_up = 0;
        for (auto c : take_circuits(intros_))
            node_.close_circuit(c, "introduction point retired", node_.now());
    }
    rotate_at_ = TimePoint::never();
    establish(now);
}

void IntroPointSet::tick(TimePoint now) {
    if (rotate_at_ <= now) rotate("lifetime or introduction count reached", /*keep_old=*/true, now);
    if (retire_at_ <= now) retire_old();
    if (next_attempt_ <= now) establish(now);
}

TimePoint IntroPointSet::next_deadline() const {
    return earliest(earliest(rotate_at_, next_attempt_), retire_at_);
}

void IntroPointSet::count_up() {
    stats_.intro_points_up = static_cast<std::size_t>(
        std::count_if(intros_.begin(), intros_.end(), [](auto& x) { return x.established; }));
}

std::optional<std::vector<hs::IntroPointInfo>> IntroPointSet::descriptor_points() const {
    std::vector<hs::IntroPointInfo> points;
    for (auto& slot : intros_) {
        if (!slot.established) return std::nullopt;
        points.push_back({slot.relay.identity, slot.relay.onion_key, slot.relay.host,
                          slot.relay.port, slot.auth_key.public_key(), slot.enc_key.public_key()});
    }
    if (points.empty()) return std::nullopt;
    return points;
}

std::vector<crypto::Ed25519PublicKey> IntroPointSet::keys() const {
    std::vector<crypto::Ed25519PublicKey> out;
    for (const auto* slots : {&intros_, &retiring_})
        for (auto& slot : *slots) out.push_back(slot.auth_key.public_key());
    return out;
}

// ---- circuits ----

void IntroPointSet::on_ready(CircuitRef circuit, std::uint64_t owner, TimePoint now) {
    for (auto& slot : intros_) {
        if (slot.id != owner) continue;
        // Step 1: ESTABLISH_INTRO, bound to this circuit's last hop.
        auto e =
            hs::make_establish_intro(slot.auth_key, *node_.last_hop_binding(circuit), node_.rng());
        node_.send_to_last_hop(
            circuit, RelayCell{RelayCommand::EstablishIntro, 0, hs::encode_establish_intro(e)});
        return;
    }
    node_.close_circuit(circuit, "introduction slot gone", now);
}

void IntroPointSet::on_cell(CircuitRef circuit, std::uint64_t owner, FromHop from, RelayCell& rc,
                            TimePoint now) {
    if (!from.last) {
        node_.close_circuit(circuit, "unexpected cell on a service circuit", now);
        return;
    }
    auto owned = [&](const IntroSlot& x) { return x.id == owner; };
    auto slot = std::find_if(intros_.begin(), intros_.end(), owned);
    // A retiring point still forwards introductions from contacts who
    // hold a descriptor naming it.
    const bool retiring = slot == intros_.end();
    if (retiring) {
        slot = std::find_if(retiring_.begin(), retiring_.end(), owned);
        if (slot == retiring_.end()) return;
    }
    if (rc.command == RelayCommand::IntroEstablished && !slot->established) {
        // Step 2: this point is up.
        slot->established = true;
        slot->established_at = now;
        count_up();
        // Every contact's descriptor must name the current set: publish
        // once all of it is up, not once per introduction point.
        if (stats_.intro_points_up == intros_.size()) all_up_(now);
        return;
    }
    if (rc.command == RelayCommand::Introduce2) {
        // Steps 12-13 are the responder's; an accepted introduction counts
        // towards this point's rotation.
        if (!responder_.handle_introduce2(slot->auth_key.public_key(), slot->enc_key, rc.data, now))
            return;
        if (++slot->introductions >= config_.intro_max_introductions && !retiring) rotate_at_ = now;
        return;
    }
}

void IntroPointSet::on_closed(CircuitRef circuit, std::uint64_t owner, const std::string&,
                              TimePoint now) {
    auto it = std::find_if(intros_.begin(), intros_.end(), [&](const IntroSlot& x) {
        return x.id == owner && x.circuit == circuit;
    });
    if (it == intros_.end()) {
        // A retiring point that went early is not replaced; one closed
        // on purpose is already gone from both lists.
        std::erase_if(retiring_,
                      [&](const IntroSlot& x) { return x.id == owner && x.circuit == circuit; });
        return;
    }
    // A lost introduction point is replaced by a new one with a new key;
    // descriptors are republished once it is up.
    intros_.erase(it);
    count_up();
    next_attempt_ = earliest(next_attempt_, now + Duration::seconds(1));
}

}  // namespace sotto::node
