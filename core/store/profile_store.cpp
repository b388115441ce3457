#include "core/store/profile_store.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <system_error>
#include <type_traits>

#include "core/store/profile_key.hpp"
#include "core/store/profile_store_testing.hpp"
#include "core/store/row_integrity.hpp"
#include "core/store/schema.hpp"
#include "core/store/sealed_box.hpp"
#include "core/store/sqlite_db.hpp"

namespace sotto::store {

namespace {

constexpr std::string_view kFormat = "sotto-profile";
constexpr std::string_view kKdf = "scrypt";

template <typename T>
std::unexpected<Error> err(const Result<T>& r) {
    return std::unexpected(r.error());
}

// Collects the first error of a series of seal/open calls so that a record's
// fields read as straight-line code; check ok() before using the values.
class Fields {
  public:
    explicit Fields(const SealedBox& box) : box_(box) {}

    Bytes seal(const FieldRef& f, ByteView plain) { return take(box_.seal(f, plain)); }
    Bytes seal_text(const FieldRef& f, std::string_view s) { return take(box_.seal_text(f, s)); }
    Bytes seal_time(const FieldRef& f, TimePoint t) { return take(box_.seal_time(f, t)); }
    Bytes seal_bool(const FieldRef& f, bool v) { return take(box_.seal_bool(f, v)); }
    Bytes seal_count(const FieldRef& f, std::uint64_t v) { return take(box_.seal_u64(f, v)); }

    std::string text(const FieldRef& f, ByteView sealed) { return take(box_.open_text(f, sealed)); }
    TimePoint time(const FieldRef& f, ByteView sealed) { return take(box_.open_time(f, sealed)); }
    bool boolean(const FieldRef& f, ByteView sealed) { return take(box_.open_bool(f, sealed)); }
    std::uint64_t count(const FieldRef& f, ByteView sealed) {
        return take(box_.open_u64(f, sealed));
    }
    SecretBytes exact(const FieldRef& f, ByteView sealed, std::size_t n) {
        return take(box_.open_exact(f, sealed, n));
    }
    SecretBytes any(const FieldRef& f, ByteView sealed) { return take(box_.open(f, sealed)); }
    void fail(Error e) {
        if (!error_) error_ = std::move(e);
    }

    bool ok() const { return !error_; }
    std::unexpected<Error> error() const { return std::unexpected(*error_); }

