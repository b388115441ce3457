// What the messenger engine (core/messenger) keeps and asks for: the profile's
// identity and settings, its contacts, the invites it issued and the codes it
// accepted, and the message history with its outbox. The engine sees storage
// only through this interface, so it runs on the encrypted SQLite profile
// (ProfileStore, profile_store.hpp) in the program and on an in-memory store
// (MemoryStore, memory_store.hpp) in tests and the simulator. The comments on
// the methods are the contract both keep, error codes included
// (tests/unit/tst_messenger_store.cpp runs the same checks on both);
// opening, locking and the passphrase belong to the ProfileStore alone.
//
// Every write is all or nothing: a call that fails leaves the store as it
// was. A store belongs to one thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/store/records.hpp"
#include "core/util/bytes.hpp"
#include "core/util/error.hpp"
#include "core/util/time.hpp"

namespace sotto::store {

class MessengerStore {
  public:
    virtual ~MessengerStore() = default;

    // ---- identity and settings ----
    virtual const ProfileIdentity& identity() const = 0;
    // Small key/value settings (presence mode, window geometry, ...); a key
    // never set reads as nullopt, setting it again replaces the value.
    virtual Status set_setting(std::string_view key, std::string_view value) = 0;
    virtual Result<std::optional<std::string>> setting(std::string_view key) const = 0;

    // ---- contacts ----
    // A new contact with a new id (record.id is ignored; ids are never
    // reused, and a later contact's is larger). A record the store cannot
    // keep fails and adds nothing: Malformed for a state out of range,
    // TooLarge or Malformed for a grant or credential list the transport
    // encoding refuses (empty, too many, a transport twice).
    virtual Result<ContactId> add_contact(ContactRecord record) = 0;
    // Replaces every field of the contact record.id; NotFound for an
    // unknown id, otherwise fails as add_contact.
    virtual Status update_contact(const ContactRecord& record) = 0;
    // NotFound for an unknown id.
    virtual Result<ContactRecord> contact(ContactId id) const = 0;
    // Every contact, by id.
    virtual Result<std::vector<ContactRecord>> contacts() const = 0;
    // Every contact's summary, by id.
    virtual Result<std::vector<ContactSummary>> contact_summaries() const = 0;
    // Deletes the contact and its whole history; an invite it used keeps its
    // status but no longer names it (used_by empty). NotFound for an unknown
    // id.
    virtual Status remove_contact(ContactId id) = 0;
    // A Requested contact whose invite expired: the contact becomes
    // InviteExpired and its unsent messages (Queued, Sent) Failed, together,
    // so no restart finds one without the other. NotFound for an unknown
    // contact, Protocol for one that is not Requested.
    virtual Status mark_invite_expired(ContactId id) = 0;

    // ---- invites we issued ----
    // A new invite with a new id (record.id ignored, ids never reused).
    // Fails and adds nothing for Malformed (a status out of range, an empty
    // secret), a grant list the transport encoding refuses, or NotFound (a
    // used_by naming no contact).
    virtual Result<InviteId> add_invite(InviteRecord record) = 0;
    // Replaces every field of the invite record.id; NotFound for an unknown
    // id, otherwise fails as add_invite.
    virtual Status update_invite(const InviteRecord& record) = 0;
    // NotFound for an unknown id.
    virtual Result<InviteRecord> invite(InviteId id) const = 0;
    // Every invite, by id.
    virtual Result<std::vector<InviteRecord>> invites() const = 0;
    // Invite codes we accepted, by their session secret (its first 32
    // bytes, which for a version-1 code are its H(CK), as the records made
    // before version 5 are keyed): so accepting the same code twice gives
    // "already used".
    virtual Result<bool> accepted_invite_seen(ByteView invite_secret) const = 0;
    // Remembering a code again replaces its expiry.
    virtual Status remember_accepted_invite(ByteView invite_secret, TimePoint expires_at) = 0;
    // Forgets the accepted codes that expired at or before `now` (an expired
    // code is refused as expired before "already used" is asked); returns
    // how many went.
    virtual Result<std::size_t> purge_accepted_invites(TimePoint now) = 0;

    // ---- messages ----
    // Row ids of messages are one sequence across all contacts, in the
    // order the messages were added.
    //
    // Outgoing: stored as Queued (read, no delivered_at) before anything is
    // sent. NotFound for an unknown contact; the (contact, id) must be new
    // (the engine's ids are random), a stored one fails.
    virtual Result<MessageRecord> add_outgoing(ContactId contact, MessageId id, std::string body,
                                               TimePoint sent_at) = 0;
    // Incoming: stored as Received, unread, delivered_at = received_at.
    // Returns nullopt, and stores nothing, if (contact, id) is already
    // stored, in either direction (a resend); the same id from another
    // contact is another message. NotFound for an unknown contact.
    virtual Result<std::optional<MessageRecord>> add_incoming(ContactId contact, MessageId id,
                                                              std::string body, TimePoint sent_at,
                                                              TimePoint received_at) = 0;
    // Outgoing messages only: `state` must be Queued, Sent or Delivered
    // (Protocol otherwise, and for an incoming message). Delivered is final,
    // so a late Sent/Queued for a Delivered message is ignored (success,
    // nothing changes). delivered_at is kept when not given. NotFound for an
    // unknown (contact, id).
    virtual Status set_message_state(ContactId contact, const MessageId& id, MessageState state,
                                     std::optional<TimePoint> delivered_at = std::nullopt) = 0;
    // Failed messages of the contact → Queued (its Welcome came after all);
    // returns how many (0 for an unknown contact).
    virtual Result<std::size_t> requeue_failed(ContactId contact) = 0;
    // Outgoing messages Queued or Sent, oldest first (resent on every new
    // stream; the receiver deduplicates). Empty for an unknown contact.
    virtual Result<std::vector<MessageRecord>> outbox(ContactId contact) const = 0;
    // History page: up to `limit` messages older than row `before`
    // (exclusive), the newest of them, returned oldest first. before =
    // nullopt means the newest page; empty for limit 0 and for an unknown
    // contact.
    virtual Result<std::vector<MessageRecord>> history(ContactId contact,
                                                       std::optional<MessageRowId> before,
                                                       std::size_t limit) const = 0;
    // Every incoming message of the contact becomes read (nothing for an
    // unknown contact).
    virtual Status mark_read(ContactId contact) = 0;

  protected:
    MessengerStore() = default;
    MessengerStore(const MessengerStore&) = delete;
    MessengerStore& operator=(const MessengerStore&) = delete;

    // What the implementations share of the contract above, so that it is
    // written once: what keys an accepted code's record, the records a new
    // message starts as (row not yet given), and which states
    // set_message_state() takes.
    static ByteView accepted_invite_key(ByteView invite_secret) {
        return invite_secret.first(std::min<std::size_t>(32, invite_secret.size()));
    }
    static MessageRecord outgoing_message(ContactId contact, const MessageId& id, std::string body,
                                          TimePoint sent_at);
    static MessageRecord incoming_message(ContactId contact, const MessageId& id, std::string body,
                                          TimePoint sent_at, TimePoint received_at);
    static Status check_settable(MessageState state);
};

}  // namespace sotto::store
