// A MessengerStore that keeps everything in memory, for tests and the
// simulator: the engine's storage without a file, a passphrase or scrypt, so
// a scenario can run many profiles quickly and deterministically. It keeps
// the contract of messenger_store.hpp with the same error codes as the
// ProfileStore (tests/unit/tst_messenger_store.cpp checks both); what it
// holds is gone with it, and nothing in it is sealed.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>

#include "core/store/messenger_store.hpp"

namespace sotto::store {

class MemoryStore final : public MessengerStore {
  public:
    explicit MemoryStore(ProfileIdentity identity);
    ~MemoryStore() override;

    const ProfileIdentity& identity() const override { return identity_; }
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

  private:
    Result<MessageRecord> insert_message(MessageRecord m);
    // The stored messages of `contact` that `pick` accepts, in row order.
    template <typename Pick>
    std::vector<MessageRecord*> messages_of(ContactId contact, Pick pick);

    ProfileIdentity identity_;
    std::map<std::string, std::string, std::less<>> settings_;
    std::map<ContactId, ContactRecord> contacts_;
    std::map<InviteId, InviteRecord> invites_;
    // By the key accepted_invite_seen() names: the expiry.
    std::map<Bytes, TimePoint> accepted_invites_;
    std::map<MessageRowId, MessageRecord> messages_;
    // (contact, message id) → row, the dedup and ack lookup.
    std::map<std::pair<ContactId, MessageId>, MessageRowId> message_rows_;
    // The next ids; like the profile's, never reused.
    ContactId next_contact_ = 1;
    InviteId next_invite_ = 1;
    MessageRowId next_message_ = 1;
};

}  // namespace sotto::store