  private:
    template <typename T>
    T take(Result<T>&& r) {
        if (error_) return T{};
        if (!r) {
            error_ = r.error();
            return T{};
        }
        return std::move(*r);
    }
    const SealedBox& box_;
    std::optional<Error> error_;
};

// ---- the clear header: application id, version, meta ----

struct Meta {
    crypto::ScryptParams params;
    Bytes salt;
    Bytes wrapped;
    // The rows carry MACs (schema version 4 on); bound into `wrapped`.
    bool row_macs = false;
    // The sealed integrity record as stored (written by integrity::write_state,
    // read here only to notice the file changing while it is opened).
    Bytes integrity;
    bool same_as(const Meta& o) const {
        return params.n == o.params.n && params.r == o.params.r && params.p == o.params.p &&
               salt == o.salt && wrapped == o.wrapped && row_macs == o.row_macs &&
               integrity == o.integrity;
    }
};

Error not_a_profile(std::string_view why) {
    return Error{Errc::Malformed, "not a Sotto profile (" + std::string(why) + ")"};
}

// Application id and schema version; nothing is written.
Result<int> check_header(SqliteDb& db, std::span<const schema::Migration> steps) {
    auto app = db.query_int("PRAGMA application_id");
    if (!app) {
        if (db.last_error_was_not_a_database())
            return std::unexpected(not_a_profile("not an SQLite database"));
        return err(app);  // damaged (Malformed) or unreadable (Io)
    }
    if (*app != schema::kApplicationId)
        return std::unexpected(not_a_profile("no Sotto application id"));
    auto v = schema::user_version(db);
    if (!v) return err(v);
    if (*v < 1) return std::unexpected(not_a_profile("no schema"));
    if (*v > schema::latest_version(steps))
        return fail(Errc::BadVersion, "profile schema version " + std::to_string(*v) +
                                          " is newer than this program's " +
                                          std::to_string(schema::latest_version(steps)));
    return *v;
}

Result<Meta> read_meta(SqliteDb& db) {
    auto st = db.prepare("SELECT key, value FROM meta");
    if (!st) {
        if (st.error().code == Errc::Malformed)
            return std::unexpected(not_a_profile(st.error().message));
        return err(st);
    }
    Meta m;
    bool format = false, kdf = false, have_n = false, have_r = false, have_p = false;
    for (;;) {
        auto row = st->step();
        if (!row) return err(row);
        if (!*row) break;
        const std::string key = st->column_text(0);
        if (key == "format") {
            format = st->column_text(1) == kFormat;
        } else if (key == "kdf") {
            kdf = st->column_text(1) == kKdf;
        } else if (key == "scrypt_n" || key == "scrypt_r" || key == "scrypt_p") {
            const std::int64_t v = st->column_int(1);
            if (v < 1 || v > std::int64_t(1) << 20) return std::unexpected(not_a_profile("KDF"));
            if (key == "scrypt_n") m.params.n = static_cast<std::uint64_t>(v), have_n = true;
            if (key == "scrypt_r") m.params.r = static_cast<std::uint32_t>(v), have_r = true;
            if (key == "scrypt_p") m.params.p = static_cast<std::uint32_t>(v), have_p = true;
        } else if (key == "salt") {
            auto b = st->column_blob(1);
            m.salt.assign(b.begin(), b.end());
        } else if (key == "data_key") {
            auto b = st->column_blob(1);
            m.wrapped.assign(b.begin(), b.end());
        } else if (key == "row_macs") {
            if (st->column_int(1) != 1) return std::unexpected(not_a_profile("row MACs"));
            m.row_macs = true;
        } else if (key == "integrity") {
            auto b = st->column_blob(1);
            m.integrity.assign(b.begin(), b.end());
        }
    }
    if (!format) return std::unexpected(not_a_profile("format"));
    if (!kdf || !have_n || !have_r || !have_p) return std::unexpected(not_a_profile("KDF"));
    if (m.salt.size() != kSaltLen || m.wrapped.size() != kWrappedKeyLen)
        return std::unexpected(not_a_profile("key"));
    if (auto s = check_scrypt_params(m.params); !s) return std::unexpected(s.error());
    return m;
}

Status write_meta(SqliteDb& db, const Meta& m) {
    auto st = db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
    if (!st) return err(st);
    auto put_text = [&](const char* key, std::string_view v) {
        return st->bind_text(1, key).bind_text(2, v).run();
    };
    auto put_int = [&](const char* key, std::uint64_t v) {
        return st->bind_text(1, key).bind(2, static_cast<std::int64_t>(v)).run();
    };
    auto put_blob = [&](const char* key, ByteView v) {
        return st->bind_text(1, key).bind(2, v).run();
    };
    for (auto s :
         {put_text("format", kFormat), put_text("kdf", kKdf), put_int("scrypt_n", m.params.n),
          put_int("scrypt_r", m.params.r), put_int("scrypt_p", m.params.p),
          put_blob("salt", m.salt), put_blob("data_key", m.wrapped)})
        if (!s) return s;
    if (m.row_macs)
        if (auto s = put_int("row_macs", 1); !s) return s;
    return {};
}

// Per-connection settings of the read-write connection.
Status configure(SqliteDb& db) {
    // FULL: a committed outbox entry survives a power cut, not only a crash.
    // secure_delete: a removed contact's history is overwritten, not just
    // unlinked (it is sealed anyway, but the data key outlives it).
    if (auto s = db.exec("PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;"
                         "PRAGMA synchronous = FULL;");
        !s)
        return s;
    auto st = db.prepare("PRAGMA journal_mode = WAL");
    if (!st) return err(st);
    auto row = st->step();
    if (!row) return err(row);
    if (!*row || st->column_text(0) != "wal")
        return fail(Errc::Io, "profile database: cannot switch to WAL mode");
    return {};
}

// ---- identity ----

FieldRef identity_field(std::string_view column) {
    return FieldRef{"identity", column, 1};
}

Status write_identity(SqliteDb& db, const SealedBox& box, const ProfileIdentity& id) {
    Fields fx(box);
    Bytes name = fx.seal_text(identity_field("display_name"), id.display_name);
    Bytes node_identity = fx.seal(identity_field("node_identity"), id.node_identity.seed());
    Bytes node_onion = fx.seal(identity_field("node_onion"), id.node_onion.view());
    Bytes network_file = fx.seal_text(identity_field("network_file"), id.network_file);
    if (!fx.ok()) return fx.error();
    auto st = db.prepare(
        "INSERT OR REPLACE INTO identity (id, display_name, node_identity, node_onion, "
        "network_file, network_id) VALUES (1, ?, ?, ?, ?, ?)");
    if (!st) return err(st);
    return st->bind(1, name)
        .bind(2, node_identity)
        .bind(3, node_onion)
        .bind(4, network_file)
        .bind(5, id.network_id.view())
        .run();
}

Result<ProfileIdentity> read_identity(SqliteDb& db, const SealedBox& box) {
    auto st = db.prepare(
        "SELECT display_name, node_identity, node_onion, network_file, network_id "
        "FROM identity WHERE id = 1");
    if (!st) return err(st);
    auto row = st->step();
    if (!row) return err(row);
    if (!*row) return fail(Errc::Malformed, "profile: the identity is missing");
    Fields fx(box);
    std::string name = fx.text(identity_field("display_name"), st->column_blob(0));
    SecretBytes seed = fx.exact(identity_field("node_identity"), st->column_blob(1), 32);
    SecretBytes onion = fx.exact(identity_field("node_onion"), st->column_blob(2), 32);
    std::string network_file = fx.text(identity_field("network_file"), st->column_blob(3));
    if (!fx.ok()) return fx.error();
    ByteView nid = st->column_blob(4);
    if (nid.size() != dir::NetworkId::size)
        return fail(Errc::Malformed, "profile: identity.network_id has the wrong length");
    auto key = crypto::Ed25519SecretKey::from_seed(seed.view());
    if (!key) return err(key);
    return ProfileIdentity{std::move(name), std::move(*key), Secret<32>(onion.view()),
                           std::move(network_file), dir::NetworkId::from(nid)};
}

// ---- shared by contacts, invites and messages ----

// Grant and credential lists are stored in their transport encoding.
template <typename List, typename Decode>
List list_from(Fields& fx, const FieldRef& f, ByteView sealed, Decode decode) {
    SecretBytes plain = fx.any(f, sealed);
    if (!fx.ok()) return {};
    auto list = decode(plain.view());
    if (!list) {
        fx.fail(Error{Errc::Malformed, "profile: " + std::string(f.column) + " of row " +
                                           std::to_string(f.row) + ": " + list.error().message});
        return {};
    }
    return std::move(*list);
}

Bytes seal_list(Fields& fx, const FieldRef& f, const Result<SecretBytes>& encoded) {
    if (!encoded) {
        fx.fail(encoded.error());
        return {};
    }
    return fx.seal(f, encoded->view());
}

// What keys an accepted code's record (ProfileStore::accepted_invite_seen).
ByteView accepted_invite_key(ByteView invite_secret) {
    return invite_secret.first(std::min<std::size_t>(32, invite_secret.size()));
}

std::int64_t to_row(std::uint64_t id) {
    return id > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
               ? -1
               : static_cast<std::int64_t>(id);
}

constexpr const char* kContactColumns =
    "id, state, name, nickname, appear_offline, our_grant, their_credentials, our_pairwise, "
    "their_pairwise, created_at, invite_expires_at, invite_secret";

bool valid_contact_state(std::int64_t state) {
    return state >= static_cast<std::int64_t>(ContactState::Requested) &&
           state <= static_cast<std::int64_t>(ContactState::InviteExpired);
}

FieldRef contact_field(std::int64_t id, std::string_view column) {
    return FieldRef{"contacts", column, id};
}

Result<ContactRecord> read_contact(const Statement& st, const SealedBox& box) {
    const std::int64_t id = st.column_int(0);
    const std::int64_t state = st.column_int(1);
    if (!valid_contact_state(state)) return fail(Errc::Malformed, "profile: bad contact state");
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
        .state = static_cast<ContactState>(state),
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

// A message's sealed fields also bind its contact and direction, so a row
// cannot be moved to another conversation or turned around.
struct MessageBinding {
    std::array<std::uint8_t, 9> bytes{};
    MessageBinding(std::int64_t contact, Direction d) {
        auto c = le64(contact);
        std::copy(c.begin(), c.end(), bytes.begin());
        bytes[8] = static_cast<std::uint8_t>(d);
    }
    FieldRef field(std::int64_t row, std::string_view column) const {
        return FieldRef{"messages", column, row, bytes};
    }
};

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

// What a row reader (read_contact, read_invite, read_message) returns.
template <typename Read>
using RowResult = std::invoke_result_t<Read, const Statement&, const SealedBox&>;

// Every row `st` still has, each read with `read`: the one loop behind every
// list query of the profile.
template <typename Read>
Result<std::vector<typename RowResult<Read>::value_type>> read_rows(Statement& st,
                                                                    const SealedBox& box,
                                                                    Read read) {
    std::vector<typename RowResult<Read>::value_type> out;
    for (;;) {
        auto row = st.step();
        if (!row) return err(row);
        if (!*row) return out;
        auto r = read(st, box);
        if (!r) return err(r);
        out.push_back(std::move(*r));
    }
}

// The one row of a query by id, read with `read`; NotFound (`missing`) when
// there is none.
template <typename Read>
RowResult<Read> read_row(Statement& st, const SealedBox& box, Read read, const char* missing) {
    auto row = st.step();
    if (!row) return err(row);
    if (!*row) return fail(Errc::NotFound, missing);
    return read(st, box);
}

// A query by id (`sql` has one parameter) for its one row.
template <typename Read>
RowResult<Read> query_row(SqliteDb& db, const SealedBox& box, const std::string& sql,
                          std::int64_t id, Read read, const char* missing) {
    auto st = db.prepare(sql.c_str());
    if (!st) return err(st);
    st->bind(1, id);
    return read_row(*st, box, read, missing);
}

// A list query without parameters, every row read with `read`.
template <typename Read>
Result<std::vector<typename RowResult<Read>::value_type>> query_rows(SqliteDb& db,
                                                                     const SealedBox& box,
                                                                     const std::string& sql,
                                                                     Read read) {
    auto st = db.prepare(sql.c_str());
    if (!st) return err(st);
    return read_rows(*st, box, read);
}

Result<std::vector<MessageRecord>> read_messages(Statement& st, const SealedBox& box) {
    return read_rows(st, box, read_message);
}

void remove_files(const std::filesystem::path& path) {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
        std::filesystem::remove(std::filesystem::path(path.string() + suffix), ec);
}

}  // namespace

// ---- the store ----

using integrity::RowKey;
using integrity::Table;

struct ProfileStore::Impl {
    SqliteDb db;
    SealedBox box;
    Rng* rng;
    ProfileIdentity identity;
    int version;
    // The committed digest plus whatever the open write transaction did.
    integrity::State integrity;

