// The messenger engine: contacts, invites, chat and presence on top of a
// private service (ours, for contacts to reach us) and a service client (to
// reach theirs). Sans-I/O like the rest of the core: user actions and
// transport events come in with the current time; transport actions (grant,
// revoke, hide, connect, send, close) and UI events come out, with the next
// deadline. It owns no sockets and no clock, so a whole conversation between
// two profiles runs deterministically in one test.
//
// Rules it enforces (issue 4; sessions: issue 10):
// - Every stream is an end-to-end session between the two contacts'
//   pairwise keys (core/session): a Noise handshake first, then sealed
//   frames. It trusts the transport with nothing: bytes that are not the
//   session's close the stream, a caller whose key is not the contact's is
//   never answered.
// - Invites are one-time and expiring. The invite's grant is published only
//   while the invite is open. On the invite stream the invitee sends Hello
//   (name, pairwise key, a grant for the inviter); the inviter answers
//   Welcome (name, pairwise key, fresh long-term credentials), then revokes
//   the invite's grant, so the code is worthless afterwards.
//   An invite stream that ends without a Hello is counted on the invite
//   (a probe: the holder of the code saw us online) and reported.
// - Outgoing messages are committed to the store (Queued) before anything is
//   sent, resent on every new stream until acknowledged; incoming ones are
//   committed before the Ack goes out, and deduplicated by id. A crash at any
//   point loses nothing and shows nothing twice.
// - Presence: Visible and Away publish our service to every contact not set
//   to appear offline; Invisible hides it from all and makes no outgoing
//   connections, which is indistinguishable from being offline. Sending a
//   message to a contact we are hidden from connects to that contact only
//   (sending_reveals_presence() lets the UI say so first).
// - Revoke is silent: no frame is sent; the grant is revoked, streams are
//   closed, the contact and its history are deleted, and we never connect
//   to them again.
// - A contact is Online while a stream with them is open (Away if they said
//   so); we keep trying to connect to offline contacts with backoff. The
//   connects of a start (and of leaving Invisible) go out in random order
//   over connect_spread, so contacts do not all see us come online at the
//   same instant.
// - An invite we accepted that expires before the inviter's Welcome ends
//   the attempt: the contact becomes InviteExpired ("ask for a new code"),
//   we stop connecting, and its unsent messages are kept as Failed.
// - Limits: a contact's incoming messages pass a token bucket (the excess
//   is neither stored nor acknowledged, so the sender's outbox sends it
//   again later), and at most outbox_limit messages wait for one contact.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/chat/chat_frame.hpp"
#include "core/messenger/token_bucket.hpp"
#include "core/session/secure_channel.hpp"
#include "core/store/messenger_store.hpp"
#include "core/transport/transport.hpp"
#include "core/util/error.hpp"
#include "core/util/rng.hpp"
#include "core/util/time.hpp"

