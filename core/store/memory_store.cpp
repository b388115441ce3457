#include "core/store/memory_store.hpp"

#include <algorithm>

namespace sotto::store {

namespace {

// The checks the ProfileStore makes before it writes a record, in its order:
// a record one store refuses the other refuses with the same code.
Status check_lists(const transport::GrantList& grants,
                   const transport::CredentialList* credentials) {
    if (auto g = transport::encode_grants(grants); !g) return std::unexpected(g.error());
    if (credentials != nullptr)
        if (auto c = transport::encode_credentials(*credentials); !c)
            return std::unexpected(c.error());
    return {};
}

Status check_contact(const ContactRecord& r) {
    if (r.state < ContactState::Requested || r.state > ContactState::InviteExpired)
        return fail(Errc::Malformed, "bad contact state");
    return check_lists(r.our_grants, &r.their_credentials);
}

Status check_invite(const InviteRecord& r, const std::map<ContactId, ContactRecord>& contacts) {
    if (r.status < InviteStatus::Open || r.status > InviteStatus::Withdrawn)
        return fail(Errc::Malformed, "bad invite status");
    if (r.used_by && !contacts.contains(*r.used_by))
        return fail(Errc::NotFound, "the invite's contact does not exist");
    if (r.secret.size() == 0) return fail(Errc::Malformed, "an invite needs a secret");
    return check_lists(r.grants, nullptr);
}

// The record tables (contacts, invites) by id, and their four operations:
// what insert_row, update_row, query_row and query_rows are to the profile's.
template <typename Record>
using Records = std::map<std::uint64_t, Record>;

// A new record under the next id, if `check` lets it in.
template <typename Record, typename Check>
Result<std::uint64_t> insert(Records<Record>& table, std::uint64_t& next, Record r, Check check) {
    if (auto s = check(r); !s) return std::unexpected(s.error());
    r.id = next++;
    const std::uint64_t id = r.id;
    table.emplace(id, std::move(r));
    return id;
}

// Record r.id replaced by a copy of `r`, if `check` lets it in; NotFound
// (`missing`) for an unknown id, and for id 0 before any check, as the
// profile does.
template <typename Record, typename Check>
Status replace(Records<Record>& table, const Record& r, const char* missing, Check check) {
    if (r.id == 0) return fail(Errc::NotFound, missing);
    if (auto s = check(r); !s) return s;
    auto it = table.find(r.id);
    if (it == table.end()) return fail(Errc::NotFound, missing);
    it->second = clone(r);
    return {};
}

template <typename Record>
Result<Record> copy_of(const Records<Record>& table, std::uint64_t id, const char* missing) {
    auto it = table.find(id);
    if (it == table.end()) return fail(Errc::NotFound, missing);
    return clone(it->second);
}

template <typename Record>
Result<std::vector<Record>> copies(const Records<Record>& table) {
    std::vector<Record> out;
    for (const auto& [id, r] : table) out.push_back(clone(r));
    return out;
}

bool unsent(const MessageRecord& m) {
    return m.direction == Direction::Outgoing &&
           (m.state == MessageState::Queued || m.state == MessageState::Sent);
}

}  // namespace

MemoryStore::MemoryStore(ProfileIdentity identity) : identity_(std::move(identity)) {}
MemoryStore::~MemoryStore() = default;

template <typename Pick>
std::vector<MessageRecord*> MemoryStore::messages_of(ContactId contact, Pick pick) {
    std::vector<MessageRecord*> out;
    for (auto& [row, m] : messages_)
        if (m.contact == contact && pick(m)) out.push_back(&m);
    return out;
}

// ---- identity and settings ----

Status MemoryStore::set_setting(std::string_view key, std::string_view value) {
    settings_.insert_or_assign(std::string(key), std::string(value));
    return {};
}

Result<std::optional<std::string>> MemoryStore::setting(std::string_view key) const {
    auto it = settings_.find(key);
    if (it == settings_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
}

// ---- contacts ----

Result<ContactId> MemoryStore::add_contact(ContactRecord record) {
    return insert(contacts_, next_contact_, std::move(record), check_contact);
}

Status MemoryStore::update_contact(const ContactRecord& record) {
    return replace(contacts_, record, "no such contact", check_contact);
}

Result<ContactRecord> MemoryStore::contact(ContactId id) const {
    return copy_of(contacts_, id, "no such contact");
}

Result<std::vector<ContactRecord>> MemoryStore::contacts() const {
    return copies(contacts_);
}

Result<std::vector<ContactSummary>> MemoryStore::contact_summaries() const {
    std::vector<ContactSummary> out;
    for (const auto& [id, c] : contacts_)
        out.push_back(ContactSummary{
            .id = id,
            .state = c.state,
            .display = c.nickname.empty() ? c.name : c.nickname,
            .appear_offline = c.appear_offline,
        });
    // One pass over the messages for every count and newest time (`out` is
    // in id order, as contacts_ is).
    for (const auto& [row, m] : messages_) {
        auto s = std::lower_bound(out.begin(), out.end(), m.contact,
                                  [](const ContactSummary& x, ContactId c) { return x.id < c; });
        if (s == out.end() || s->id != m.contact) continue;
        if (m.direction == Direction::Incoming && !m.read) ++s->unread;
        s->last_message_at =
            m.direction == Direction::Incoming && m.delivered_at ? *m.delivered_at : m.sent_at;
    }
    return out;
}

Status MemoryStore::remove_contact(ContactId id) {
    if (contacts_.erase(id) == 0) return fail(Errc::NotFound, "no such contact");
    std::erase_if(messages_, [&](const auto& entry) { return entry.second.contact == id; });
    std::erase_if(message_rows_, [&](const auto& entry) { return entry.first.first == id; });
    for (auto& [invite_id, invite] : invites_)
        if (invite.used_by == id) invite.used_by.reset();
    return {};
}

Status MemoryStore::mark_invite_expired(ContactId id) {
    auto it = contacts_.find(id);
    if (it == contacts_.end()) return fail(Errc::NotFound, "no such contact");
    if (it->second.state != ContactState::Requested)
        return fail(Errc::Protocol, "the contact is not waiting for an answer");
    it->second.state = ContactState::InviteExpired;
    for (auto* m : messages_of(id, unsent)) m->state = MessageState::Failed;
    return {};
}

// ---- invites ----

Result<InviteId> MemoryStore::add_invite(InviteRecord record) {
    return insert(invites_, next_invite_, std::move(record),
                  [this](const InviteRecord& r) { return check_invite(r, contacts_); });
}

Status MemoryStore::update_invite(const InviteRecord& record) {
    return replace(invites_, record, "no such invite",
                   [this](const InviteRecord& r) { return check_invite(r, contacts_); });
}

Result<InviteRecord> MemoryStore::invite(InviteId id) const {
    return copy_of(invites_, id, "no such invite");
}

Result<std::vector<InviteRecord>> MemoryStore::invites() const {
    return copies(invites_);
}

Result<bool> MemoryStore::accepted_invite_seen(ByteView invite_secret) const {
    const ByteView key = accepted_invite_key(invite_secret);
    return accepted_invites_.contains(Bytes(key.begin(), key.end()));
}

Status MemoryStore::remember_accepted_invite(ByteView invite_secret, TimePoint expires_at) {
    const ByteView key = accepted_invite_key(invite_secret);
    accepted_invites_.insert_or_assign(Bytes(key.begin(), key.end()), expires_at);
    return {};
}

Result<std::size_t> MemoryStore::purge_accepted_invites(TimePoint now) {
    return std::erase_if(accepted_invites_, [&](const auto& entry) { return entry.second <= now; });
}

// ---- messages ----

Result<MessageRecord> MemoryStore::insert_message(MessageRecord m) {
    if (!contacts_.contains(m.contact)) return fail(Errc::NotFound, "no such contact");
    m.row = next_message_;
    // As the profile's unique index on (contact, id) refuses a second row.
    if (!message_rows_.emplace(std::pair{m.contact, m.id}, m.row).second)
        return fail(Errc::Io, "the message is already stored");
    ++next_message_;
    messages_.emplace(m.row, m);
    return m;
}

Result<MessageRecord> MemoryStore::add_outgoing(ContactId contact, MessageId id, std::string body,
                                                TimePoint sent_at) {
    return insert_message(outgoing_message(contact, id, std::move(body), sent_at));
}

Result<std::optional<MessageRecord>> MemoryStore::add_incoming(ContactId contact, MessageId id,
                                                               std::string body, TimePoint sent_at,
                                                               TimePoint received_at) {
    if (!contacts_.contains(contact)) return fail(Errc::NotFound, "no such contact");
    if (message_rows_.contains(std::pair{contact, id})) return std::optional<MessageRecord>();
    auto m = insert_message(incoming_message(contact, id, std::move(body), sent_at, received_at));
    if (!m) return std::unexpected(m.error());
    return std::optional<MessageRecord>(std::move(*m));
}

Status MemoryStore::set_message_state(ContactId contact, const MessageId& id, MessageState state,
                                      std::optional<TimePoint> delivered_at) {
    if (auto s = check_settable(state); !s) return s;
    auto row = message_rows_.find(std::pair{contact, id});
    if (row == message_rows_.end()) return fail(Errc::NotFound, "no such message");
    MessageRecord& m = messages_.at(row->second);
    if (m.direction != Direction::Outgoing) return fail(Errc::Protocol, "not an outgoing message");
    if (m.state == MessageState::Delivered && state != MessageState::Delivered) return {};  // final
    m.state = state;
    if (delivered_at) m.delivered_at = delivered_at;
    return {};
}

Result<std::size_t> MemoryStore::requeue_failed(ContactId contact) {
    auto failed = messages_of(contact, [](const MessageRecord& m) {
        return m.direction == Direction::Outgoing && m.state == MessageState::Failed;
    });
    for (auto* m : failed) m->state = MessageState::Queued;
    return failed.size();
}

Result<std::vector<MessageRecord>> MemoryStore::outbox(ContactId contact) const {
    std::vector<MessageRecord> out;
    for (const auto& [row, m] : messages_)
        if (m.contact == contact && unsent(m)) out.push_back(m);
    return out;
}

Result<std::vector<MessageRecord>> MemoryStore::history(ContactId contact,
                                                        std::optional<MessageRowId> before,
                                                        std::size_t limit) const {
    std::vector<MessageRecord> page;
    auto it = before ? messages_.lower_bound(*before) : messages_.end();
    while (page.size() < limit && it != messages_.begin()) {
        --it;
        if (it->second.contact == contact) page.push_back(it->second);
    }
    std::reverse(page.begin(), page.end());
    return page;
}

Status MemoryStore::mark_read(ContactId contact) {
    for (auto* m : messages_of(contact, [](const MessageRecord& m) {
             return m.direction == Direction::Incoming && !m.read;
         }))
        m->read = true;
    return {};
}

}  // namespace sotto::store
