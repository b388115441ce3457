#include "tests/common/loopback_transport.hpp"

#include <algorithm>

namespace sotto::testing {

LoopbackTransport::LoopbackTransport(LoopbackNetwork& network) : network_(network) {
    network_.services_.push_back(this);
}

LoopbackTransport::~LoopbackTransport() {
    std::erase(network_.services_, this);
    // Deleting an endpoint is a crash or a dropped connection to its peers.
    for (auto& [id, end] : ends_) end.peer->peer_closed(end.peer_stream);
}

void LoopbackTransport::post(transport::Event e, bool wake) {
    events_.push_back(std::move(e));
    if (wake && wake_) wake_();
}

Status LoopbackTransport::grant(transport::Tag tag, const transport::Grant& grant, bool hidden,
                                TimePoint) {
    auto cred = transport::credential_for(grant);
    if (!cred) return std::unexpected(cred.error());
    grants_[tag] = Granted{std::move(*cred), hidden};
    return {};
}

Status LoopbackTransport::revoke(transport::Tag tag, TimePoint) {
    grants_.erase(tag);
    // The credential stops working at once, and so do the streams it opened.
    std::vector<transport::StreamId> theirs;
    for (auto& [id, end] : ends_)
        if (end.tag == tag) theirs.push_back(id);
    for (auto id : theirs) {
        End end = ends_.at(id);
        ends_.erase(id);
        end.peer->peer_closed(end.peer_stream);
        post(transport::StreamClosed{id, "access revoked"}, false);
    }
    return {};
}

Status LoopbackTransport::hide(transport::Tag tag, bool hidden, TimePoint) {
    auto it = grants_.find(tag);
    if (it == grants_.end()) return fail(Errc::NotFound, "no such grant");
    it->second.hidden = hidden;
    return {};
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
                                                TimePoint) {
    const auto attempt = next_attempt_++;
    for (auto* service : network_.services_) {
        auto tag = service->admits(credential);
        if (!tag) continue;
        // Both ends first, then each hears of its own.
        const auto ours = open_end(service, 0, std::nullopt);
        const auto theirs = service->open_end(this, ours, tag);
        ends_.at(ours).peer_stream = theirs;
        ++service->introductions_;
        service->post(transport::IncomingStream{*tag, theirs}, service != this);
        post(transport::Connected{attempt, ours}, false);
        return attempt;
    }
    post(transport::Unreachable{attempt, "unreachable"}, false);
    return attempt;
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
    auto* peer = end.peer;
    peer->post(transport::StreamData{end.peer_stream, Bytes(data.begin(), data.end())},
               peer != this);
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
    auto it = ends_.find(stream);
    if (it == ends_.end()) return;
    const End end = it->second;
    ends_.erase(it);
    end.peer->peer_closed(end.peer_stream);
}

void LoopbackTransport::peer_closed(transport::StreamId stream) {
    if (ends_.erase(stream) == 0) return;
    // Queued behind any data already in flight, so bytes written before a
    // close still arrive first.
    post(transport::StreamClosed{stream, "closed by peer"}, true);
}

std::vector<transport::Event> LoopbackTransport::take_events() {
    return std::exchange(events_, {});
}

LoopbackAdapter::LoopbackAdapter(LoopbackNetwork& network) : transport_(network) {
    transport_.set_wake([this] {
        if (woken_) return;
        woken_ = true;
        QMetaObject::invokeMethod(
            this,
            [this] {
                woken_ = false;
                emit activity();
            },
            Qt::QueuedConnection);
    });
    set_ready();
}

}  // namespace sotto::testing