namespace sotto::messenger {

using store::ContactId;
using store::InviteId;
using StreamId = std::uint64_t;

// Service tags for invites live above this bit; contacts use their row id.
inline constexpr transport::Tag kInviteTagBit = transport::Tag{1} << 62;

enum class PresenceMode : std::uint8_t { Visible = 1, Away = 2, Invisible = 3 };
enum class ContactPresence : std::uint8_t { Offline = 0, Online = 1, Away = 2 };

struct MessengerConfig {
    // A day: an unused code is a presence oracle for whoever photographed
    // it (every stream it opens tells them we are online), so it should not
    // outlive the meeting it was made for. 7 days is there for asking.
    Duration default_invite_validity = Duration::hours(24);
    // Reconnect to offline contacts: first retry after `min`, doubling to `max`, ±25 % jitter.
    Duration reconnect_min = Duration::seconds(5);
    Duration reconnect_max = Duration::minutes(5);
    // Resend un-acked messages on an open stream after this long.
    Duration ack_timeout = Duration::seconds(30);
    // Close a stream that sent no Hello/Welcome within this long.
    Duration handshake_timeout = Duration::seconds(60);
    // Incoming messages per contact: a burst of 100, then 1 a second. A
    // person typing, or an outbox of a day's messages arriving when we come
    // online, stays within it; a contact flooding us writes at most ~86,400
    // messages a day instead of as many as the link carries. What is over
    // the limit is not stored and not acknowledged: the sender keeps it and
    // resends it after its ack_timeout, so the limit costs time, not
    // messages.
    std::uint32_t incoming_burst = 100;
    Duration incoming_interval = Duration::seconds(1);
    // Unsent messages per contact. The whole outbox is resent on every new
    // stream and re-read from the store, so it must stay small enough to do
    // that quickly; 1,000 is far beyond a conversation with someone offline.
    std::size_t outbox_limit = 1000;
    // Back-pressure (MessengerHost): sealed records waiting for a stream
    // whose transport buffer is full. The engine sends no messages on a
    // blocked stream, so only what was already on its way waits — at most an
    // outbox (outbox_limit × chat::kMaxBodyBytes ≈ 16 MB) plus control
    // frames; a stream over this bound has a reader that stopped and closes.
    std::size_t stream_wait_limit = 32 * 1024 * 1024;
    // Outgoing connects at start and when leaving Invisible go out one by
    // one, in random order, over this window: no burst of work at once, and
    // no instant at which every contact sees us come online. Zero: all at once.
    Duration connect_spread = Duration::seconds(30);
    // ... but no wider than this per contact: someone with three contacts
    // should see them online within a second, not wait up to half a minute.
    Duration connect_slot = Duration::millis(300);
    // The transports this profile runs: every grant we make (invites, new
    // contacts) has one entry per transport, and we reach a contact over
    // the first of their credentials whose transport is here.
    std::vector<transport::TransportKind> transports = {transport::TransportKind::SottoOnion};
};

// ---- actions for the transport ----
// (transport::Transport; a list goes to the transports it names.)
struct GrantAccess {
    transport::Tag tag;
    transport::GrantList grants;
    bool hidden = false;
};
struct RevokeAccess {
    transport::Tag tag;
};
struct HideAccess {
    transport::Tag tag;
    bool hidden = false;
};
struct SetServiceVisible {
    bool visible = true;
};
// Report back with stream_opened or connect_failed. Whoever carries it out
// picks the first credential whose transport it runs (none: a failure).
struct Connect {
    ContactId contact;
    transport::CredentialList credentials;
};
struct Send {
    StreamId stream;
    Bytes data;
};
struct Close {
    StreamId stream;
};
using Action =
    std::variant<GrantAccess, RevokeAccess, HideAccess, SetServiceVisible, Connect, Send, Close>;

// ---- events for the UI ----
struct ContactAdded {
    ContactId contact;
};
struct ContactChanged {  // name, state, presence, unread, last message, appear-offline
    ContactId contact;
};
struct ContactRemoved {
    ContactId contact;
};
struct MessageAdded {  // outgoing (on send) or incoming (once stored)
    store::MessageRecord message;
};
struct MessageStateChanged {
    ContactId contact;
    chat::MessageId id;
    store::MessageState state;
    std::optional<TimePoint> delivered_at;
};
struct InviteUsed {  // someone accepted our invite and is now a contact
    InviteId invite;
    ContactId contact;
};
struct InviteExpired {
    InviteId invite;
};
// Someone opened a stream with the invite's code and left without a Hello:
// they learned we are online and did not use the code. `probes` is the
// invite's count so far (stored).
struct InviteProbed {
    InviteId invite;
    std::uint32_t probes;
};
struct PresenceModeChanged {
    PresenceMode mode;
};
struct StorageFailed {  // the action that caused it was not carried out
    std::string message;
};
// A contact went over its introduction rate limit at our service (paper
// 4.6): a rogue contact the user may want to revoke. From the transport,
// passed on by MessengerHost; the engine itself never reports it.
struct ContactFlagged {
    ContactId contact;
    std::size_t violations;
};
using Event = std::variant<ContactAdded, ContactChanged, ContactRemoved, MessageAdded,
                           MessageStateChanged, InviteUsed, InviteExpired, InviteProbed,
                           PresenceModeChanged, StorageFailed, ContactFlagged>;

struct CreatedInvite {
    InviteId id;
    std::string code;  // the "sotto:" text form; the UI renders the QR from it
    TimePoint expires_at;
};

class Messenger {
  public:
    Messenger(store::MessengerStore& store, Rng& rng, MessengerConfig config = {});

    // Grants every contact and open invite, applies the stored presence mode
    // and starts connecting. Call once.
    void start(TimePoint now);

    // ---- user actions ----
    Result<CreatedInvite> create_invite(std::optional<Duration> validity, TimePoint now);
    Status withdraw_invite(InviteId id, TimePoint now);
    // Errors carry contacts::invite_error_message(...) as their message.
    Result<ContactId> accept_invite(std::string_view code, TimePoint now);
    // Stores the message (Queued) first; fails with a clear message for an
    // empty or too long body, an unknown contact, a contact whose invite
    // expired (Errc::Expired), a full outbox (Errc::Limit), or a storage
    // error.
    Result<store::MessageRecord> send_message(ContactId contact, std::string body, TimePoint now);
    Status rename(ContactId contact, std::string nickname);
    Status revoke(ContactId contact, TimePoint now);
    Status set_appear_offline(ContactId contact, bool hidden, TimePoint now);
    void set_presence_mode(PresenceMode mode, TimePoint now);
    Status mark_read(ContactId contact);