    // Every write: one SQLite transaction that also stores the integrity
    // state; if it does not commit, the in-memory state goes back too.
    class WriteTx {
      public:
        static Result<WriteTx> begin(Impl& impl) {
            auto tx = Transaction::begin(impl.db);
            if (!tx) return err(tx);
            return WriteTx(impl, std::move(*tx));
        }
        WriteTx(WriteTx&& o) noexcept
            : impl_(std::exchange(o.impl_, nullptr)), tx_(std::move(o.tx_)), saved_(o.saved_) {}
        WriteTx& operator=(WriteTx&&) = delete;
        ~WriteTx() {
            if (impl_ != nullptr) impl_->integrity = saved_;
        }
        Status commit() {
            if (auto s = integrity::write_state(impl_->db, impl_->box, impl_->integrity); !s)
                return s;
            if (auto s = tx_.commit(); !s) return s;
            impl_ = nullptr;
            return {};
        }

      private:
        WriteTx(Impl& impl, Transaction tx)
            : impl_(&impl), tx_(std::move(tx)), saved_(impl.integrity) {}
        Impl* impl_;
        Transaction tx_;
        integrity::State saved_;
    };

    // A new row: `insert` (one parameter, `first`, or none) makes it with
    // empty sealed fields, `write` seals them under the row's id, in one
    // write transaction.
    template <typename Write>
    Result<std::int64_t> insert_row(const char* insert, std::optional<std::int64_t> first,
                                    Write write) {
        auto tx = WriteTx::begin(*this);
        if (!tx) return err(tx);
        auto st = db.prepare(insert);
        if (!st) return err(st);
        if (first) st->bind(1, *first);
        if (auto s = st->run(); !s) return std::unexpected(s.error());
        const std::int64_t id = db.last_insert_rowid();
        if (auto s = write(id); !s) return std::unexpected(s.error());
        if (auto s = tx->commit(); !s) return std::unexpected(s.error());
        return id;
    }

