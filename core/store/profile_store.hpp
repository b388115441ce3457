// The user's profile: one SQLite database (system SQLite, WAL) holding the
// identity, contacts, invites and message history (DESIGN §5): the program's
// MessengerStore (messenger_store.hpp). Everything a
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

#include "core/crypto/kdf.hpp"
#include "core/store/messenger_store.hpp"
#include "core/store/profile_key.hpp"
#include "core/store/records.hpp"
#include "core/util/bytes.hpp"
#include "core/util/error.hpp"
#include "core/util/rng.hpp"
#include "core/util/time.hpp"

namespace sotto::store {

// Errors specific to the profile, on top of Errc (the Error's code is Errc::Io
// for disk problems, Errc::BadSignature for a wrong passphrase, a tampered
// field (the message names the field) or a file changed outside Sotto (the
// message says what changed), Errc::BadVersion for a database newer
// than this program, Errc::Malformed for a file that is not a profile or is
// corrupt, Errc::NotFound for a missing file, contact, invite or message).
inline constexpr const char* kWrongPassphrase = "wrong passphrase";

class ProfileStore final : public MessengerStore {
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
    ~ProfileStore() override;

    // Checks the old passphrase (kWrongPassphrase otherwise), then rewraps the
    // data key under a key from the new passphrase with a fresh salt, in one
    // transaction, and truncates the WAL so the old wrapping does not linger.
    // The sealed fields are unchanged: someone who has both an old copy of
    // the file and its old passphrase can still read what the data key seals.
    Status change_passphrase(std::string_view old_passphrase, std::string_view new_passphrase,
                             crypto::ScryptParams params = kProfileScrypt);

    static constexpr int kSchemaVersion = 5;
    int schema_version() const;  // the open database's (after migration)

    // ---- MessengerStore (the contract is in messenger_store.hpp) ----
    const ProfileIdentity& identity() const override;
    Status set_setting(std::string_view key, std::string_view value) override;
    Result<std::optional<std::string>> setting(std::string_view key) const override;

    Result<ContactId> add_contact(ContactRecord record) override;
    Status update_contact(const ContactRecord& record) override;
    Result<ContactRecord> contact(ContactId id) const override;
    Result<std::vector<ContactRecord>> contacts() const override;
    Result<std::vector<ContactSummary>> contact_summaries() const override;
    Status remove_contact(ContactId id) override;
    Status mark_invite_expired(ContactId id) override;

    Result<InviteId> add_invite(InviteRecord record) override;
    Status update_invite(const InviteRecord& record) override;
    Result<InviteRecord> invite(InviteId id) const override;
    Result<std::vector<InviteRecord>> invites() const override;
    Result<bool> accepted_invite_seen(ByteView invite_secret) const override;
    Status remember_accepted_invite(ByteView invite_secret, TimePoint expires_at) override;
    Result<std::size_t> purge_accepted_invites(TimePoint now) override;

    Result<MessageRecord> add_outgoing(ContactId contact, MessageId id, std::string body,
                                       TimePoint sent_at) override;
    Result<std::optional<MessageRecord>> add_incoming(ContactId contact, MessageId id,
                                                      std::string body, TimePoint sent_at,
                                                      TimePoint received_at) override;
    Status set_message_state(ContactId contact, const MessageId& id, MessageState state,
                             std::optional<TimePoint> delivered_at = std::nullopt) override;
    Result<std::size_t> requeue_failed(ContactId contact) override;
    Result<std::vector<MessageRecord>> outbox(ContactId contact) const override;
    Result<std::vector<MessageRecord>> history(ContactId contact,
                                               std::optional<MessageRowId> before,
                                               std::size_t limit) const override;
    Status mark_read(ContactId contact) override;

    // The display name in the identity (not needed by the engine).
    Status set_display_name(std::string name);

  private:
    friend struct ProfileStoreTesting;  // profile_store_testing.hpp
    struct Impl;
    explicit ProfileStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace sotto::store
