// The node's wiring of its private-service relay roles (paper Fig. 3):
// HsdirRole (steps 3-4, 6-7), IntroPointRole (steps 1-2, 10-12) and
// RendezvousPointRole (steps 8-9, 13-14) hear the relay commands addressed
// to this hop from here; the HSDir's upload quotas are charged to the link
// the request came on.
#include "core/node/node_impl.hpp"

namespace sotto::node {

using wire::RelayCell;
using wire::RelayCommand;

bool Node::Impl::hs_relay_cell(RelayCircuit& c, RelayCell& rc, TimePoint now) {
    switch (rc.command) {
        case RelayCommand::EstablishIntro:
            intro_point.establish_intro(c.key, rc.data);
            return true;
        case RelayCommand::Introduce1:
            intro_point.introduce1(c.key, rc.data);
            return true;
        case RelayCommand::EstablishRendezvous:
            rendezvous_point.establish_rendezvous(c.key, rc.data, now);
            return true;
        case RelayCommand::Rendezvous1:
            rendezvous_point.rendezvous1(c.key, rc.data);
            return true;
        default:
            return false;
    }
}

void Node::Impl::hs_relay_circuit_gone(std::uint64_t key) {
    intro_point.circuit_gone(key);
    rendezvous_point.circuit_gone(key);
}

void Node::Impl::hs_relay_timeouts(TimePoint now) {
    rendezvous_point.timeouts(now);
    hsdir.store().expire(now);
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
    if (via == nullptr) return hsdir.serve(body, now, std::nullopt, {});
    return hsdir.serve(body, now, via->prev_link,
                       [&](std::size_t bytes) { return hs_upload_quota(*via, bytes, now); });
}

const std::vector<std::pair<hs::DescriptorId, TimePoint>>& Node::hsdir_upload_log() const {
    return impl_->hsdir.upload_log();
}

std::vector<hs::AuthKeyId> Node::intro_point_keys() const {
    return impl_->intro_point.keys();
}

Bytes Node::serve_hsdir_request(ByteView request, TimePoint now) {
    impl_->last_now = now;
    auto r = impl_->hs_serve_dir(request, now);
    return r ? *r : Bytes{};
}

}  // namespace sotto::node
