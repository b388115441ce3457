// The ProfileStore's invites and accepted_invites tables
// (profile_store_impl.hpp has the shared parts): the invites we issued, and
// the codes we accepted, kept by a keyed tag until they expire.
#include "core/store/profile_store_impl.hpp"

namespace sotto::store {

namespace {

constexpr const char* kInviteColumns =
    "id, status, used_by, grant_keys, created_at, expires_at, name_hint, probes, secret, "
    "pairwise_seed";

FieldRef invite_field(std::int64_t id, std::string_view column) {
    return FieldRef{"invites", column, id};
}

Result<InviteRecord> read_invite(const Statement& st, const SealedBox& box) {
    const std::int64_t id = st.column_int(0);
    const std::int64_t status = st.column_int(1);
    if (status < 1 || status > 4) return fail(Errc::Malformed, "profile: bad invite status");
    std::optional<ContactId> used_by;
    if (!st.column_is_null(2)) used_by = static_cast<ContactId>(st.column_int(2));
    Fields fx(box);
    auto grants = list_from<transport::GrantList>(fx, invite_field(id, "grant_keys"),
                                                  st.column_blob(3), transport::decode_grants);
    TimePoint created_at = fx.time(invite_field(id, "created_at"), st.column_blob(4));
    TimePoint expires_at = fx.time(invite_field(id, "expires_at"), st.column_blob(5));
    std::string name_hint = fx.text(invite_field(id, "name_hint"), st.column_blob(6));
    std::uint64_t probes = 0;  // NULL: none (invites from before version 3)
    if (!st.column_is_null(7)) probes = fx.count(invite_field(id, "probes"), st.column_blob(7));
    SecretBytes secret = fx.any(invite_field(id, "secret"), st.column_blob(8));
    SecretBytes seed = fx.exact(invite_field(id, "pairwise_seed"), st.column_blob(9), 32);
    if (!fx.ok()) return fx.error();
    if (secret.size() == 0) return fail(Errc::Malformed, "profile: an invite has no secret");
    return InviteRecord{
        .id = static_cast<InviteId>(id),
        .grants = std::move(grants),
        .secret = std::move(secret),
        .pairwise_seed = Secret<32>(seed.view()),
        .created_at = created_at,
        .expires_at = expires_at,
        .name_hint = std::move(name_hint),
        .status = static_cast<InviteStatus>(status),
        .used_by = used_by,
        .probes = static_cast<std::uint32_t>(
            std::min<std::uint64_t>(probes, std::numeric_limits<std::uint32_t>::max())),
    };
}

}  // namespace

Status ProfileStore::Impl::write_invite(std::int64_t id, const InviteRecord& r) {
    const auto status = static_cast<std::int64_t>(r.status);
    if (status < 1 || status > 4) return fail(Errc::Malformed, "profile: bad invite status");
    if (r.used_by) {
        auto e = contact_exists(to_row(*r.used_by));
        if (!e) return err(e);
        if (!*e) return fail(Errc::NotFound, "the invite's contact does not exist");
    }
    Fields fx(box);
    Bytes grant = seal_list(fx, invite_field(id, "grant_keys"), transport::encode_grants(r.grants));
    if (r.secret.size() == 0) return fail(Errc::Malformed, "profile: an invite needs a secret");
    Bytes secret = fx.seal(invite_field(id, "secret"), r.secret.view());
    Bytes seed = fx.seal(invite_field(id, "pairwise_seed"), r.pairwise_seed.view());
    Bytes created = fx.seal_time(invite_field(id, "created_at"), r.created_at);
    Bytes expires = fx.seal_time(invite_field(id, "expires_at"), r.expires_at);
    Bytes hint = fx.seal_text(invite_field(id, "name_hint"), r.name_hint);
    Bytes probes = fx.seal_count(invite_field(id, "probes"), r.probes);
    if (!fx.ok()) return fx.error();
    if (auto s = unlink(Table::Invites, id); !s) return s;
    auto st = db.prepare(
        "UPDATE invites SET status = ?, used_by = ?, grant_keys = ?, created_at = ?, "
        "expires_at = ?, name_hint = ?, probes = ?, secret = ?, pairwise_seed = ? WHERE id = "
        "?");
    if (!st) return err(st);
    st->bind(1, status);
    if (r.used_by)
        st->bind(2, to_row(*r.used_by));
    else
        st->bind_null(2);
    auto s = st->bind(3, grant)
                 .bind(4, created)
                 .bind(5, expires)
                 .bind(6, hint)
                 .bind(7, probes)
                 .bind(8, secret)
                 .bind(9, seed)
                 .bind(10, id)
                 .run();
    if (!s) return s;
    if (db.changes() != 1) return fail(Errc::NotFound, "no such invite");
    return seal(Table::Invites, id);
}

// ---- invites ----

Result<InviteId> ProfileStore::add_invite(InviteRecord record) {
    auto id = impl_->insert_row(
        "INSERT INTO invites (status, grant_keys, created_at, expires_at, name_hint) "
        "VALUES (1, x'', x'', x'', x'')",
        std::nullopt, [&](std::int64_t row) { return impl_->write_invite(row, record); });
    if (!id) return err(id);
    return static_cast<InviteId>(*id);
}

Status ProfileStore::update_invite(const InviteRecord& record) {
    return impl_->update_row(to_row(record.id), "no such invite",
                             [&](std::int64_t row) { return impl_->write_invite(row, record); });
}

Result<InviteRecord> ProfileStore::invite(InviteId id) const {
    static const std::string sql =
        std::string("SELECT ") + kInviteColumns + " FROM invites WHERE id = ?";
    return query_row(impl_->db, impl_->box, sql, to_row(id), read_invite, "no such invite");
}

Result<std::vector<InviteRecord>> ProfileStore::invites() const {
    static const std::string sql =
        std::string("SELECT ") + kInviteColumns + " FROM invites ORDER BY id";
    return query_rows(impl_->db, impl_->box, sql, read_invite);
}

Result<bool> ProfileStore::accepted_invite_seen(ByteView invite_secret) const {
    auto tag = impl_->box.index_tag("accepted-invite", accepted_invite_key(invite_secret));
    if (!tag) return err(tag);
    auto st = impl_->db.prepare("SELECT 1 FROM accepted_invites WHERE tag = ?");
    if (!st) return err(st);
    return st->bind(1, *tag).step();
}

Status ProfileStore::remember_accepted_invite(ByteView invite_secret, TimePoint expires_at) {
    auto tag = impl_->box.index_tag("accepted-invite", accepted_invite_key(invite_secret));
    if (!tag) return err(tag);
    auto sealed =
        impl_->box.seal_time(FieldRef{"accepted_invites", "expires_at", 0, *tag}, expires_at);
    if (!sealed) return err(sealed);
    auto tx = Impl::WriteTx::begin(*impl_);
    if (!tx) return err(tx);
    const RowKey row{0, *tag};
    if (auto s = impl_->unlink(Table::AcceptedInvites, row); !s) return s;
    auto st = impl_->db.prepare(
        "INSERT OR REPLACE INTO accepted_invites (tag, expires_at) VALUES (?, ?)");
    if (!st) return err(st);
    if (auto s = st->bind(1, *tag).bind(2, *sealed).run(); !s) return s;
    if (auto s = impl_->seal(Table::AcceptedInvites, row); !s) return s;
    return tx->commit();
}

Result<std::size_t> ProfileStore::purge_accepted_invites(TimePoint now) {
    auto& db = impl_->db;
    auto tx = Impl::WriteTx::begin(*impl_);
    if (!tx) return err(tx);
    // The expiry is sealed, so the rows are read and judged here; there are
    // only as many as codes accepted while they were valid.
    std::vector<Bytes> expired;
    {
        auto st = db.prepare("SELECT tag, expires_at FROM accepted_invites");
        if (!st) return err(st);
        for (;;) {
            auto row = st->step();
            if (!row) return err(row);
            if (!*row) break;
            ByteView tag = st->column_blob(0);
            auto at = impl_->box.open_time(FieldRef{"accepted_invites", "expires_at", 0, tag},
                                           st->column_blob(1));
            if (!at) return err(at);
            if (*at <= now) expired.emplace_back(tag.begin(), tag.end());
        }
    }
    auto del = db.prepare("DELETE FROM accepted_invites WHERE tag = ?");
    if (!del) return err(del);
    for (auto& tag : expired) {
        if (auto s = impl_->unlink(Table::AcceptedInvites, RowKey{0, tag}); !s)
            return std::unexpected(s.error());
        if (auto s = del->bind(1, tag).run(); !s) return std::unexpected(s.error());
    }
    if (auto s = tx->commit(); !s) return std::unexpected(s.error());
    return expired.size();
}

}  // namespace sotto::store
