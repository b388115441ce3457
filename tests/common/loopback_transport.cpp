#include "tests/common/loopback_transport.hpp"

#include <QTimer>
#include <algorithm>

namespace sotto::testing {

namespace {

bool same_credentials(const hs::ContactCredentials& a, const hs::ContactCredentials& b) {
    return a.client_key_id == b.client_key_id &&
           std::ranges::equal(a.cookie.view(), b.cookie.view());
}

}  // namespace

// ---------------------------------------------------------------- streams

std::pair<LoopbackStream*, LoopbackStream*> LoopbackStream::make_pair() {
    auto* a = new LoopbackStream();
    auto* b = new LoopbackStream();
    a->peer_ = b;
    b->peer_ = a;
    return {a, b};
}

LoopbackStream::~LoopbackStream() {
    // Deleting an open end is a crash or a dropped connection to the peer.
    if (open_ && peer_) peer_->peer_closed();
}

Status LoopbackStream::write(const QByteArray& data) {
    if (!open_) return fail(Errc::Io, "stream closed");
    QPointer<LoopbackStream> peer = peer_;
    if (!peer) return fail(Errc::Io, "stream closed");
    QMetaObject::invokeMethod(
        peer.data(),
        [peer, data] {
            if (peer && peer->open_) emit peer->dataReceived(data);
        },
        Qt::QueuedConnection);
    return {};
}

void LoopbackStream::close() {
    if (!open_) return;
    open_ = false;
    if (peer_) peer_->peer_closed();
}

void LoopbackStream::drop() {
    if (!open_) return;
    if (peer_) peer_->peer_closed();
    // Our own end hears of it too, like a broken connection (close() is the
    // owner's call and reports nothing; this is the network's).
    peer_closed();
}

void LoopbackStream::peer_closed() {
    QPointer<LoopbackStream> self = this;
    // Queued behind any data already in flight, so bytes written before a
    // close still arrive first.
    QMetaObject::invokeMethod(
        this,
        [self] {
            if (!self || !self->open_) return;
            self->open_ = false;
            emit self->closed(QStringLiteral("closed by peer"));
        },
        Qt::QueuedConnection);
}

// ---------------------------------------------------------------- service

LoopbackService::LoopbackService(LoopbackNetwork& network) : network_(network) {
    network_.services_.push_back(this);
}

LoopbackService::~LoopbackService() {
    std::erase(network_.services_, this);
}

Status LoopbackService::grant(hs::ContactId tag, hs::ContactGrant grant, bool hidden) {
    grants_[tag] = Grant{hs::credentials_for(grant), hidden};
    return {};
}

Status LoopbackService::revoke(hs::ContactId tag) {
    grants_.erase(tag);
    // Credentials stop working at once, and so do the streams they opened.
    auto [first, last] = streams_.equal_range(tag);
    std::vector<QPointer<LoopbackStream>> ends;
    for (auto it = first; it != last; ++it) ends.push_back(it->second);
    streams_.erase(first, last);
    for (auto& s : ends)
        if (s) s->drop();
    return {};
}

Status LoopbackService::hide(hs::ContactId tag, bool hidden) {
    auto it = grants_.find(tag);
    if (it == grants_.end()) return fail(Errc::NotFound, "no such grant");
    it->second.hidden = hidden;
    return {};
}

std::optional<hs::ContactId> LoopbackService::admits(const hs::ContactCredentials& c) const {
    if (!visible_) return std::nullopt;
    for (auto& [tag, g] : grants_)
        if (!g.hidden && same_credentials(g.credentials, c)) return tag;
    return std::nullopt;
}

void LoopbackService::accept(hs::ContactId tag, LoopbackStream* ours) {
    std::erase_if(streams_, [](auto& kv) { return kv.second.isNull(); });
    streams_.emplace(tag, ours);
    ++stats_.introductions_accepted;
    emit incomingStream(tag, ours);
}

// ---------------------------------------------------------------- client

Result<net::AttemptId> LoopbackClient::connect_to(const hs::ContactCredentials& credentials) {
    const net::AttemptId attempt = next_attempt_++;
    QPointer<LoopbackClient> self = this;
    // Decided later, on the event loop, like a real circuit would be.
    auto creds = std::make_shared<hs::ContactCredentials>(credentials.clone());
    QTimer::singleShot(0, this, [self, attempt, creds] {
        if (!self) return;
        for (auto* service : self->network_.services_) {
            auto tag = service->admits(*creds);
            if (!tag) continue;
            auto [client_end, service_end] = LoopbackStream::make_pair();
            service->accept(*tag, service_end);
            if (self)
                emit self->connected(attempt, client_end);
            else
                delete client_end;
            return;
        }
        emit self->unreachable(attempt, QStringLiteral("unreachable"));
    });
    return attempt;
}

}  // namespace sotto::testing
