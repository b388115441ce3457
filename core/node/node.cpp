// Node facade: construction, the driver inputs, links, outputs and timers,
// the NodeContext its components see, and the private-service API (which
// hands on to PrivateService and ServiceClient). Role logic lives in
// relay_circuits.cpp, origin_circuits.cpp, directory_jobs.cpp and the
// components (see node_impl.hpp).
#include "core/node/node.hpp"

#include "core/node/node_impl.hpp"

namespace sotto::node {

PathHop PathHop::from(const dir::ConsensusEntry& e) {
    return PathHop{e.identity, e.onion_key, e.host, e.port};
}

PathHop PathHop::from(const dir::AuthorityInfo& a) {
    return PathHop{a.identity, crypto::X25519PublicKey{}, a.host, a.port};
}

Result<std::unique_ptr<Node>> Node::create(NodeConfig config, NodeKeys keys, Rng& rng, LogSink& log,
                                           TimePoint now) {
    if (config.network.authorities.empty())
        return fail(Errc::Config, "the network file names no directory authority");
    if (config.authority && !config.relay)
        return fail(Errc::Config, "an authority must also be a relay (give it an address)");
    const auto& idle = config.idle_link_timeout;
    for (const DurationRange* r : {&idle.client, &idle.relay})
        if (r->min.us <= 0 || r->max < r->min)
            return fail(Errc::Config, "idle link timeouts need 0 < min <= max");
    if (idle.accepted.us <= 0)
        return fail(Errc::Config, "the idle timeout of accepted links must be positive");
    auto impl = std::make_unique<Impl>(std::move(config), std::move(keys), rng, log);
    if (impl->config.authority) {
        auto a = dir::Authority::create(impl->config.network, impl->keys.identity,
                                        impl->config.authority_config, log);
        if (!a) return std::unexpected(a.error());
        impl->authority.emplace(std::move(*a));
    }
    impl->next_consensus_fetch = now;
    if (impl->config.relay) impl->next_descriptor_upload = now;
    return std::unique_ptr<Node>(new Node(std::move(impl)));
}

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Node::~Node() = default;

Node::Impl::Impl(NodeConfig config_, NodeKeys keys_, Rng& rng_, LogSink& log_)
    : config(std::move(config_)),
      keys(std::move(keys_)),
      rng(&rng_),
      log(&log_),
      hsdir(context, config.hsdir) {}

// ---- the context components see ----

Result<CircuitRef> Node::Impl::Context::launch_circuit(std::vector<PathHop> path,
                                                       CircuitHandler& handler, std::uint64_t owner,
                                                       TimePoint now) {
    if (path.empty()) return fail(Errc::NotFound, "no path: the consensus lists too few relays");
    return d.start_circuit(std::move(path), &handler, owner, now);
}

void Node::Impl::Context::send_to_last_hop(CircuitRef circuit, const wire::RelayCell& cell) {
    if (auto* c = d.circuits.find(circuit); c != nullptr && !c->hops.empty())
        d.origin_send(*c, c->hops.size() - 1, cell);
}

std::optional<crypto::Digest256> Node::Impl::Context::last_hop_binding(CircuitRef circuit) const {
    const auto* c = d.circuits.find(circuit);
    if (c == nullptr || c->bindings.empty()) return std::nullopt;
    return c->bindings.back();
}

bool Node::Impl::Context::stream_id_in_use(CircuitRef circuit, wire::StreamId id) const {
    const auto* c = d.circuits.find(circuit);
    return c != nullptr && c->streams.contains(id);
}

void Node::Impl::Context::abandon_hs_uploads(HsJobHandler& handler, std::uint64_t owner,
                                             TimePoint now) {
    std::vector<std::uint64_t> under_way;
    for (auto& [job_id, job] : d.jobs)
        if (job.kind == DirJob::Kind::HsUpload && job.hs_handler == &handler && job.owner == owner)
            under_way.push_back(job_id);
    for (auto job_id : under_way) d.job_failed(job_id, "upload abandoned", now);
}

bool Node::Impl::Context::relay_circuit_extended(RelayCircuitKey key) const {
    auto it = d.relay_circuits.find(key);
    return it != d.relay_circuits.end() && it->second.next != RelayCircuit::Next::None;
}

bool Node::Impl::Context::relay_circuit_joined(RelayCircuitKey key) const {
    auto it = d.relay_circuits.find(key);
    return it != d.relay_circuits.end() && it->second.splice != 0;
}

crypto::Digest256 Node::Impl::Context::relay_circuit_binding(RelayCircuitKey key) const {
    auto it = d.relay_circuits.find(key);
    return it == d.relay_circuits.end() ? crypto::Digest256{} : it->second.binding;
}

void Node::Impl::Context::relay_send_back(RelayCircuitKey key, const wire::RelayCell& cell) {
    if (auto it = d.relay_circuits.find(key); it != d.relay_circuits.end())
        d.relay_send_back(it->second, cell);
}

void Node::Impl::Context::relay_tear_down(RelayCircuitKey key, wire::DestroyReason reason) {
    if (auto it = d.relay_circuits.find(key); it != d.relay_circuits.end())
        d.relay_destroy(it->second, reason, true, true);
}

void Node::Impl::Context::relay_join(RelayCircuitKey a, RelayCircuitKey b) {
    auto x = d.relay_circuits.find(a);
    auto y = d.relay_circuits.find(b);
    if (x == d.relay_circuits.end() || y == d.relay_circuits.end()) return;
    x->second.splice = b;
    y->second.splice = a;
}

void Node::Impl::notice(LogLevel level, const std::string& line) {
    log->log(level, "node", line);
    if (level >= LogLevel::Warning) emit(Notice{line});
}

LinkEntry* Node::Impl::link(LinkId id) {
    auto it = links.find(id);
    return it == links.end() ? nullptr : &it->second;
}

LinkId Node::Impl::link_to(const PathHop& hop, TimePoint now) {
    if (auto it = links_by_peer.find(hop.identity); it != links_by_peer.end()) return it->second;
    LinkId id = new_id();
    add_link(id, link::LinkSession::initiator(hop.identity, *rng, now, config.link), true,
             hop.identity, now);
    links_by_peer[hop.identity] = id;
    act(ConnectLink{id, hop.host, hop.port, hop.identity});
    return id;
}

LinkEntry& Node::Impl::add_link(LinkId id, link::LinkSession session, bool outbound,
                                std::optional<crypto::Ed25519PublicKey> peer, TimePoint now) {
    const auto& t = config.idle_link_timeout;
    Duration idle_timeout = t.accepted;
    if (outbound) {
        const DurationRange& r = config.relay ? t.relay : t.client;
        const auto spread = static_cast<std::uint64_t>((r.max - r.min).us);
        idle_timeout =
            r.min + Duration::micros(static_cast<std::int64_t>(rng->uniform(spread + 1)));
    }
    LinkEntry e{.id = id,
                .session = std::move(session),
                .outbound = outbound,
                .transport_up = !outbound,  // an accepted link's connection exists already
                .peer = std::move(peer),
                .create_tokens = config.limits.create_burst,
                .tokens_at = now,
                .idle_since = now,
                .idle_timeout = idle_timeout};
    return links.emplace(id, std::move(e)).first->second;
}

void Node::Impl::attach_circuit(LinkEntry& l, CircuitId id, CircuitSlot slot) {
    l.circuits[id] = slot;
}

void Node::Impl::detach_circuit(LinkEntry& l, CircuitId id) {
    if (l.circuits.erase(id) != 0 && l.circuits.empty()) l.idle_since = last_now;
}

TimePoint Node::Impl::idle_close_at(const LinkEntry& l) const {
    // A handshaking link has its own timeout; queued cells (a DESTROY for
    // the last circuit, say) leave first, and the driver writes them out
    // before it closes the transport.
    if (!l.circuits.empty() || l.session.state() != link::LinkState::Open || l.session.has_output())
        return TimePoint::never();
    return l.idle_since + l.idle_timeout;
}

void Node::Impl::send_cell(LinkId id, const wire::Cell& cell) {
    auto* l = link(id);
    if (l == nullptr) return;
    l->session.send(cell);
    dirty_links.insert(id);
}

CircuitId Node::Impl::allocate_circ_id(LinkEntry& l) {
    // The link initiator uses ids with the high bit set, the responder
    // without, so the two ends never pick the same id.
    const CircuitId high = l.outbound ? 0x80000000u : 0;
    for (;;) {
        CircuitId id = high | static_cast<CircuitId>(rng->uniform(0x7fffffffu) + 1);
        if (!l.circuits.contains(id)) return id;
    }
}

void Node::Impl::close_link(LinkId id, const std::string& why, TimePoint now, bool tell_driver) {
    auto it = links.find(id);
    if (it == links.end()) return;
    reachability_link_closed(id, why, now);
    auto circuits = std::move(it->second.circuits);
    if (it->second.peer) {
        auto p = links_by_peer.find(*it->second.peer);
        if (p != links_by_peer.end() && p->second == id) links_by_peer.erase(p);
    }
    links.erase(it);
    dirty_links.erase(id);
    hsdir.store().source_closed(id);
    if (tell_driver) act(CloseLink{id});
    log->log(LogLevel::Debug, "link", "link " + std::to_string(id) + " closed: " + why);
    for (auto& [circ_id, slot] : circuits) {
        if (slot.kind == CircuitSlot::Kind::Relay)
            relay_link_lost(slot.key, id, now);
        else
            origin_close(slot.key, "link to first relay closed: " + why, false, now);
    }
}

void Node::Impl::on_link_open(LinkEntry& l, TimePoint now) {
    if (reachability_link_open(l, now)) return;
    // Circuits waiting for this link: our own first hops and relayed extends.
    std::vector<CircuitRef> origins;
    for (auto& [ref, c] : circuits)
        if (c.link == l.id && c.state == OriginCircuit::State::Connecting) origins.push_back(ref);
    for (auto ref : origins)
        if (auto* c = circuits.find(ref)) origin_link_open(*c, now);
    relay_next_link_open(l.id, now);
}

void Node::Impl::dispatch_cell(LinkEntry& l, const wire::Cell& cell, TimePoint now) {
    if (cell.command == wire::CellCommand::Padding) return;
    if (cell.command == wire::CellCommand::Create2) {
        relay_on_create(l, cell, now);
        return;
    }
    auto it = l.circuits.find(cell.circ_id);
    if (it == l.circuits.end()) return;  // late cells for a circuit already gone
    CircuitSlot slot = it->second;
    if (slot.kind == CircuitSlot::Kind::Origin) {
        if (auto* oc = circuits.find(slot.key)) origin_on_cell(*oc, cell, now);
        return;
    }
    auto rc = relay_circuits.find(slot.key);
    if (rc == relay_circuits.end()) return;
    const bool from_prev = rc->second.prev_link == l.id && rc->second.prev_id == cell.circ_id;
    if (cell.command == wire::CellCommand::Destroy) {
        auto reason = static_cast<wire::DestroyReason>(cell.payload[0]);
        relay_on_destroy(rc->second, from_prev, reason, now);
        return;
    }
    relay_on_cell(rc->second, from_prev, cell, now);
}

void Node::Impl::flush_links() {
    for (LinkId id : dirty_links) {
        auto* l = link(id);
        if (l == nullptr || !l->transport_up) continue;
        Bytes out;
        l->session.take_output(out, last_now);
        if (!out.empty()) act(SendLink{id, std::move(out)});
    }
    dirty_links.clear();
}

void Node::Impl::schedule_housekeeping(TimePoint now) {
    // A coarse one-second sweep handles every per-object timeout, so that
    // next_deadline() need not scan thousands of circuits.
    if (next_housekeeping == TimePoint::never()) next_housekeeping = now + Duration::seconds(1);
}

void Node::Impl::housekeeping(TimePoint now) {
    next_housekeeping = TimePoint::never();
    origin_timeouts(now);
    relay_timeouts(now);
    job_timeouts(now);
    client.tick(now);
    hs_relay_timeouts(now);
    bool pending = !jobs.empty() || client.busy() || rendezvous_point.waiting();
    for (auto& [r, c] : circuits) pending |= c.state != OriginCircuit::State::Open;
    for (auto& [r, s] : origin_streams) pending |= s.state != OriginStream::State::Open;
    for (auto& [k, c] : relay_circuits)
        pending |= c.next == RelayCircuit::Next::Connecting ||
                   c.next == RelayCircuit::Next::Creating || c.dir_streams > 0;
    if (pending) schedule_housekeeping(now);
}

// ---- driver inputs ----

LinkId Node::accept_link(TimePoint now) {
    impl_->last_now = now;
    auto& d = *impl_;
    LinkId id = d.new_id();
    d.add_link(id, link::LinkSession::responder(d.keys.identity, *d.rng, now, d.config.link), false,
               std::nullopt, now);
    return id;
}

void Node::link_connected(LinkId id, TimePoint now) {
    impl_->last_now = now;
    auto* l = impl_->link(id);
    if (l == nullptr) return;
    l->transport_up = true;
    impl_->dirty_links.insert(id);  // sends the handshake's first message
    (void)now;
}

void Node::link_failed(LinkId id, const std::string& reason, TimePoint now) {
    impl_->last_now = now;
    impl_->close_link(id, "could not connect: " + reason, now, false);
}

void Node::link_data(LinkId id, ByteView bytes, TimePoint now) {
    impl_->last_now = now;
    auto& d = *impl_;
    auto* l = d.link(id);
    if (l == nullptr) return;
    const bool was_open = l->session.state() == link::LinkState::Open;
    if (auto s = l->session.receive(bytes, now); !s) {
        // A reachability check that finds someone else at a relay's address
        // is an expected answer, not something wrong with this node.
        const bool check = d.reachability_links.contains(id);
        d.notice(s.error().code == Errc::BadIdentity && !check ? LogLevel::Warning : LogLevel::Info,
                 "link " + std::to_string(id) + ": " + s.error().message);
        d.close_link(id, s.error().message, now, true);
        return;
    }
    d.dirty_links.insert(id);  // the handshake may have produced a reply
    if (!was_open && l->session.state() == link::LinkState::Open) d.on_link_open(*l, now);
    while (true) {
        l = d.link(id);  // handlers may close the link
        if (l == nullptr) break;
        auto cell = l->session.pop_cell();
        if (!cell) break;
        d.dispatch_cell(*l, *cell, now);
    }
}

void Node::link_closed(LinkId id, TimePoint now) {
    impl_->last_now = now;
    impl_->close_link(id, "closed by peer", now, false);
}

void Node::tick(TimePoint now) {
    impl_->last_now = now;
    auto& d = *impl_;
    std::vector<LinkId> dead, unused;
    for (auto& [id, l] : d.links) {
        // Checked first: a keepalive queued now would only postpone the close.
        if (d.idle_close_at(l) <= now) {
            unused.push_back(id);
            continue;
        }
        if (l.session.next_deadline() <= now) {
            l.session.on_timer(now);
            d.dirty_links.insert(id);
            if (l.session.state() == link::LinkState::Closed) dead.push_back(id);
        }
    }
    for (auto id : dead) {
        auto* l = d.link(id);
        std::string why = l && l->session.close_reason() ? l->session.close_reason()->message
                                                         : std::string("timeout");
        d.close_link(id, why, now, true);
    }
    for (auto id : unused) {
        // Closing the dead links may have put a circuit on this one (a service
        // replacing a lost introduction circuit at once).
        const auto* l = d.link(id);
        if (l == nullptr || d.idle_close_at(*l) > now) continue;
        const auto idle_for = (now - l->idle_since).seconds_count();
        ++d.stats.links_closed_idle;
        d.close_link(id, "no circuit for " + std::to_string(idle_for) + " s", now, true);
    }
    if (d.next_housekeeping <= now) d.housekeeping(now);
    if (d.client.next_deadline() <= now) d.client.tick(now);
    d.directory_schedule(now);
    if (d.service) d.service->tick(now);
    if (d.hsdir.store().next_expiry() <= now) d.hsdir.store().expire(now);
}

TimePoint Node::next_deadline() const {
    auto& d = *impl_;
    TimePoint t = earliest(d.next_housekeeping, d.next_consensus_fetch);
    t = earliest(t, d.next_descriptor_upload);
    if (d.authority) t = earliest(t, d.authority->next_deadline());
    if (d.service) t = earliest(t, d.service->next_deadline());
    t = earliest(t, d.client.next_deadline());
    t = earliest(t, d.hsdir.store().next_expiry());
    for (auto& [id, l] : d.links)
        t = earliest(t, earliest(l.session.next_deadline(), d.idle_close_at(l)));
    return t;
}

std::vector<Output> Node::take_outputs() {
    impl_->flush_links();
    std::vector<Output> out;
    out.swap(impl_->outputs);
    return out;
}

// ---- client API ----

Result<CircuitRef> Node::build_circuit(TimePoint now, std::size_t hops) {
    impl_->last_now = now;
    if (!impl_->consensus) return fail(Errc::NotFound, "no consensus yet: cannot choose a path");
    auto path = impl_->pick_path(hops);
    if (path.size() != hops)
        return fail(Errc::NotFound, "the consensus lists too few relays for a " +
                                        std::to_string(hops) + "-hop path");
    return impl_->start_circuit(std::move(path), nullptr, 0, now);
}

Result<CircuitRef> Node::build_circuit(std::vector<PathHop> path, TimePoint now) {
    impl_->last_now = now;
    if (path.empty()) return fail(Errc::Config, "a circuit needs at least one hop");
    return impl_->start_circuit(std::move(path), nullptr, 0, now);
}

Result<StreamRef> Node::open_stream(CircuitRef circuit, const std::string& host, std::uint16_t port,
                                    TimePoint now) {
    impl_->last_now = now;
    if (host.empty() || host.size() > 255 || port == 0)
        return fail(Errc::Config, "stream target must be host:port with a non-zero port");
    return impl_->start_stream(circuit, wire::RelayCommand::Begin, wire::encode_begin({host, port}),
                               0, now);
}

Result<StreamRef> Node::open_dir_stream(CircuitRef circuit, TimePoint now) {
    impl_->last_now = now;
    return impl_->start_stream(circuit, wire::RelayCommand::BeginDir, {}, 0, now);
}

Status Node::stream_send(StreamRef ref, ByteView data, TimePoint now) {
    impl_->last_now = now;
    auto it = impl_->origin_streams.find(ref);
    if (it == impl_->origin_streams.end()) return fail(Errc::NotFound, "no such stream");
    auto& s = it->second;
    if (s.backlog.size() + data.size() > impl_->config.limits.max_stream_buffer) {
        s.writable_wanted = true;
        return fail(Errc::Limit, "stream buffer full: wait until queued data is sent");
    }
    s.backlog.insert(s.backlog.end(), data.begin(), data.end());
    if (s.state == OriginStream::State::Open) impl_->origin_stream_flush(s);
    return {};
}

void Node::close_stream(StreamRef ref, TimePoint now) {
    impl_->last_now = now;
    impl_->origin_stream_closed(ref, "closed locally", true);
}

void Node::close_circuit(CircuitRef ref, TimePoint now) {
    impl_->last_now = now;
    impl_->origin_close(ref, "closed locally", true, now);
}

std::size_t Node::stream_backlog(StreamRef ref) const {
    auto it = impl_->origin_streams.find(ref);
    return it == impl_->origin_streams.end() ? 0 : it->second.backlog.size();
}

// ---- state ----

const dir::Consensus* Node::consensus() const {
    return impl_->consensus ? &*impl_->consensus : nullptr;
}
const crypto::Ed25519PublicKey& Node::identity() const {
    return impl_->keys.identity.public_key();
}
const crypto::X25519PublicKey& Node::onion_key() const {
    return impl_->keys.onion.public_key();
}
const NodeConfig& Node::config() const {
    return impl_->config;
}

NodeStats Node::stats() const {
    NodeStats s = impl_->stats;
    s.links = impl_->links.size();
    s.relay_circuits = impl_->relay_circuits.size();
    s.origin_circuits = impl_->circuits.size();
    s.streams = impl_->origin_streams.size();
    std::uint64_t queued = 0;
    for (auto& [id, l] : impl_->links) queued += l.session.queued_cells() * wire::kCellLen;
    s.bytes_queued = queued;
    s.introductions_forwarded = impl_->intro_point.introductions_forwarded();
    s.introductions_unknown_key = impl_->intro_point.introductions_unknown();
    s.hsdir_descriptors = impl_->hsdir.store().size();
    s.hsdir_uploads_over_quota = impl_->hsdir.uploads_over_quota();
    for (auto& [k, c] : impl_->relay_circuits) {
        for (auto& [id, hs] : c.streams) s.exit_bytes_unwritten += hs.unwritten;
        s.dir_streams += c.dir_streams;
    }
    s.dir_bytes_buffered = impl_->dir_buffered;
    return s;
}

std::optional<dir::RelayDescriptor> Node::relay_descriptor(TimePoint now) const {
    if (!impl_->config.relay) return std::nullopt;
    return impl_->make_descriptor(now);
}

void Node::set_misbehaviour(Misbehaviour m) {
    impl_->config.misbehaviour = m;
}

// ---- private service: this node as the service ----

Status Node::service_start(hs::ServiceConfig config, TimePoint now) {
    auto& d = *impl_;
    d.last_now = now;
    if (d.service) return fail(Errc::Protocol, "the private service is already running");
    auto s = PrivateService::start(d.context, config, now);
    if (!s) return std::unexpected(s.error());
    d.service = std::move(*s);
    return {};
}

Status Node::service_add_contact(hs::ContactId id, hs::ContactGrant grant, bool hidden,
                                 TimePoint now) {
    impl_->last_now = now;
    if (!impl_->service) return fail(Errc::Protocol, "start the private service first");
    return impl_->service->add_contact(id, std::move(grant), hidden, now);
}

Status Node::service_revoke(hs::ContactId id, TimePoint now) {
    impl_->last_now = now;
    if (!impl_->service) return fail(Errc::Protocol, "no private service");
    return impl_->service->revoke(id, now);
}

Status Node::service_hide(hs::ContactId id, bool hidden, TimePoint now) {
    impl_->last_now = now;
    if (!impl_->service) return fail(Errc::Protocol, "no private service");
    return impl_->service->hide(id, hidden, now);
}

void Node::service_set_visible(bool visible, TimePoint now) {
    impl_->last_now = now;
    if (impl_->service) impl_->service->set_visible(visible, now);
}

hs::ServiceStats Node::service_stats() const {
    return impl_->service ? impl_->service->stats() : hs::ServiceStats{};
}

std::vector<crypto::Ed25519PublicKey> Node::service_intro_keys() const {
    return impl_->service ? impl_->service->intro_keys() : std::vector<crypto::Ed25519PublicKey>{};
}

// ---- private service: this node as a client ----

Result<hs::ConnectId> Node::connect_service(const hs::ContactCredentials& creds, TimePoint now) {
    impl_->last_now = now;
    return impl_->client.connect(creds, std::nullopt, now);
}

Result<hs::ConnectId> Node::connect_service_via(const hs::ContactCredentials& creds,
                                                std::vector<hs::IntroPointInfo> intro_points,
                                                TimePoint now) {
    if (intro_points.empty()) return fail(Errc::Config, "no introduction points given");
    impl_->last_now = now;
    return impl_->client.connect(creds, std::move(intro_points), now);
}

void Node::set_client_config(hs::ClientConfig config, Duration time_period) {
    impl_->client.set_config(config, time_period);
}

}  // namespace sotto::node
