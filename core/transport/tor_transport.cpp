#include "core/transport/tor_transport.hpp"

#include <algorithm>

namespace sotto::transport {

namespace {

// The SOCKS user name that keeps one contact's circuits apart from every
// other's (tor's IsolateSOCKSAuth, on by default). It never leaves this
// machine: our own tor reads it on our own Unix socket.
std::string isolation_for(const crypto::Ed25519PublicKey& service) {
    return "sotto-" + to_hex(service.view().first(16));
}

}  // namespace

// ---- service ----

Status TorTransport::grant(Tag tag, const Grant& grant, bool hidden, TimePoint now) {
    auto g = open_tor_grant(grant);
    if (!g) return std::unexpected(g.error());
    if (auto old = services_.find(tag); old != services_.end()) {
        take_down(tag, old->second);
        services_.erase(old);
    }
    auto& s = services_.emplace(tag, Service{std::move(*g), hidden}).first->second;
    reconcile(tag, s, now);
    return {};
}

Status TorTransport::revoke(Tag tag, TimePoint now) {
    (void)now;
    auto it = services_.find(tag);
    if (it == services_.end()) return fail(Errc::NotFound, "no such grant");
    take_down(tag, it->second);
    // An ADD_ONION still in flight is deleted when its answer comes
    // (on_onion_added finds no service for the tag).
    services_.erase(it);
    limiter_.forget(rate_key(tag));
    return {};
}

Status TorTransport::hide(Tag tag, bool hidden, TimePoint now) {
    auto it = services_.find(tag);
    if (it == services_.end()) return fail(Errc::NotFound, "no such grant");
    it->second.hidden = hidden;
    reconcile(tag, it->second, now);
    return {};
}

void TorTransport::set_visible(bool visible, TimePoint now) {
    visible_ = visible;
    for (auto& [tag, s] : services_) reconcile(tag, s, now);
}

void TorTransport::reconcile(Tag tag, Service& s, TimePoint now) {
    if (!should_publish(s)) {
        take_down(tag, s);
        return;
    }
    if (s.state == Publication::Down) {
        s.state = Publication::Listening;
        ask(tor_io::Listen{tag});
    }
    publish_next(now);
}

// Everything the contact could reach goes: the service, the socket it
// points at, and the connections tor would otherwise keep open.
void TorTransport::take_down(Tag tag, Service& s) {
    switch (s.state) {
        case Publication::Down:
        case Publication::Cancelling:
            return;
        case Publication::Up:
            ask(tor_io::DelOnion{s.service_id});
            s.service_id.clear();
            s.state = Publication::Down;
            break;
        case Publication::Adding:
            s.state = Publication::Cancelling;
            break;
        case Publication::Listening:
        case Publication::Queued:
            s.state = Publication::Down;
            break;
    }
    std::erase(publish_queue_, tag);
    if (!s.socket.empty()) {
        ask(tor_io::StopListening{tag});
        s.socket.clear();
    }
    close_streams_of(tag, "access ended");
}

void TorTransport::close_streams_of(Tag tag, const char* reason) {
    std::vector<ConnId> theirs;
    for (const auto& [conn, c] : conns_of_)
        if (c.tag == tag) theirs.push_back(conn);
    std::sort(theirs.begin(), theirs.end());
    for (auto conn : theirs) {
        conns_of_.erase(conn);
        ask(tor_io::Close{conn});
        report(StreamClosed{conn, reason});
    }
}

// One ADD_ONION at a time, each at least publish_spacing (plus jitter)
// after the one before, in the order the contacts became ready.
void TorTransport::publish_next(TimePoint now) {
    while (!publish_queue_.empty() && now >= next_publish_) {
        const Tag tag = publish_queue_.front();
        publish_queue_.pop_front();
        auto it = services_.find(tag);
        if (it == services_.end() || it->second.state != Publication::Queued) continue;
        auto& s = it->second;
        s.state = Publication::Adding;
        ask(tor_io::AddOnion{tag, SecretBytes(s.grant.service_key.seed()),
                             s.grant.client_auth.public_key(), "unix:" + s.socket,
                             config_.virtual_port});
        const auto jitter =
            config_.publish_jitter.us > 0
                ? rng_.uniform(static_cast<std::uint64_t>(config_.publish_jitter.us))
                : 0;
        next_publish_ = now + config_.publish_spacing + Duration{static_cast<std::int64_t>(jitter)};
    }
}

void TorTransport::on_listening(Tag tag, std::string path, TimePoint now) {
    auto it = services_.find(tag);
    if (it == services_.end() || it->second.state != Publication::Listening) {
        // Taken down while the socket was being made.
        ask(tor_io::StopListening{tag});
        return;
    }
    it->second.socket = std::move(path);
    it->second.state = Publication::Queued;
    publish_queue_.push_back(tag);
    publish_next(now);
}

void TorTransport::on_onion_added(Tag tag, std::string service_id, TimePoint now) {
    auto it = services_.find(tag);
    if (it == services_.end() || it->second.state != Publication::Adding) {
        ask(tor_io::DelOnion{std::move(service_id)});
        if (it != services_.end() && it->second.state == Publication::Cancelling) {
            it->second.state = Publication::Down;
            reconcile(tag, it->second, now);
        }
        return;
    }
    it->second.service_id = std::move(service_id);
    it->second.state = Publication::Up;
}

void TorTransport::on_onion_failed(Tag tag, const std::string&, TimePoint now) {
    auto it = services_.find(tag);
    if (it == services_.end()) return;
    auto& s = it->second;
    if (s.state == Publication::Cancelling) {
        s.state = Publication::Down;
        reconcile(tag, s, now);
        return;
    }
    if (s.state != Publication::Adding) return;
    // Tried again in its turn, behind every other contact waiting.
    s.state = Publication::Queued;
    publish_queue_.push_back(tag);
    publish_next(now);
}

void TorTransport::on_accepted(Tag tag, ConnId conn, TimePoint now) {
    auto it = services_.find(tag);
    if (it == services_.end() || !should_publish(it->second)) {
        ask(tor_io::Close{conn});
        return;
    }
    const auto key = rate_key(tag);
    if (!limiter_.allow(key, now)) {
        ask(tor_io::Close{conn});
        report(ContactFlagged{tag, limiter_.violations(key)});
        return;
    }
    conns_of_[conn] = Conn{.tag = tag};
    report(IncomingStream{tag, conn});
}

hs::ContactKey TorTransport::rate_key(Tag tag) const {
    std::array<std::uint8_t, 32> k{};
    for (int i = 0; i < 8; ++i)
        k[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(tag >> (8 * i));
    return hs::ContactKey::from(ByteView(k.data(), k.size()));
}

std::size_t TorTransport::published() const {
    return static_cast<std::size_t>(
        std::count_if(services_.begin(), services_.end(),
                      [](const auto& e) { return e.second.state == Publication::Up; }));
}

// ---- client ----

AttemptId TorTransport::connect(const Credential& credential, TimePoint now) {
    const AttemptId attempt = ++attempts_made_;
    auto c = open_tor_credential(credential);
    if (!c) {
        report(Unreachable{attempt, c.error().message});
        return attempt;
    }
    const std::string key = to_hex(c->service_key.view());
    if (!client_auth_.contains(key)) {
        client_auth_.insert(key);
        ask(tor_io::AddClientAuth{c->service_key, SecretBytes(c->client_auth.secret_bytes())});
    }
    const ConnId conn = next_conn();
    conns_of_[conn] = Conn{.attempt = attempt};
    attempts_[attempt] = Attempt{conn, now + config_.connect_timeout};
    ask(tor_io::Dial{conn, c->service_key, config_.virtual_port, isolation_for(c->service_key)});
    return attempt;
}

void TorTransport::fail_attempt(AttemptId attempt, const std::string& reason) {
    auto it = attempts_.find(attempt);
    if (it == attempts_.end()) return;
    conns_of_.erase(it->second.conn);
    attempts_.erase(it);
    report(Unreachable{attempt, reason});
}

void TorTransport::on_dialled(ConnId conn, TimePoint) {
    auto it = conns_of_.find(conn);
    if (it == conns_of_.end() || !it->second.attempt) {
        ask(tor_io::Close{conn});
        return;
    }
    const AttemptId attempt = *it->second.attempt;
    it->second.attempt.reset();
    attempts_.erase(attempt);
    report(Connected{attempt, conn});
}

void TorTransport::on_dial_failed(ConnId conn, const std::string& reason, TimePoint) {
    auto it = conns_of_.find(conn);
    if (it == conns_of_.end() || !it->second.attempt) return;
    fail_attempt(*it->second.attempt, reason);
}

// ---- streams ----

Status TorTransport::send(StreamId stream, ByteView data, TimePoint) {
    auto it = conns_of_.find(stream);
    if (it == conns_of_.end() || it->second.attempt) return fail(Errc::NotFound, "no such stream");
    auto& c = it->second;
    if (c.pending + data.size() > config_.stream_buffer) {
        c.want_writable = true;
        return fail(Errc::Limit, "stream buffer full");
    }
    c.pending += data.size();
    ask(tor_io::Write{stream, Bytes(data.begin(), data.end())});
    return {};
}

std::size_t TorTransport::pending(StreamId stream) const {
    auto it = conns_of_.find(stream);
    return it == conns_of_.end() ? 0 : it->second.pending;
}

void TorTransport::close(StreamId stream, TimePoint) {
    auto it = conns_of_.find(stream);
    if (it == conns_of_.end()) return;
    if (it->second.attempt) attempts_.erase(*it->second.attempt);
    conns_of_.erase(it);
    ask(tor_io::Close{stream});
}

void TorTransport::on_data(ConnId conn, ByteView data, TimePoint) {
    auto it = conns_of_.find(conn);
    if (it == conns_of_.end() || it->second.attempt) return;
    report(StreamData{conn, Bytes(data.begin(), data.end())});
}

void TorTransport::on_written(ConnId conn, std::size_t bytes, TimePoint) {
    auto it = conns_of_.find(conn);
    if (it == conns_of_.end()) return;
    auto& c = it->second;
    c.pending -= std::min(bytes, c.pending);
    if (c.want_writable && c.pending <= config_.stream_buffer / 2) {
        c.want_writable = false;
        report(StreamWritable{conn});
    }
}

void TorTransport::on_closed(ConnId conn, const std::string& reason, TimePoint) {
    auto it = conns_of_.find(conn);
    if (it == conns_of_.end()) return;
    if (it->second.attempt) {
        fail_attempt(*it->second.attempt, reason);
        return;
    }
    conns_of_.erase(it);
    report(StreamClosed{conn, reason});
}

void TorTransport::on_tor_restarted(TimePoint now) {
    client_auth_.clear();
    std::vector<AttemptId> in_flight;
    for (const auto& [attempt, a] : attempts_) in_flight.push_back(attempt);
    std::sort(in_flight.begin(), in_flight.end());
    for (auto attempt : in_flight) fail_attempt(attempt, "tor restarted");
    // Our sockets are ours, not tor's: they stay, and the services that
    // were up or on their way are published again in turn.
    for (auto& [tag, s] : services_) {
        if (s.state == Publication::Up || s.state == Publication::Adding) {
            s.service_id.clear();
            s.state = Publication::Queued;
            publish_queue_.push_back(tag);
        } else if (s.state == Publication::Cancelling) {
            s.state = Publication::Down;
            reconcile(tag, s, now);
        }
    }
    publish_next(now);
}

// ---- time and output ----

void TorTransport::tick(TimePoint now) {
    std::vector<AttemptId> late;
    for (const auto& [attempt, a] : attempts_)
        if (now >= a.deadline) late.push_back(attempt);
    std::sort(late.begin(), late.end());
    for (auto attempt : late) {
        ask(tor_io::Close{attempts_[attempt].conn});
        fail_attempt(attempt, "timed out");
    }
    publish_next(now);
}

TimePoint TorTransport::next_deadline() const {
    TimePoint next = TimePoint::never();
    for (const auto& [attempt, a] : attempts_) next = std::min(next, a.deadline);
    if (!publish_queue_.empty()) next = std::min(next, next_publish_);
    return next;
}

std::vector<Event> TorTransport::take_events() {
    return std::exchange(events_, {});
}
std::vector<TorIo> TorTransport::take_io() {
    return std::exchange(io_, {});
}

}  // namespace sotto::transport
