#include "core/sim/sim_node.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sotto::sim {

namespace {

// Fork labels of node generators: domain | rng_label << 16 | incarnation.
constexpr std::uint64_t kNodeRngDomain = 0x1ull << 56;
constexpr std::size_t kRecentLogLines = 100;
// Ticks at one virtual instant before the deadline is declared stuck.
constexpr int kMaxTicksPerInstant = 1000;

template <typename... Fs>
struct Overloaded : Fs... {
    using Fs::operator()...;
};

// SOTTO_SIM_LOG=debug|info|warning|error prints node logs to stderr.
int print_level() {
    static const int level = [] {
        const char* v = std::getenv("SOTTO_SIM_LOG");
        if (v == nullptr) return 99;
        if (std::strcmp(v, "debug") == 0) return static_cast<int>(LogLevel::Debug);
        if (std::strcmp(v, "info") == 0) return static_cast<int>(LogLevel::Info);
        if (std::strcmp(v, "error") == 0) return static_cast<int>(LogLevel::Error);
        return static_cast<int>(LogLevel::Warning);
    }();
    return level;
}

const char* level_name(LogLevel l) {
    switch (l) {
        case LogLevel::Debug:
            return "debug";
        case LogLevel::Info:
            return "info";
        case LogLevel::Warning:
            return "warning";
        case LogLevel::Error:
            return "error";
    }
    return "?";
}

void put_u64(Bytes& b, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

}  // namespace

void SimNode::Log::log(LogLevel level, std::string_view area, std::string_view message) {
    const int l = static_cast<int>(level);
    if (l < static_cast<int>(LogLevel::Info) && l < print_level()) return;
    const double t = static_cast<double>((sim->now() - kEpoch).us) / 1e6;
    char head[64];
    std::snprintf(head, sizeof head, "[%12.6f] ", t);
    std::string line = head + *name + " " + level_name(level) + " " + std::string(area) + ": " +
                       std::string(message);
    if (l >= print_level()) std::fprintf(stderr, "%s\n", line.c_str());
    if (level >= LogLevel::Warning) ++warnings;
    if (level >= LogLevel::Info) {
        recent.push_back(std::move(line));
        if (recent.size() > kRecentLogLines) recent.pop_front();
    }
}

SimNode::SimNode(std::string name, node::NodeConfig config, node::NodeKeys keys,
                 std::uint64_t rng_label)
    : name_(std::move(name)),
      config_(std::move(config)),
      identity_seed_(keys.identity.seed()),
      onion_secret_(keys.onion.secret_bytes()),
      identity_(keys.identity.public_key()),
      onion_key_(keys.onion.public_key()),
      rng_label_(rng_label) {
    log_.name = &name_;
}

SimNode::~SimNode() {
    node_.reset();  // before the generator and log it refers to
}

Result<SimNode*> SimNode::create(Simulator& sim, std::string name, std::string address,
                                 node::NodeConfig config, node::NodeKeys keys,
                                 std::uint64_t rng_label) {
    if (sim.find_host(address)) return fail(Errc::Config, "address " + address + " is taken");
    const std::uint16_t port = config.relay ? config.relay->port : 0;
    std::unique_ptr<SimNode> n(
        new SimNode(std::move(name), std::move(config), std::move(keys), rng_label));
    n->log_.sim = &sim;
    if (auto s = n->start(sim); !s) return std::unexpected(s.error());
    const HostId h = sim.add_host(std::move(address));
    SimNode& ref = sim.attach(h, std::move(n));
    if (port != 0) sim.listen(h, port);
    ref.pump();
    return &ref;
}

Status SimNode::start(Simulator& sim) {
    auto id = crypto::Ed25519SecretKey::from_seed(identity_seed_.view());
    auto onion = crypto::X25519SecretKey::from_bytes(onion_secret_.view());
    if (!id || !onion) return fail(Errc::Crypto, name_ + ": stored keys do not load");
    node_.reset();
    rng_ = sim.fork_rng(kNodeRngDomain | rng_label_ << 16 | (incarnation_ & 0xffff));
    auto n = node::Node::create(config_, node::NodeKeys{std::move(*id), std::move(*onion)}, *rng_,
                                log_, sim.now());
    if (!n) return std::unexpected(n.error());
    node_ = std::move(*n);
    return {};
}

node::PathHop SimNode::hop() const {
    node::PathHop h;
    h.identity = identity_;
    h.onion_key = onion_key_;
    if (config_.relay) {
        h.host = config_.relay->host;
        h.port = config_.relay->port;
    }
    return h;
}

// ---- client API ---------------------------------------------------------------

Result<node::CircuitRef> SimNode::build_circuit(std::size_t hops) {
    if (!node_) return fail(Errc::Protocol, name_ + " is down");
    auto r = node_->build_circuit(sim().now(), hops);
    pump();
    return r;
}

Result<node::CircuitRef> SimNode::build_circuit(std::vector<node::PathHop> path) {
    if (!node_) return fail(Errc::Protocol, name_ + " is down");
    auto r = node_->build_circuit(std::move(path), sim().now());
    pump();
    return r;
}

Result<node::StreamRef> SimNode::open_stream(node::CircuitRef circuit, const std::string& host,
                                             std::uint16_t port) {
    if (!node_) return fail(Errc::Protocol, name_ + " is down");
    auto r = node_->open_stream(circuit, host, port, sim().now());
    pump();
    return r;
}

Status SimNode::send(node::StreamRef stream, ByteView data) {
    if (!node_) return fail(Errc::Protocol, name_ + " is down");
    auto r = node_->stream_send(stream, data, sim().now());
    pump();
    return r;
}

void SimNode::close_stream(node::StreamRef stream) {
    if (!node_) return;
    node_->close_stream(stream, sim().now());
    pump();
}

void SimNode::close_circuit(node::CircuitRef circuit) {
    if (!node_) return;
    node_->close_circuit(circuit, sim().now());
    pump();
}

std::vector<node::LinkId> SimNode::links_with(const Endpoint& other) const {
    std::vector<node::LinkId> out;
    for (const auto& [link, socket] : links_)
        if (sim().peer_host(socket) == other.host()) out.push_back(link);
    return out;
}

void SimNode::set_misbehaviour(node::Misbehaviour m) {
    config_.misbehaviour = m;  // survives a restart
    if (node_) node_->set_misbehaviour(m);
}

Status SimNode::restart() {
    sim().restart(host());
    if (!node_) return fail(Errc::Protocol, name_ + " did not restart (see its log)");
    return {};
}

// ---- outputs ------------------------------------------------------------------

void SimNode::pump() {
    if (!node_) return;
    for (auto& o : node_->take_outputs()) pending_.push_back(std::move(o));
    if (pumping_) return;
    pumping_ = true;
    while (!pending_.empty()) {
        node::Output out = std::move(pending_.front());
        pending_.pop_front();
        execute(out);
        if (!node_) break;  // a listener crashed this node
        for (auto& o : node_->take_outputs()) pending_.push_back(std::move(o));
    }
    pending_.clear();
    pumping_ = false;
    arm_timer();
}

void SimNode::execute(node::Output& out) {
    if (auto* action = std::get_if<node::Action>(&out))
        execute(*action);
    else
        record(std::move(std::get<node::Event>(out)));
}

void SimNode::execute(node::Action& action) {
    Simulator& s = sim();
    std::visit(Overloaded{
                   [&](node::ConnectLink& c) {
                       const SocketId id = s.connect(host(), c.host, c.port);
                       links_[c.link] = id;
                       sockets_[id] = Attachment{true, c.link};
                   },
                   [&](node::SendLink& c) {
                       if (auto it = links_.find(c.link); it != links_.end())
                           s.send(it->second, c.bytes);
                   },
                   [&](node::CloseLink& c) {
                       if (auto it = links_.find(c.link); it != links_.end()) {
                           const SocketId id = it->second;
                           forget(id);
                           s.close(id);
                       }
                   },
                   [&](node::ExitConnect& c) {
                       const SocketId id = s.connect(host(), c.host, c.port);
                       exits_[c.exit] = id;
                       sockets_[id] = Attachment{false, c.exit};
                   },
                   [&](node::ExitSend& c) {
                       if (auto it = exits_.find(c.exit); it != exits_.end()) {
                           s.send(it->second, c.bytes);
                           // The in-memory socket takes every byte at once.
                           node_->exit_written(c.exit, c.bytes.size(), s.now());
                       }
                   },
                   [&](node::ExitClose& c) {
                       if (auto it = exits_.find(c.exit); it != exits_.end()) {
                           const SocketId id = it->second;
                           forget(id);
                           s.close(id);
                       }
                   },
                   [&](node::ExitPause& c) {
                       if (auto it = exits_.find(c.exit); it != exits_.end())
                           s.set_reading(it->second, !c.paused);
                   },
               },
               action);
}

void SimNode::forget(SocketId s) {
    auto it = sockets_.find(s);
    if (it == sockets_.end()) return;
    if (it->second.is_link)
        links_.erase(it->second.id);
    else
        exits_.erase(it->second.id);
    sockets_.erase(it);
}

// ---- events ---------------------------------------------------------------------

void SimNode::record(NodeEvent event) {
    Bytes fp;
    std::visit(Overloaded{
                   [&](const node::CircuitReady& e) {
                       ready_.insert(e.circuit);
                       fp.push_back(1);
                       put_u64(fp, e.circuit);
                   },
                   [&](const node::CircuitClosed& e) {
                       closed_.emplace(e.circuit, e.reason);
                       fp.push_back(2);
                       put_u64(fp, e.circuit);
                   },
                   [&](const node::StreamOpened& e) {
                       opened_.insert(e.stream);
                       fp.push_back(3);
                       put_u64(fp, e.stream);
                   },
                   [&](const node::StreamData& e) {
                       auto& d = stream_data_[e.stream];
                       d.insert(d.end(), e.data.begin(), e.data.end());
                       fp.push_back(4);
                       put_u64(fp, e.stream);
                       put_u64(fp, e.data.size());
                   },
                   [&](const node::StreamClosed& e) {
                       stream_closed_.emplace(e.stream, e.reason);
                       fp.push_back(5);
                       put_u64(fp, e.stream);
                   },
                   [&](const node::StreamWritable& e) {
                       fp.push_back(12);
                       put_u64(fp, e.stream);
                   },
                   [&](const node::ConsensusChanged& e) {
                       consensus_event_ = e;
                       fp.push_back(6);
                       put_u64(fp, static_cast<std::uint64_t>(e.valid_after));
                       put_u64(fp, e.relays);
                   },
                   [&](const node::IncomingStream& e) {
                       opened_.insert(e.stream);
                       fp.push_back(8);
                       put_u64(fp, e.contact);
                       put_u64(fp, e.stream);
                   },
                   [&](const node::ServiceConnected& e) {
                       fp.push_back(9);
                       put_u64(fp, e.attempt);
                       put_u64(fp, e.circuit);
                   },
                   [&](const node::ServiceUnreachable& e) {
                       fp.push_back(10);
                       put_u64(fp, e.attempt);
                   },
                   [&](const node::ContactFlagged& e) {
                       fp.push_back(11);
                       put_u64(fp, e.contact);
                   },
                   [&](const node::Notice& e) {
                       fp.push_back(7);
                       fp.insert(fp.end(), e.line.begin(), e.line.end());
                   },
               },
               event);
    put_u64(fp, host());
    sim().note("node-event", fp);

    if (keep_data_in_events_ || !std::holds_alternative<node::StreamData>(event)) {
        events_.push_back(TimedEvent{sim().now(), incarnation_, event});
    } else {
        auto copy = std::get<node::StreamData>(event);
        copy.data.clear();
        events_.push_back(TimedEvent{sim().now(), incarnation_, std::move(copy)});
    }
    const std::uint64_t incarnation = incarnation_;
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        // Copy: a listener may add listeners.
        auto l = listeners_[i];
        l(*this, event);
        if (!node_ || incarnation_ != incarnation) return;
    }
}

