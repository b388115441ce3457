#include "core/messenger/messenger_host.hpp"

namespace sotto::messenger {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};

}  // namespace

MessengerHost::MessengerHost(store::MessengerStore& store, Rng& rng,
                             std::vector<transport::Transport*> transports, MessengerConfig config)
    : engine_(store, rng, std::move(config)), transports_(std::move(transports)) {}

MessengerHost::~MessengerHost() {
    for (auto& [id, r] : routes_) transports_[r.transport]->close(r.stream, last_now_);
}

void MessengerHost::start(TimePoint now) {
    engine_.start(now);
    pump(now);
}

void MessengerHost::pump(TimePoint now, const std::function<void()>& after_round) {
    last_now_ = now;
    if (pumping_) {
        again_ = true;
        return;
    }
    pumping_ = true;
    do {
        again_ = false;
        run_until_quiet(now);
        if (after_round) after_round();
    } while (again_);
    pumping_ = false;
}

void MessengerHost::run_until_quiet(TimePoint now) {
    for (;;) {
        bool busy = false;
        for (auto& a : engine_.take_actions()) {
            busy = true;
            execute(a, now);
        }
        for (std::size_t t = 0; t < transports_.size(); ++t)
            for (auto& e : transports_[t]->take_events()) {
                busy = true;
                on_event(t, e, now);
            }
        for (auto& e : engine_.take_events()) events_.push_back(std::move(e));
        if (!busy) break;
    }
}

void MessengerHost::tick(TimePoint now) {
    for (auto* t : transports_) t->tick(now);
    engine_.tick(now);
    pump(now);
}

TimePoint MessengerHost::next_deadline() const {
    TimePoint at = engine_.next_deadline();
    for (auto* t : transports_) at = std::min(at, t->next_deadline());
    return at;
}

std::vector<Event> MessengerHost::take_events() {
    return std::exchange(events_, {});
}

std::optional<std::size_t> MessengerHost::transport_of(transport::TransportKind kind) const {
    for (std::size_t t = 0; t < transports_.size(); ++t)
        if (transports_[t]->kind() == kind) return t;
    return std::nullopt;
}

StreamId MessengerHost::adopt(std::size_t t, transport::StreamId stream) {
    const StreamId id = next_stream_++;
    routes_[id] = Route{t, stream};
    by_transport_[{t, stream}] = id;
    return id;
}

void MessengerHost::execute(Action& action, TimePoint now) {
    std::visit(Overloaded{
                   [&](GrantAccess& g) {
                       for (auto& grant : g.grants) {
                           auto t = transport_of(grant.transport);
                           if (!t) continue;  // a transport this profile no longer runs
                           if (auto r = transports_[*t]->grant(g.tag, grant, g.hidden, now); !r)
                               events_.emplace_back(
                                   std::in_place_type<StorageFailed>,
                                   "could not publish a contact's access: " + r.error().message);
                       }
                   },
                   [&](RevokeAccess& r) {
                       for (auto* t : transports_) (void)t->revoke(r.tag, now);
                   },
                   [&](HideAccess& h) {
                       for (auto* t : transports_) (void)t->hide(h.tag, h.hidden, now);
                   },
                   [&](SetServiceVisible& v) {
                       for (auto* t : transports_) t->set_visible(v.visible, now);
                   },
                   [&](Connect& c) {
                       for (const auto& cred : c.credentials)
                           if (auto t = transport_of(cred.transport)) {
                               const auto attempt = transports_[*t]->connect(cred, now);
                               attempts_[{*t, attempt}] = c.contact;
                               return;
                           }
                       // No transport in common: as unreachable as an offline contact.
                       engine_.connect_failed(c.contact, now);
                   },
                   [&](Send& s) {
                       auto it = routes_.find(s.stream);
                       if (it == routes_.end()) return;
                       send_or_wait(s.stream, it->second, std::move(s.data), now);
                   },
                   [&](Close& c) {
                       auto it = routes_.find(c.stream);
                       if (it == routes_.end()) return;
                       const Route r = it->second;
                       transports_[r.transport]->close(r.stream, now);
                       by_transport_.erase({r.transport, r.stream});
                       routes_.erase(it);
                   },
               },
               action);
}

void MessengerHost::send_or_wait(StreamId id, Route& r, Bytes data, TimePoint now) {
    if (r.waiting.empty()) {
        auto sent = transports_[r.transport]->send(r.stream, data, now);
        if (sent) return;
        if (sent.error().code != Errc::Limit) return drop_route(id, now);
        engine_.stream_blocked(id);
    }
    // A bound the engine's own limits keep it far below (its whole outbox
    // is smaller): reaching it means the other side stopped reading.
    if (r.waiting_bytes + data.size() > engine_.config().stream_wait_limit)
        return drop_route(id, now);
    r.waiting_bytes += data.size();
    r.waiting.push_back(std::move(data));
}

void MessengerHost::drain(StreamId id, TimePoint now) {
    auto it = routes_.find(id);
    if (it == routes_.end()) return;
    Route& r = it->second;
    while (!r.waiting.empty()) {
        auto sent = transports_[r.transport]->send(r.stream, r.waiting.front(), now);
        if (!sent) {
            // Full again: another StreamWritable follows.
            if (sent.error().code == Errc::Limit) return;
            drop_route(id, now);
            return;
        }
        r.waiting_bytes -= r.waiting.front().size();
        r.waiting.pop_front();
    }
    engine_.stream_writable(id, now);
}

void MessengerHost::drop_route(StreamId id, TimePoint now) {
    auto it = routes_.find(id);
    if (it == routes_.end()) return;
    const Route& r = it->second;
    transports_[r.transport]->close(r.stream, now);
    by_transport_.erase({r.transport, r.stream});
    routes_.erase(it);
    engine_.stream_closed(id, now);
}

void MessengerHost::on_event(std::size_t t, transport::Event& event, TimePoint now) {
    auto stream_of = [&](transport::StreamId s) -> std::optional<StreamId> {
        auto it = by_transport_.find({t, s});
        if (it == by_transport_.end()) return std::nullopt;
        return it->second;
    };
    std::visit(Overloaded{
                   [&](transport::IncomingStream& e) {
                       engine_.stream_opened(adopt(t, e.stream), e.tag, true, now);
                   },
                   [&](transport::Connected& e) {
                       auto it = attempts_.find({t, e.attempt});
                       if (it == attempts_.end()) {
                           transports_[t]->close(e.stream, now);
                           return;
                       }
                       const ContactId contact = it->second;
                       attempts_.erase(it);
                       engine_.stream_opened(adopt(t, e.stream), contact, false, now);
                   },
                   [&](transport::Unreachable& e) {
                       auto it = attempts_.find({t, e.attempt});
                       if (it == attempts_.end()) return;
                       const ContactId contact = it->second;
                       attempts_.erase(it);
                       engine_.connect_failed(contact, now);
                   },
                   [&](transport::StreamData& e) {
                       if (auto id = stream_of(e.stream)) engine_.stream_data(*id, e.data, now);
                   },
                   [&](transport::StreamWritable& e) {
                       if (auto id = stream_of(e.stream)) drain(*id, now);
                   },
                   [&](transport::StreamClosed& e) {
                       auto id = stream_of(e.stream);
                       if (!id) return;
                       by_transport_.erase({t, e.stream});
                       routes_.erase(*id);
                       engine_.stream_closed(*id, now);
                   },
                   [&](transport::ContactFlagged& e) {
                       events_.emplace_back(std::in_place_type<ContactFlagged>,
                                            ContactFlagged{e.tag, e.violations});
                   },
               },
               event);
}

}  // namespace sotto::messenger