    // ---- queries ----
    PresenceMode presence_mode() const { return mode_; }
    ContactPresence presence_of(ContactId contact) const;
    // True when sending to this contact would make us visible to them
    // (we are Invisible, or appear offline to them).
    bool sending_reveals_presence(ContactId contact) const;
    Result<std::string> safety_number(ContactId contact) const;
    store::MessengerStore& store() { return store_; }
    const MessengerConfig& config() const { return config_; }

    // ---- transport events ----
    // `tag` is the service tag for incoming streams (a contact id or an
    // invite tag), the contact id for outgoing ones.
    void stream_opened(StreamId stream, transport::Tag tag, bool incoming, TimePoint now);
    void connect_failed(ContactId contact, TimePoint now);
    void stream_data(StreamId stream, ByteView data, TimePoint now);
    void stream_closed(StreamId stream, TimePoint now);
    // The stream's transport refused a write for a full buffer; the host
    // keeps it and what follows, in order. Messages wait in the outbox (and
    // their ack timers stop) until stream_writable.
    void stream_blocked(StreamId stream);
    void stream_writable(StreamId stream, TimePoint now);
    void tick(TimePoint now);
    TimePoint next_deadline() const;

    std::vector<Action> take_actions();
    std::vector<Event> take_events();

    // Tests only: sees every chat frame before it is sealed; returning false
    // drops it as if it had been lost (the session stays intact, as it
    // would not if a sealed record were lost on the stream).
    using FrameTap = std::function<bool(StreamId, const chat::Frame&)>;
    void set_frame_tap_for_tests(FrameTap tap) { frame_tap_ = std::move(tap); }

  private:
    // One open stream (see messenger.cpp for the life of a stream).
    struct Stream {
        bool incoming = false;
        // An incoming invite stream waiting for its Hello; no contact yet.
        std::optional<InviteId> invite;
        // It carried a Hello: whatever happens next, the code was used (or
        // tried on an invite no longer open), not probed.
        bool said_hello = false;
        ContactId contact = 0;   // 0 while `invite` is set
        bool got_frame = false;  // a valid frame arrived: the session works
        TimePoint opened_at;
        // The session handshake, then an invite stream waiting for Hello, or
        // our Hello waiting for its Welcome.
        TimePoint handshake_deadline = TimePoint::never();
        // Every byte in and out goes through it (docs/messenger.md, Sessions).
        std::optional<session::SecureChannel> channel;
        // We answered a contact we know only from its grant (we are the
        // invitee, still waiting for the inviter's Welcome): until a Welcome
        // with the key that made the handshake arrives, nothing but our
        // Hello goes out and nothing but a Welcome is taken.
        bool held = false;
        chat::FrameDecoder decoder;
        // Its transport's buffer is full (stream_blocked): no messages go
        // out on it until stream_writable.
        bool blocked = false;
        // Secured, not held: frames may go out.
        bool usable() const { return channel && channel->established() && !held && contact != 0; }
    };
    struct Unacked {
        chat::MessageId id;
        std::optional<TimePoint> last_sent;  // nullopt: still Queued
    };
    // What the engine keeps in memory per contact; the store has the rest.
    struct Peer {
        explicit Peer(const MessengerConfig& c) : incoming(c.incoming_burst, c.incoming_interval) {}
        bool established = false;
        // Not established yet: when the invite we accepted expires; once it
        // has without a Welcome, `invite_expired` and we stop connecting.
        std::optional<TimePoint> invite_expires_at;
        bool invite_expired = false;
        bool appear_offline = false;
        // We sent to them while hidden (Invisible or appear-offline): we
        // connect to them anyway until the mode or the hide changes.
        bool revealed = false;
        // Glare: when both sides opened a stream, the one opened by the side
        // with the smaller pairwise key is kept. Known once both keys are.
        std::optional<bool> our_key_smaller;
        // The X25519 form of their pairwise key, once needed (a stream with them).
        std::optional<crypto::X25519PublicKey> their_static;
        std::vector<StreamId> streams;  // open, bound to this contact, oldest first
        ContactPresence presence = ContactPresence::Offline;  // while streams exist
        bool connecting = false;                              // a Connect is out
        TimePoint next_connect = TimePoint::never();
        std::uint32_t failures = 0;    // consecutive attempts without a working stream
        std::vector<Unacked> unacked;  // outgoing not Delivered, oldest first
        TokenBucket incoming;          // their Message frames
        // Set when the limit refused one of their messages: everything after
        // it is refused too until the sender's resend reaches that one again
        // (its outbox resends oldest first), so a newer message can never be
        // stored ahead of an older one held back. `held_since` bounds it.
        std::optional<chat::MessageId> held_from;
        TimePoint held_since;
    };