std::optional<std::string> SimNode::circuit_closed(node::CircuitRef c) const {
    auto it = closed_.find(c);
    if (it == closed_.end()) return std::nullopt;
    return it->second;
}

std::optional<std::string> SimNode::stream_closed(node::StreamRef s) const {
    auto it = stream_closed_.find(s);
    if (it == stream_closed_.end()) return std::nullopt;
    return it->second;
}

const Bytes& SimNode::stream_data(node::StreamRef s) const {
    static const Bytes empty;
    auto it = stream_data_.find(s);
    return it == stream_data_.end() ? empty : it->second;
}

// ---- timer --------------------------------------------------------------------

void SimNode::arm_timer() {
    if (!node_) return;
    TimePoint d = node_->next_deadline();
    if (d == TimePoint::never()) return;
    d = std::max(d, sim().now());
    // An earlier (or equal) wake-up is already set; it re-arms when it fires.
    if (timer_at_ && *timer_at_ <= d) return;
    timer_at_ = d;
    const std::uint64_t gen = ++timer_generation_;
    sim().schedule_at(d, [this, gen] { on_timer(gen); });
}

void SimNode::on_timer(std::uint64_t generation) {
    if (generation != timer_generation_) return;
    timer_at_.reset();
    if (!node_) return;
    const TimePoint now = sim().now();
    if (node_->next_deadline() > now) return arm_timer();
    if (now == last_tick_) {
        if (++ticks_at_same_time_ >= kMaxTicksPerInstant) {
            if (ticks_at_same_time_ == kMaxTicksPerInstant)
                log_.log(LogLevel::Warning, "sim",
                         "next_deadline() stays at or before now after tick(); backing off 1 ms");
            timer_at_ = now + Duration::millis(1);
            const std::uint64_t gen = ++timer_generation_;
            sim().schedule_at(*timer_at_, [this, gen] { on_timer(gen); });
            return;
        }
    } else {
        last_tick_ = now;
        ticks_at_same_time_ = 0;
    }
    node_->tick(now);
    pump();
}

