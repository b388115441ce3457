// The user's profile: one SQLite database (system SQLite, WAL) holding the
// identity, contacts, invites and message history (DESIGN §5). Everything a
// stolen disk must not reveal (secret keys, cookies, names, message bodies,
// timestamps) is sealed at the application level with ChaCha20-Poly1305 under
// a random data key; the data key is stored wrapped under a key derived from
// the passphrase with scrypt (salt and parameters in a clear `meta` table), so
// changing the passphrase rewraps the data key and re-encrypts nothing. Each
// sealed field binds its table, column and row in the associated data so
// fields cannot be swapped between rows. What stays in clear: row ids, foreign
// keys, contact and invite states, message direction/state/read flags, the
// network id and the local insertion order, which the engine needs for
// queries. Lookups by secret values (message ids, setting names, accepted
// H(CK)) use keyed tags, never the values themselves (see sealed_box.hpp,
// schema.cpp).
//
// Every row also carries a MAC over all its columns, clear ones included,
// and a version from a per-profile counter, and the profile keeps a sealed
// digest of its live rows (row_integrity.hpp): a state flipped in clear, an
// old row put back, a row deleted or a removed contact re-inserted behind
// our back is found at unlock, which then fails with a sentence starting
// with integrity::kChangedOutside and leaves the file as it is.
//
// A wrong passphrase is detected by the wrapped data key's tag, on a
// read-only connection, before anything is written. Every write is one SQLite
// transaction, so a crash leaves the old or the new state, never a mix; an
// outgoing message is committed before the engine hands it to the network
// (the outbox). Schema versions live in `PRAGMA user_version` and are
// migrated forward on open (schema.hpp).
//
// One store belongs to one thread; the Rng given to create()/open() must
// outlive it (it supplies the nonces of every later write).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/chat/message_id.hpp"
#include "core/crypto/ed25519.hpp"
#include "core/crypto/kdf.hpp"
#include "core/dir/network_file.hpp"
#include "core/store/profile_key.hpp"
#include "core/transport/credential.hpp"
#include "core/util/bytes.hpp"
#include "core/util/error.hpp"
#include "core/util/rng.hpp"
#include "core/util/time.hpp"

