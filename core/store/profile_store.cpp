// The ProfileStore's file as a whole: creating, opening and unlocking it
// (the clear header, the wrapped data key, the check of every row against the
// digest), changing the passphrase, the identity and settings rows, and test
// access. The tables have their own files (profile_store_impl.hpp).
#include "core/store/profile_store.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "core/store/profile_key.hpp"
#include "core/store/profile_store_impl.hpp"
#include "core/store/profile_store_testing.hpp"

namespace sotto::store {

namespace {

constexpr std::string_view kFormat = "sotto-profile";
constexpr std::string_view kKdf = "scrypt";

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

void remove_files(const std::filesystem::path& path) {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
        std::filesystem::remove(std::filesystem::path(path.string() + suffix), ec);
}

}  // namespace

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
