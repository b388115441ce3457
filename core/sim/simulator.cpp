#include "core/sim/simulator.hpp"
#include "core/crypto/random.hpp"

#include <algorithm>
#include <cstring>

namespace sotto::sim {

namespace {

// Fork labels of the simulator's own generators; nodes use other ranges
// (see sim_node.hpp).
constexpr std::uint64_t kSocketRngDomain = 0x5ull << 56;

}  // namespace

Simulator::Simulator(std::uint64_t seed, NetworkModel model, TimePoint start)
    : seed_(seed), model_(model), now_(start), rng_(seed) {
    if (model_.segment_size == 0) model_.segment_size = 16 * 1024;
    record("start", {seed, static_cast<std::uint64_t>(start.us)});
}

Simulator::~Simulator() {
    // Endpoints may hold pointers into each other's state through the
    // simulator; drop pending events first, then endpoints in reverse order.
    while (!queue_.empty()) queue_.pop();
    for (auto it = hosts_.rbegin(); it != hosts_.rend(); ++it) it->endpoint.reset();
}

// ---- clock and events -----------------------------------------------------

TimerId Simulator::schedule_at(TimePoint at, std::move_only_function<void()> fn) {
    TimerId id = next_timer_++;
    queue_.push(Event{std::max(at, now_), next_seq_++, id, std::move(fn)});
    return id;
}

TimerId Simulator::schedule_after(Duration d, std::move_only_function<void()> fn) {
    return schedule_at(now_ + d, std::move(fn));
}

void Simulator::cancel(TimerId id) {
    if (id != 0 && id < next_timer_) cancelled_.insert(id);
}

bool Simulator::run_next(TimePoint limit) {
    while (!queue_.empty()) {
        const Event& top = queue_.top();
        if (cancelled_.erase(top.id) != 0) {
            queue_.pop();
            continue;
        }
        if (top.at > limit) return false;
        TimePoint at = top.at;
        auto fn = std::move(top.fn);
        queue_.pop();
        now_ = std::max(now_, at);
        ++stats_.events;
        fn();
        return true;
    }
    return false;
}

bool Simulator::step() {
    return run_next(TimePoint::never());
}

bool Simulator::run_until(const std::function<bool()>& done, Duration max) {
    const TimePoint deadline = now_ + max;
    for (;;) {
        if (done()) return true;
        if (!run_next(deadline)) {
            now_ = std::max(now_, deadline);
            return done();
        }
    }
}

void Simulator::run_for(Duration d) {
    const TimePoint deadline = now_ + d;
    while (run_next(deadline)) {
    }
    now_ = std::max(now_, deadline);
}

// ---- hosts ------------------------------------------------------------------

HostId Simulator::add_host(std::string address) {
    auto id = static_cast<HostId>(hosts_.size());
    by_address_.emplace(address, id);
    hosts_.push_back(Host{.address = std::move(address)});
    return id;
}

void Simulator::attach_endpoint(HostId host, std::unique_ptr<Endpoint> endpoint) {
    endpoint->sim_ = this;
    endpoint->host_ = host;
    hosts_.at(host).endpoint = std::move(endpoint);
}

Endpoint* Simulator::endpoint(HostId host) const {
    return hosts_.at(host).endpoint.get();
}

const std::string& Simulator::address(HostId host) const {
    return hosts_.at(host).address;
}

std::optional<HostId> Simulator::find_host(const std::string& address) const {
    auto it = by_address_.find(address);
    if (it == by_address_.end()) return std::nullopt;
    return it->second;
}

void Simulator::listen(HostId host, std::uint16_t port) {
    hosts_.at(host).ports.insert(port);
}

// ---- sockets ----------------------------------------------------------------

Simulator::Socket* Simulator::find(SocketId id) {
    auto it = sockets_.find(id);
    return it == sockets_.end() ? nullptr : &it->second;
}

const Simulator::Socket* Simulator::find(SocketId id) const {
    auto it = sockets_.find(id);
    return it == sockets_.end() ? nullptr : &it->second;
}

SocketId Simulator::new_socket(HostId host, SocketId peer, HostId peer_host, SocketState state) {
    SocketId id = next_socket_++;
    Socket s;
    s.host = host;
    s.peer = peer;
    s.peer_host = peer_host;
    s.state = state;
    s.last_arrival = now_;
    s.rng = rng_.fork(kSocketRngDomain | id);
    sockets_.emplace(id, std::move(s));
    hosts_.at(host).sockets.insert(id);
    return id;
}

void Simulator::erase_socket(SocketId id) {
    auto it = sockets_.find(id);
    if (it == sockets_.end()) return;
    hosts_.at(it->second.host).sockets.erase(id);
    sockets_.erase(it);
}

bool Simulator::is_open(SocketId socket) const {
    const Socket* s = find(socket);
    return s != nullptr && s->state == SocketState::Open;
}

std::optional<HostId> Simulator::peer_host(SocketId socket) const {
    const Socket* s = find(socket);
    if (s == nullptr || s->peer == 0) return std::nullopt;
    return s->peer_host;
}

Duration Simulator::one_way_delay(const PathModel& p, Rng& rng) {
    Duration d = p.latency;
    if (p.jitter.us > 0)
        d = d + Duration::micros(static_cast<std::int64_t>(
                    rng.uniform(static_cast<std::uint64_t>(p.jitter.us) + 1)));
    if (p.loss > 0) {
        constexpr std::uint64_t kScale = 1ull << 32;
        const auto threshold = static_cast<std::uint64_t>(std::min(p.loss, 1.0) * kScale);
        // Each retransmission doubles the timeout, as TCP does; six at most.
        for (int k = 0; k < 6 && rng.uniform(kScale) < threshold; ++k) {
            d = d + p.rto * (std::int64_t{1} << k);
            ++stats_.retransmissions;
        }
    }
    return d;
}

SocketId Simulator::connect(HostId from, const std::string& address, std::uint16_t port) {
    SocketId id = new_socket(from, 0, 0, SocketState::Connecting);
    record("connect", {id, from, port}, as_bytes(address));
    auto to = find_host(address);
    const PathModel& p = to ? path(from, *to) : model_.path;
    Duration d = one_way_delay(p, *find(id)->rng);
    schedule_after(d, [this, id, address, port] { arrive_syn(id, address, port); });
    return id;
}

void Simulator::arrive_syn(SocketId initiator, std::string address, std::uint16_t port) {
    Socket* ini = find(initiator);
    if (ini == nullptr || ini->state != SocketState::Connecting) return;
    const HostId from = ini->host;
    auto to = find_host(address);
    if (!to) return fail_connect(initiator, one_way_delay(model_.path, *ini->rng), "no such host");
    Host& h = hosts_[*to];
    const Duration back = one_way_delay(path(*to, from), *ini->rng);
    if (!h.up || h.endpoint == nullptr || !h.ports.contains(port))
        return fail_connect(initiator, back, "connection refused");
    if (!reachable(from, *to)) return fail_connect(initiator, back, "connection refused");

    SocketId acc = new_socket(*to, initiator, from, SocketState::Open);
    ini->peer = acc;
    ini->peer_host = *to;
    const TimePoint connected_at = now_ + back;
    // Whatever the listener sends arrives after the initiator is connected.
    find(acc)->last_arrival = connected_at;
    ++stats_.connections;
    record("accept", {initiator, acc, from, *to, port});
    schedule_at(connected_at, [this, initiator] {
        Socket* s = find(initiator);
        if (s == nullptr || s->state != SocketState::Connecting) return;
        s->state = SocketState::Open;
        record("connected", {initiator});
        if (!s->unsent.empty()) {
            Bytes unsent = std::move(s->unsent);
            s->unsent.clear();
            transmit(initiator, unsent);
        }
        hosts_[s->host].endpoint->on_connected(initiator);
    });
    h.endpoint->on_accepted(acc, port);
}

void Simulator::fail_connect(SocketId initiator, Duration after, std::string reason) {
    schedule_after(after, [this, initiator, reason = std::move(reason)] {
        Socket* s = find(initiator);
        if (s == nullptr || s->state != SocketState::Connecting) return;
        const HostId h = s->host;
        erase_socket(initiator);
        ++stats_.connections_failed;
        record("refused", {initiator}, as_bytes(reason));
        if (hosts_[h].endpoint) hosts_[h].endpoint->on_connect_failed(initiator, reason);
    });
}

void Simulator::send(SocketId socket, ByteView bytes) {
    Socket* s = find(socket);
    if (s == nullptr || bytes.empty()) return;
    if (s->state == SocketState::Connecting) {
        s->unsent.insert(s->unsent.end(), bytes.begin(), bytes.end());
        return;
    }
    transmit(socket, bytes);
}

void Simulator::transmit(SocketId from, ByteView bytes) {
    Socket& src = *find(from);
    const HostId a = src.host;
    const HostId b = src.peer_host;
    const SocketId to = src.peer;
    const PathModel& p = path(a, b);
    hosts_[a].bytes_sent += bytes.size();
    for (std::size_t off = 0; off < bytes.size(); off += model_.segment_size) {
        const std::size_t n = std::min(model_.segment_size, bytes.size() - off);
        TimePoint sent = now_;
        if (p.bandwidth > 0) {
            TimePoint& free = link_free_[{a, b}];
            // Rounded up to whole microseconds (n is at most segment_size).
            const auto ser = static_cast<std::int64_t>(
                (static_cast<std::uint64_t>(n) * 1000000 + p.bandwidth - 1) / p.bandwidth);
            free = std::max(free, now_) + Duration::micros(ser);
            sent = free;
        }
        TimePoint at = std::max(sent + one_way_delay(p, *src.rng), src.last_arrival);
        src.last_arrival = at;
        schedule_at(
            at, [this, to, a,
                 chunk = Bytes(bytes.begin() + static_cast<std::ptrdiff_t>(off),
                               bytes.begin() + static_cast<std::ptrdiff_t>(off + n))]() mutable {
                deliver(to, a, std::move(chunk));
            });
    }
}

void Simulator::deliver(SocketId to, HostId from_host, Bytes bytes) {
    Socket* s = find(to);
    if (s == nullptr || s->state != SocketState::Open) return;
    if (!s->reading || !s->held.empty()) {
        s->held.push_back(std::move(bytes));
        return;
    }
    ++stats_.chunks_delivered;
    stats_.bytes_delivered += bytes.size();
    record("data", {from_host, s->host, to}, bytes);
    hosts_[s->host].endpoint->on_data(to, bytes);
}

void Simulator::close(SocketId socket) {
    Socket* s = find(socket);
    if (s == nullptr) return;
    record("close", {socket});
    if (s->peer == 0) {  // the connect has not reached the listener yet
        erase_socket(socket);
        return;
    }
    const SocketId peer = s->peer;
    const TimePoint at =
        std::max(now_ + one_way_delay(path(s->host, s->peer_host), *s->rng), s->last_arrival);
    erase_socket(socket);
    schedule_at(at, [this, peer] { deliver_close(peer); });
}

void Simulator::deliver_close(SocketId to) {
    Socket* s = find(to);
    if (s == nullptr) return;
    if (!s->held.empty()) {
        s->close_held = true;
        return;
    }
    const HostId h = s->host;
    erase_socket(to);
    record("closed", {to});
    hosts_[h].endpoint->on_closed(to);
}

void Simulator::set_reading(SocketId socket, bool reading) {
    Socket* s = find(socket);
    if (s == nullptr || s->reading == reading) return;
    s->reading = reading;
    if (!reading) ++stats_.reads_paused;
    if (reading && !s->held.empty()) schedule_at(now_, [this, socket] { flush_held(socket); });
}

void Simulator::flush_held(SocketId id) {
    for (;;) {
        Socket* s = find(id);
        if (s == nullptr || !s->reading) return;
        if (s->held.empty()) break;
        Bytes chunk = std::move(s->held.front());
        s->held.erase(s->held.begin());
        ++stats_.chunks_delivered;
        stats_.bytes_delivered += chunk.size();
        record("data", {s->peer_host, s->host, id}, chunk);
        hosts_[s->host].endpoint->on_data(id, chunk);
    }
    Socket* s = find(id);
    if (s != nullptr && s->close_held) deliver_close(id);
}

void Simulator::drop_and_notify(SocketId id, TimePoint at, const char* reason) {
    Socket* s = find(id);
    if (s == nullptr) return;
    const HostId h = s->host;
    const bool connecting = s->state == SocketState::Connecting;
    erase_socket(id);
    const std::uint64_t incarnation = hosts_[h].incarnation;
    schedule_at(at, [this, h, id, connecting, incarnation, reason] {
        Host& host = hosts_[h];
        if (!host.up || host.incarnation != incarnation || !host.endpoint) return;
        record(connecting ? "refused" : "closed", {id});
        if (connecting)
            host.endpoint->on_connect_failed(id, reason);
        else
            host.endpoint->on_closed(id);
    });
}

// ---- network model and faults -------------------------------------------

void Simulator::set_path(HostId a, HostId b, PathModel p) {
    paths_[{a, b}] = p;
    paths_[{b, a}] = p;
}

const PathModel& Simulator::path(HostId from, HostId to) const {
    if (from == to) return model_.loopback;
    auto it = paths_.find({from, to});
    return it == paths_.end() ? model_.path : it->second;
}

bool Simulator::reachable(HostId a, HostId b) const {
    if (a == b) return true;
    for (const auto& [x, y] : partitions_) {
        if ((x.contains(a) && y.contains(b)) || (x.contains(b) && y.contains(a))) return false;
    }
    return true;
}

void Simulator::partition(const std::vector<HostId>& a, const std::vector<HostId>& b) {
    partitions_.emplace_back(std::set<HostId>(a.begin(), a.end()),
                             std::set<HostId>(b.begin(), b.end()));
    for (HostId h : a) record("partition", {h});
    for (HostId h : b) record("partition-other", {h});
    std::vector<SocketId> doomed;
    for (const auto& [id, s] : sockets_) {
        if (s.peer != 0 && !reachable(s.host, s.peer_host)) doomed.push_back(id);
    }
    for (SocketId id : doomed) {
        if (const Socket* s = find(id); s != nullptr && id < s->peer) ++stats_.connections_cut;
        drop_and_notify(id, now_, "network partition");
    }
}

void Simulator::partition(std::initializer_list<const Endpoint*> a,
                          std::initializer_list<const Endpoint*> b) {
    std::vector<HostId> ha, hb;
    for (const Endpoint* e : a) ha.push_back(e->host());
    for (const Endpoint* e : b) hb.push_back(e->host());
    partition(ha, hb);
}

void Simulator::heal() {
    partitions_.clear();
    record("heal", {});
}

void Simulator::crash(HostId host) {
    Host& h = hosts_.at(host);
    if (!h.up) return;
    record("crash", {host});
    h.up = false;
    ++h.incarnation;
    const std::vector<SocketId> mine(h.sockets.begin(), h.sockets.end());
    for (SocketId id : mine) {
        Socket* s = find(id);
        if (s == nullptr) continue;
        if (s->peer != 0) {
            ++stats_.connections_cut;
            const SocketId peer = s->peer;
            Socket* p = find(peer);
            Duration d = p != nullptr ? one_way_delay(path(host, p->host), *s->rng) : Duration{};
            drop_and_notify(peer, now_ + d, "connection reset");
        }
        erase_socket(id);
    }
    if (h.endpoint) h.endpoint->on_crash();
}

void Simulator::restart(HostId host) {
    Host& h = hosts_.at(host);
    if (h.up) return;
    record("restart", {host});
    h.up = true;
    if (h.endpoint) h.endpoint->on_restart();
}

bool Simulator::is_up(HostId host) const {
    return hosts_.at(host).up;
}

// ---- determinism ------------------------------------------------------------

std::unique_ptr<DeterministicRng> Simulator::fork_rng(std::uint64_t label) {
    return rng_.fork(label);
}

void Simulator::note(std::string_view what, ByteView data) {
    record("note", {}, as_bytes(what));
    record("note-data", {}, data);
}

void Simulator::record(std::string_view tag, std::initializer_list<std::uint64_t> fields,
                       ByteView data) {
    // Fixed-width, length-prefixed fields so distinct records never collide.
    std::uint8_t buf[8 * 12];
    std::size_t n = 0;
    auto put = [&](std::uint64_t v) {
        for (int i = 0; i < 8; ++i) buf[n++] = static_cast<std::uint8_t>(v >> (8 * i));
    };
    put(static_cast<std::uint64_t>(now_.us));
    put(tag.size());
    put(fields.size());
    for (std::uint64_t f : fields) {
        if (n + 16 > sizeof buf) break;
        put(f);
    }
    put(data.size());
    digest_.update(ByteView(buf, n));
    digest_.update(as_bytes(tag));
    digest_.update(data);
}

}  // namespace sotto::sim
