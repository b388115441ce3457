// The records the messenger keeps about itself, its contacts, its invites
// and its messages: what a MessengerStore (messenger_store.hpp) holds and
// hands back, whichever store it is (the SQLite profile of profile_store.hpp,
// or the in-memory one of memory_store.hpp for tests and the simulator). Plain
// values; the secrets in them are Secret types, so a record is moved, or
// copied on purpose with clone().
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/chat/message_id.hpp"
#include "core/crypto/ed25519.hpp"
#include "core/dir/network_file.hpp"
#include "core/transport/credential.hpp"
#include "core/util/bytes.hpp"
#include "core/util/time.hpp"

namespace sotto::store {

// Row ids, in the order the store made them and never reused (a
// ProfileStore's are its database's). ContactId doubles as the
// transport::Tag of its grants.
using ContactId = std::uint64_t;
using InviteId = std::uint64_t;
using MessageRowId = std::int64_t;

using chat::MessageId;

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

// Deep copies (the secret keys, grants and credentials included), for a store
// that keeps records in memory and for tests.
ContactRecord clone(const ContactRecord& record);
InviteRecord clone(const InviteRecord& record);

}  // namespace sotto::store