    bool hidden_from(const Peer& p) const;
    // Whether we make outgoing connections to this contact at all.
    bool dials(const Peer& p) const { return !hidden_from(p) && !p.invite_expired; }
    bool invite_open(InviteId id, TimePoint now) const;
    // Built in place too, for the same reason (GCC 12 with the sanitizers
    // saw a GrantAccess "maybe uninitialized" in act(RevokeAccess{...})).
    template <typename A>
    void act(A a) {
        if constexpr (std::is_same_v<A, Action>)
            actions_.push_back(std::move(a));
        else
            actions_.emplace_back(std::in_place_type<A>, std::move(a));
    }
    // Built in place from the alternative: moving a whole Event through a
    // temporary makes GCC 12 see a MessageRecord "maybe uninitialized".
    template <typename E>
    void notify(E e) {
        events_.emplace_back(std::in_place_type<E>, std::move(e));
    }
    void storage_failed(std::string_view what, const Error& e);
    void send_frame(StreamId stream, const chat::Frame& frame);
    // The contact's newest stream that frames may go out on.
    std::optional<StreamId> active_stream(const Peer& p) const;
    // Online once a usable stream exists, Offline when none is left.
    void update_presence(ContactId contact);
    // The session on a stream to or from a contact; false: close it.
    bool begin_contact_session(Stream& s, const store::ContactRecord& rec, Peer& p);
    bool begin_invite_session(Stream& s, const store::InviteRecord& invite);
    void on_secured(StreamId stream, TimePoint now);
    // Whether a Hello's or Welcome's pairwise key is the one that made the
    // stream's handshake.
    bool proves_handshake_key(const Stream& s, const crypto::Ed25519PublicKey& pairwise) const;
    // `resend`: if the closed stream was the contact's newest, send the
    // outbox again on the one that is left.
    void close_stream(StreamId stream, TimePoint now, bool resend = true);
    void forget_stream(StreamId stream, TimePoint now, bool resend = true);
    void bind_stream(StreamId stream, ContactId contact);
    void open_session(StreamId stream, TimePoint now);
    // `due_only`: only what was never sent or whose ack timer ran out.
    void send_outbox(ContactId contact, TimePoint now, bool due_only = false);
    // The contact's active stream is blocked (stream_blocked).
    bool write_blocked(const Peer& p) const;
    // The contact has a usable stream that takes writes now.
    bool can_write(const Peer& p) const;
    void resolve_duplicates(ContactId contact, TimePoint now, bool resend);
    void set_presence(Peer& p, ContactId contact, ContactPresence presence);
    void try_connect(ContactId contact, TimePoint now);
    void schedule_retry(Peer& p, TimePoint now);
    // Connects to every contact we dial and have no stream with, spread over
    // connect_spread.
    void spread_connects(TimePoint now);
    void expire_request(ContactId contact);
    void requeue_failed(ContactId contact, TimePoint now);
    void close_contact_streams(ContactId contact, TimePoint now);
    void close_invite_streams(InviteId invite, TimePoint now);
    void expire_invite(InviteId invite, TimePoint now);
    void count_probe(InviteId invite);
    void handle_frame(StreamId stream, chat::Frame frame, TimePoint now);
    void on_invite_hello(StreamId stream, chat::Hello hello, TimePoint now);
    void on_hello(StreamId stream, const chat::Hello& hello, TimePoint now);
    void on_welcome(StreamId stream, chat::Welcome welcome, TimePoint now);
    void on_message(StreamId stream, chat::ChatMessage message, TimePoint now);
    void on_ack(StreamId stream, const chat::Ack& ack, TimePoint now);
    void on_presence(StreamId stream, const chat::Presence& presence);
    std::string our_name() const;
    chat::PresenceState our_presence() const;

    store::MessengerStore& store_;
    Rng& rng_;
    MessengerConfig config_;
    Bytes prologue_;  // session::session_prologue of our network
    FrameTap frame_tap_;
    PresenceMode mode_ = PresenceMode::Visible;
    bool started_ = false;
    std::map<StreamId, Stream> streams_;
    std::map<ContactId, Peer> peers_;
    std::map<InviteId, TimePoint> open_invites_;  // id → expires_at
    std::vector<Action> actions_;
    std::vector<Event> events_;
};

}  // namespace sotto::messenger