namespace sotto::store {

// Database row ids. ContactId doubles as the transport::Tag of its grants.
using ContactId = std::uint64_t;
using InviteId = std::uint64_t;
using MessageRowId = std::int64_t;

using chat::MessageId;

// Errors specific to the profile, on top of Errc (the Error's code is Errc::Io
// for disk problems, Errc::BadSignature for a wrong passphrase, a tampered
// field (the message names the field) or a file changed outside Sotto (the
// message says what changed), Errc::BadVersion for a database newer
// than this program, Errc::Malformed for a file that is not a profile or is
// corrupt, Errc::NotFound for a missing file, contact, invite or message).
inline constexpr const char* kWrongPassphrase = "wrong passphrase";

// Long-lived secrets of the profile itself.
struct ProfileIdentity {
    std::string display_name;
    // The onion node's keys (identity and onion key) for the user's own
    // private service and client circuits; never shown to contacts.
    crypto::Ed25519SecretKey node_identity;
    Secret<32> node_onion;  // X25519 secret
    // The network this profile belongs to: the network file's text and its id
    // (carried in invite codes).
    std::string network_file;
    dir::NetworkId network_id;
};

enum class ContactState : std::uint8_t {
    Requested = 1,    // we accepted their invite; waiting for their Welcome
    Established = 2,  // both sides hold long-term grants
    // We accepted their invite but it expired before their Welcome came:
    // they stopped publishing the invite's key, so we stopped connecting.
    // Their Welcome is still taken if it comes after all (messenger.md).
    InviteExpired = 3,
};

struct ContactRecord {
    ContactId id = 0;
    ContactState state = ContactState::Requested;
    std::string name;      // what they call themselves (from Hello/Welcome or the invite hint)
    std::string nickname;  // our rename; empty = use name
    bool appear_offline = false;  // per-contact hide
    // Our grants to them, one per transport we run: they reach our service
    // with transport::credential_for(grant). Opaque to the messenger.
    transport::GrantList our_grants;
    // How we reach their service, one per transport they run (the invite
    // code's while Requested).
    transport::CredentialList their_credentials;
    // While Requested: the session secret of the invite code we accepted
    // (the input of its handshake's pre-shared key). Empty otherwise.
    SecretBytes invite_secret;
    // Pairwise identity keys (one per contact, so contacts cannot link us):
    // ours signs nothing on the wire yet but feeds the safety number.
    crypto::Ed25519SecretKey our_pairwise;
    std::optional<crypto::Ed25519PublicKey> their_pairwise;
    TimePoint created_at;
    // Until their Welcome: when the invite code we accepted expires (the
    // code's expiry). Empty once Established, and for a contact that a
    // version-1 profile held as Requested without a record of its code.
    std::optional<TimePoint> invite_expires_at;
};

// Summary for the contact list (no secrets).
struct ContactSummary {
    ContactId id = 0;
    ContactState state = ContactState::Requested;
    std::string display;  // nickname if set, else name
    bool appear_offline = false;
    std::uint32_t unread = 0;  // incoming messages not yet marked read
    // The newest message's time on our clock: sent_at for outgoing, the
    // receive time for incoming.
    std::optional<TimePoint> last_message_at;
};

enum class InviteStatus : std::uint8_t { Open = 1, Used = 2, Expired = 3, Withdrawn = 4 };

struct InviteRecord {
    InviteId id = 0;
    // The invite's own grants (one per transport), published until it is
    // used or expires, and what its code carries besides their credentials:
    transport::GrantList grants;
    // the session secret (session::invite_psk), 32 random bytes, or the
    // 64 bytes H(CK) | DC for an invite made before version 5,
    SecretBytes secret;
    // and, never shown, the seed of our pairwise key for the contact it makes
    // (session::invite_pairwise_key).
    Secret<32> pairwise_seed;
    TimePoint created_at;
    TimePoint expires_at;
    std::string name_hint;
    InviteStatus status = InviteStatus::Open;
    std::optional<ContactId> used_by;
    // Streams that opened on the invite and ended without a Hello: someone
    // holding the code learned we were online without using it (the
    // messenger counts them; messenger.md "Invites").
    std::uint32_t probes = 0;
};

enum class Direction : std::uint8_t { Outgoing = 1, Incoming = 2 };
enum class MessageState : std::uint8_t {
    Queued = 1,     // durable in the outbox, not yet written to a stream
    Sent = 2,       // written to a stream, no acknowledgement yet
    Delivered = 3,  // the contact acknowledged it
    Received = 4,   // incoming
    // Outgoing, kept but no longer sent: the contact's invite expired before
    // they answered (ContactState::InviteExpired). Not in the outbox; queued
    // again if their Welcome comes after all.
    Failed = 5,
};

struct MessageRecord {
    MessageRowId row = 0;  // local order
    ContactId contact = 0;
    MessageId id;
    Direction direction = Direction::Outgoing;
    MessageState state = MessageState::Queued;
    std::string body;                       // UTF-8
    TimePoint sent_at;                      // sender's clock
    std::optional<TimePoint> delivered_at;  // outgoing: when the ack came; incoming: received
    bool read = false;                      // incoming: the user has seen it; outgoing: always true
};

class ProfileStore {
  public:
    // Creates a new profile database at `path` (a file; its directory must
    // exist). Fails with Errc::Io if the file exists.
    static Result<std::unique_ptr<ProfileStore>> create(
        const std::filesystem::path& path, std::string_view passphrase, ProfileIdentity identity,
        Rng& rng, crypto::ScryptParams params = kProfileScrypt);
    // Opens and unlocks; migrates an older schema. Wrong passphrase →
    // Errc::BadSignature with message kWrongPassphrase, and the file is not
    // modified. A file that is not a Sotto profile → Errc::Malformed.
    static Result<std::unique_ptr<ProfileStore>> open(const std::filesystem::path& path,
                                                      std::string_view passphrase, Rng& rng);
    ~ProfileStore();

