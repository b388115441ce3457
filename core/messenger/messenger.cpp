// The messenger engine (messenger.hpp).
//
// State. The store is the truth for everything durable (contacts, grants,
// invites, messages, the presence mode). In memory the engine keeps only
// what a restart may forget: open streams (`streams_`), per-contact
// connection state (`peers_`: open streams, presence, reconnect backoff,
// the ids of un-acked outgoing messages) and the expiry of open invites
// (`open_invites_`). start() rebuilds all of it from the store.
//
// Life of a stream.
// - Every stream starts with the session handshake (core/session,
//   docs/messenger.md "Sessions"), the caller first: Noise IK on a contact's
//   stream (the answerer checks that the caller's static key is the
//   contact's), XXpsk0 with the code's key on an invite stream. Every frame
//   after it is a sealed record; bytes that are not this session's close
//   the stream at once. Nothing below happens before the handshake is done,
//   and a contact is Online only once a stream with them is (`usable`).
// - Incoming with an invite tag (kInviteTagBit | invite id): refused (Close,
//   nothing sent) unless the invite is open and unexpired and we are not
//   Invisible. It then waits for Hello, and nothing else: any other frame,
//   or no Hello within handshake_timeout, closes it without an answer. On
//   Hello the inviter stores the contact (Established, a fresh long-term
//   grant, a fresh pairwise key), sends Welcome, marks the invite Used,
//   revokes the invite's grant and grants the new one. From then on the
//   stream is the contact's, like any other.
//   An invite stream that ends before a Hello, however it ends, is counted
//   on the invite (InviteRecord::probes, InviteProbed): whoever holds the
//   code learned that we are online without using it, and the user should
//   know the code is in someone's hands.
// - Incoming with a contact tag, or outgoing (from our Connect): bound to the
//   contact at once, unless the contact is gone (revoked) or we are hidden
//   from it, in which case it is closed with nothing sent. While the contact
//   is Requested on our side (we are the invitee and have no Welcome yet) we
//   send Hello first; the other side answers Welcome, on the invite stream
//   or on any later stream (so a Welcome lost with its stream is sent again).
//   The Hello's and the Welcome's pairwise keys must be the ones that made
//   the handshake. A stream the inviter opens to us while we wait for the
//   Welcome is held: we do not know the inviter's key yet, so until its
//   Welcome proves the handshake's key, only our Hello goes out on it and
//   only a Welcome is taken from it.
// - Every bound stream then carries Presence and the whole outbox, in order.
//   An incoming message is stored before it is acknowledged; an Ack marks the
//   message Delivered. Un-acked messages are resent after ack_timeout and on
//   every new stream; the receiver's store deduplicates by id.
// - Duplicates, settled when a stream opens, before anything is written on
//   it: an older stream opened more than handshake_timeout ago is dead on
//   the other side (they would not have connected otherwise) and is closed;
//   if both sides connected at once (glare), each keeps the stream opened by
//   the side with the smaller pairwise public key, so both close the same
//   one. A stream closed this way carries no frame, so its other end backs
//   off instead of reconnecting at once.
// - When a contact's last stream closes we retry at once if the stream had
//   worked (a valid frame arrived), else after the backoff
//   (reconnect_backoff.hpp); a failed Connect also backs off. Nothing is
//   retried towards a contact we are hidden from, or while Invisible, or
//   whose invite expired before their Welcome (we still take their streams,
//   and a Welcome on one makes them Established after all: the invite may
//   have been used just in time, or their clock be behind ours).
// - start() and leaving Invisible do not connect to everyone at once: each
//   contact gets its own slot of connect_spread / n in a random order and a
//   random instant in it, and tick() connects when it comes.
//
// Files. This one has the state, start, tick and the frame table; the rest
// of the engine is one file per job: messenger_connections.cpp (streams,
// sessions, reconnects), messenger_invites.cpp (codes, Hello, Welcome),
// messenger_outbox.cpp (sending, resending, acks, incoming messages),
// messenger_presence.cpp (presence mode, appear offline, revoke).
//
// Nothing here logs: message bodies, names and secrets never leave the
// engine except in frames and store calls.
#include "core/messenger/messenger.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <variant>

#include "core/contacts/invite_code.hpp"
#include "core/contacts/safety_number.hpp"
#include "core/crypto/ed25519_x25519.hpp"
#include "core/messenger/presence_mode_setting.hpp"
#include "core/messenger/reconnect_backoff.hpp"
#include "core/session/session_keys.hpp"