    // An existing row's sealed fields written again, in one write transaction.
    template <typename Write>
    Status update_row(std::int64_t id, const char* missing, Write write) {
        if (id <= 0) return fail(Errc::NotFound, missing);
        auto tx = WriteTx::begin(*this);
        if (!tx) return err(tx);
        if (auto s = write(id); !s) return s;
        return tx->commit();
    }

    static Result<std::unique_ptr<Impl>> create(const std::filesystem::path& path,
                                                std::string_view passphrase,
                                                ProfileIdentity identity, Rng& rng,
                                                const crypto::ScryptParams& params);
    // `remac`: ProfileStoreTesting only.
    static Result<std::unique_ptr<Impl>> open(const std::filesystem::path& path,
                                              std::string_view passphrase, Rng& rng,
                                              std::span<const schema::Migration> steps,
                                              bool remac = false);

    // A row's MAC out of the digest before it changes or goes, and back in
    // (new version, new MAC) once it is written.
    Status unlink(Table t, RowKey key) { return integrity::unlink_row(db, integrity, t, key); }
    Status seal(Table t, RowKey key) { return integrity::seal_row(db, box, integrity, t, key); }
    Status seal(Table t, std::int64_t id) { return seal(t, RowKey{id, {}}); }
    Status unlink(Table t, std::int64_t id) { return unlink(t, RowKey{id, {}}); }

    // The ids a statement with one integer parameter selects.
    Result<std::vector<std::int64_t>> ids(const char* sql, std::int64_t param) {
        auto st = db.prepare(sql);
        if (!st) return err(st);
        st->bind(1, param);
        std::vector<std::int64_t> out;
        for (;;) {
            auto row = st->step();
            if (!row) return err(row);
            if (!*row) return out;
            out.push_back(st->column_int(0));
        }
    }
    // Rows changed by one bulk statement: out of the digest before, sealed after.
    Status rewrite(Table t, const std::vector<std::int64_t>& rows, Statement& bulk) {
        for (auto id : rows)
            if (auto s = unlink(t, id); !s) return s;
        if (auto s = bulk.run(); !s) return s;
        for (auto id : rows)
            if (auto s = seal(t, id); !s) return s;
        return {};
    }

