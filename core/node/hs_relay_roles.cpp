// The relay's part in the private-service protocol (paper Fig. 3):
// HSDir (steps 3-4, 6-7: store and serve descriptors after verifying them,
// 4.3), introduction point (steps 1-2, 10-12: knows a service only by a
// per-establishment key IK_i, 4.1) and rendezvous point (steps 8-9, 13-14:
// single-use cookies, then joins the two circuits).
#include "core/hs/hsdir_messages.hpp"
#include "core/node/node_impl.hpp"

namespace sotto::node {

using wire::RelayCell;
using wire::RelayCommand;

bool Node::Impl::hs_relay_cell(RelayCircuit& c, RelayCell& rc, TimePoint now) {
    const bool role = config.relay && config.relay->intro_rend;
    switch (rc.command) {
        case RelayCommand::EstablishIntro: {
            auto e = hs::decode_establish_intro(rc.data);
            if (!role || !e || !hs::check_establish_intro_binding(*e, c.binding) ||
                c.next != RelayCircuit::Next::None) {
                relay_destroy(c, wire::DestroyReason::Protocol, true, true);
                return true;
            }
            const auto id = hs::auth_key_id(e->auth_key);
            if (c.intro_key) hs_relay.intro_circuits.erase(*c.intro_key);
            // A newer establishment for the same key replaces the old one.
            if (auto old = hs_relay.intro_circuits.find(id); old != hs_relay.intro_circuits.end())
                if (auto oc = relay_circuits.find(old->second); oc != relay_circuits.end())
                    oc->second.intro_key.reset();
            hs_relay.intro_circuits[id] = c.key;
            c.intro_key = id;
            relay_send_back(
                c, RelayCell{RelayCommand::IntroEstablished, 0, hs::encode_intro_established()});
            return true;
        }
        case RelayCommand::Introduce1: {
            auto m = hs::decode_introduce(rc.data);
            if (!m) {
                relay_destroy(c, wire::DestroyReason::Protocol, true, true);
                return true;
            }
            // The same acknowledgement for every well-formed INTRODUCE1, sent
            // before the key is even looked up: whether this point holds a
            // circuit for the key must not show. Answering "unknown auth key"
            // told whoever held a current IK_i (a stranger handed it, a
            // revoked or hidden contact) that the service's introduction
            // circuits were up. The client learns whether its introduction
            // worked only from a RENDEZVOUS2, which it waits for a bounded
            // time (ClientConfig::intro_wait).
            relay_send_back(c,
                            RelayCell{RelayCommand::IntroduceAck, 0,
                                      hs::encode_introduce_ack(hs::IntroduceAckStatus::Forwarded)});
            auto it = hs_relay.intro_circuits.find(m->auth_key_id);
            auto service = it == hs_relay.intro_circuits.end() ? relay_circuits.end()
                                                               : relay_circuits.find(it->second);
            if (service == relay_circuits.end()) {
                // No circuit for this key (never was, or rotated away):
                // dropped silently, like a request the service drops.
                ++hs_relay.introductions_unknown;
                return true;
            }
            ++hs_relay.introductions_forwarded;
            relay_send_back(service->second, RelayCell{RelayCommand::Introduce2, 0, rc.data});
            if (config.misbehaviour.replay_introductions)
                relay_send_back(service->second, RelayCell{RelayCommand::Introduce2, 0, rc.data});
            return true;
        }
        case RelayCommand::EstablishRendezvous: {
            auto cookie = hs::decode_establish_rendezvous(rc.data);
            if (!role || !cookie || c.rend_cookie || c.splice != 0 ||
                hs_relay.rendezvous.contains(*cookie)) {
                relay_destroy(c, wire::DestroyReason::Protocol, true, true);
                return true;
            }
            hs_relay.rendezvous[*cookie] = {c.key, now + hs_relay.rendezvous_timeout};
            c.rend_cookie = *cookie;
            schedule_housekeeping(now);
            relay_send_back(c, RelayCell{RelayCommand::RendezvousEstablished, 0,
                                         hs::encode_rendezvous_established()});
            return true;
        }
        case RelayCommand::Rendezvous1: {
            auto m = hs::decode_rendezvous1(rc.data);
            auto it = m ? hs_relay.rendezvous.find(m->cookie) : hs_relay.rendezvous.end();
            auto client = it == hs_relay.rendezvous.end() ? relay_circuits.end()
                                                          : relay_circuits.find(it->second.first);
            if (client == relay_circuits.end() || client->second.key == c.key) {
                relay_destroy(c, wire::DestroyReason::Protocol, true, true);
                return true;
            }
            // Single use: the cookie is gone before anything else happens.
            hs_relay.rendezvous.erase(it);
            client->second.rend_cookie.reset();
            relay_send_back(client->second, RelayCell{RelayCommand::Rendezvous2, 0,
                                                      hs::encode_rendezvous2(m->reply)});
            client->second.splice = c.key;
            c.splice = client->second.key;
            return true;
        }
        default:
            return false;
    }
}

void Node::Impl::hs_relay_circuit_gone(std::uint64_t key) {
    auto it = relay_circuits.find(key);
    if (it == relay_circuits.end()) return;
    if (auto& k = it->second.intro_key) {
        auto ic = hs_relay.intro_circuits.find(*k);
        if (ic != hs_relay.intro_circuits.end() && ic->second == key)
            hs_relay.intro_circuits.erase(ic);
    }
    if (auto& k = it->second.rend_cookie) hs_relay.rendezvous.erase(*k);
}

void Node::Impl::hs_relay_timeouts(TimePoint now) {
    std::vector<std::uint64_t> late;
    for (auto& [cookie, entry] : hs_relay.rendezvous)
        if (entry.second <= now) late.push_back(entry.first);
    for (auto key : late)
        if (auto c = relay_circuits.find(key); c != relay_circuits.end())
            relay_destroy(c->second, wire::DestroyReason::Timeout, true, true);
    hs_relay.store.expire(now);
}

std::optional<std::string> Node::Impl::hs_upload_quota(RelayCircuit& via, std::size_t bytes,
                                                       TimePoint now) {
    const auto& lim = config.limits;
    if (++via.hsdir_posts > lim.hsdir_posts_per_circuit)
        return "too many uploads on this circuit; use a new circuit";
    auto* l = link(via.prev_link);
    if (l == nullptr) return std::nullopt;
    const double elapsed = static_cast<double>((now - l->hsdir_tokens_at).us) / 1e6;
    const double tokens =
        l->hsdir_tokens ? std::min(lim.hsdir_link_burst_bytes,
                                   *l->hsdir_tokens + elapsed * lim.hsdir_link_bytes_per_second)
                        : lim.hsdir_link_burst_bytes;
    l->hsdir_tokens_at = now;
    l->hsdir_tokens = tokens;
    const auto need = static_cast<double>(bytes);
    if (tokens < need) return "upload rate limit reached on this link; try again later";
    l->hsdir_tokens = tokens - need;
    return std::nullopt;
}

std::optional<Bytes> Node::Impl::hs_serve_dir(ByteView body, TimePoint now, RelayCircuit* via) {
    if (!hs::is_hsdir_request(body)) return std::nullopt;
    hs::HsDirResponse resp;
    auto req = hs::decode_hsdir_request(body);
    const bool changes_store = req && !std::holds_alternative<hs::GetHsDescriptor>(*req);
    std::optional<std::string> over_quota;
    if (req && via && changes_store && config.relay && config.relay->hsdir)
        over_quota = hs_upload_quota(*via, body.size(), now);
    // Charged to the link the circuit arrived on; each link is one source.
    const hs::UploadSource source = via ? hs::UploadSource{via->prev_link} : hs::kLocalUpload;
    if (!req) {
        resp.status = hs::HsDirStatus::Malformed;
        resp.message = req.error().message;
    } else if (!config.relay || !config.relay->hsdir) {
        resp.status = hs::HsDirStatus::Rejected;
        resp.message = "this relay is not an HSDir";
    } else if (over_quota) {
        ++hs_relay.uploads_over_quota;
        resp.status = hs::HsDirStatus::Rejected;
        resp.message = *over_quota;
    } else if (auto* post = std::get_if<hs::PostHsDescriptor>(&*req)) {
        if (auto s = hs_relay.store.store(post->id, post->descriptor, now, source); !s) {
            resp.status = hs::HsDirStatus::Rejected;
            resp.message = s.error().message;
        } else if (config.misbehaviour.record_hsdir_uploads) {
            hs_relay.upload_log.push_back({post->id, now});
        }
    } else if (auto* get = std::get_if<hs::GetHsDescriptor>(&*req)) {
        if (const Bytes* d = hs_relay.store.fetch(get->id, now)) {
            resp.descriptor = *d;
        } else {
            resp.status = hs::HsDirStatus::NotFound;
            resp.message = "no descriptor under this id";
        }
    } else if (auto* w = std::get_if<hs::WithdrawHsDescriptor>(&*req)) {
        if (auto s = hs_relay.store.withdraw(w->withdrawal, now); !s) {
            resp.status = s.error().code == Errc::NotFound ? hs::HsDirStatus::NotFound
                                                           : hs::HsDirStatus::Rejected;
            resp.message = s.error().message;
        }
    }
    if (resp.message.size() > 200) resp.message.resize(200);
    return hs::encode_hsdir_response(resp);
}

const std::vector<std::pair<hs::DescriptorId, TimePoint>>& Node::hsdir_upload_log() const {
    return impl_->hs_relay.upload_log;
}

std::vector<hs::AuthKeyId> Node::intro_point_keys() const {
    std::vector<hs::AuthKeyId> out;
    for (auto& [id, circuit] : impl_->hs_relay.intro_circuits) out.push_back(id);
    return out;
}

Bytes Node::serve_hsdir_request(ByteView request, TimePoint now) {
    impl_->last_now = now;
    auto r = impl_->hs_serve_dir(request, now);
    return r ? *r : Bytes{};
}

}  // namespace sotto::node
