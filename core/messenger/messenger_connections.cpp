// The messenger engine's connections (messenger.hpp, docs/messenger.md
// "Sessions", "Connections"): the transport's stream events, the session
// handshake on every stream, binding a stream to its contact, duplicate
// streams, reconnects with backoff and the spread of connects at start.
#include "core/messenger/messenger.hpp"

#include <algorithm>

#include "core/crypto/ed25519_x25519.hpp"
#include "core/messenger/reconnect_backoff.hpp"
#include "core/session/session_keys.hpp"

namespace sotto::messenger {

std::optional<StreamId> Messenger::active_stream(const Peer& p) const {
    for (auto it = p.streams.rbegin(); it != p.streams.rend(); ++it)
        if (streams_.at(*it).usable()) return *it;
    return std::nullopt;
}

bool Messenger::proves_handshake_key(const Stream& s,
                                     const crypto::Ed25519PublicKey& pairwise) const {
    if (!s.channel || !s.channel->peer_static()) return false;
    auto x = crypto::x25519_from_ed25519(pairwise);
    return x && *x == *s.channel->peer_static();
}

bool Messenger::begin_contact_session(Stream& s, const store::ContactRecord& rec, Peer& p) {
    if (rec.their_pairwise && !p.their_static) {
        auto x = crypto::x25519_from_ed25519(*rec.their_pairwise);
        if (!x) return false;
        p.their_static = *x;
    }
    auto ours = crypto::x25519_from_ed25519(rec.our_pairwise);
    Result<session::SecureChannel> ch = fail(Errc::Protocol, "no session");
    if (!s.incoming && p.their_static) {
        ch = session::SecureChannel::contact_caller(prologue_, std::move(ours), *p.their_static,
                                                    rng_);
    } else if (!s.incoming) {
        // We are the invitee and hold only the inviter's code: the invite's
        // handshake, which their Welcome's key must then match.
        ch = session::SecureChannel::invite_caller(
            prologue_, session::invite_psk(rec.invite_secret.view()), std::move(ours), rng_);
    } else {
        // The stream came under the grant we made for this contact; the
        // caller must prove the contact's pairwise key. Only while we are
        // still waiting for their Welcome do we not know it: then the
        // stream is held until a Welcome with the handshake's key.
        const std::optional<crypto::X25519PublicKey> expected = p.their_static;
        ch = session::SecureChannel::contact_answerer(
            prologue_, std::move(ours),
            [expected](const crypto::X25519PublicKey& k) { return !expected || *expected == k; },
            rng_);
        s.held = !expected;
    }
    if (!ch) return false;
    s.channel.emplace(std::move(*ch));
    return true;
}

// The handshake finished: the invitee says Hello, and every stream that is
// not held carries Presence and the outbox.
void Messenger::on_secured(StreamId stream, TimePoint now) {
    Stream& s = streams_.at(stream);
    if (s.invite) return;  // the inviter waits for Hello, under the same deadline
    const ContactId contact = s.contact;
    if (!peers_.at(contact).established) {
        auto rec = store_.contact(contact);
        if (!rec) {
            storage_failed("could not load a contact", rec.error());
            close_stream(stream, now);
            return;
        }
        auto ours = transport::credentials_for(rec->our_grants);
        if (!ours) {
            storage_failed("could not read a contact's grant", ours.error());
            close_stream(stream, now);
            return;
        }
        send_frame(stream,
                   chat::Hello{our_name(), rec->our_pairwise.public_key(), std::move(*ours)});
        // No Welcome in time: close and try again later.
        s.handshake_deadline = now + config_.handshake_timeout;
    } else {
        s.handshake_deadline = TimePoint::never();
    }
    if (s.held) return;
    update_presence(contact);
    open_session(stream, now);
}

void Messenger::close_stream(StreamId stream, TimePoint now, bool resend) {
    if (!streams_.contains(stream)) return;
    act(Close{stream});
    forget_stream(stream, now, resend);
}

void Messenger::forget_stream(StreamId stream, TimePoint now, bool resend) {
    auto it = streams_.find(stream);
    if (it == streams_.end()) return;
    const ContactId contact = it->second.contact;
    const bool worked = it->second.got_frame;
    const std::optional<InviteId> probed =
        it->second.invite && !it->second.said_hello ? it->second.invite : std::nullopt;
    auto pit = contact == 0 ? peers_.end() : peers_.find(contact);
    const bool was_active = pit != peers_.end() && active_stream(pit->second) == stream;
    streams_.erase(it);
    if (probed) count_probe(*probed);
    if (pit == peers_.end()) return;
    Peer& p = pit->second;
    std::erase(p.streams, stream);
    if (!p.streams.empty()) {
        update_presence(contact);
        // What went out on the closed stream may be lost: the surviving one
        // carries it again (the receiver deduplicates).
        if (was_active && resend) send_outbox(contact, now);
        return;
    }
    set_presence(p, contact, ContactPresence::Offline);
    if (!dials(p) || p.connecting) return;
    if (worked) {
        p.failures = 0;
        try_connect(contact, now);
    } else {
        schedule_retry(p, now);
    }
}

void Messenger::schedule_retry(Peer& p, TimePoint now) {
    ++p.failures;
    p.next_connect =
        now + reconnect_delay(p.failures, config_.reconnect_min, config_.reconnect_max, rng_);
}

void Messenger::close_contact_streams(ContactId contact, TimePoint now) {
    auto it = peers_.find(contact);
    if (it == peers_.end()) return;
    const auto ids = it->second.streams;
    for (auto id : ids) close_stream(id, now);
}

void Messenger::try_connect(ContactId contact, TimePoint now) {
    auto it = peers_.find(contact);
    if (it == peers_.end()) return;
    Peer& p = it->second;
    if (p.connecting || !p.streams.empty() || !dials(p)) return;
    auto rec = store_.contact(contact);
    if (!rec) {
        storage_failed("could not load a contact to connect to it", rec.error());
        schedule_retry(p, now);
        return;
    }
    p.connecting = true;
    p.next_connect = TimePoint::never();
    act(Connect{contact, std::move(rec->their_credentials)});
}

void Messenger::bind_stream(StreamId stream, ContactId contact) {
    auto& s = streams_.at(stream);
    s.contact = contact;
    s.invite.reset();
    Peer& p = peers_.at(contact);
    p.streams.push_back(stream);
    p.next_connect = TimePoint::never();
}

// Presence and the outbox: what every bound stream carries first (after
// Hello/Welcome where those are due).
void Messenger::open_session(StreamId stream, TimePoint now) {
    send_frame(stream, chat::Presence{our_presence()});
    // The contact's newest stream, where send_outbox writes, is this one.
    send_outbox(streams_.at(stream).contact, now);
}

void Messenger::resolve_duplicates(ContactId contact, TimePoint now, bool resend) {
    auto pit = peers_.find(contact);
    if (pit == peers_.end()) return;
    Peer& p = pit->second;
    if (p.streams.size() < 2) return;
    // A contact connects only while it has no stream with us, so an older
    // stream that is not itself recent is dead on their side (its end was
    // never reported to us): the newest one replaces it.
    const StreamId newest = p.streams.back();
    std::vector<StreamId> stale;
    for (auto id : p.streams)
        if (id != newest && streams_.at(id).opened_at + config_.handshake_timeout <= now)
            stale.push_back(id);
    for (auto id : stale) close_stream(id, now, resend);
    // Glare: both sides connected at about the same time. Keep the streams
    // opened by the side with the smaller pairwise key (ours are the
    // outgoing ones); both sides pick the same.
    if (p.streams.size() < 2 || !p.our_key_smaller) return;
    const bool keep_incoming = !*p.our_key_smaller;
    std::vector<StreamId> keep, drop;
    for (auto id : p.streams)
        (streams_.at(id).incoming == keep_incoming ? keep : drop).push_back(id);
    if (keep.empty() || drop.empty()) return;
    for (auto id : drop) close_stream(id, now, resend);
}

void Messenger::spread_connects(TimePoint now) {
    std::vector<ContactId> due;
    for (auto& [id, p] : peers_)
        if (p.streams.empty() && !p.connecting && dials(p)) due.push_back(id);
    if (config_.connect_spread <= Duration{}) {
        for (auto id : due) try_connect(id, now);
        return;
    }
    // A random order, and in it one slot each: contact i connects at a
    // random instant of [i, i + 1) · window / n, the window being the spread
    // or connect_slot per contact if that is shorter. Each contact's own time is
    // uniform over the window, and the connects never bunch up.
    for (std::size_t i = due.size(); i > 1; --i) std::swap(due[i - 1], due[rng_.uniform(i)]);
    const auto n = static_cast<std::int64_t>(due.size());
    const std::int64_t window = std::min(config_.connect_spread.us, n * config_.connect_slot.us);
    for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t from = window * i / n, to = window * (i + 1) / n;
        const auto width = static_cast<std::uint64_t>(std::max<std::int64_t>(1, to - from));
        const Duration at{from + static_cast<std::int64_t>(rng_.uniform(width))};
        peers_.at(due[static_cast<std::size_t>(i)]).next_connect = now + at;
    }
}

