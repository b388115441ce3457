// The ProfileStore's contacts table (profile_store_impl.hpp has the shared
// parts): reading and sealing a contact row, the contact list and its
// summaries, removing a contact with its history, and a request whose invite
// expired.
#include "core/store/profile_store_impl.hpp"

namespace sotto::store {

namespace {

constexpr const char* kContactColumns =
    "id, state, name, nickname, appear_offline, our_grant, their_credentials, our_pairwise, "
    "their_pairwise, created_at, invite_expires_at, invite_secret";

bool valid_contact_state(std::int64_t state) {
    return state >= static_cast<std::int64_t>(ContactState::Requested) &&
           state <= static_cast<std::int64_t>(ContactState::InviteExpired);
}

// Column 1 of every contact query, checked before it becomes a ContactState.
Result<ContactState> read_state(const Statement& st) {
    const std::int64_t state = st.column_int(1);
    if (!valid_contact_state(state)) return fail(Errc::Malformed, "profile: bad contact state");
    return static_cast<ContactState>(state);
}

FieldRef contact_field(std::int64_t id, std::string_view column) {
    return FieldRef{"contacts", column, id};
}

Result<ContactRecord> read_contact(const Statement& st, const SealedBox& box) {
    const std::int64_t id = st.column_int(0);
    auto state = read_state(st);
    if (!state) return err(state);
    Fields fx(box);
    std::string name = fx.text(contact_field(id, "name"), st.column_blob(2));
    std::string nickname = fx.text(contact_field(id, "nickname"), st.column_blob(3));
    bool appear_offline = fx.boolean(contact_field(id, "appear_offline"), st.column_blob(4));
    auto grants = list_from<transport::GrantList>(fx, contact_field(id, "our_grant"),
                                                  st.column_blob(5), transport::decode_grants);
    auto creds =
        list_from<transport::CredentialList>(fx, contact_field(id, "their_credentials"),
                                             st.column_blob(6), transport::decode_credentials);
    SecretBytes pairwise = fx.exact(contact_field(id, "our_pairwise"), st.column_blob(7), 32);
    std::optional<crypto::Ed25519PublicKey> their_pairwise;
    if (!st.column_is_null(8)) {
        SecretBytes p = fx.exact(contact_field(id, "their_pairwise"), st.column_blob(8), 32);
        if (fx.ok()) their_pairwise = crypto::Ed25519PublicKey::from(p.view());
    }
    TimePoint created_at = fx.time(contact_field(id, "created_at"), st.column_blob(9));
    std::optional<TimePoint> invite_expires_at;
    if (!st.column_is_null(10))
        invite_expires_at = fx.time(contact_field(id, "invite_expires_at"), st.column_blob(10));
    SecretBytes invite_secret;
    if (!st.column_is_null(11))
        invite_secret = fx.any(contact_field(id, "invite_secret"), st.column_blob(11));
    if (!fx.ok()) return fx.error();
    auto our_pairwise = crypto::Ed25519SecretKey::from_seed(pairwise.view());
    if (!our_pairwise) return err(our_pairwise);
    return ContactRecord{
        .id = static_cast<ContactId>(id),
        .state = *state,
        .name = std::move(name),
        .nickname = std::move(nickname),
        .appear_offline = appear_offline,
        .our_grants = std::move(grants),
        .their_credentials = std::move(creds),
        .invite_secret = std::move(invite_secret),
        .our_pairwise = std::move(*our_pairwise),
        .their_pairwise = their_pairwise,
        .created_at = created_at,
        .invite_expires_at = invite_expires_at,
    };
}

// A row of the contact_summaries() query: the contact's clear and display
// columns, its unread count and its newest message's direction and times.
Result<ContactSummary> read_summary(const Statement& st, const SealedBox& box) {
    const std::int64_t id = st.column_int(0);
    auto state = read_state(st);
    if (!state) return err(state);
    Fields fx(box);
    std::string display = fx.text(contact_field(id, "nickname"), st.column_blob(3));
    if (fx.ok() && display.empty()) display = fx.text(contact_field(id, "name"), st.column_blob(2));
    bool offline = fx.boolean(contact_field(id, "appear_offline"), st.column_blob(4));
    std::optional<TimePoint> last;
    if (!st.column_is_null(6)) {
        const std::int64_t mrow = st.column_int(6);
        const std::int64_t dir = st.column_int(7);
        if (dir != 1 && dir != 2) return fail(Errc::Malformed, "profile: bad message direction");
        const MessageBinding mb(id, static_cast<Direction>(dir));
        if (dir == static_cast<std::int64_t>(Direction::Incoming) && !st.column_is_null(9))
            last = fx.time(mb.field(mrow, "delivered_at"), st.column_blob(9));
        else
            last = fx.time(mb.field(mrow, "sent_at"), st.column_blob(8));
    }
    if (!fx.ok()) return fx.error();
    return ContactSummary{
        .id = static_cast<ContactId>(id),
        .state = *state,
        .display = std::move(display),
        .appear_offline = offline,
        .unread = static_cast<std::uint32_t>(st.column_int(5)),
        .last_message_at = last,
    };
}

}  // namespace

Status ProfileStore::Impl::write_contact(std::int64_t id, const ContactRecord& r) {
    if (!valid_contact_state(static_cast<std::int64_t>(r.state)))
        return fail(Errc::Malformed, "profile: bad contact state");
    Fields fx(box);
    Bytes name = fx.seal_text(contact_field(id, "name"), r.name);
    Bytes nickname = fx.seal_text(contact_field(id, "nickname"), r.nickname);
    Bytes offline = fx.seal_bool(contact_field(id, "appear_offline"), r.appear_offline);
    Bytes grant =
        seal_list(fx, contact_field(id, "our_grant"), transport::encode_grants(r.our_grants));
    Bytes sealed_creds = seal_list(fx, contact_field(id, "their_credentials"),
                                   transport::encode_credentials(r.their_credentials));
    std::optional<Bytes> secret;
    if (r.invite_secret.size() > 0)
        secret = fx.seal(contact_field(id, "invite_secret"), r.invite_secret.view());
    Bytes pairwise = fx.seal(contact_field(id, "our_pairwise"), r.our_pairwise.seed());
    std::optional<Bytes> their;
    if (r.their_pairwise)
        their = fx.seal(contact_field(id, "their_pairwise"), r.their_pairwise->view());
    Bytes created = fx.seal_time(contact_field(id, "created_at"), r.created_at);
    std::optional<Bytes> expires;
    if (r.invite_expires_at)
        expires = fx.seal_time(contact_field(id, "invite_expires_at"), *r.invite_expires_at);
    if (!fx.ok()) return fx.error();
    if (auto s = unlink(Table::Contacts, id); !s) return s;
    auto st = db.prepare(
        "UPDATE contacts SET state = ?, name = ?, nickname = ?, appear_offline = ?, "
        "our_grant = ?, their_credentials = ?, our_pairwise = ?, their_pairwise = ?, "
        "created_at = ?, invite_expires_at = ?, invite_secret = ? WHERE id = ?");
    if (!st) return err(st);
    auto s = st->bind(1, static_cast<std::int64_t>(r.state))
                 .bind(2, name)
                 .bind(3, nickname)
                 .bind(4, offline)
                 .bind(5, grant)
                 .bind(6, sealed_creds)
                 .bind(7, pairwise)
                 .bind_optional(8, their)
                 .bind(9, created)
                 .bind_optional(10, expires)
                 .bind_optional(11, secret)
                 .bind(12, id)
                 .run();
    if (!s) return s;
    if (db.changes() != 1) return fail(Errc::NotFound, "no such contact");
    return seal(Table::Contacts, id);
}

// ---- contacts ----

Result<ContactId> ProfileStore::add_contact(ContactRecord record) {
    auto id = impl_->insert_row(
        "INSERT INTO contacts (state, name, nickname, appear_offline, our_grant, "
        "their_credentials, our_pairwise, created_at) "
        "VALUES (?, x'', x'', x'', x'', x'', x'', x'')",
        static_cast<std::int64_t>(record.state),
        [&](std::int64_t row) { return impl_->write_contact(row, record); });
    if (!id) return err(id);
    return static_cast<ContactId>(*id);
}

Status ProfileStore::update_contact(const ContactRecord& record) {
    return impl_->update_row(to_row(record.id), "no such contact",
                             [&](std::int64_t row) { return impl_->write_contact(row, record); });
}

Result<ContactRecord> ProfileStore::contact(ContactId id) const {
    static const std::string sql =
        std::string("SELECT ") + kContactColumns + " FROM contacts WHERE id = ?";
    return query_row(impl_->db, impl_->box, sql, to_row(id), read_contact, "no such contact");
}

Result<std::vector<ContactRecord>> ProfileStore::contacts() const {
    static const std::string sql =
        std::string("SELECT ") + kContactColumns + " FROM contacts ORDER BY id";
    return query_rows(impl_->db, impl_->box, sql, read_contact);
}

Result<std::vector<ContactSummary>> ProfileStore::contact_summaries() const {
    static const std::string sql =
        "SELECT c.id, c.state, c.name, c.nickname, c.appear_offline, "
        "  (SELECT count(*) FROM messages u "
        "   WHERE u.contact = c.id AND u.direction = 2 AND u.read = 0), "
        "  m.id, m.direction, m.sent_at, m.delivered_at "
        "FROM contacts c LEFT JOIN messages m "
        "  ON m.id = (SELECT max(id) FROM messages WHERE contact = c.id) "
        "ORDER BY c.id";
    return query_rows(impl_->db, impl_->box, sql, read_summary);
}

Status ProfileStore::remove_contact(ContactId id) {
    auto& db = impl_->db;
    const std::int64_t row = to_row(id);
    auto tx = Impl::WriteTx::begin(*impl_);
    if (!tx) return err(tx);
    // Out of the digest first: the messages, then the invites it used
    // (rewritten without it), then the contact itself. A row of them put
    // back later no longer matches the digest.
    auto messages = impl_->ids("SELECT id FROM messages WHERE contact = ?", row);
    if (!messages) return err(messages);
    for (auto m : *messages)
        if (auto s = impl_->unlink(Table::Messages, m); !s) return s;
    {
        auto st = db.prepare("DELETE FROM messages WHERE contact = ?");
        if (!st) return err(st);
        if (auto s = st->bind(1, row).run(); !s) return s;
    }
    auto invites = impl_->ids("SELECT id FROM invites WHERE used_by = ?", row);
    if (!invites) return err(invites);
    {
        auto st = db.prepare("UPDATE invites SET used_by = NULL WHERE used_by = ?");
        if (!st) return err(st);
        st->bind(1, row);
        if (auto s = impl_->rewrite(Table::Invites, *invites, *st); !s) return s;
    }
    if (auto s = impl_->unlink(Table::Contacts, row); !s) return s;
    auto st = db.prepare("DELETE FROM contacts WHERE id = ?");
    if (!st) return err(st);
    if (auto s = st->bind(1, row).run(); !s) return s;
    if (db.changes() != 1) return fail(Errc::NotFound, "no such contact");
    return tx->commit();
}

Status ProfileStore::mark_invite_expired(ContactId id) {
    auto& db = impl_->db;
    const std::int64_t row = to_row(id);
    auto tx = Impl::WriteTx::begin(*impl_);
    if (!tx) return err(tx);
    {
        auto st = db.prepare("SELECT state FROM contacts WHERE id = ?");
        if (!st) return err(st);
        auto found = st->bind(1, row).step();
        if (!found) return err(found);
        if (!*found) return fail(Errc::NotFound, "no such contact");
        if (st->column_int(0) != static_cast<std::int64_t>(ContactState::Requested))
            return fail(Errc::Protocol, "the contact is not waiting for an answer");
    }
    auto st = db.prepare("UPDATE contacts SET state = ? WHERE id = ?");
    if (!st) return err(st);
    st->bind(1, static_cast<std::int64_t>(ContactState::InviteExpired)).bind(2, row);
    if (auto s = impl_->rewrite(Table::Contacts, {row}, *st); !s) return s;
    auto unsent = impl_->ids(
        "SELECT id FROM messages WHERE contact = ? AND direction = 1 AND state < 3", row);
    if (!unsent) return err(unsent);
    auto msgs = db.prepare(
        "UPDATE messages SET state = ? WHERE contact = ? AND direction = 1 AND state < 3");
    if (!msgs) return err(msgs);
    msgs->bind(1, static_cast<std::int64_t>(MessageState::Failed)).bind(2, row);
    if (auto s = impl_->rewrite(Table::Messages, *unsent, *msgs); !s) return s;
    return tx->commit();
}

}  // namespace sotto::store
