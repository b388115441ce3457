// The relay role: answering CREATE2, forwarding relay cells in both
// directions, extending circuits, and the streams that end at this relay
// (exit connections and BEGIN_DIR directory requests), with SENDME windows
// and creation limits.
#include <algorithm>

#include "core/dir/address.hpp"
#include "core/hs/hsdir_messages.hpp"
#include "core/node/node_impl.hpp"

namespace sotto::node {

using wire::Cell;
using wire::CellCommand;
using wire::DestroyReason;
using wire::RelayCell;
using wire::RelayCommand;

namespace {

constexpr int kMaxRelayEarly = 8;
// Above this many unwritten bytes on an exit connection, stream SENDMEs wait.
constexpr std::size_t kExitWriteHighWater = 256 * 1024;
// Every request a relay that is not an authority answers fits its limit.
static_assert(hs::kMaxHsDirMessageLen <= dir::kMaxRelayRequestLen);

Cell destroy_cell(CircuitId id, DestroyReason r) {
    Cell c = Cell::make(id, CellCommand::Destroy);
    c.payload[0] = static_cast<std::uint8_t>(r);
    return c;
}

}  // namespace

bool Node::Impl::exit_allowed(const std::string& host, std::uint16_t port) const {
    if (!config.relay) return false;
    return std::any_of(
        config.relay->exit_policy.begin(), config.relay->exit_policy.end(), [&](const ExitRule& r) {
            return (r.host == "*" || r.host == host) && port >= r.port_min && port <= r.port_max;
        });
}

void Node::Impl::relay_on_create(LinkEntry& l, const Cell& cell, TimePoint now) {
    auto refuse = [&](DestroyReason r) {
        ++stats.circuits_refused;
        send_cell(l.id, destroy_cell(cell.circ_id, r));
    };
    if (!config.relay || l.outbound || l.circuits.contains(cell.circ_id)) {
        refuse(DestroyReason::Protocol);
        return;
    }
    // Token bucket per link, plus absolute caps, so one client cannot make
    // the relay spend all its CPU on handshakes or all its memory on state.
    const double elapsed = static_cast<double>((now - l.tokens_at).us) / 1e6;
    l.tokens_at = now;
    l.create_tokens = std::min(config.limits.create_burst,
                               l.create_tokens + elapsed * config.limits.create_per_second);
    if (l.create_tokens < 1 || relay_circuits.size() >= config.limits.max_circuits_total ||
        l.circuits.size() >= config.limits.max_circuits_per_link) {
        refuse(DestroyReason::ResourceLimit);
        return;
    }
    l.create_tokens -= 1;
    auto req = wire::decode_create2(cell.payload);
    if (!req) {
        refuse(DestroyReason::Protocol);
        return;
    }
    auto hs = onion::server_handshake(req->handshake_type, req->handshake,
                                      keys.identity.public_key(), keys.onion, *rng);
    if (!hs) {
        refuse(DestroyReason::Protocol);
        return;
    }
    auto crypto = onion::HopCrypto::create(hs->keys);
    if (!crypto) {
        refuse(DestroyReason::Internal);
        return;
    }
    std::uint64_t key = new_id();
    auto [it, inserted] = relay_circuits.emplace(
        key, RelayCircuit{key, l.id, cell.circ_id, 0, 0, RelayCircuit::Next::None, std::nullopt,
                          TimePoint::never(), std::move(*crypto)});
    it->second.binding = onion::circuit_binding(hs->keys);
    attach_circuit(l, cell.circ_id, CircuitSlot{CircuitSlot::Kind::Relay, key});
    send_cell(l.id, Cell::make(cell.circ_id, CellCommand::Created2,
                               wire::encode_created2({std::move(hs->reply)})));
}

void Node::Impl::relay_send_back(RelayCircuit& c, const RelayCell& rc) {
    Cell cell;
    cell.circ_id = c.prev_id;
    cell.command = CellCommand::Relay;
    if (!wire::encode_relay_cell(rc, cell.payload)) return;
    c.crypto.relay_originate_backward(cell.payload);
    send_cell(c.prev_link, cell);
}

void Node::Impl::relay_destroy(RelayCircuit& c, DestroyReason r, bool tell_prev, bool tell_next) {
    if (c.splice != 0) {
        // A rendezvous joins two circuits into one path: both go together.
        auto partner = relay_circuits.find(c.splice);
        c.splice = 0;
        if (partner != relay_circuits.end()) {
            partner->second.splice = 0;
            relay_destroy(partner->second, r, true, true);
        }
    }
    hs_relay_circuit_gone(c.key);
    for (auto& [id, s] : c.streams) {
        if (s.kind == HopStream::Kind::Exit && s.exit != 0) {
            act(ExitClose{s.exit});
            exits.erase(s.exit);
        }
        dir_buffered -= s.accounted;
    }
    if (auto* p = link(c.prev_link)) {
        if (tell_prev) send_cell(c.prev_link, destroy_cell(c.prev_id, r));
        detach_circuit(*p, c.prev_id);
    }
    if (c.next_link != 0) {
        if (auto* n = link(c.next_link)) {
            if (tell_next && c.next != RelayCircuit::Next::Connecting)
                send_cell(c.next_link, destroy_cell(c.next_id, r));
            detach_circuit(*n, c.next_id);
        }
    }
    relay_circuits.erase(c.key);
}

void Node::Impl::relay_on_destroy(RelayCircuit& c, bool from_prev, DestroyReason r, TimePoint) {
    // Propagate along the circuit so every hop frees its state.
    relay_destroy(c, r, !from_prev, from_prev);
}

void Node::Impl::relay_link_lost(std::uint64_t key, LinkId lost, TimePoint) {
    auto it = relay_circuits.find(key);
    if (it == relay_circuits.end()) return;
    auto& c = it->second;
    const bool prev_lost = c.prev_link == lost;
    const auto reason = !prev_lost && c.next == RelayCircuit::Next::Connecting
                            ? DestroyReason::ConnectFailed
                            : DestroyReason::LinkClosed;
    relay_destroy(c, reason, !prev_lost, prev_lost);
}

void Node::Impl::relay_next_link_open(LinkId id, TimePoint) {
    for (auto& [key, c] : relay_circuits) {
        if (c.next_link != id || c.next != RelayCircuit::Next::Connecting) continue;
        c.next = RelayCircuit::Next::Creating;
        send_cell(id, Cell::make(c.next_id, CellCommand::Create2,
                                 wire::encode_create2(*c.pending_create)));
        c.pending_create.reset();
    }
}

void Node::Impl::relay_timeouts(TimePoint now) {
    std::vector<std::uint64_t> late;
    for (auto& [key, c] : relay_circuits)
        if (c.extend_deadline <= now &&
            (c.next == RelayCircuit::Next::Connecting || c.next == RelayCircuit::Next::Creating))
            late.push_back(key);
    for (auto key : late) {
        auto it = relay_circuits.find(key);
        if (it != relay_circuits.end())
            relay_destroy(it->second, DestroyReason::Timeout, true, true);
    }
    // Directory streams that moved nothing for dir_stream_idle_timeout: a
    // request that stalls, or an answer its client stopped reading, would
    // otherwise hold its buffers (and a place under the caps) for ever.
    std::vector<std::pair<std::uint64_t, StreamId>> idle;
    for (auto& [key, c] : relay_circuits) {
        if (c.dir_streams == 0) continue;
        for (auto& [id, s] : c.streams)
            if (s.kind == HopStream::Kind::Dir && s.idle_deadline <= now) idle.push_back({key, id});
    }
    for (auto [key, id] : idle) {
        auto it = relay_circuits.find(key);
        if (it == relay_circuits.end()) continue;
        ++stats.dir_streams_timed_out;
        hop_stream_end(it->second, id, wire::EndReason::Timeout, true);
    }
}

void Node::Impl::hop_stream_flush(RelayCircuit& c, HopStream& s) {
    const std::size_t before = s.pending.size();
    while (!s.pending.empty() && c.window.can_package() && s.window.can_package()) {
        const std::size_t n = std::min(s.pending.size(), wire::kRelayDataMax);
        RelayCell rc{RelayCommand::Data, s.id,
                     Bytes(s.pending.begin(), s.pending.begin() + static_cast<long>(n))};
        s.pending.erase(s.pending.begin(), s.pending.begin() + static_cast<long>(n));
        c.window.packaged();
        s.window.packaged();
        relay_send_back(c, rc);
    }
    if (s.kind == HopStream::Kind::Exit && s.exit != 0) {
        // Stop reading the exit connection while the client's window is full,
        // so this relay never buffers more than about one read per stream.
        const bool should_pause = !s.pending.empty();
        if (should_pause != s.paused) {
            s.paused = should_pause;
            act(ExitPause{s.exit, should_pause});
        }
    }
    if (s.kind == HopStream::Kind::Dir) {
        dir_account(s);
        if (s.pending.size() != before) s.idle_deadline = last_now + config.dir_stream_idle_timeout;
    }
    if (s.pending.empty() && s.end_after_pending)
        hop_stream_end(c, s.id, wire::EndReason::Done, true);
}

void Node::Impl::hop_stream_end(RelayCircuit& c, StreamId id, wire::EndReason r, bool send_end) {
    auto it = c.streams.find(id);
    if (it == c.streams.end()) return;
    if (it->second.kind == HopStream::Kind::Exit && it->second.exit != 0) {
        act(ExitClose{it->second.exit});
        exits.erase(it->second.exit);
    }
    if (it->second.kind == HopStream::Kind::Dir) --c.dir_streams;
    dir_buffered -= it->second.accounted;
    c.streams.erase(it);
    if (send_end)
        relay_send_back(c, RelayCell{RelayCommand::End, id, Bytes{static_cast<std::uint8_t>(r)}});
}

void Node::Impl::relay_on_cell(RelayCircuit& c, bool from_prev, const Cell& in, TimePoint now) {
    const bool relay_cmd =
        in.command == CellCommand::Relay || in.command == CellCommand::RelayEarly;
    if (!from_prev) {
        if (in.command == CellCommand::Created2 && c.next == RelayCircuit::Next::Creating) {
            c.next = RelayCircuit::Next::Open;
            c.extend_deadline = TimePoint::never();
            auto created = wire::decode_created2(in.payload);
            if (!created) {
                relay_destroy(c, DestroyReason::Protocol, true, true);
                return;
            }
            relay_send_back(
                c, RelayCell{RelayCommand::Extended2, 0, wire::encode_extended2(*created)});
            return;
        }
        if (!relay_cmd || c.next != RelayCircuit::Next::Open) {
            relay_destroy(c, DestroyReason::Protocol, true, true);
            return;
        }
        Cell out = in;
        out.circ_id = c.prev_id;
        out.command = CellCommand::Relay;
        c.crypto.relay_wrap_backward(out.payload);
        if (config.misbehaviour.corrupt_relayed_cells) out.payload[200] ^= 0x5a;
        send_cell(c.prev_link, out);
        if (config.misbehaviour.replay_relayed_cells) send_cell(c.prev_link, out);
        ++stats.cells_relayed;
        return;
    }
    if (!relay_cmd) {
        relay_destroy(c, DestroyReason::Protocol, true, true);
        return;
    }
    if (in.command == CellCommand::RelayEarly && ++c.relay_early_seen > kMaxRelayEarly) {
        relay_destroy(c, DestroyReason::Protocol, true, true);
        return;
    }
    Cell cell = in;
    if (!c.crypto.relay_unwrap_forward(cell.payload)) {
        if (c.splice != 0) {
            // Joined at this rendezvous point: the cell is for the far end,
            // sealed end to end; it leaves on the other circuit with this
            // relay's backward layer added, like any cell towards that origin.
            auto partner = relay_circuits.find(c.splice);
            if (partner == relay_circuits.end()) {
                relay_destroy(c, DestroyReason::Protocol, true, true);
                return;
            }
            cell.circ_id = partner->second.prev_id;
            cell.command = CellCommand::Relay;
            partner->second.crypto.relay_wrap_backward(cell.payload);
            send_cell(partner->second.prev_link, cell);
            ++stats.cells_relayed;
            return;
        }
        if (c.next != RelayCircuit::Next::Open) {
            // Not for us and nowhere to send it: a corrupt or forged cell.
            ++stats.circuits_torn_protocol;
            relay_destroy(c, DestroyReason::Protocol, true, true);
            return;
        }
        cell.circ_id = c.next_id;
        if (config.misbehaviour.corrupt_relayed_cells) cell.payload[200] ^= 0x5a;
        send_cell(c.next_link, cell);
        if (config.misbehaviour.replay_relayed_cells) send_cell(c.next_link, cell);
        ++stats.cells_relayed;
        return;
    }
    auto rc = wire::decode_relay_cell(cell.payload);
    if (!rc) {
        relay_destroy(c, DestroyReason::Protocol, true, true);
        return;
    }
    switch (rc->command) {
        case RelayCommand::Extend2: {
            if (in.command != CellCommand::RelayEarly || c.next != RelayCircuit::Next::None) {
                relay_destroy(c, DestroyReason::Protocol, true, true);
                return;
            }
            auto ext = wire::decode_extend2(rc->data);
            if (!ext || ext->identity == keys.identity.public_key()) {
                relay_destroy(c, DestroyReason::Protocol, true, true);
                return;
            }
            // A public relay must not be a way into its own host or LAN (a
            // client cannot reach 127.0.0.1 or 10.x behind the relay, but
            // the relay can). Refused like a target that does not answer.
            if (!config.network.allow_private_addresses && dir::is_non_public_host(ext->host)) {
                ++stats.extends_refused_private;
                log->log(LogLevel::Debug, "relay", "EXTEND2 to a non-public address refused");
                relay_destroy(c, DestroyReason::ConnectFailed, true, true);
                return;
            }
            LinkId next = link_to(PathHop{ext->identity, {}, ext->host, ext->port}, now);
            auto* nl = link(next);
            c.next_link = next;
            c.next_id = allocate_circ_id(*nl);
            attach_circuit(*nl, c.next_id, CircuitSlot{CircuitSlot::Kind::Relay, c.key});
            c.extend_deadline = now + config.circuit_build_timeout;
            schedule_housekeeping(now);
            if (nl->session.state() == link::LinkState::Open) {
                c.next = RelayCircuit::Next::Creating;
                send_cell(next, Cell::make(c.next_id, CellCommand::Create2,
                                           wire::encode_create2(ext->create)));
            } else {
                c.next = RelayCircuit::Next::Connecting;
                c.pending_create = std::move(ext->create);
            }
            return;
        }
        case RelayCommand::Begin:
        case RelayCommand::BeginDir: {
            if (rc->stream_id == 0 || c.streams.contains(rc->stream_id) ||
                c.streams.size() >= config.limits.max_streams_per_circuit) {
                relay_send_back(
                    c, RelayCell{RelayCommand::End, rc->stream_id,
                                 Bytes{static_cast<std::uint8_t>(wire::EndReason::ResourceLimit)}});
                return;
            }
            if (rc->command == RelayCommand::BeginDir) {
                // A client needs one directory stream per circuit; the cap
                // keeps one circuit from holding the buffer budget alone.
                if (c.dir_streams >= config.limits.max_dir_streams_per_circuit) {
                    ++stats.dir_streams_refused;
                    relay_send_back(
                        c, RelayCell{
                               RelayCommand::End, rc->stream_id,
                               Bytes{static_cast<std::uint8_t>(wire::EndReason::ResourceLimit)}});
                    return;
                }
                HopStream s{HopStream::Kind::Dir, rc->stream_id};
                s.connected = true;
                // Only authorities read votes; every other request is small.
                s.framer =
                    dir::DirFramer(authority ? dir::kMaxDirMessageLen : dir::kMaxRelayRequestLen);
                s.idle_deadline = now + config.dir_stream_idle_timeout;
                c.streams.emplace(rc->stream_id, std::move(s));
                ++c.dir_streams;
                schedule_housekeeping(now);
                relay_send_back(c, RelayCell{RelayCommand::Connected, rc->stream_id, {}});
                return;
            }
            auto begin = wire::decode_begin(rc->data);
            if (!begin || !exit_allowed(begin->host, begin->port)) {
                relay_send_back(
                    c, RelayCell{RelayCommand::End, rc->stream_id,
                                 Bytes{static_cast<std::uint8_t>(wire::EndReason::ExitPolicy)}});
                return;
            }
            ExitId exit = new_id();
            HopStream s{HopStream::Kind::Exit, rc->stream_id, exit};
            c.streams.emplace(rc->stream_id, std::move(s));
            exits[exit] = {c.key, rc->stream_id};
            act(ExitConnect{exit, begin->host, begin->port});
            return;
        }
        case RelayCommand::Data: {
            if (!c.window.delivered()) {
                relay_destroy(c, DestroyReason::Protocol, true, true);
                return;
            }
            if (c.window.take_sendme()) relay_send_back(c, RelayCell{RelayCommand::Sendme, 0, {}});
            auto it = c.streams.find(rc->stream_id);
            if (it == c.streams.end()) return;
            auto& s = it->second;
            if (!s.window.delivered()) {
                hop_stream_end(c, s.id, wire::EndReason::Protocol, true);
                return;
            }
            if (s.kind == HopStream::Kind::Dir) {
                dir_stream_data(c, s, std::move(rc->data), now);
                return;
            }
            if (s.window.take_sendme()) {
                if (s.unwritten > kExitWriteHighWater)
                    ++s.owed_sendmes;
                else
                    relay_send_back(c, RelayCell{RelayCommand::Sendme, s.id, {}});
            }
            if (s.connected && !rc->data.empty()) {
                s.unwritten += rc->data.size();
                act(ExitSend{s.exit, std::move(rc->data)});
            }
            return;
        }
        case RelayCommand::End:
            hop_stream_end(c, rc->stream_id, wire::EndReason::Done, false);
            return;
        case RelayCommand::Sendme: {
            if (rc->stream_id == 0) {
                if (!c.window.on_sendme()) {
                    relay_destroy(c, DestroyReason::Protocol, true, true);
                    return;
                }
                std::vector<StreamId> ids;
                for (auto& [id, s] : c.streams) ids.push_back(id);
                for (auto id : ids) {
                    auto it = c.streams.find(id);
                    if (it != c.streams.end()) hop_stream_flush(c, it->second);
                }
                return;
            }
            auto it = c.streams.find(rc->stream_id);
            if (it == c.streams.end()) return;
            if (!it->second.window.on_sendme()) {
                hop_stream_end(c, rc->stream_id, wire::EndReason::Protocol, true);
                return;
            }
            hop_stream_flush(c, it->second);
            return;
        }
        case RelayCommand::Drop:
            return;
        default:
            if (hs_relay_cell(c, *rc, now)) return;
            // Unknown or out-of-place commands for this hop.
            relay_destroy(c, DestroyReason::Protocol, true, true);
            return;
    }
}

// ---- directory streams ----

void Node::Impl::dir_account(HopStream& s) {
    const std::size_t held = s.framer.buffered() + s.pending.size();
    dir_buffered = dir_buffered - s.accounted + held;
    s.accounted = held;
}

void Node::Impl::dir_stream_data(RelayCircuit& c, HopStream& s, Bytes data, TimePoint now) {
    // One request per stream: what follows it could only pile up behind the
    // answer (and cost the relay another answer each time).
    if (s.request_taken) {
        hop_stream_end(c, s.id, wire::EndReason::Protocol, true);
        return;
    }
    if (dir_buffered + data.size() > config.limits.max_dir_buffer) {
        ++stats.dir_streams_refused;
        hop_stream_end(c, s.id, wire::EndReason::ResourceLimit, true);
        return;
    }
    const auto fed = s.framer.feed(data);
    dir_account(s);
    if (!fed) {
        hop_stream_end(c, s.id, wire::EndReason::Protocol, true);
        return;
    }
    s.idle_deadline = now + config.dir_stream_idle_timeout;
    // The stream SENDME grants room for more only now that these bytes are
    // held within the stream's bounds (or were refused and the stream ended
    // above), so the window never promises what the buffers would not take.
    if (s.window.take_sendme()) relay_send_back(c, RelayCell{RelayCommand::Sendme, s.id, {}});
    auto body = s.framer.next();
    if (!body) return;
    s.request_taken = true;
    s.framer = dir::DirFramer{};  // its memory goes; anything after the request with it
    dir_account(s);
    serve_dir_request(c, s, *body, now);
}

void Node::Impl::dir_answer(RelayCircuit& c, HopStream& s, ByteView answer) {
    Bytes framed;
    dir::DirFramer::frame(answer, framed);
    // Counted whole before any of it goes: what the windows let out at once
    // leaves the budget again in hop_stream_flush.
    if (dir_buffered + framed.size() > config.limits.max_dir_buffer) {
        ++stats.dir_streams_refused;
        hop_stream_end(c, s.id, wire::EndReason::ResourceLimit, true);
        return;
    }
    s.pending.insert(s.pending.end(), framed.begin(), framed.end());
    s.end_after_pending = true;
    dir_account(s);
    hop_stream_flush(c, s);
}

// ---- exit inputs from the driver ----

namespace {
template <typename F>
void with_exit(Node::Impl& d, ExitId exit, F&& f) {
    auto e = d.exits.find(exit);
    if (e == d.exits.end()) return;
    auto c = d.relay_circuits.find(e->second.first);
    if (c == d.relay_circuits.end()) return;
    auto s = c->second.streams.find(e->second.second);
    if (s == c->second.streams.end()) return;
    f(c->second, s->second);
}
}  // namespace

void Node::exit_connected(ExitId exit, TimePoint now) {
    impl_->last_now = now;
    with_exit(*impl_, exit, [&](RelayCircuit& c, HopStream& s) {
        s.connected = true;
        impl_->relay_send_back(c, RelayCell{RelayCommand::Connected, s.id, {}});
    });
}

void Node::exit_failed(ExitId exit, const std::string& reason, TimePoint now) {
    impl_->last_now = now;
    impl_->log->log(LogLevel::Debug, "exit", "exit connection failed: " + reason);
    with_exit(*impl_, exit, [&](RelayCircuit& c, HopStream& s) {
        s.exit = 0;  // the driver has nothing to close
        impl_->exits.erase(exit);
        impl_->hop_stream_end(c, s.id, wire::EndReason::ConnectRefused, true);
    });
}

void Node::exit_data(ExitId exit, ByteView bytes, TimePoint now) {
    impl_->last_now = now;
    with_exit(*impl_, exit, [&](RelayCircuit& c, HopStream& s) {
        s.pending.insert(s.pending.end(), bytes.begin(), bytes.end());
        impl_->hop_stream_flush(c, s);
    });
}

void Node::exit_written(ExitId exit, std::size_t bytes, TimePoint now) {
    impl_->last_now = now;
    with_exit(*impl_, exit, [&](RelayCircuit& c, HopStream& s) {
        s.unwritten -= std::min(bytes, s.unwritten);
        for (; s.owed_sendmes > 0 && s.unwritten <= kExitWriteHighWater; --s.owed_sendmes)
            impl_->relay_send_back(c, RelayCell{RelayCommand::Sendme, s.id, {}});
    });
}

void Node::exit_closed(ExitId exit, TimePoint now) {
    impl_->last_now = now;
    with_exit(*impl_, exit, [&](RelayCircuit& c, HopStream& s) {
        s.exit = 0;
        impl_->exits.erase(exit);
        s.end_after_pending = true;
        impl_->hop_stream_flush(c, s);
    });
}

std::size_t Node::inject_toward_origin(const RelayCell& cell, InjectAt at, TimePoint now) {
    impl_->last_now = now;
    std::size_t sent = 0;
    for (auto& [key, c] : impl_->relay_circuits) {
        bool pick = false;
        switch (at) {
            // Of a joined pair the client's half is the older circuit: it
            // waited at this rendezvous point for the service's.
            case InjectAt::RendezvousClientSide:
                pick = c.splice != 0 && key < c.splice;
                break;
            case InjectAt::RendezvousServiceSide:
                pick = c.splice != 0 && key > c.splice;
                break;
            case InjectAt::Middle:
                pick = c.splice == 0 && c.next == RelayCircuit::Next::Open;
                break;
        }
        if (!pick) continue;
        impl_->relay_send_back(c, cell);
        ++sent;
    }
    return sent;
}

}  // namespace sotto::node
