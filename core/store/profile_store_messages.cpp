// The ProfileStore's messages table (profile_store_impl.hpp has the shared
// parts): the history with its outbox, deduplication of incoming messages
// by a keyed tag of (contact, id), acknowledgements and read flags.
#include "core/store/profile_store_impl.hpp"

namespace sotto::store {

namespace {

constexpr const char* kMessageColumns =
    "id, contact, direction, state, read, msg_id, body, sent_at, delivered_at";

Result<MessageRecord> read_message(const Statement& st, const SealedBox& box) {
    const std::int64_t row = st.column_int(0);
    const std::int64_t contact = st.column_int(1);
    const std::int64_t dir = st.column_int(2);
    const std::int64_t state = st.column_int(3);
    if (dir != 1 && dir != 2) return fail(Errc::Malformed, "profile: bad message direction");
    if (state < static_cast<std::int64_t>(MessageState::Queued) ||
        state > static_cast<std::int64_t>(MessageState::Failed))
        return fail(Errc::Malformed, "profile: bad message state");
    const MessageBinding mb(contact, static_cast<Direction>(dir));
    Fields fx(box);
    SecretBytes id = fx.exact(mb.field(row, "msg_id"), st.column_blob(5), MessageId::size);
    std::string body = fx.text(mb.field(row, "body"), st.column_blob(6));
    TimePoint sent_at = fx.time(mb.field(row, "sent_at"), st.column_blob(7));
    std::optional<TimePoint> delivered_at;
    if (!st.column_is_null(8))
        delivered_at = fx.time(mb.field(row, "delivered_at"), st.column_blob(8));
    if (!fx.ok()) return fx.error();
    return MessageRecord{
        .row = row,
        .contact = static_cast<ContactId>(contact),
        .id = MessageId::from(id.view()),
        .direction = static_cast<Direction>(dir),
        .state = static_cast<MessageState>(state),
        .body = std::move(body),
        .sent_at = sent_at,
        .delivered_at = delivered_at,
        .read = st.column_int(4) != 0,
    };
}

Result<std::vector<MessageRecord>> read_messages(Statement& st, const SealedBox& box) {
    return read_rows(st, box, read_message);
}

}  // namespace

// Inserts a message row and seals its fields under the new row id.
Result<MessageRecord> ProfileStore::Impl::insert_message(ContactId contact, const Bytes& tag,
                                                         MessageRecord m) {
    auto ins = db.prepare(
        "INSERT INTO messages (contact, id_tag, direction, state, read, msg_id, body, "
        "sent_at) VALUES (?, ?, ?, ?, ?, x'', x'', x'')");
    if (!ins) return err(ins);
    auto s = ins->bind(1, static_cast<std::int64_t>(contact))
                 .bind(2, tag)
                 .bind(3, static_cast<std::int64_t>(m.direction))
                 .bind(4, static_cast<std::int64_t>(m.state))
                 .bind(5, m.read ? 1 : 0)
                 .run();
    if (!s) return std::unexpected(s.error());
    m.row = db.last_insert_rowid();
    m.contact = contact;
    const MessageBinding mb(static_cast<std::int64_t>(contact), m.direction);
    Fields fx(box);
    Bytes id = fx.seal(mb.field(m.row, "msg_id"), m.id.view());
    Bytes body = fx.seal_text(mb.field(m.row, "body"), m.body);
    Bytes sent = fx.seal_time(mb.field(m.row, "sent_at"), m.sent_at);
    std::optional<Bytes> delivered;
    if (m.delivered_at) delivered = fx.seal_time(mb.field(m.row, "delivered_at"), *m.delivered_at);
    if (!fx.ok()) return fx.error();
    auto up = db.prepare(
        "UPDATE messages SET msg_id = ?, body = ?, sent_at = ?, delivered_at = ? WHERE id = ?");
    if (!up) return err(up);
    s = up->bind(1, id)
            .bind(2, body)
            .bind(3, sent)
            .bind_optional(4, delivered)
            .bind(5, m.row)
            .run();
    if (!s) return std::unexpected(s.error());
    if (auto sealed = seal(Table::Messages, m.row); !sealed) return std::unexpected(sealed.error());
    return m;
}

// ---- messages ----

Result<MessageRecord> ProfileStore::add_outgoing(ContactId contact, MessageId id, std::string body,
                                                 TimePoint sent_at) {
    auto tag = impl_->message_tag(contact, id);
    if (!tag) return err(tag);
    auto tx = impl_->begin_contact_write(contact);
    if (!tx) return err(tx);
    auto m = impl_->insert_message(contact, *tag,
                                   outgoing_message(contact, id, std::move(body), sent_at));
    if (!m) return err(m);
    if (auto s = tx->commit(); !s) return std::unexpected(s.error());
    return m;
}

Result<std::optional<MessageRecord>> ProfileStore::add_incoming(ContactId contact, MessageId id,
                                                                std::string body, TimePoint sent_at,
                                                                TimePoint received_at) {
    auto& db = impl_->db;
    auto tag = impl_->message_tag(contact, id);
    if (!tag) return err(tag);
    auto tx = impl_->begin_contact_write(contact);
    if (!tx) return err(tx);
    {
        auto st = db.prepare("SELECT 1 FROM messages WHERE contact = ? AND id_tag = ?");
        if (!st) return err(st);
        auto dup = st->bind(1, to_row(contact)).bind(2, *tag).step();
        if (!dup) return err(dup);
        if (*dup) return std::optional<MessageRecord>();
    }
    auto m = impl_->insert_message(
        contact, *tag, incoming_message(contact, id, std::move(body), sent_at, received_at));
    if (!m) return err(m);
    if (auto s = tx->commit(); !s) return std::unexpected(s.error());
    return std::optional<MessageRecord>(std::move(*m));
}

Status ProfileStore::set_message_state(ContactId contact, const MessageId& id, MessageState state,
                                       std::optional<TimePoint> delivered_at) {
    if (auto s = check_settable(state); !s) return s;
    auto& db = impl_->db;
    auto tag = impl_->message_tag(contact, id);
    if (!tag) return err(tag);
    auto tx = Impl::WriteTx::begin(*impl_);
    if (!tx) return err(tx);
    std::int64_t row = 0, current = 0;
    {
        auto st = db.prepare(
            "SELECT id, direction, state FROM messages WHERE contact = ? AND id_tag = ?");
        if (!st) return err(st);
        auto found = st->bind(1, to_row(contact)).bind(2, *tag).step();
        if (!found) return err(found);
        if (!*found) return fail(Errc::NotFound, "no such message");
        if (st->column_int(1) != static_cast<std::int64_t>(Direction::Outgoing))
            return fail(Errc::Protocol, "not an outgoing message");
        row = st->column_int(0);
        current = st->column_int(2);
    }
    const auto delivered = static_cast<std::int64_t>(MessageState::Delivered);
    if (current == delivered && state != MessageState::Delivered) return {};  // final
    std::optional<Bytes> sealed;
    if (delivered_at) {
        const MessageBinding mb(to_row(contact), Direction::Outgoing);
        auto s = impl_->box.seal_time(mb.field(row, "delivered_at"), *delivered_at);
        if (!s) return err(s);
        sealed = std::move(*s);
    }
    auto st = db.prepare(
        "UPDATE messages SET state = ?, delivered_at = coalesce(?, delivered_at) WHERE id = ?");
    if (!st) return err(st);
    st->bind(1, static_cast<std::int64_t>(state)).bind_optional(2, sealed).bind(3, row);
    if (auto s = impl_->rewrite(Table::Messages, {row}, *st); !s) return s;
    return tx->commit();
}

Result<std::size_t> ProfileStore::requeue_failed(ContactId contact) {
    auto tx = Impl::WriteTx::begin(*impl_);
    if (!tx) return err(tx);
    auto failed =
        impl_->ids("SELECT id FROM messages WHERE contact = ? AND direction = 1 AND state = 5",
                   to_row(contact));
    if (!failed) return err(failed);
    auto st = impl_->db.prepare(
        "UPDATE messages SET state = ? WHERE contact = ? AND direction = 1 AND state = ?");
    if (!st) return err(st);
    st->bind(1, static_cast<std::int64_t>(MessageState::Queued))
        .bind(2, to_row(contact))
        .bind(3, static_cast<std::int64_t>(MessageState::Failed));
    if (auto s = impl_->rewrite(Table::Messages, *failed, *st); !s)
        return std::unexpected(s.error());
    if (auto s = tx->commit(); !s) return std::unexpected(s.error());
    return failed->size();
}

Result<std::vector<MessageRecord>> ProfileStore::outbox(ContactId contact) const {
    static const std::string sql = std::string("SELECT ") + kMessageColumns +
                                   " FROM messages WHERE contact = ? AND direction = 1 AND "
                                   "state < 3 ORDER BY id";
    auto st = impl_->db.prepare(sql.c_str());
    if (!st) return err(st);
    st->bind(1, to_row(contact));
    return read_messages(*st, impl_->box);
}

Result<std::vector<MessageRecord>> ProfileStore::history(ContactId contact,
                                                         std::optional<MessageRowId> before,
                                                         std::size_t limit) const {
    static const std::string sql = std::string("SELECT ") + kMessageColumns +
                                   " FROM messages WHERE contact = ? AND id < ? "
                                   "ORDER BY id DESC LIMIT ?";
    if (limit == 0) return std::vector<MessageRecord>();
    auto st = impl_->db.prepare(sql.c_str());
    if (!st) return err(st);
    const auto max = std::numeric_limits<std::int64_t>::max();
    st->bind(1, to_row(contact))
        .bind(2, before.value_or(max))
        .bind(3, limit > static_cast<std::size_t>(max) ? max : static_cast<std::int64_t>(limit));
    auto page = read_messages(*st, impl_->box);
    if (!page) return page;
    std::reverse(page->begin(), page->end());
    return page;
}

Status ProfileStore::mark_read(ContactId contact) {
    auto tx = Impl::WriteTx::begin(*impl_);
    if (!tx) return err(tx);
    auto unread =
        impl_->ids("SELECT id FROM messages WHERE contact = ? AND direction = 2 AND read = 0",
                   to_row(contact));
    if (!unread) return err(unread);
    if (unread->empty()) return {};
    auto st = impl_->db.prepare(
        "UPDATE messages SET read = 1 WHERE contact = ? AND direction = 2 AND read = 0");
    if (!st) return err(st);
    st->bind(1, to_row(contact));
    if (auto s = impl_->rewrite(Table::Messages, *unread, *st); !s) return s;
    return tx->commit();
}

}  // namespace sotto::store
