// Circuits and streams this node originates: path choice, building hop by
// hop (CREATE2 then EXTEND2 per further hop), sending and receiving relay
// cells through every layer, stream windows, and timeouts. What a circuit
// is for is its handler's business (circuit_table.hpp): it hears when the
// circuit is built, the relay cells this file does not handle, and the close.
#include <algorithm>

#include "core/node/node_impl.hpp"

namespace sotto::node {

using wire::Cell;
using wire::CellCommand;
using wire::RelayCell;
using wire::RelayCommand;

namespace {

onion::ClientHandshake handshake_for(const PathHop& hop, Rng& rng) {
    // Without a known onion key (a directory authority before the first
    // consensus) only the fast first-hop handshake is possible; the link
    // handshake has already authenticated the relay's identity.
    if (hop.onion_key.is_zero()) return onion::ClientHandshake::fast(rng);
    return onion::ClientHandshake::ntor(hop.identity, hop.onion_key, rng);
}

std::string end_reason_text(const Bytes& data) {
    if (data.empty()) return "closed by the exit";
    switch (static_cast<wire::EndReason>(data[0])) {
        case wire::EndReason::Done:
            return "closed by the other side";
        case wire::EndReason::ConnectRefused:
            return "the exit could not connect to the target";
        case wire::EndReason::ExitPolicy:
            return "the exit's policy does not allow this target";
        case wire::EndReason::ResourceLimit:
            return "the relay refused: resource limit";
        case wire::EndReason::Protocol:
            return "protocol violation";
        case wire::EndReason::Timeout:
            return "timeout";
        default:
            return "closed by the exit (reason " + std::to_string(data[0]) + ")";
    }
}

const char* stream_command_name(RelayCommand c) {
    switch (c) {
        case RelayCommand::Begin:
            return "BEGIN";
        case RelayCommand::BeginDir:
            return "BEGIN_DIR";
        case RelayCommand::Connected:
            return "CONNECTED";
        case RelayCommand::Data:
            return "DATA";
        case RelayCommand::End:
            return "END";
        case RelayCommand::Sendme:
            return "SENDME";
        default:
            return "a relay cell";
    }
}

}  // namespace

std::vector<PathHop> Node::Impl::pick_path(std::size_t hops) {
    std::vector<const dir::ConsensusEntry*> usable, exits_;
    for (auto& e : consensus->relays) {
        if (!(e.flags & dir::kFlagRunning) || e.identity == keys.identity.public_key()) continue;
        usable.push_back(&e);
        if (e.flags & dir::kFlagExit) exits_.push_back(&e);
    }
    std::vector<PathHop> path;
    if (usable.size() < hops || hops == 0) return path;
    // The last hop should be able to open exit streams when any relay can.
    const auto& last_pool = exits_.empty() ? usable : exits_;
    const auto* last = last_pool[rng->uniform(last_pool.size())];
    std::erase(usable, last);
    for (std::size_t i = 0; i + 1 < hops; ++i) {
        auto k = rng->uniform(usable.size());
        path.push_back(PathHop::from(*usable[k]));
        usable.erase(usable.begin() + static_cast<long>(k));
    }
    path.push_back(PathHop::from(*last));
    return path;
}

std::vector<PathHop> Node::Impl::path_to(const PathHop& last, std::size_t hops) {
    std::vector<PathHop> path;
    if (!consensus || hops == 0) return path;
    std::vector<const dir::ConsensusEntry*> pool;
    for (auto& e : consensus->relays)
        if ((e.flags & dir::kFlagRunning) && e.identity != last.identity &&
            e.identity != keys.identity.public_key())
            pool.push_back(&e);
    if (pool.size() + 1 < hops) return path;
    for (std::size_t i = 0; i + 1 < hops; ++i) {
        auto k = rng->uniform(pool.size());
        path.push_back(PathHop::from(*pool[k]));
        pool.erase(pool.begin() + static_cast<long>(k));
    }
    path.push_back(last);
    return path;
}

Result<CircuitRef> Node::Impl::start_circuit(std::vector<PathHop> path, CircuitHandler* handler,
                                             std::uint64_t owner, TimePoint now) {
    CircuitRef ref = new_id();
    LinkId l = link_to(path.front(), now);
    auto* le = link(l);
    OriginCircuit c;
    c.ref = ref;
    c.link = l;
    c.id = allocate_circ_id(*le);
    c.path = std::move(path);
    c.build_deadline = now + config.circuit_build_timeout;
    c.handler = handler;
    c.owner = owner;
    c.app_visible = handler == nullptr;
    attach_circuit(*le, c.id, CircuitSlot{CircuitSlot::Kind::Origin, ref});
    const bool open = le->session.state() == link::LinkState::Open;
    auto& added = circuits.add(std::move(c));
    if (open) origin_link_open(added, now);
    schedule_housekeeping(now);
    return ref;
}

void Node::Impl::origin_link_open(OriginCircuit& c, TimePoint) {
    c.state = OriginCircuit::State::Building;
    c.pending = handshake_for(c.path.front(), *rng);
    wire::Create2 create{c.pending->type(), c.pending->request()};
    send_cell(c.link, Cell::make(c.id, CellCommand::Create2, wire::encode_create2(create)));
}

void Node::Impl::origin_send(OriginCircuit& c, std::size_t hop, const RelayCell& rc, bool early) {
    Cell cell;
    cell.circ_id = c.id;
    cell.command = early ? CellCommand::RelayEarly : CellCommand::Relay;
    if (!wire::encode_relay_cell(rc, cell.payload)) return;
    onion::client_encrypt_forward(c.hops, hop, cell.payload);
    send_cell(c.link, cell);
}

void Node::Impl::origin_close(CircuitRef ref, const std::string& reason, bool send_destroy,
                              TimePoint) {
    auto taken = circuits.take(ref);
    if (!taken) return;
    auto& c = *taken;
    if (auto* l = link(c.link)) {
        if (send_destroy && c.state != OriginCircuit::State::Connecting) {
            Cell d = Cell::make(c.id, CellCommand::Destroy);
            d.payload[0] = static_cast<std::uint8_t>(wire::DestroyReason::Finished);
            send_cell(c.link, d);
        }
        detach_circuit(*l, c.id);
    }
    auto streams = std::move(c.streams);
    for (auto& [id, sref] : streams) origin_stream_closed(sref, "circuit closed: " + reason, false);
    if (!c.app_visible)
        log->log(LogLevel::Debug, "circuit",
                 "internal circuit " + std::to_string(ref) + " closed: " + reason);
    circuits.closed(c, reason, last_now);
}

void Node::Impl::origin_stream_closed(StreamRef ref, const std::string& reason, bool send_end) {
    auto it = origin_streams.find(ref);
    if (it == origin_streams.end()) return;
    auto s = std::move(it->second);
    origin_streams.erase(it);
    if (auto* c = circuits.find(s.circuit)) {
        c->streams.erase(s.id);
        if (send_end)
            origin_send(*c, s.hop,
                        RelayCell{RelayCommand::End, s.id,
                                  Bytes{static_cast<std::uint8_t>(wire::EndReason::Done)}});
    }
    if (s.job != 0)
        job_failed(s.job, "stream closed: " + reason, TimePoint{});
    else
        emit(StreamClosed{ref, reason});
}

void Node::Impl::origin_stream_flush(OriginStream& s) {
    auto* found = circuits.find(s.circuit);
    if (found == nullptr) return;
    auto& circ = *found;
    while (!s.backlog.empty() && circ.window.can_package() && s.window.can_package()) {
        const std::size_t n = std::min(s.backlog.size(), wire::kRelayDataMax);
        RelayCell rc{RelayCommand::Data, s.id,
                     Bytes(s.backlog.begin(), s.backlog.begin() + static_cast<long>(n))};
        s.backlog.erase(s.backlog.begin(), s.backlog.begin() + static_cast<long>(n));
        circ.window.packaged();
        s.window.packaged();
        origin_send(circ, s.hop, rc);
    }
    if (s.writable_wanted && s.backlog.size() <= config.limits.max_stream_buffer / 2) {
        s.writable_wanted = false;
        emit(StreamWritable{s.ref});
    }
}

Result<StreamRef> Node::Impl::start_stream(CircuitRef circuit, RelayCommand cmd, Bytes begin_data,
                                           std::uint64_t job, TimePoint now) {
    auto* found = circuits.find(circuit);
    if (found == nullptr) return fail(Errc::NotFound, "no such circuit");
    auto& c = *found;
    if (c.state != OriginCircuit::State::Open)
        return fail(Errc::Protocol, "circuit is not built yet");
    if (c.streams.size() >= config.limits.max_streams_per_circuit)
        return fail(Errc::Limit, "too many streams on this circuit");
    while (c.streams.contains(c.next_stream) || c.next_stream == 0) ++c.next_stream;
    StreamId id = c.next_stream++;
    StreamRef ref = new_id();
    OriginStream s;
    s.ref = ref;
    s.circuit = circuit;
    s.id = id;
    s.hop = c.hops.size() - 1;
    s.job = job;
    s.deadline = now + config.stream_connect_timeout;
    origin_streams.emplace(ref, std::move(s));
    c.streams[id] = ref;
    origin_send(c, c.hops.size() - 1, RelayCell{cmd, id, std::move(begin_data)});
    schedule_housekeeping(now);
    return ref;
}

StreamRef Node::Impl::accept_stream(CircuitRef circuit, StreamId id, std::size_t from) {
    auto& c = *circuits.find(circuit);
    OriginStream st;
    st.ref = new_id();
    st.circuit = circuit;
    st.id = id;
    st.hop = from;
    st.state = OriginStream::State::Open;
    const auto ref = st.ref;
    origin_streams.emplace(ref, std::move(st));
    c.streams[id] = ref;
    origin_send(c, c.hops.size() - 1, RelayCell{RelayCommand::Connected, id, {}});
    return ref;
}

Status Node::Impl::origin_add_hop(OriginCircuit& c, ByteView reply) {
    auto keys_ = c.pending->finish(reply);
    c.pending.reset();
    if (!keys_) return std::unexpected(keys_.error());
    auto hop = onion::HopCrypto::create(*keys_);
    if (!hop) return std::unexpected(hop.error());
    c.hops.push_back(std::move(*hop));
    c.bindings.push_back(onion::circuit_binding(*keys_));
    return {};
}

bool Node::Impl::origin_hop_may_speak(const OriginCircuit& c, std::size_t from,
                                      const RelayCell& rc) const {
    if (config.misbehaviour.accept_stream_cells_from_any_hop) return true;
    switch (rc.command) {
        case RelayCommand::Connected:
        case RelayCommand::Data:
        case RelayCommand::End:
        case RelayCommand::Sendme: {
            // A stream's cells come from the hop it runs to. Circuit-level
            // cells (SENDME 0) and cells for streams already gone come from
            // the last hop: every stream of ours runs there, so it is the
            // only hop that sends DATA (and takes our circuit SENDMEs).
            std::size_t owner = c.hops.size() - 1;
            if (auto s = c.streams.find(rc.stream_id); rc.stream_id != 0 && s != c.streams.end())
                if (auto os = origin_streams.find(s->second); os != origin_streams.end())
                    owner = os->second.hop;
            return from == owner;
        }
        case RelayCommand::Begin:
        case RelayCommand::BeginDir:
            // Only the far end of a joined rendezvous path opens streams
            // towards us (RendezvousResponder); a relay on the path never does.
            return from + 1 == c.hops.size();
        default:
            return true;  // relay commands: each handler checks its hop
    }
}

void Node::Impl::origin_on_cell(OriginCircuit& c, const Cell& cell, TimePoint now) {
    const CircuitRef ref = c.ref;
    if (cell.command == CellCommand::Destroy) {
        auto r = static_cast<wire::DestroyReason>(cell.payload[0]);
        origin_close(ref, std::string("destroyed by the network: ") + wire::destroy_reason_name(r),
                     false, now);
        return;
    }
    if (cell.command == CellCommand::Created2) {
        if (c.state != OriginCircuit::State::Building || !c.hops.empty() || !c.pending) {
            origin_close(ref, "unexpected CREATED2", true, now);
            return;
        }
        auto created = wire::decode_created2(cell.payload);
        auto added = created ? origin_add_hop(c, created->handshake)
                             : Status(std::unexpected(created.error()));
        if (!added) {
            origin_close(ref, "first hop handshake failed: " + added.error().message, true, now);
            return;
        }
    } else if (cell.command == CellCommand::Relay || cell.command == CellCommand::RelayEarly) {
        if (c.hops.empty()) {
            origin_close(ref, "relay cell before the circuit was created", true, now);
            return;
        }
        onion::CellPayload payload = cell.payload;
        auto from = onion::client_decrypt_backward(c.hops, payload);
        auto rc = from ? wire::decode_relay_cell(payload)
                       : Result<RelayCell>(std::unexpected(Error{Errc::BadSignature, ""}));
        if (!rc) {
            // A cell no hop recognises was corrupted, forged or replayed on
            // the way: the circuit can no longer be trusted.
            ++stats.circuits_torn_protocol;
            origin_close(ref, "a relay on the path sent a corrupt cell", true, now);
            return;
        }
        if (!origin_hop_may_speak(c, *from, *rc)) {
            ++stats.circuits_torn_wrong_hop;
            origin_close(ref,
                         "hop " + std::to_string(*from + 1) + " sent " +
                             stream_command_name(rc->command) + " for a stream that is not its own",
                         true, now);
            return;
        }
        switch (rc->command) {
            case RelayCommand::Extended2: {
                if (!c.pending || *from + 1 != c.hops.size()) {
                    origin_close(ref, "unexpected EXTENDED2", true, now);
                    return;
                }
                auto created = wire::decode_extended2(rc->data);
                auto added = created ? origin_add_hop(c, created->handshake)
                                     : Status(std::unexpected(created.error()));
                if (!added) {
                    origin_close(ref,
                                 "handshake with hop " + std::to_string(c.hops.size() + 1) +
                                     " failed: " + added.error().message,
                                 true, now);
                    return;
                }
                break;
            }
            case RelayCommand::Connected: {
                auto s = c.streams.find(rc->stream_id);
                if (s == c.streams.end()) return;
                auto os = origin_streams.find(s->second);
                if (os == origin_streams.end() || os->second.state == OriginStream::State::Open)
                    return;
                os->second.state = OriginStream::State::Open;
                os->second.deadline = TimePoint::never();
                if (os->second.job != 0)
                    job_stream_open(os->second.job, now);
                else
                    emit(StreamOpened{os->first});
                if (auto again = origin_streams.find(s->second); again != origin_streams.end())
                    origin_stream_flush(again->second);
                return;
            }
            case RelayCommand::Data: {
                if (!c.window.delivered()) {
                    origin_close(ref, "relay overran the circuit window", true, now);
                    return;
                }
                const bool ack = !config.misbehaviour.withhold_sendmes;
                if (c.window.take_sendme() && ack)
                    origin_send(c, c.hops.size() - 1, RelayCell{RelayCommand::Sendme, 0, {}});
                auto s = c.streams.find(rc->stream_id);
                if (s == c.streams.end()) return;
                auto os = origin_streams.find(s->second);
                if (os == origin_streams.end()) return;
                if (!os->second.window.delivered()) {
                    origin_stream_closed(os->first, "exit overran the stream window", true);
                    return;
                }
                if (os->second.window.take_sendme() && ack)
                    origin_send(c, os->second.hop,
                                RelayCell{RelayCommand::Sendme, rc->stream_id, {}});
                if (os->second.job != 0)
                    job_stream_data(os->second.job, rc->data, now);
                else
                    emit(StreamData{os->first, std::move(rc->data)});
                return;
            }
            case RelayCommand::End: {
                auto s = c.streams.find(rc->stream_id);
                if (s != c.streams.end())
                    origin_stream_closed(s->second, end_reason_text(rc->data), false);
                return;
            }
            case RelayCommand::Sendme: {
                if (rc->stream_id == 0) {
                    if (!c.window.on_sendme()) {
                        origin_close(ref, "unexpected circuit SENDME", true, now);
                        return;
                    }
                    std::vector<StreamRef> refs;
                    for (auto& [id, sref] : c.streams) refs.push_back(sref);
                    for (auto sref : refs)
                        if (auto os = origin_streams.find(sref); os != origin_streams.end())
                            origin_stream_flush(os->second);
                    return;
                }
                auto s = c.streams.find(rc->stream_id);
                if (s == c.streams.end()) return;
                auto os = origin_streams.find(s->second);
                if (os == origin_streams.end()) return;
                if (!os->second.window.on_sendme()) {
                    origin_stream_closed(os->first, "unexpected stream SENDME", true);
                    return;
                }
                origin_stream_flush(os->second);
                return;
            }
            case RelayCommand::Truncated:
                origin_close(ref, "a relay truncated the circuit", true, now);
                return;
            case RelayCommand::Drop:
                return;
            default:
                // Private-service commands (and BEGIN from a joined client)
                // belong to whoever the circuit is for.
                circuits.cell(c, FromHop{*from, *from + 1 == c.hops.size()}, *rc, now);
                return;
        }
    } else {
        origin_close(ref, "unexpected cell", true, now);
        return;
    }
    // A hop was added: extend further, or the circuit is ready.
    if (c.hops.size() < c.path.size()) {
        const auto& next = c.path[c.hops.size()];
        c.pending = onion::ClientHandshake::ntor(next.identity, next.onion_key, *rng);
        wire::Extend2 ext{next.identity, next.host, next.port,
                          wire::Create2{c.pending->type(), c.pending->request()}};
        origin_send(c, c.hops.size() - 1,
                    RelayCell{RelayCommand::Extend2, 0, wire::encode_extend2(ext)}, true);
        return;
    }
    c.state = OriginCircuit::State::Open;
    c.build_deadline = TimePoint::never();
    circuits.ready(c, now);
}

void Node::Impl::origin_timeouts(TimePoint now) {
    std::vector<CircuitRef> late;
    for (auto& [ref, c] : circuits)
        if (c.state != OriginCircuit::State::Open && c.build_deadline <= now) late.push_back(ref);
    for (auto ref : late) origin_close(ref, "circuit build timed out", true, now);
    std::vector<StreamRef> slow;
    for (auto& [ref, s] : origin_streams)
        if (s.state == OriginStream::State::Connecting && s.deadline <= now) slow.push_back(ref);
    for (auto ref : slow) origin_stream_closed(ref, "stream connect timed out", true);
}

}  // namespace sotto::node
