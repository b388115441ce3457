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
// Nothing here logs: message bodies, names and secrets never leave the
// engine except in frames and store calls.
#include "core/messenger/messenger.hpp"

#include <algorithm>
#include <limits>

#include "core/contacts/invite_code.hpp"
#include "core/contacts/safety_number.hpp"
#include "core/crypto/ed25519_x25519.hpp"
#include "core/messenger/reconnect_backoff.hpp"
#include "core/session/session_keys.hpp"

namespace sotto::messenger {

namespace {

constexpr std::string_view kPresenceModeSetting = "presence_mode";
// A sender whose outbox never comes back to the message we held back (it was
// revoked, or its store lost it) must not be refused forever: after this
// long, we take its messages as they come again.
constexpr Duration kHoldBackLimit = Duration::minutes(10);

// The longest prefix of a valid UTF-8 string that ends on a character
// boundary and has at most `max` bytes.
std::string utf8_truncate(std::string s, std::size_t max) {
    if (s.size() <= max) return s;
    std::size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
    s.resize(n);
    return s;
}

std::string_view mode_name(PresenceMode m) {
    switch (m) {
        case PresenceMode::Visible:
            return "visible";
        case PresenceMode::Away:
            return "away";
        case PresenceMode::Invisible:
            return "invisible";
    }
    return "visible";
}

std::optional<PresenceMode> parse_mode(std::string_view s) {
    if (s == "visible") return PresenceMode::Visible;
    if (s == "away") return PresenceMode::Away;
    if (s == "invisible") return PresenceMode::Invisible;
    return std::nullopt;
}

Errc invite_errc(contacts::InviteError e) {
    switch (e) {
        case contacts::InviteError::UnknownVersion:
            return Errc::BadVersion;
        case contacts::InviteError::Expired:
            return Errc::Expired;
        case contacts::InviteError::WrongNetwork:
            return Errc::Config;
        case contacts::InviteError::AlreadyUsed:
            return Errc::Protocol;
        default:
            return Errc::Malformed;
    }
}

TimePoint whole_seconds(TimePoint t) {
    return TimePoint::from_seconds(t.unix_seconds());
}

}  // namespace

Messenger::Messenger(store::ProfileStore& store, Rng& rng, MessengerConfig config)
    : store_(store),
      rng_(rng),
      config_(config),
      prologue_(session::session_prologue(store.identity().network_id.view())) {}

// ---------------------------------------------------------------- helpers

bool Messenger::hidden_from(const Peer& p) const {
    return (mode_ == PresenceMode::Invisible || p.appear_offline) && !p.revealed;
}

bool Messenger::invite_open(InviteId id, TimePoint now) const {
    auto it = open_invites_.find(id);
    return it != open_invites_.end() && now < it->second;
}

void Messenger::storage_failed(std::string_view what, const Error& e) {
    notify(StorageFailed{std::string(what) + ": " + e.message});
}

std::string Messenger::our_name() const {
    return utf8_truncate(store_.identity().display_name, chat::kMaxNameBytes);
}

chat::PresenceState Messenger::our_presence() const {
    return mode_ == PresenceMode::Away ? chat::PresenceState::Away : chat::PresenceState::Online;
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

std::optional<StreamId> Messenger::active_stream(const Peer& p) const {
    for (auto it = p.streams.rbegin(); it != p.streams.rend(); ++it)
        if (streams_.at(*it).usable()) return *it;
    return std::nullopt;
}

void Messenger::update_presence(ContactId contact) {
    Peer& p = peers_.at(contact);
    if (!active_stream(p))
        set_presence(p, contact, ContactPresence::Offline);
    else if (p.presence == ContactPresence::Offline)
        set_presence(p, contact, ContactPresence::Online);
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

bool Messenger::begin_invite_session(Stream& s, const store::InviteRecord& invite) {
    auto pairwise = session::invite_pairwise_key(invite.pairwise_seed.view());
    auto ch = session::SecureChannel::invite_answerer(prologue_,
                                                      session::invite_psk(invite.secret.view()),
                                                      crypto::x25519_from_ed25519(pairwise), rng_);
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

void Messenger::set_presence(Peer& p, ContactId contact, ContactPresence presence) {
    if (p.presence == presence) return;
    p.presence = presence;
    notify(ContactChanged{contact});
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

void Messenger::close_invite_streams(InviteId invite, TimePoint now) {
    std::vector<StreamId> ids;
    for (auto& [id, s] : streams_)
        if (s.invite == invite) ids.push_back(id);
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

bool Messenger::write_blocked(const Peer& p) const {
    const auto active = active_stream(p);
    return active && streams_.at(*active).blocked;
}

bool Messenger::can_write(const Peer& p) const {
    const auto active = active_stream(p);
    return active && !streams_.at(*active).blocked;
}

void Messenger::send_outbox(ContactId contact, TimePoint now, bool due_only) {
    auto pit = peers_.find(contact);
    if (pit == peers_.end() || pit->second.streams.empty()) return;
    Peer& p = pit->second;
    if (p.unacked.empty()) return;
    const auto active = active_stream(p);
    if (!active) return;
    const StreamId stream = *active;
    if (streams_.at(stream).blocked) return;  // stream_writable calls again
    auto outbox = store_.outbox(contact);
    if (!outbox) {
        storage_failed("could not load the messages waiting to be sent", outbox.error());
        return;
    }
    for (auto& m : *outbox) {
        auto u = std::find_if(p.unacked.begin(), p.unacked.end(),
                              [&](const Unacked& x) { return x.id == m.id; });
        if (u == p.unacked.end()) continue;  // acked meanwhile
        if (due_only && u->last_sent && *u->last_sent + config_.ack_timeout > now) continue;
        send_frame(stream, chat::ChatMessage{m.id, m.sent_at, m.body});
        const bool first = !u->last_sent.has_value();
        u->last_sent = now;
        if (first && m.state == store::MessageState::Queued) {
            if (auto ok = store_.set_message_state(contact, m.id, store::MessageState::Sent); !ok)
                storage_failed("could not mark a message as sent", ok.error());
            notify(MessageStateChanged{contact, m.id, store::MessageState::Sent, std::nullopt});
        }
        secure_wipe(m.body.data(), m.body.size());
    }
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

// An invite stream ended before any Hello, whoever ended it (the other side,
// the handshake timeout, a frame that was not Hello, our withdrawing or
// going Invisible): the stream itself told them we were online.
void Messenger::count_probe(InviteId id) {
    auto rec = store_.invite(id);
    if (!rec) {
        storage_failed("could not load an invite", rec.error());
        return;
    }
    if (rec->probes < std::numeric_limits<std::uint32_t>::max()) ++rec->probes;
    if (auto ok = store_.update_invite(*rec); !ok) {
        storage_failed("could not count a use of an invite code", ok.error());
        return;
    }
    notify(InviteProbed{id, rec->probes});
}

void Messenger::expire_invite(InviteId id, TimePoint now) {
    open_invites_.erase(id);
    act(RevokeAccess{kInviteTagBit | id});
    close_invite_streams(id, now);
    auto rec = store_.invite(id);
    if (rec) {
        rec->status = store::InviteStatus::Expired;
        if (auto ok = store_.update_invite(*rec); !ok)
            storage_failed("could not mark an invite as expired", ok.error());
    } else {
        storage_failed("could not load an expired invite", rec.error());
    }
    notify(InviteExpired{id});
}

void Messenger::expire_request(ContactId contact) {
    Peer& p = peers_.at(contact);
    p.invite_expired = true;
    p.next_connect = TimePoint::never();
    if (auto ok = store_.mark_invite_expired(contact); !ok) {
        // Still Requested in the store: the next start finds it expired again.
        storage_failed("could not mark an expired invite", ok.error());
    } else {
        for (auto& u : p.unacked)
            notify(MessageStateChanged{contact, u.id, store::MessageState::Failed, std::nullopt});
        p.unacked.clear();
    }
    notify(ContactChanged{contact});
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

// ---------------------------------------------------------------- start

void Messenger::start(TimePoint now) {
    if (started_) return;
    started_ = true;

    auto setting = store_.setting(kPresenceModeSetting);
    if (!setting) {
        storage_failed("could not load the presence mode", setting.error());
    } else if (*setting) {
        if (auto m = parse_mode(**setting)) mode_ = *m;
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

Result<CreatedInvite> Messenger::create_invite(std::optional<Duration> validity, TimePoint now) {
    const Duration v = validity.value_or(config_.default_invite_validity);
    if (v < Duration::seconds(1))
        return fail(Errc::Config, "an invite must be valid for at least a second");
    auto fresh = transport::issue_grants(config_.transports, rng_);
    if (!fresh) return std::unexpected(fresh.error());
    Secret<32> seed;
    rng_.fill(seed.mut());
    store::InviteRecord rec{
        .id = 0,
        .grants = transport::clone_list(fresh->grants),
        .secret = SecretBytes(rng_.bytes(contacts::kInviteSecretBytes)),
        .pairwise_seed = std::move(seed),
        .created_at = now,
        .expires_at = whole_seconds(now + v),  // the code carries whole seconds
        .name_hint = utf8_truncate(store_.identity().display_name, contacts::kMaxNameHintBytes),
        .status = store::InviteStatus::Open,
        .used_by = std::nullopt,
    };
    const auto expires_at = rec.expires_at;
    contacts::InviteCode code;
    code.network = store_.identity().network_id;
    code.secret = SecretBytes(rec.secret.view());
    code.credentials = std::move(fresh->credentials);
    code.expires_at = expires_at;
    code.name_hint = rec.name_hint;
    auto text = contacts::format_invite(code);
    if (!text) return std::unexpected(text.error());
    auto id = store_.add_invite(std::move(rec));
    if (!id) {
        storage_failed("could not store the invite", id.error());
        return std::unexpected(id.error());
    }
    if (*id >= kInviteTagBit) return fail(Errc::Limit, "too many invites");
    open_invites_[*id] = expires_at;
    act(GrantAccess{kInviteTagBit | *id, std::move(fresh->grants), false});
    return CreatedInvite{*id, std::move(*text), expires_at};
}

Status Messenger::withdraw_invite(InviteId id, TimePoint now) {
    auto rec = store_.invite(id);
    if (!rec) return std::unexpected(rec.error());
    if (rec->status != store::InviteStatus::Open)
        return fail(Errc::Protocol, "this invite is no longer open");
    rec->status = store::InviteStatus::Withdrawn;
    if (auto ok = store_.update_invite(*rec); !ok) {
        storage_failed("could not withdraw the invite", ok.error());
        return ok;
    }
    open_invites_.erase(id);
    act(RevokeAccess{kInviteTagBit | id});
    close_invite_streams(id, now);
    return {};
}

Result<ContactId> Messenger::accept_invite(std::string_view text, TimePoint now) {
    auto code = contacts::check_invite(text, store_.identity().network_id, now);
    if (!code) return fail(invite_errc(code.error()), contacts::invite_error_message(code.error()));
    const ByteView key = code->secret.view();

    auto ours = store_.invites();
    if (!ours) return std::unexpected(ours.error());
    for (auto& inv : *ours)
        if (ct_equal(inv.secret.view(), key))
            return fail(Errc::Protocol,
                        "This is one of your own invite codes: give it to the person you want "
                        "to add.");
    // Housekeeping: the memory of used codes only needs the unexpired ones.
    if (auto purged = store_.purge_accepted_invites(now); !purged)
        storage_failed("could not forget expired invite codes", purged.error());
    auto seen = store_.accepted_invite_seen(key);
    if (!seen) return std::unexpected(seen.error());
    if (*seen)
        return fail(invite_errc(contacts::InviteError::AlreadyUsed),
                    contacts::invite_error_message(contacts::InviteError::AlreadyUsed));

    auto fresh = transport::issue_grants(config_.transports, rng_);
    if (!fresh) return std::unexpected(fresh.error());
    store::ContactRecord c{
        .id = 0,
        .state = store::ContactState::Requested,
        .name = code->name_hint,
        .nickname = {},
        .appear_offline = false,
        .our_grants = transport::clone_list(fresh->grants),
        .their_credentials = transport::clone_list(code->credentials),
        .invite_secret = SecretBytes(code->secret.view()),
        .our_pairwise = crypto::Ed25519SecretKey::generate(rng_),
        .their_pairwise = std::nullopt,
        .created_at = now,
        .invite_expires_at = code->expires_at,
    };
    auto id = store_.add_contact(std::move(c));
    if (!id) {
        storage_failed("could not store the new contact", id.error());
        return std::unexpected(id.error());
    }
    if (auto ok = store_.remember_accepted_invite(key, code->expires_at); !ok) {
        // Without the record the code could be accepted twice: undo.
        (void)store_.remove_contact(*id);
        storage_failed("could not store the new contact", ok.error());
        return std::unexpected(ok.error());
    }
    Peer p(config_);
    p.invite_expires_at = code->expires_at;
    // Accepting a code is as deliberate as sending a message: while
    // Invisible we still connect to this one inviter (they learn nothing
    // else about us until we say Hello).
    p.revealed = mode_ == PresenceMode::Invisible;
    peers_.emplace(*id, std::move(p));
    act(GrantAccess{*id, std::move(fresh->grants), false});
    notify(ContactAdded{*id});
    try_connect(*id, now);
    return *id;
}

Result<store::MessageRecord> Messenger::send_message(ContactId contact, std::string body,
                                                     TimePoint now) {
    if (body.empty()) return fail(Errc::Malformed, "The message is empty.");
    if (!chat::valid_utf8(body)) return fail(Errc::Malformed, "The message is not valid text.");
    if (body.size() > chat::kMaxBodyBytes)
        return fail(Errc::TooLarge, "The message is too long (" + std::to_string(body.size()) +
                                        " bytes; at most " + std::to_string(chat::kMaxBodyBytes) +
                                        " fit in one message).");
    auto pit = peers_.find(contact);
    if (pit == peers_.end()) return fail(Errc::NotFound, "There is no such contact.");
    if (pit->second.invite_expired || pit->second.unacked.size() >= config_.outbox_limit) {
        auto rec = store_.contact(contact);
        if (!rec) return std::unexpected(rec.error());
        const std::string& name = rec->nickname.empty() ? rec->name : rec->nickname;
        if (pit->second.invite_expired)
            return fail(Errc::Expired, "The invite code from " + name +
                                           " expired before they answered: ask them for a new "
                                           "code.");
        return fail(Errc::Limit,
                    "Too many messages are waiting for " + name + "; wait until they come online.");
    }

    chat::MessageId id;
    rng_.fill(id.bytes);
    auto rec = store_.add_outgoing(contact, id, std::move(body), now);
    if (!rec) {
        storage_failed("could not store the message", rec.error());
        return std::unexpected(rec.error());
    }
    Peer& p = pit->second;
    p.unacked.push_back(Unacked{id, std::nullopt});
    notify(MessageAdded{*rec});
    notify(ContactChanged{contact});
    if (hidden_from(p)) p.revealed = true;  // sending_reveals_presence() warned the UI

    if (write_blocked(p)) {
        // Stays Queued: stream_writable sends it.
    } else if (const auto active = active_stream(p)) {
        const StreamId stream = *active;
        send_frame(stream, chat::ChatMessage{rec->id, rec->sent_at, rec->body});
        p.unacked.back().last_sent = now;
        if (auto ok = store_.set_message_state(contact, id, store::MessageState::Sent); !ok) {
            // It was written to the stream; in the store it stays Queued and
            // is sent again on the next stream (the receiver deduplicates).
            storage_failed("could not mark a message as sent", ok.error());
        } else {
            rec->state = store::MessageState::Sent;
        }
        notify(MessageStateChanged{contact, id, store::MessageState::Sent, std::nullopt});
    } else if (!p.connecting && p.streams.empty()) {
        // The user is waiting: try now rather than at the next backoff step.
        // (A stream still in its handshake carries the outbox once secured.)
        try_connect(contact, now);
    }
    return rec;
}

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

Status Messenger::revoke(ContactId contact, TimePoint now) {
    if (!peers_.contains(contact)) return fail(Errc::NotFound, "There is no such contact.");
    if (auto ok = store_.remove_contact(contact); !ok) {
        storage_failed("could not remove the contact", ok.error());
        return ok;
    }
    // Silent: no frame, just gone, exactly as if we went offline for good.
    act(RevokeAccess{contact});
    const auto ids = peers_.at(contact).streams;
    for (auto id : ids) {
        act(Close{id});
        streams_.erase(id);
    }
    peers_.erase(contact);
    (void)now;
    notify(ContactRemoved{contact});
    return {};
}

Status Messenger::set_appear_offline(ContactId contact, bool hidden, TimePoint now) {
    auto pit = peers_.find(contact);
    if (pit == peers_.end()) return fail(Errc::NotFound, "There is no such contact.");
    auto rec = store_.contact(contact);
    if (!rec) return std::unexpected(rec.error());
    if (rec->appear_offline != hidden) {
        rec->appear_offline = hidden;
        if (auto ok = store_.update_contact(*rec); !ok) {
            storage_failed("could not change whom you appear offline to", ok.error());
            return ok;
        }
    }
    Peer& p = pit->second;
    const bool changed = p.appear_offline != hidden || p.revealed;
    p.appear_offline = hidden;
    p.revealed = false;
    act(HideAccess{contact, hidden});
    if (hidden_from(p)) {
        close_contact_streams(contact, now);
        p.next_connect = TimePoint::never();
    } else if (p.streams.empty()) {
        p.failures = 0;
        try_connect(contact, now);
    }
    if (changed) notify(ContactChanged{contact});
    return {};
}

void Messenger::set_presence_mode(PresenceMode mode, TimePoint now) {
    if (mode == mode_) return;
    // Privacy first: the mode applies even if it cannot be saved.
    if (auto ok = store_.set_setting(kPresenceModeSetting, mode_name(mode)); !ok)
        storage_failed("could not save the presence mode (it applies until Sotto restarts)",
                       ok.error());
    const PresenceMode old = mode_;
    mode_ = mode;
    if (mode == PresenceMode::Invisible) {
        act(SetServiceVisible{false});
        for (auto& [id, p] : peers_) {
            p.revealed = false;
            p.next_connect = TimePoint::never();
        }
        std::vector<StreamId> ids;
        for (auto& [id, s] : streams_) ids.push_back(id);
        for (auto id : ids) close_stream(id, now);
    } else if (old == PresenceMode::Invisible) {
        act(SetServiceVisible{true});
        for (auto& [id, p] : peers_) {
            p.revealed = false;
            p.failures = 0;
        }
        spread_connects(now);
        // Streams kept open for contacts we revealed ourselves to carry the
        // new state.
        for (auto& [id, s] : streams_)
            if (s.usable()) send_frame(id, chat::Presence{our_presence()});
    } else {
        for (auto& [id, s] : streams_)
            if (s.usable()) send_frame(id, chat::Presence{our_presence()});
    }
    notify(PresenceModeChanged{mode});
}

Status Messenger::mark_read(ContactId contact) {
    if (auto ok = store_.mark_read(contact); !ok) return ok;
    notify(ContactChanged{contact});
    return {};
}

// ---------------------------------------------------------------- queries

ContactPresence Messenger::presence_of(ContactId contact) const {
    auto it = peers_.find(contact);
    if (it == peers_.end() || it->second.streams.empty()) return ContactPresence::Offline;
    return it->second.presence;
}

bool Messenger::sending_reveals_presence(ContactId contact) const {
    auto it = peers_.find(contact);
    // Nothing goes to a contact whose invite expired: sending is refused.
    return it != peers_.end() && hidden_from(it->second) && !it->second.invite_expired;
}

Result<std::string> Messenger::safety_number(ContactId contact) const {
    auto rec = store_.contact(contact);
    if (!rec) return std::unexpected(rec.error());
    if (!rec->their_pairwise)
        return fail(Errc::Protocol,
                    "The safety number is known once the contact has answered the invite.");
    return contacts::safety_number(rec->our_pairwise.public_key(), *rec->their_pairwise);
}

// ---------------------------------------------------------------- transport events

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
    std::visit(
        [&](auto& f) {
            using T = std::decay_t<decltype(f)>;
            if constexpr (std::is_same_v<T, chat::Hello>) {
                on_hello(stream, f, now);
            } else if constexpr (std::is_same_v<T, chat::Welcome>) {
                on_welcome(stream, std::move(f), now);
            } else if constexpr (std::is_same_v<T, chat::ChatMessage>) {
                on_message(stream, std::move(f), now);
            } else if constexpr (std::is_same_v<T, chat::Ack>) {
                on_ack(stream, f, now);
            } else {
                auto& p = peers_.at(streams_.at(stream).contact);
                set_presence(p, streams_.at(stream).contact,
                             f.state == chat::PresenceState::Away ? ContactPresence::Away
                                                                  : ContactPresence::Online);
            }
        },
        frame);
}

void Messenger::on_invite_hello(StreamId stream, chat::Hello hello, TimePoint now) {
    const InviteId invite = *streams_.at(stream).invite;
    // The key it names must be the one that made the handshake.
    if (!invite_open(invite, now) || !proves_handshake_key(streams_.at(stream), hello.pairwise)) {
        close_stream(stream, now);
        return;
    }
    auto inv = store_.invite(invite);
    if (!inv) {
        storage_failed("could not load an invite", inv.error());
        close_stream(stream, now);
        return;
    }
    if (inv->status != store::InviteStatus::Open || inv->expires_at <= now) {
        close_stream(stream, now);
        return;
    }
    auto all = store_.contacts();
    if (!all) {
        storage_failed("could not load the contacts", all.error());
        close_stream(stream, now);
        return;
    }
    // The same invitee again (we stored the contact but crashed before the
    // invite was marked used): no second contact. Both its key and the grant
    // it gave us must match, so knowing a pairwise key is not enough.
    std::optional<ContactId> existing;
    for (auto& c : *all)
        if (c.their_pairwise && *c.their_pairwise == hello.pairwise &&
            transport::same_credentials(c.their_credentials, hello.grant_for_you))
            existing = c.id;

    ContactId contact;
    transport::CredentialList theirs_for_them;
    crypto::Ed25519PublicKey our_pairwise;
    std::optional<transport::GrantList> new_grants;
    if (existing) {
        contact = *existing;
        for (auto& c : *all)
            if (c.id == contact) {
                auto creds = transport::credentials_for(c.our_grants);
                if (creds) theirs_for_them = std::move(*creds);
                our_pairwise = c.our_pairwise.public_key();
            }
    } else {
        auto fresh = transport::issue_grants(config_.transports, rng_);
        if (!fresh) {
            storage_failed("could not make a grant for the new contact", fresh.error());
            close_stream(stream, now);
            return;
        }
        store::ContactRecord c{
            .id = 0,
            .state = store::ContactState::Established,
            .name = hello.name,
            .nickname = {},
            .appear_offline = false,
            .our_grants = transport::clone_list(fresh->grants),
            .their_credentials = std::move(hello.grant_for_you),
            .invite_secret = {},
            // The key our side of the invite's handshake showed.
            .our_pairwise = session::invite_pairwise_key(inv->pairwise_seed.view()),
            .their_pairwise = hello.pairwise,
            .created_at = now,
        };
        theirs_for_them = std::move(fresh->credentials);
        our_pairwise = c.our_pairwise.public_key();
        new_grants = std::move(fresh->grants);
        auto id = store_.add_contact(std::move(c));
        if (!id) {
            storage_failed("could not store the new contact", id.error());
            close_stream(stream, now);
            return;
        }
        contact = *id;
    }
    inv->status = store::InviteStatus::Used;
    inv->used_by = contact;
    if (auto ok = store_.update_invite(*inv); !ok)
        // The contact exists; the invite is revoked below anyway. After a
        // restart it is granted again but the same invitee maps to the same
        // contact (above) and anyone else holding the code gets a second
        // chance only until it expires.
        storage_failed("could not mark the invite as used", ok.error());
    open_invites_.erase(invite);

    if (!peers_.contains(contact)) {
        Peer p(config_);
        p.established = true;
        p.our_key_smaller = our_pairwise < hello.pairwise;
        p.their_static = streams_.at(stream).channel->peer_static();
        peers_.emplace(contact, std::move(p));
    }
    if (!existing) notify(ContactAdded{contact});
    notify(InviteUsed{invite, contact});
    streams_.at(stream).handshake_deadline = TimePoint::never();
    streams_.at(stream).got_frame = true;
    bind_stream(stream, contact);
    update_presence(contact);  // the session is done and the key proven: online
    send_frame(stream, chat::Welcome{our_name(), our_pairwise, std::move(theirs_for_them)});
    open_session(stream, now);
    // The code is worthless from now on. (A transport may end the invite
    // stream with the grant; the Welcome is written first, and if it is
    // lost anyway the invitee's next Hello on a contact stream gets another.)
    act(RevokeAccess{kInviteTagBit | invite});
    if (new_grants) act(GrantAccess{contact, std::move(*new_grants), false});
    close_invite_streams(invite, now);
}

void Messenger::on_hello(StreamId stream, const chat::Hello& hello, TimePoint now) {
    // The invitee says Hello again on a later stream: it has not seen our
    // Welcome (lost with the invite stream). Answer it again.
    const ContactId contact = streams_.at(stream).contact;
    auto rec = store_.contact(contact);
    if (!rec) {
        storage_failed("could not load a contact", rec.error());
        return;
    }
    if (rec->state != store::ContactState::Established || !rec->their_pairwise ||
        *rec->their_pairwise != hello.pairwise) {
        close_stream(stream, now);
        return;
    }
    auto ours = transport::credentials_for(rec->our_grants);
    if (!ours) {
        storage_failed("could not read a contact's grant", ours.error());
        return;
    }
    send_frame(stream, chat::Welcome{our_name(), rec->our_pairwise.public_key(), std::move(*ours)});
}

void Messenger::on_welcome(StreamId stream, chat::Welcome welcome, TimePoint now) {
    const ContactId contact = streams_.at(stream).contact;
    // Whoever sent it made the handshake with the key it names, or it is
    // not the inviter's.
    if (!proves_handshake_key(streams_.at(stream), welcome.pairwise)) {
        close_stream(stream, now);
        return;
    }
    auto rec = store_.contact(contact);
    if (!rec) {
        storage_failed("could not load a contact", rec.error());
        return;
    }
    if (rec->state == store::ContactState::Established) {
        // A repeated Welcome (we said Hello twice) is fine; another key is not.
        if (!rec->their_pairwise || *rec->their_pairwise != welcome.pairwise) {
            close_stream(stream, now);
            return;
        }
        // A stream held since before another stream's Welcome made them
        // Established: this Welcome proves it too.
        if (Stream& s = streams_.at(stream); s.held) {
            s.held = false;
            s.handshake_deadline = TimePoint::never();
            update_presence(contact);
            open_session(stream, now);
        }
        return;
    }
    const bool was_expired = rec->state == store::ContactState::InviteExpired;
    rec->state = store::ContactState::Established;
    rec->invite_expires_at.reset();
    rec->name = welcome.name;
    rec->their_pairwise = welcome.pairwise;
    rec->their_credentials = std::move(welcome.grant_for_you);
    rec->invite_secret = {};  // the code has done its work
    if (auto ok = store_.update_contact(*rec); !ok) {
        // Still Requested: the next stream says Hello again and gets a new Welcome.
        storage_failed("could not store the contact's answer", ok.error());
        close_stream(stream, now);
        return;
    }
    Peer& p = peers_.at(contact);
    p.established = true;
    p.invite_expired = false;
    p.invite_expires_at.reset();
    p.our_key_smaller = rec->our_pairwise.public_key() < welcome.pairwise;
    p.their_static = streams_.at(stream).channel->peer_static();
    // Secured streams wait for nothing more; those still in their handshake
    // keep its deadline.
    for (auto id : p.streams)
        if (streams_.at(id).channel->established())
            streams_.at(id).handshake_deadline = TimePoint::never();
    if (Stream& s = streams_.at(stream); s.held) {
        s.held = false;
        update_presence(contact);
        open_session(stream, now);
        if (!streams_.contains(stream)) return;
    }
    notify(ContactChanged{contact});
    if (was_expired) requeue_failed(contact, now);
    resolve_duplicates(contact, now, /*resend=*/true);
}

// Their Welcome came after we had given up on the invite: what we kept as
// Failed goes out after all. (A crash before this leaves those messages
// Failed, visible as such, for the user to send again.)
void Messenger::requeue_failed(ContactId contact, TimePoint now) {
    if (auto n = store_.requeue_failed(contact); !n) {
        storage_failed("could not queue the waiting messages again", n.error());
        return;
    }
    auto outbox = store_.outbox(contact);
    if (!outbox) {
        storage_failed("could not load the messages waiting to be sent", outbox.error());
        return;
    }
    Peer& p = peers_.at(contact);
    for (auto& m : *outbox) {
        secure_wipe(m.body.data(), m.body.size());
        const bool known = std::any_of(p.unacked.begin(), p.unacked.end(),
                                       [&](const Unacked& u) { return u.id == m.id; });
        if (known) continue;
        p.unacked.push_back(Unacked{m.id, std::nullopt});
        notify(MessageStateChanged{contact, m.id, store::MessageState::Queued, std::nullopt});
    }
    send_outbox(contact, now);
}

void Messenger::on_message(StreamId stream, chat::ChatMessage m, TimePoint now) {
    const ContactId contact = streams_.at(stream).contact;
    // Charged before the store is touched (resends too: the point is to
    // bound the work a contact can make us do). Over the limit: no store, no
    // Ack; the sender's outbox has it and sends it again.
    Peer& p = peers_.at(contact);
    if (p.held_from && m.id != *p.held_from && now < p.held_since + kHoldBackLimit) {
        secure_wipe(m.body.data(), m.body.size());
        return;
    }
    p.held_from.reset();
    if (!p.incoming.take(now)) {
        p.held_from = m.id;
        p.held_since = now;
        secure_wipe(m.body.data(), m.body.size());
        return;
    }
    auto stored = store_.add_incoming(contact, m.id, std::move(m.body), m.sent_at, now);
    if (!stored) {
        // No Ack: the sender keeps it and sends it again.
        storage_failed("could not store an incoming message", stored.error());
        return;
    }
    if (*stored) {
        notify(MessageAdded{**stored});
        notify(ContactChanged{contact});
    }
    send_frame(stream, chat::Ack{m.id});
}

void Messenger::on_ack(StreamId stream, const chat::Ack& ack, TimePoint now) {
    const ContactId contact = streams_.at(stream).contact;
    Peer& p = peers_.at(contact);
    auto u = std::find_if(p.unacked.begin(), p.unacked.end(),
                          [&](const Unacked& x) { return x.id == ack.id; });
    if (u == p.unacked.end()) return;  // unknown or already delivered
    if (auto ok = store_.set_message_state(contact, ack.id, store::MessageState::Delivered, now);
        !ok) {
        storage_failed("could not mark a message as delivered", ok.error());
        return;  // it is resent and acked again
    }
    p.unacked.erase(u);
    notify(MessageStateChanged{contact, ack.id, store::MessageState::Delivered, now});
}

}  // namespace sotto::messenger