void Messenger::stream_opened(StreamId stream, transport::Tag tag, bool incoming, TimePoint now) {
    if (streams_.contains(stream)) return;
    if (!incoming) {
        if (auto it = peers_.find(tag); it != peers_.end()) it->second.connecting = false;
    }
    if (incoming && (tag & kInviteTagBit)) {
        const InviteId invite = tag & ~kInviteTagBit;
        if (mode_ == PresenceMode::Invisible || !invite_open(invite, now)) {
            act(Close{stream});  // never answer
            return;
        }
        auto inv = store_.invite(invite);
        if (!inv) storage_failed("could not load an invite", inv.error());
        Stream s;
        s.incoming = true;
        s.opened_at = now;
        s.invite = invite;
        s.handshake_deadline = now + config_.handshake_timeout;
        if (!inv || !begin_invite_session(s, *inv)) {
            act(Close{stream});
            return;
        }
        // The invitee speaks first: the handshake's first message.
        streams_.emplace(stream, std::move(s));
        return;
    }
    auto pit = peers_.find(tag);
    if (pit == peers_.end() || hidden_from(pit->second)) {
        act(Close{stream});
        return;
    }
    auto rec = store_.contact(tag);
    if (!rec) storage_failed("could not load a contact", rec.error());
    Stream s;
    s.incoming = incoming;
    s.opened_at = now;
    // Every stream must finish the session handshake within this.
    s.handshake_deadline = now + config_.handshake_timeout;
    if (!rec || !begin_contact_session(s, *rec, pit->second)) {
        act(Close{stream});
        return;
    }
    streams_.emplace(stream, std::move(s));
    bind_stream(stream, tag);
    // Settled before any frame is written: a stream closed here carries no
    // frame, so the other side counts it as a failed attempt and backs off.
    resolve_duplicates(tag, now, /*resend=*/false);
    if (!streams_.contains(stream) || incoming) return;  // the caller speaks first
    auto first = streams_.at(stream).channel->start();
    if (!first) {
        close_stream(stream, now);
        return;
    }
    act(Send{stream, std::move(*first)});
}

