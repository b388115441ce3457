#include "core/node/rendezvous_responder.hpp"

#include "core/hs/introduce_crypto.hpp"

namespace sotto::node {

using wire::RelayCell;
using wire::RelayCommand;

namespace {
constexpr Duration kPruneInterval = Duration::minutes(10);
// The reason given for circuits the service ends for a social action
// (revoke, hide, Invisible): neutral, since reasons reach the application
// and its logs.
constexpr const char* kServiceCircuitEnded = "closed by the service";
}  // namespace

RendezvousResponder::RendezvousResponder(NodeContext& node, const hs::ServiceConfig& config,
                                         const ServiceContacts& contacts, hs::ServiceStats& stats,
                                         TimePoint now)
    : node_(node),
      contacts_(contacts),
      stats_(stats),
      checks_(config.policy),
      next_prune_(now + kPruneInterval) {}

bool RendezvousResponder::handle_introduce2(const crypto::Ed25519PublicKey& auth_key,
                                            const crypto::X25519SecretKey& enc_key, ByteView body,
                                            TimePoint now) {
    // Step 12: the checks, before anything is built.
    auto verdict = checks_.check(body, auth_key, enc_key, contacts_.cookies, now);
    if (auto* dropped = std::get_if<hs::Dropped>(&verdict)) {
        // Silently: no answer, no circuit; counted per reason. A
        // rate-limited contact is reported so the user can revoke it.
        ++stats_.dropped(dropped->reason);
        // The drop names the contact: one lookup, whatever the number of
        // contacts (a flood must not cost O(contacts) per cell).
        if (dropped->reason == hs::DropReason::RateLimited && dropped->contact) {
            auto who = contacts_.by_key.find(*dropped->contact);
            if (who == contacts_.by_key.end()) return false;
            ++stats_.contacts_examined_for_flags;
            const auto v = checks_.violations(who->first);
            // Reported at 1, 2, 4, 8, ... refusals: the user hears of a
            // rogue contact at once without one event per dropped
            // introduction.
            auto& reported = flagged_[who->second];
            if (v > 0 && v >= 2 * reported) {
                reported = v;
                node_.emit(ContactFlagged{who->second, v});
            }
        }
        return false;
    }
    auto& accepted = std::get<hs::Accepted>(verdict);
    auto contact = contacts_.by_key.find(accepted.contact);
    if (contact == contacts_.by_key.end()) return false;
    ++stats_.introductions_accepted;
    // Step 13: a circuit to the client's rendezvous point.
    auto r = hs::service_rendezvous(accepted.introduce, auth_key, enc_key, node_.rng());
    if (!r) return true;
    const auto& p = accepted.introduce.payload;
    PathHop rp{p.rp_identity, p.rp_onion_key, p.rp_host, p.rp_port};
    auto circ = node_.launch_circuit(node_.path_to(rp, 3), *this, contact->second, now);
    if (!circ) return true;
    ++stats_.rendezvous_circuits;
    pending_[*circ] = contact->second;
    reply_[*circ] = {std::move(r->rendezvous1), std::move(r->service_keys)};
    return true;
}

void RendezvousResponder::on_ready(CircuitRef circuit, std::uint64_t, TimePoint now) {
    auto r = reply_.find(circuit);
    auto contact = pending_.find(circuit);
    if (r == reply_.end() || contact == pending_.end()) return;
    // Revoke, hide and Invisible close these circuits at once
    // (end_rendezvous); this only makes sure.
    if (!contacts_.serves(contact->second)) {
        node_.close_circuit(circuit, kServiceCircuitEnded, now);
        return;
    }
    // Step 13: RENDEZVOUS1 to the rendezvous point, and the client's end of
    // the joined path becomes a hop of this circuit.
    node_.send_to_last_hop(circuit, RelayCell{RelayCommand::Rendezvous1, 0, r->second.first});
    ++stats_.rendezvous_sent;
    if (!node_.circuits().join_end_to_end_hop(circuit, r->second.second)) {
        node_.close_circuit(circuit, "rendezvous key setup failed", now);
        return;
    }
    joined_[circuit] = contact->second;
    reply_.erase(r);
    pending_.erase(contact);
    node_.circuits().show_to_application(circuit);
}

void RendezvousResponder::on_cell(CircuitRef circuit, std::uint64_t, FromHop from, RelayCell& rc,
                                  TimePoint now) {
    if (from.last && rc.command == RelayCommand::Begin) {
        auto joined = joined_.find(circuit);
        if (joined == joined_.end() || rc.stream_id == 0 ||
            node_.stream_id_in_use(circuit, rc.stream_id))
            return;
        // A contact revoked or hidden from (or Invisible) gets no stream; the
        // circuit was closed then, this only makes sure.
        if (!contacts_.serves(joined->second)) {
            node_.close_circuit(circuit, kServiceCircuitEnded, now);
            return;
        }
        // From the virtual hop: the client's end of the joined path.
        const StreamRef stream = node_.accept_stream(circuit, rc.stream_id, from.index);
        node_.emit(IncomingStream{joined->second, stream, circuit});
        return;
    }
    node_.close_circuit(circuit, "unexpected cell on a service circuit", now);
}

void RendezvousResponder::on_closed(CircuitRef circuit, std::uint64_t, const std::string&,
                                    TimePoint) {
    pending_.erase(circuit);
    reply_.erase(circuit);
    joined_.erase(circuit);
}

void RendezvousResponder::end_rendezvous(std::optional<hs::ContactId> id, TimePoint now) {
    // Circuits still being built towards a rendezvous point (an INTRODUCE2
    // was accepted, RENDEZVOUS1 not sent yet) and circuits already joined:
    // none may carry anything for this contact (or, with no contact, for
    // anyone) from now on. Closed like a shutdown closes them.
    std::vector<CircuitRef> ends;
    for (const auto* m : {&pending_, &joined_})
        for (auto& [ref, cid] : *m)
            if (!id || cid == *id) ends.push_back(ref);
    for (auto ref : ends) {
        if (pending_.erase(ref) > 0) ++stats_.rendezvous_cancelled;
        reply_.erase(ref);
        node_.close_circuit(ref, kServiceCircuitEnded, now);
    }
}

void RendezvousResponder::forget_contact(const hs::ContactKey& key, hs::ContactId id) {
    checks_.forget_contact(key);
    flagged_.erase(id);
}

void RendezvousResponder::tick(TimePoint now) {
    if (next_prune_ <= now) {
        checks_.prune(now);
        next_prune_ = now + kPruneInterval;
    }
}

}  // namespace sotto::node
