#include "tests/common/loopback_transport.hpp"

#include <algorithm>

namespace sotto::testing {

LoopbackTransport::LoopbackTransport(LoopbackNetwork& network) : network_(network) {
    network_.services_.push_back(this);
}

LoopbackTransport::~LoopbackTransport() {
    network_.leave(*this);
    // Deleting an endpoint is a crash or a dropped connection to its peers.
    for (auto& [id, end] : ends_)
        if (end.peer) end.peer->peer_closed(end.peer_stream, nullptr);
}

void LoopbackTransport::vanish() {
    network_.leave(*this);
    for (auto& [id, end] : ends_)
        if (end.peer) end.peer->peer_vanished(end.peer_stream);
    ends_.clear();
    grants_.clear();
    events_.clear();
}

void LoopbackTransport::observed(const std::string& call) {
    if (network_.observer_.service) network_.observer_.service(*this, call);
}

Status LoopbackTransport::grant(transport::Tag tag, const transport::Grant& grant, bool hidden,
                                TimePoint) {
    observed("grant " + std::to_string(tag));
    auto cred = transport::credential_for(grant);
    if (!cred) return std::unexpected(cred.error());
    grants_[tag] = Granted{std::move(*cred), hidden};
    return {};
}

Status LoopbackTransport::revoke(transport::Tag tag, TimePoint) {
    observed("revoke " + std::to_string(tag));
    grants_.erase(tag);
    // The credential stops working at once, and so do the streams it opened.
    end_service_streams([tag](transport::Tag t) { return t == tag; }, "access revoked");
    return {};
}

Status LoopbackTransport::hide(transport::Tag tag, bool hidden, TimePoint) {
    observed("hide " + std::to_string(tag) + " " + std::to_string(hidden));
    auto it = grants_.find(tag);
    if (it == grants_.end()) return fail(Errc::NotFound, "no such grant");
    it->second.hidden = hidden;
    // As the onion service ends its rendezvous circuits for the contact.
    if (hidden) end_service_streams([tag](transport::Tag t) { return t == tag; }, "hidden");
    return {};
}

void LoopbackTransport::set_visible(bool visible, TimePoint) {
    observed("visible " + std::to_string(visible));
    if (visible_ && !visible) end_service_streams([](transport::Tag) { return true; }, "hidden");
    visible_ = visible;
}

void LoopbackTransport::end_service_streams(const std::function<bool(transport::Tag)>& which,
                                            const std::string& reason) {
    std::vector<transport::StreamId> theirs;
    for (auto& [id, end] : ends_)
        if (end.tag && which(*end.tag)) theirs.push_back(id);
    for (auto id : theirs) {
        drop_end(id);
        post(transport::StreamClosed{id, reason}, false);
    }
}

const LoopbackTransport::Granted* LoopbackTransport::granted(transport::Tag tag) const {
    auto it = grants_.find(tag);
    return it == grants_.end() ? nullptr : &it->second;
}

std::size_t LoopbackTransport::streams_to(const LoopbackTransport& other) const {
    return static_cast<std::size_t>(std::count_if(
        ends_.begin(), ends_.end(), [&](const auto& e) { return e.second.peer == &other; }));
}

std::optional<transport::Tag> LoopbackTransport::admits(const transport::Credential& c) const {
    if (!visible_) return std::nullopt;
    for (auto& [tag, g] : grants_)
        if (!g.hidden && g.credential.transport == c.transport &&
            ct_equal(g.credential.bytes.view(), c.bytes.view()))
            return tag;
    return std::nullopt;
}

transport::StreamId LoopbackTransport::open_end(LoopbackTransport* peer,
                                                transport::StreamId peer_stream,
                                                std::optional<transport::Tag> tag) {
    const auto id = next_stream_++;
    ends_[id] = End{peer, peer_stream, tag};
    return id;
}

transport::AttemptId LoopbackTransport::connect(const transport::Credential& credential,
                                                TimePoint now) {
    const auto attempt = next_attempt_++;
    if (network_.delivery_ == LoopbackNetwork::Delivery::Queued)
        network_.queue_.push_back({this, this, LoopbackNetwork::Dial{attempt, credential.clone()}});
    else
        dial(attempt, credential, now);
    return attempt;
}

void LoopbackTransport::dial(transport::AttemptId attempt, const transport::Credential& credential,
                             TimePoint now) {
    // Decided later than the call (Delivery::Queued): wake our owner too.
    const bool later = network_.delivery_ == LoopbackNetwork::Delivery::Queued;
    LoopbackTransport* service = nullptr;
    std::optional<transport::Tag> tag;
    for (auto* s : network_.services_)
        if ((tag = s->admits(credential))) {
            service = s;
            break;
        }
    if (network_.observer_.connect) network_.observer_.connect(*this, credential, service, now);
    if (!service) {
        post(transport::Unreachable{attempt, "unreachable"}, later);
        return;
    }
    // Both ends first, then each hears of its own.
    const auto ours = open_end(service, 0, std::nullopt);
    const auto theirs = service->open_end(this, ours, tag);
    ends_.at(ours).peer_stream = theirs;
    ++service->introductions_;
    service->post(transport::IncomingStream{*tag, theirs}, later || service != this);
    post(transport::Connected{attempt, ours}, later);
}

Status LoopbackTransport::send(transport::StreamId stream, ByteView data, TimePoint) {
    auto it = ends_.find(stream);
    if (it == ends_.end()) return fail(Errc::Io, "stream closed");
    auto& end = it->second;
    if (capacity_ && end.in_flight + data.size() > *capacity_) {
        end.refused = true;
        ++refused_;
        return fail(Errc::Limit, "stream buffer full");
    }
    end.in_flight += data.size();
    if (!end.peer) return {};  // half-open: the bytes go nowhere
    if (network_.observer_.send) network_.observer_.send(*this, *end.peer, data.size());
    network_.carry(this, *end.peer,
                   transport::StreamData{end.peer_stream, Bytes(data.begin(), data.end())});
    return {};
}

std::size_t LoopbackTransport::pending(transport::StreamId stream) const {
    auto it = ends_.find(stream);
    return it == ends_.end() ? 0 : it->second.in_flight;
}

void LoopbackTransport::drain() {
    for (auto& [id, end] : ends_) {
        end.in_flight = 0;
        if (std::exchange(end.refused, false)) post(transport::StreamWritable{id}, true);
    }
}

void LoopbackTransport::close(transport::StreamId stream, TimePoint) {
    drop_end(stream);
}

void LoopbackTransport::drop_end(transport::StreamId id) {
    auto it = ends_.find(id);
    if (it == ends_.end()) return;
    const End end = it->second;
    ends_.erase(it);
    if (end.peer) end.peer->peer_closed(end.peer_stream, this);
}

void LoopbackTransport::peer_closed(transport::StreamId stream, LoopbackTransport* by) {
    if (ends_.erase(stream) == 0) return;
    // Carried behind any data already on its way, so bytes written before a
    // close still arrive first.
    network_.carry(by, *this, transport::StreamClosed{stream, "closed by peer"});
}

void LoopbackTransport::peer_vanished(transport::StreamId stream) {
    if (auto it = ends_.find(stream); it != ends_.end()) it->second.peer = nullptr;
}

std::vector<transport::Event> LoopbackTransport::take_events() {
    return std::exchange(events_, {});
}

void LoopbackNetwork::carry(LoopbackTransport* from, LoopbackTransport& to,
                            transport::Event event) {
    if (delivery_ == Delivery::Queued)
        queue_.push_back({from, &to, std::move(event)});
    else
        to.post(std::move(event), from != &to);
}

bool LoopbackNetwork::deliver_one(TimePoint now) {
    if (queue_.empty()) return false;
    Item item = std::move(queue_.front());
    queue_.pop_front();
    if (auto* d = std::get_if<Dial>(&item.what))
        item.to->dial(d->attempt, d->credential, now);
    else
        item.to->post(std::move(std::get<transport::Event>(item.what)), true);
    return true;
}

void LoopbackNetwork::leave(LoopbackTransport& endpoint) {
    std::erase(services_, &endpoint);
    // Nothing more reaches it, and what it sent is lost with it — but for its
    // closes: its peers still see those streams end.
    std::erase_if(queue_, [&](const Item& i) {
        const auto* e = std::get_if<transport::Event>(&i.what);
        return i.to == &endpoint ||
               (i.from == &endpoint && !(e && std::holds_alternative<transport::StreamClosed>(*e)));
    });
    for (auto& i : queue_)
        if (i.from == &endpoint) i.from = nullptr;
}

}  // namespace sotto::testing