void Messenger::connect_failed(ContactId contact, TimePoint now) {
    auto it = peers_.find(contact);
    if (it == peers_.end()) return;
    Peer& p = it->second;
    p.connecting = false;
    if (!p.streams.empty() || !dials(p)) return;
    schedule_retry(p, now);
}

void Messenger::stream_data(StreamId stream, ByteView data, TimePoint now) {
    auto it = streams_.find(stream);
    if (it == streams_.end() || !it->second.channel) return;
    // Not a handshake or record of this session (a forging relay, a
    // stranger, a gap or a replay): closed without a word, nothing used.
    auto in = it->second.channel->feed(data);
    if (!in) {
        close_stream(stream, now);
        return;
    }
    if (!in->send.empty()) act(Send{stream, std::move(in->send)});
    if (in->established) on_secured(stream, now);
    for (auto& record : in->records) {
        auto s = streams_.find(stream);
        if (s == streams_.end()) return;  // closed by an earlier frame
        auto frames = s->second.decoder.feed(record.view());
        if (!frames) {
            close_stream(stream, now);
            return;
        }
        for (auto& f : *frames) {
            if (!streams_.contains(stream)) return;
            handle_frame(stream, std::move(f), now);
        }
    }
}

void Messenger::stream_closed(StreamId stream, TimePoint now) {
    forget_stream(stream, now);
}

void Messenger::stream_blocked(StreamId stream) {
    if (auto it = streams_.find(stream); it != streams_.end()) it->second.blocked = true;
}

void Messenger::stream_writable(StreamId stream, TimePoint now) {
    auto it = streams_.find(stream);
    if (it == streams_.end() || !it->second.blocked) return;
    it->second.blocked = false;
    const ContactId contact = it->second.contact;
    if (contact == 0) return;
    // What was sent before the block has gone out now; the rest of the
    // outbox (messages written meanwhile, and any whose ack timer ran out
    // while blocked) follows.
    auto& p = peers_.at(contact);
    if (active_stream(p) == stream) send_outbox(contact, now, true);
}

}  // namespace sotto::messenger