namespace sotto::messenger {

namespace {

// The index of frame kind F in chat::Frame.
template <typename F, typename... Ts>
constexpr std::size_t index_in(const std::variant<Ts...>*) {
    std::size_t i = 0;
    bool found = false;
    ((found = found || std::is_same_v<F, Ts>, i += found ? 0 : 1), ...);
    return i;
}
template <typename F>
constexpr std::size_t frame_index = index_in<F>(static_cast<const chat::Frame*>(nullptr));

}  // namespace

Messenger::Messenger(store::MessengerStore& store, Rng& rng, MessengerConfig config)
    : store_(store),
      rng_(rng),
      config_(config),
      prologue_(session::session_prologue(store.identity().network_id.view())) {}

// ---------------------------------------------------------------- helpers

void Messenger::storage_failed(std::string_view what, const Error& e) {
    notify(StorageFailed{std::string(what) + ": " + e.message});
}

std::string Messenger::our_name() const {
    return chat::utf8_truncate(store_.identity().display_name, chat::kMaxNameBytes);
}

void Messenger::send_frame(StreamId stream, const chat::Frame& frame) {
    auto it = streams_.find(stream);
    if (it == streams_.end() || !it->second.channel || !it->second.channel->established()) return;
    if (frame_tap_ && !frame_tap_(stream, frame)) return;
    auto bytes = encode_frame(frame);
    // Everything the engine sends was validated when it was created (names
    // are truncated, bodies checked in send_message and by the decoder).
    if (!bytes) return;
    auto sealed = it->second.channel->seal(*bytes);
    secure_wipe(bytes->data(), bytes->size());
    // Only a session past 2^64 records fails here; its stream is useless.
    if (!sealed) return;
    act(Send{stream, std::move(*sealed)});
}

// ---------------------------------------------------------------- start

void Messenger::start(TimePoint now) {
    if (started_) return;
    started_ = true;

    auto setting = store_.setting(kPresenceModeSetting);
    if (!setting) {
        storage_failed("could not load the presence mode", setting.error());
    } else if (*setting) {
        if (auto m = parse_presence_mode(**setting)) mode_ = *m;
    }
    // Before any grant, so nothing is published while we are Invisible.
    act(SetServiceVisible{mode_ != PresenceMode::Invisible});

    auto contacts = store_.contacts();
    if (!contacts) {
        storage_failed("could not load the contacts", contacts.error());
    } else {
        for (auto& c : *contacts) {
            Peer p(config_);
            p.established = c.state == store::ContactState::Established;
            p.invite_expired = c.state == store::ContactState::InviteExpired;
            if (!p.established) p.invite_expires_at = c.invite_expires_at;
            p.appear_offline = c.appear_offline;
            if (c.their_pairwise)
                p.our_key_smaller = c.our_pairwise.public_key() < *c.their_pairwise;
            auto outbox = store_.outbox(c.id);
            if (!outbox) {
                storage_failed("could not load the messages waiting to be sent", outbox.error());
            } else {
                for (auto& m : *outbox) {
                    std::optional<TimePoint> sent;
                    if (m.state == store::MessageState::Sent) sent = now;
                    p.unacked.push_back(Unacked{m.id, sent});
                    secure_wipe(m.body.data(), m.body.size());
                }
            }
            peers_.emplace(c.id, std::move(p));
            // Moved, not cloned: each key derivation counts with 1,000 contacts.
            act(GrantAccess{c.id, std::move(c.our_grants), c.appear_offline});
        }
    }

    auto invites = store_.invites();
    if (!invites) {
        storage_failed("could not load the invites", invites.error());
    } else {
        for (auto& inv : *invites) {
            if (inv.status != store::InviteStatus::Open) continue;
            if (inv.expires_at <= now) {
                // Never granted in this run: mark it without revoking.
                inv.status = store::InviteStatus::Expired;
                if (auto ok = store_.update_invite(inv); !ok)
                    storage_failed("could not mark an invite as expired", ok.error());
                notify(InviteExpired{inv.id});
                continue;
            }
            open_invites_[inv.id] = inv.expires_at;
            act(GrantAccess{kInviteTagBit | inv.id, std::move(inv.grants), false});
        }
    }

    // Invites we accepted that expired while we were away. Their grants
    // stay, so a late Welcome can still reach us.
    std::vector<ContactId> expired;
    for (auto& [id, p] : peers_)
        if (!p.established && !p.invite_expired && p.invite_expires_at &&
            *p.invite_expires_at <= now)
            expired.push_back(id);
    for (auto id : expired) expire_request(id);
    if (auto purged = store_.purge_accepted_invites(now); !purged)
        storage_failed("could not forget expired invite codes", purged.error());

    spread_connects(now);
}

// ---------------------------------------------------------------- user actions

Status Messenger::rename(ContactId contact, std::string nickname) {
    if (!chat::valid_utf8(nickname)) return fail(Errc::Malformed, "The name is not valid text.");
    if (nickname.size() > chat::kMaxNameBytes)
        return fail(Errc::TooLarge, "The name is too long (at most " +
                                        std::to_string(chat::kMaxNameBytes) + " bytes).");
    auto rec = store_.contact(contact);
    if (!rec) return std::unexpected(rec.error());
    rec->nickname = std::move(nickname);
    if (auto ok = store_.update_contact(*rec); !ok) {
        storage_failed("could not rename the contact", ok.error());
        return ok;
    }
    notify(ContactChanged{contact});
    return {};
}

// ---------------------------------------------------------------- queries

Result<std::string> Messenger::safety_number(ContactId contact) const {
    auto rec = store_.contact(contact);
    if (!rec) return std::unexpected(rec.error());
    if (!rec->their_pairwise)
        return fail(Errc::Protocol,
                    "The safety number is known once the contact has answered the invite.");
    return contacts::safety_number(rec->our_pairwise.public_key(), *rec->their_pairwise);
}

// ---------------------------------------------------------------- transport events

void Messenger::tick(TimePoint now) {
    std::vector<InviteId> expired;
    for (auto& [id, at] : open_invites_)
        if (at <= now) expired.push_back(id);
    for (auto id : expired) expire_invite(id, now);

    std::vector<StreamId> late;
    for (auto& [id, s] : streams_)
        if (s.handshake_deadline <= now) late.push_back(id);
    for (auto id : late) close_stream(id, now);

    std::vector<ContactId> resend, connect, invite_expired;
    for (auto& [id, p] : peers_) {
        if (!p.established && !p.invite_expired && p.invite_expires_at &&
            *p.invite_expires_at <= now) {
            invite_expired.push_back(id);
            continue;
        }
        if (!p.streams.empty()) {
            // Ack timers run only while a resend has somewhere to go: on a
            // blocked stream they wait for stream_writable, on one still in
            // its handshake for open_session (which sends the whole outbox).
            // Counted as due meanwhile, they made the timer fire at the same
            // instant again and again.
            if (!can_write(p)) continue;
            for (auto& u : p.unacked)
                if (u.last_sent && *u.last_sent + config_.ack_timeout <= now) {
                    resend.push_back(id);
                    break;
                }
        } else if (!p.connecting && p.next_connect <= now && dials(p)) {
            connect.push_back(id);
        }
    }
    for (auto id : invite_expired) expire_request(id);
    for (auto id : resend) send_outbox(id, now);
    for (auto id : connect) try_connect(id, now);
}

TimePoint Messenger::next_deadline() const {
    TimePoint t = TimePoint::never();
    for (auto& [id, at] : open_invites_) t = earliest(t, at);
    for (auto& [id, s] : streams_) t = earliest(t, s.handshake_deadline);
    for (auto& [id, p] : peers_) {
        if (!p.established && !p.invite_expired && p.invite_expires_at)
            t = earliest(t, *p.invite_expires_at);
        if (!p.streams.empty()) {
            if (!can_write(p)) continue;  // as in tick
            for (auto& u : p.unacked)
                if (u.last_sent) t = earliest(t, *u.last_sent + config_.ack_timeout);
        } else if (!p.connecting && dials(p)) {
            t = earliest(t, p.next_connect);
        }
    }
    return t;
}

std::vector<Action> Messenger::take_actions() {
    return std::exchange(actions_, {});
}

std::vector<Event> Messenger::take_events() {
    return std::exchange(events_, {});
}

// ---------------------------------------------------------------- frames

void Messenger::handle_frame(StreamId stream, chat::Frame frame, TimePoint now) {
    auto& s = streams_.at(stream);
    if (s.invite) {
        // An invite stream says Hello first, or nothing at all.
        if (auto* hello = std::get_if<chat::Hello>(&frame)) {
            s.said_hello = true;
            on_invite_hello(stream, std::move(*hello), now);
        } else {
            close_stream(stream, now);
        }
        return;
    }
    // Held (we answered a contact we know only from its grant): only the
    // Welcome that proves its key counts; anything before it is dropped and
    // comes again (the outbox is resent on every stream).
    if (s.held && !std::holds_alternative<chat::Welcome>(frame)) return;
    if (!s.got_frame) {
        s.got_frame = true;
        peers_.at(s.contact).failures = 0;
    }
    // One handler per kind of frame on a contact's stream, at the kind's
    // index in chat::Frame; a kind without one does not compile.
    using Handler = void (*)(Messenger&, StreamId, chat::Frame&, TimePoint);
    static constexpr auto kHandlers = [] {
        std::array<Handler, std::variant_size_v<chat::Frame>> h{};
        h[frame_index<chat::Hello>] = [](Messenger& m, StreamId s, chat::Frame& f, TimePoint now) {
            m.on_hello(s, std::get<chat::Hello>(f), now);
        };
        h[frame_index<chat::Welcome>] = [](Messenger& m, StreamId s, chat::Frame& f,
                                           TimePoint now) {
            m.on_welcome(s, std::move(std::get<chat::Welcome>(f)), now);
        };
        h[frame_index<chat::ChatMessage>] = [](Messenger& m, StreamId s, chat::Frame& f,
                                               TimePoint now) {
            m.on_message(s, std::move(std::get<chat::ChatMessage>(f)), now);
        };
        h[frame_index<chat::Ack>] = [](Messenger& m, StreamId s, chat::Frame& f, TimePoint now) {
            m.on_ack(s, std::get<chat::Ack>(f), now);
        };
        h[frame_index<chat::Presence>] = [](Messenger& m, StreamId s, chat::Frame& f, TimePoint) {
            m.on_presence(s, std::get<chat::Presence>(f));
        };
        for (auto* x : h)
            if (x == nullptr) throw "a kind of frame has no handler";
        return h;
    }();
    kHandlers[frame.index()](*this, stream, frame, now);
}

}  // namespace sotto::messenger