    // Checks the old passphrase (kWrongPassphrase otherwise), then rewraps the
    // data key under a key from the new passphrase with a fresh salt, in one
    // transaction, and truncates the WAL so the old wrapping does not linger.
    // The sealed fields are unchanged: someone who has both an old copy of
    // the file and its old passphrase can still read what the data key seals.
    Status change_passphrase(std::string_view old_passphrase, std::string_view new_passphrase,
                             crypto::ScryptParams params = kProfileScrypt);

    static constexpr int kSchemaVersion = 5;
    int schema_version() const;  // the open database's (after migration)

    // ---- identity and settings ----
    const ProfileIdentity& identity() const;
    Status set_display_name(std::string name);
    // Small sealed key/value settings (presence mode, window geometry, ...).
    Status set_setting(std::string_view key, std::string_view value);
    Result<std::optional<std::string>> setting(std::string_view key) const;

    // ---- contacts ----
    Result<ContactId> add_contact(ContactRecord record);  // record.id ignored
    Status update_contact(const ContactRecord& record);   // by record.id
    Result<ContactRecord> contact(ContactId id) const;
    Result<std::vector<ContactRecord>> contacts() const;
    Result<std::vector<ContactSummary>> contact_summaries() const;
    // Deletes the contact, its grant and its whole history.
    Status remove_contact(ContactId id);
    // A Requested contact whose invite expired: the contact becomes
    // InviteExpired and its unsent messages (Queued, Sent) Failed, in one
    // transaction, so no restart finds one without the other. NotFound for
    // an unknown contact, Protocol for one that is not Requested.
    Status mark_invite_expired(ContactId id);

    // ---- invites we issued ----
    Result<InviteId> add_invite(InviteRecord record);
    Status update_invite(const InviteRecord& record);
    Result<InviteRecord> invite(InviteId id) const;
    Result<std::vector<InviteRecord>> invites() const;
    // Invite codes we accepted, by their session secret (its first 32
    // bytes, which for a version-1 code are its H(CK), as the records made
    // before version 5 are keyed): so accepting the same code twice gives
    // "already used".
    Result<bool> accepted_invite_seen(ByteView invite_secret) const;
    Status remember_accepted_invite(ByteView invite_secret, TimePoint expires_at);
    // Forgets the accepted codes that expired at or before `now` (an expired
    // code is refused as expired before "already used" is asked); returns
    // how many went.
    Result<std::size_t> purge_accepted_invites(TimePoint now);

    // ---- messages ----
    // Outgoing: stored as Queued before anything is sent.
    Result<MessageRecord> add_outgoing(ContactId contact, MessageId id, std::string body,
                                       TimePoint sent_at);
    // Incoming: returns nullopt if (contact, id) is already stored (a resend).
    Result<std::optional<MessageRecord>> add_incoming(ContactId contact, MessageId id,
                                                      std::string body, TimePoint sent_at,
                                                      TimePoint received_at);
    // Outgoing messages only (Queued, Sent, Delivered); Delivered is final, so
    // a late Sent/Queued for a Delivered message is ignored. delivered_at is
    // kept when not given. NotFound for an unknown (contact, id).
    Status set_message_state(ContactId contact, const MessageId& id, MessageState state,
                             std::optional<TimePoint> delivered_at = std::nullopt);
    // Failed messages of the contact → Queued (its Welcome came after all);
    // returns how many.
    Result<std::size_t> requeue_failed(ContactId contact);
    // Outgoing messages Queued or Sent, oldest first (resent on every new
    // stream; the receiver deduplicates).
    Result<std::vector<MessageRecord>> outbox(ContactId contact) const;
    // History page: up to `limit` messages older than `before` (row order),
    // returned oldest first. before = nullopt means the newest page.
    Result<std::vector<MessageRecord>> history(ContactId contact,
                                               std::optional<MessageRowId> before,
                                               std::size_t limit) const;
    Status mark_read(ContactId contact);

  private:
    friend struct ProfileStoreTesting;  // profile_store_testing.hpp
    struct Impl;
    explicit ProfileStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace sotto::store