// ---- transport ------------------------------------------------------------------

void SimNode::on_connected(SocketId s) {
    auto it = sockets_.find(s);
    if (!node_ || it == sockets_.end()) return;
    const Attachment a = it->second;
    if (a.is_link)
        node_->link_connected(a.id, sim().now());
    else
        node_->exit_connected(a.id, sim().now());
    pump();
}

void SimNode::on_connect_failed(SocketId s, const std::string& reason) {
    auto it = sockets_.find(s);
    if (!node_ || it == sockets_.end()) return;
    const Attachment a = it->second;
    forget(s);
    if (a.is_link)
        node_->link_failed(a.id, reason, sim().now());
    else
        node_->exit_failed(a.id, reason, sim().now());
    pump();
}

void SimNode::on_accepted(SocketId s, std::uint16_t) {
    if (!node_) {
        sim().close(s);
        return;
    }
    const node::LinkId link = node_->accept_link(sim().now());
    links_[link] = s;
    sockets_[s] = Attachment{true, link};
    pump();
}

void SimNode::on_data(SocketId s, ByteView bytes) {
    auto it = sockets_.find(s);
    if (!node_ || it == sockets_.end()) return;
    const Attachment a = it->second;
    if (a.is_link)
        node_->link_data(a.id, bytes, sim().now());
    else
        node_->exit_data(a.id, bytes, sim().now());
    pump();
}

void SimNode::on_closed(SocketId s) {
    auto it = sockets_.find(s);
    if (!node_ || it == sockets_.end()) return;
    const Attachment a = it->second;
    forget(s);
    if (a.is_link)
        node_->link_closed(a.id, sim().now());
    else
        node_->exit_closed(a.id, sim().now());
    pump();
}

void SimNode::on_crash() {
    log_.log(LogLevel::Info, "sim", "crashed");
    node_.reset();
    links_.clear();
    exits_.clear();
    sockets_.clear();
    pending_.clear();
    ++timer_generation_;
    timer_at_.reset();
    ready_.clear();
    closed_.clear();
    opened_.clear();
    stream_closed_.clear();
    stream_data_.clear();
}

void SimNode::on_restart() {
    ++incarnation_;
    if (auto s = start(sim()); !s) {
        log_.log(LogLevel::Error, "sim", "restart failed: " + s.error().message);
        return;
    }
    log_.log(LogLevel::Info, "sim", "restarted");
    pump();
}

}  // namespace sotto::sim