    Result<Bytes> message_tag(ContactId contact, const MessageId& id) const {
        Bytes v(8 + MessageId::size);
        auto c = le64(static_cast<std::int64_t>(contact));
        std::copy(c.begin(), c.end(), v.begin());
        std::copy(id.bytes.begin(), id.bytes.end(), v.begin() + 8);
        return box.index_tag("message", v);
    }

    Result<bool> contact_exists(std::int64_t id) {
        auto st = db.prepare("SELECT 1 FROM contacts WHERE id = ?");
        if (!st) return err(st);
        return st->bind(1, id).step();
    }

    Status write_identity_row(const ProfileIdentity& id) {
        if (auto s = unlink(Table::Identity, 1); !s) return s;
        if (auto s = write_identity(db, box, id); !s) return s;
        return seal(Table::Identity, 1);
    }

    Status write_contact(std::int64_t id, const ContactRecord& r) {
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

    Status write_invite(std::int64_t id, const InviteRecord& r) {
        const auto status = static_cast<std::int64_t>(r.status);
        if (status < 1 || status > 4) return fail(Errc::Malformed, "profile: bad invite status");
        if (r.used_by) {
            auto e = contact_exists(to_row(*r.used_by));
            if (!e) return err(e);
            if (!*e) return fail(Errc::NotFound, "the invite's contact does not exist");
        }
        Fields fx(box);
        Bytes grant =
            seal_list(fx, invite_field(id, "grant_keys"), transport::encode_grants(r.grants));
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

    // Inserts a message row and seals its fields under the new row id.
    Result<MessageRecord> insert_message(ContactId contact, const Bytes& tag, MessageRecord m) {
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
        if (m.delivered_at)
            delivered = fx.seal_time(mb.field(m.row, "delivered_at"), *m.delivered_at);
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
        if (auto sealed = seal(Table::Messages, m.row); !sealed)
            return std::unexpected(sealed.error());
        return m;
    }
};

ProfileStore::ProfileStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ProfileStore::~ProfileStore() = default;

namespace {

Error changed_outside(std::string_view what) {
    return Error{Errc::BadSignature, std::string(integrity::kChangedOutside) + std::string(what) +
                                         ". Sotto has not opened it and left the file as it is."};
}

}  // namespace

Result<std::unique_ptr<ProfileStore::Impl>> ProfileStore::Impl::create(
    const std::filesystem::path& path, std::string_view passphrase, ProfileIdentity identity,
    Rng& rng, const crypto::ScryptParams& params) {
    auto db = SqliteDb::open(path, SqliteDb::Mode::Create);
    if (!db) return err(db);
    if (auto s = configure(*db); !s) return std::unexpected(s.error());
    Meta meta;
    meta.params = params;
    meta.salt.resize(kSaltLen);
    rng.fill(meta.salt);
    meta.row_macs = true;
    DataKey data_key = generate_data_key(rng);
    auto pk = passphrase_key(passphrase, params, meta.salt);
    if (!pk) return err(pk);
    auto wrapped = wrap_data_key(data_key, *pk, params, meta.salt, KeyBinding{true}, rng);
    if (!wrapped) return err(wrapped);
    meta.wrapped = std::move(*wrapped);
    auto box = SealedBox::from_data_key(data_key, rng);
    if (!box) return err(box);

    auto tx = Transaction::begin(*db);
    if (!tx) return err(tx);
    const std::string app = "PRAGMA application_id = " + std::to_string(schema::kApplicationId);
    if (auto s = db->exec(app.c_str()); !s) return std::unexpected(s.error());
    const auto steps = schema::profile_migrations();
    if (auto s = schema::apply_steps(*db, *box, steps, 0); !s) return std::unexpected(s.error());
    if (auto s = write_meta(*db, meta); !s) return std::unexpected(s.error());
    if (auto s = write_identity(*db, *box, identity); !s) return std::unexpected(s.error());
    integrity::State state;
    if (auto s = integrity::seal_row(*db, *box, state, Table::Identity, RowKey{1, {}}); !s)
        return std::unexpected(s.error());
    if (auto s = integrity::write_state(*db, *box, state); !s) return std::unexpected(s.error());
    if (auto s = tx->commit(); !s) return std::unexpected(s.error());
    return std::make_unique<ProfileStore::Impl>(
        ProfileStore::Impl{std::move(*db), std::move(*box), &rng, std::move(identity),
                           schema::latest_version(steps), std::move(state)});
}

Result<std::unique_ptr<ProfileStore::Impl>> ProfileStore::Impl::open(
    const std::filesystem::path& path, std::string_view passphrase, Rng& rng,
    std::span<const schema::Migration> steps, bool remac) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        return fail(Errc::NotFound, "no profile at " + path.string());
    if (!std::filesystem::is_regular_file(path, ec))
        return std::unexpected(not_a_profile("not a regular file"));

    // Everything up to the passphrase check, and the check of every row
    // against the digest, happens on a read-only connection: a wrong
    // passphrase, a foreign file or one changed behind our back is left
    // untouched.
    std::optional<SqliteDb> ro;
    {
        auto opened = SqliteDb::open(path, SqliteDb::Mode::ReadOnly);
        if (!opened) return err(opened);
        ro.emplace(std::move(*opened));
    }
    auto v = check_header(*ro, steps);
    if (!v) return err(v);
    auto m = read_meta(*ro);
    if (!m) return err(m);
    Meta meta = std::move(*m);
    auto pk = passphrase_key(passphrase, meta.params, meta.salt);
    if (!pk) return err(pk);
    auto data_key =
        unwrap_data_key(meta.wrapped, *pk, meta.params, meta.salt, KeyBinding{meta.row_macs});
    if (!data_key) {
        // The right passphrase with the other binding: someone set or
        // removed the flag (e.g. to pass the file off as one without MACs).
        if (data_key.error().code == Errc::BadSignature &&
            unwrap_data_key(meta.wrapped, *pk, meta.params, meta.salt, KeyBinding{!meta.row_macs}))
            return std::unexpected(changed_outside("its protection against changes was removed"));
        return err(data_key);
    }
    auto box = SealedBox::from_data_key(*data_key, rng);
    if (!box) return err(box);

    integrity::State state;
    const bool has_macs = *v >= schema::kRowMacsVersion;
    if (has_macs != meta.row_macs)
        return std::unexpected(changed_outside("its protection against changes was removed"));
    if (has_macs && !remac) {
        // One read transaction: every table from the same snapshot.
        if (auto s = ro->exec("BEGIN"); !s) return std::unexpected(s.error());
        auto stored = integrity::read_state(*ro, *box);
        if (!stored) return err(stored);
        if (!*stored)
            return std::unexpected(changed_outside("the record of what it holds is missing"));
        if (auto s = integrity::verify(*ro, *box, **stored); !s) return std::unexpected(s.error());
        (void)ro->exec("COMMIT");
        state = std::move(**stored);
    } else if (has_macs) {
        auto stored = integrity::read_state(*ro, *box);
        if (stored && *stored) state.counter = (*stored)->counter;
    }
    ro.reset();

    auto db = SqliteDb::open(path, SqliteDb::Mode::ReadWrite);
    if (!db) return err(db);
    // Another process may have replaced the file in between.
    if (auto again_v = check_header(*db, steps); !again_v) return err(again_v);
    auto again = read_meta(*db);
    if (!again) return err(again);
    if (!again->same_as(meta))
        return fail(Errc::Io, "the profile changed while it was being opened; try again");
    if (auto s = configure(*db); !s) return std::unexpected(s.error());
    // After any step: MACs for every row as the tables now are, and (coming
    // from before version 4) the data key rewrapped to bind that they exist.
    auto finish = [&](int) -> Status {
        auto rebuilt = integrity::rebuild(*db, *box, state.counter);
        if (!rebuilt) return std::unexpected(rebuilt.error());
        if (!meta.row_macs) {
            auto wrapped =
                wrap_data_key(*data_key, *pk, meta.params, meta.salt, KeyBinding{true}, rng);
            if (!wrapped) return std::unexpected(wrapped.error());
            meta.wrapped = std::move(*wrapped);
            meta.row_macs = true;
            if (auto s = write_meta(*db, meta); !s) return s;
        }
        if (auto s = integrity::write_state(*db, *box, *rebuilt); !s) return s;
        state = std::move(*rebuilt);
        return {};
    };
    if (auto s = schema::migrate(*db, *box, steps, finish); !s) return std::unexpected(s.error());
    if (remac && has_macs) {
        auto tx = Transaction::begin(*db);
        if (!tx) return err(tx);
        if (auto s = finish(0); !s) return std::unexpected(s.error());
        if (auto s = tx->commit(); !s) return std::unexpected(s.error());
    }
    auto version = schema::user_version(*db);
    if (!version) return err(version);
    auto identity = read_identity(*db, *box);
    if (!identity) return err(identity);
    return std::make_unique<ProfileStore::Impl>(ProfileStore::Impl{
        std::move(*db), std::move(*box), &rng, std::move(*identity), *version, std::move(state)});
}

Result<std::unique_ptr<ProfileStore>> ProfileStore::create(const std::filesystem::path& path,
                                                           std::string_view passphrase,
                                                           ProfileIdentity identity, Rng& rng,
                                                           crypto::ScryptParams params) {
    if (auto s = check_scrypt_params(params); !s)
        return fail(Errc::Config, "unsupported scrypt parameters");
    // Claim the path exclusively (and owner-only) before SQLite touches it.
    std::FILE* f = std::fopen(path.string().c_str(), "wbx");
    if (f == nullptr) {
        const int e = errno;
        std::error_code ec;
        if (std::filesystem::exists(path, ec))
            return fail(Errc::Io, "a file already exists at " + path.string());
        return fail(Errc::Io, "cannot create " + path.string() + ": " + std::strerror(e));
    }
    std::fclose(f);
    std::error_code ec;
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
        std::filesystem::perm_options::replace, ec);
    auto impl = Impl::create(path, passphrase, std::move(identity), rng, params);
    if (!impl) {
        remove_files(path);
        return err(impl);
    }
    return std::unique_ptr<ProfileStore>(new ProfileStore(std::move(*impl)));
}

Result<std::unique_ptr<ProfileStore>> ProfileStore::open(const std::filesystem::path& path,
                                                         std::string_view passphrase, Rng& rng) {
    auto impl = Impl::open(path, passphrase, rng, schema::profile_migrations());
    if (!impl) return err(impl);
    return std::unique_ptr<ProfileStore>(new ProfileStore(std::move(*impl)));
}

Status ProfileStore::change_passphrase(std::string_view old_passphrase,
                                       std::string_view new_passphrase,
                                       crypto::ScryptParams params) {
    if (auto s = check_scrypt_params(params); !s)
        return fail(Errc::Config, "unsupported scrypt parameters");
    auto& db = impl_->db;
    auto meta = read_meta(db);
    if (!meta) return err(meta);
    auto old_pk = passphrase_key(old_passphrase, meta->params, meta->salt);
    if (!old_pk) return err(old_pk);
    auto old_key = unwrap_data_key(meta->wrapped, *old_pk, meta->params, meta->salt,
                                   KeyBinding{meta->row_macs});
    if (!old_key) return err(old_key);
    Meta next;
    next.params = params;
    next.salt.resize(kSaltLen);
    impl_->rng->fill(next.salt);
    next.row_macs = true;  // every open profile has them (open() migrates)
    auto new_pk = passphrase_key(new_passphrase, params, next.salt);
    if (!new_pk) return err(new_pk);
    auto wrapped =
        wrap_data_key(*old_key, *new_pk, params, next.salt, KeyBinding{true}, *impl_->rng);
    if (!wrapped) return err(wrapped);
    next.wrapped = std::move(*wrapped);
    {
        auto tx = Transaction::begin(db);
        if (!tx) return err(tx);
        if (auto s = write_meta(db, next); !s) return s;
        if (auto s = tx->commit(); !s) return s;
    }
    // Best effort: move the new meta page into the main file and empty the
    // WAL, so the old wrapping is not left in it (secure_delete overwrote the
    // old page in place). A reader elsewhere may keep the WAL busy; the next
    // checkpoint then finishes the job.
    (void)db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    return {};
}

int ProfileStore::schema_version() const {
    return impl_->version;
}

// ---- identity and settings ----

const ProfileIdentity& ProfileStore::identity() const {
    return impl_->identity;
}

Status ProfileStore::set_display_name(std::string name) {
    auto sealed = impl_->box.seal_text(identity_field("display_name"), name);
    if (!sealed) return err(sealed);
    auto tx = Impl::WriteTx::begin(*impl_);
    if (!tx) return err(tx);
    if (auto s = impl_->unlink(Table::Identity, 1); !s) return s;
    auto st = impl_->db.prepare("UPDATE identity SET display_name = ? WHERE id = 1");
    if (!st) return err(st);
    if (auto s = st->bind(1, *sealed).run(); !s) return s;
    if (auto s = impl_->seal(Table::Identity, 1); !s) return s;
    if (auto s = tx->commit(); !s) return s;
    impl_->identity.display_name = std::move(name);
    return {};
}

Status ProfileStore::set_setting(std::string_view key, std::string_view value) {
    auto tag = impl_->box.index_tag("setting", as_bytes(key));
    if (!tag) return err(tag);
    auto sealed = impl_->box.seal_text(FieldRef{"settings", "value", 0, *tag}, value);
    if (!sealed) return err(sealed);
    auto tx = Impl::WriteTx::begin(*impl_);
    if (!tx) return err(tx);
    const RowKey row{0, *tag};
    if (auto s = impl_->unlink(Table::Settings, row); !s) return s;
    auto st = impl_->db.prepare("INSERT OR REPLACE INTO settings (tag, value) VALUES (?, ?)");
    if (!st) return err(st);
    if (auto s = st->bind(1, *tag).bind(2, *sealed).run(); !s) return s;
    if (auto s = impl_->seal(Table::Settings, row); !s) return s;
    return tx->commit();
}

Result<std::optional<std::string>> ProfileStore::setting(std::string_view key) const {
    auto tag = impl_->box.index_tag("setting", as_bytes(key));
    if (!tag) return err(tag);
    auto st = impl_->db.prepare("SELECT value FROM settings WHERE tag = ?");
    if (!st) return err(st);
    auto row = st->bind(1, *tag).step();
    if (!row) return err(row);
    if (!*row) return std::optional<std::string>();
    auto v = impl_->box.open_text(FieldRef{"settings", "value", 0, *tag}, st->column_blob(0));
    if (!v) return err(v);
    return std::optional<std::string>(std::move(*v));
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
    auto st = impl_->db.prepare(
        "SELECT c.id, c.state, c.name, c.nickname, c.appear_offline, "
        "  (SELECT count(*) FROM messages u "
        "   WHERE u.contact = c.id AND u.direction = 2 AND u.read = 0), "
        "  m.id, m.direction, m.sent_at, m.delivered_at "
        "FROM contacts c LEFT JOIN messages m "
        "  ON m.id = (SELECT max(id) FROM messages WHERE contact = c.id) "
        "ORDER BY c.id");
    if (!st) return err(st);
    std::vector<ContactSummary> out;
    const SealedBox& box = impl_->box;
    for (;;) {
        auto row = st->step();
        if (!row) return err(row);
        if (!*row) return out;
        const std::int64_t id = st->column_int(0);
        const std::int64_t state = st->column_int(1);
        if (!valid_contact_state(state)) return fail(Errc::Malformed, "profile: bad contact state");
        Fields fx(box);
        std::string display = fx.text(contact_field(id, "nickname"), st->column_blob(3));
        if (fx.ok() && display.empty())
            display = fx.text(contact_field(id, "name"), st->column_blob(2));
        bool offline = fx.boolean(contact_field(id, "appear_offline"), st->column_blob(4));
        std::optional<TimePoint> last;
        if (!st->column_is_null(6)) {
            const std::int64_t mrow = st->column_int(6);
            const std::int64_t dir = st->column_int(7);
            if (dir != 1 && dir != 2)
                return fail(Errc::Malformed, "profile: bad message direction");
            const MessageBinding mb(id, static_cast<Direction>(dir));
            if (dir == static_cast<std::int64_t>(Direction::Incoming) && !st->column_is_null(9))
                last = fx.time(mb.field(mrow, "delivered_at"), st->column_blob(9));
            else
                last = fx.time(mb.field(mrow, "sent_at"), st->column_blob(8));
        }
        if (!fx.ok()) return fx.error();
        out.push_back(ContactSummary{
            .id = static_cast<ContactId>(id),
            .state = static_cast<ContactState>(state),
            .display = std::move(display),
            .appear_offline = offline,
            .unread = static_cast<std::uint32_t>(st->column_int(5)),
            .last_message_at = last,
        });
    }
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

// ---- messages ----

Result<MessageRecord> ProfileStore::add_outgoing(ContactId contact, MessageId id, std::string body,
                                                 TimePoint sent_at) {
    auto tag = impl_->message_tag(contact, id);
    if (!tag) return err(tag);
    auto tx = Impl::WriteTx::begin(*impl_);
    if (!tx) return err(tx);
    auto exists = impl_->contact_exists(to_row(contact));
    if (!exists) return err(exists);
    if (!*exists) return fail(Errc::NotFound, "no such contact");
    auto m = impl_->insert_message(contact, *tag,
                                   MessageRecord{
                                       .id = id,
                                       .direction = Direction::Outgoing,
                                       .state = MessageState::Queued,
                                       .body = std::move(body),
                                       .sent_at = sent_at,
                                       .read = true,
                                   });
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
    auto tx = Impl::WriteTx::begin(*impl_);
    if (!tx) return err(tx);
    auto exists = impl_->contact_exists(to_row(contact));
    if (!exists) return err(exists);
    if (!*exists) return fail(Errc::NotFound, "no such contact");
    {
        auto st = db.prepare("SELECT 1 FROM messages WHERE contact = ? AND id_tag = ?");
        if (!st) return err(st);
        auto dup = st->bind(1, to_row(contact)).bind(2, *tag).step();
        if (!dup) return err(dup);
        if (*dup) return std::optional<MessageRecord>();
    }
    auto m = impl_->insert_message(contact, *tag,
                                   MessageRecord{
                                       .id = id,
                                       .direction = Direction::Incoming,
                                       .state = MessageState::Received,
                                       .body = std::move(body),
                                       .sent_at = sent_at,
                                       .delivered_at = received_at,
                                       .read = false,
                                   });
    if (!m) return err(m);
    if (auto s = tx->commit(); !s) return std::unexpected(s.error());
    return std::optional<MessageRecord>(std::move(*m));
}

Status ProfileStore::set_message_state(ContactId contact, const MessageId& id, MessageState state,
                                       std::optional<TimePoint> delivered_at) {
    if (state != MessageState::Queued && state != MessageState::Sent &&
        state != MessageState::Delivered)
        return fail(Errc::Protocol, "only outgoing message states can be set");
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

// ---- test access ----

SqliteDb& ProfileStoreTesting::db(ProfileStore& store) {
    return store.impl_->db;
}

Result<std::unique_ptr<ProfileStore>> ProfileStoreTesting::open_with_migrations(
    const std::filesystem::path& path, std::string_view passphrase, Rng& rng,
    std::span<const schema::Migration> steps, bool remac) {
    auto impl = ProfileStore::Impl::open(path, passphrase, rng, steps, remac);
    if (!impl) return err(impl);
    return std::unique_ptr<ProfileStore>(new ProfileStore(std::move(*impl)));
}

}  // namespace sotto::store
