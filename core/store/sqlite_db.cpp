#include "core/store/sqlite_db.hpp"

#include <sqlite3.h>

#include <utility>

namespace sotto::store {

// ---- Statement ----

Statement::~Statement() {
    if (stmt_ == nullptr) return;
    if (in_use_ != nullptr) {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
        *in_use_ = false;
    } else {
        sqlite3_finalize(stmt_);
    }
}

void Statement::check_bind(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == 0) bind_rc_ = rc;
}

Statement& Statement::bind(int i, std::int64_t v) {
    check_bind(sqlite3_bind_int64(stmt_, i, v));
    return *this;
}

Statement& Statement::bind(int i, ByteView v) {
    // A zero-length blob binds as an empty BLOB, not NULL.
    if (v.empty())
        check_bind(sqlite3_bind_zeroblob(stmt_, i, 0));
    else
        check_bind(sqlite3_bind_blob64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT));
    return *this;
}

Statement& Statement::bind_text(int i, std::string_view v) {
    check_bind(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
    return *this;
}

Statement& Statement::bind_null(int i) {
    check_bind(sqlite3_bind_null(stmt_, i));
    return *this;
}

Statement& Statement::bind_optional(int i, const std::optional<Bytes>& v) {
    return v ? bind(i, ByteView(*v)) : bind_null(i);
}

Result<bool> Statement::step() {
    if (bind_rc_ != 0) return std::unexpected(db_->error(bind_rc_, "binding a parameter"));
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    Error e = db_->error(rc, "reading or writing the profile");
    sqlite3_reset(stmt_);
    return std::unexpected(std::move(e));
}

Status Statement::run() {
    auto r = step();
    // Ready to be bound and run again (SQLite keeps the bindings).
    sqlite3_reset(stmt_);
    bind_rc_ = 0;
    if (!r) return std::unexpected(r.error());
    return {};
}

bool Statement::column_is_null(int i) const {
    return sqlite3_column_type(stmt_, i) == SQLITE_NULL;
}

std::int64_t Statement::column_int(int i) const {
    return sqlite3_column_int64(stmt_, i);
}

ByteView Statement::column_blob(int i) const {
    const void* p = sqlite3_column_blob(stmt_, i);
    int n = sqlite3_column_bytes(stmt_, i);
    if (p == nullptr || n <= 0) return {};
    return {static_cast<const std::uint8_t*>(p), static_cast<std::size_t>(n)};
}

std::string Statement::column_text(int i) const {
    const unsigned char* p = sqlite3_column_text(stmt_, i);
    int n = sqlite3_column_bytes(stmt_, i);
    if (p == nullptr || n <= 0) return {};
    return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)};
}

int Statement::column_count() const {
    return sqlite3_column_count(stmt_);
}

Statement::Type Statement::column_type(int i) const {
    switch (sqlite3_column_type(stmt_, i)) {
        case SQLITE_INTEGER:
            return Type::Integer;
        case SQLITE_FLOAT:
            return Type::Real;
        case SQLITE_TEXT:
            return Type::Text;
        case SQLITE_BLOB:
            return Type::Blob;
        default:
            return Type::Null;
    }
}

std::string_view Statement::column_name(int i) const {
    const char* n = sqlite3_column_name(stmt_, i);
    return n != nullptr ? std::string_view(n) : std::string_view();
}

// ---- SqliteDb ----

Result<SqliteDb> SqliteDb::open(const std::filesystem::path& path, Mode mode) {
    int flags = SQLITE_OPEN_EXRESCODE;
    switch (mode) {
        case Mode::ReadOnly:
            flags |= SQLITE_OPEN_READONLY;
            break;
        case Mode::ReadWrite:
            flags |= SQLITE_OPEN_READWRITE;
            break;
        case Mode::Create:
            flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
            break;
    }
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.string().c_str(), &raw, flags, nullptr);
    SqliteDb db(raw);
    if (rc != SQLITE_OK) {
        if (raw == nullptr)
            return fail(Errc::Io, "cannot open the profile database: out of memory");
        return std::unexpected(db.error(rc, "opening the profile database"));
    }
    sqlite3_extended_result_codes(raw, 1);
    // The file may come from anywhere: no schema-defined functions with side
    // effects, no writes to the schema by SQL, no extensions.
    sqlite3_db_config(raw, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
    sqlite3_db_config(raw, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
    sqlite3_db_config(raw, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
    sqlite3_busy_timeout(raw, 5000);
    return db;
}

SqliteDb::SqliteDb(SqliteDb&& o) noexcept
    : db_(o.db_), last_rc_(o.last_rc_), cache_(std::move(o.cache_)) {
    o.db_ = nullptr;
    o.cache_.clear();
}

SqliteDb& SqliteDb::operator=(SqliteDb&& o) noexcept {
    if (this != &o) {
        close();
        db_ = std::exchange(o.db_, nullptr);
        cache_ = std::move(o.cache_);
        o.cache_.clear();
    }
    return *this;
}

SqliteDb::~SqliteDb() {
    close();
}

void SqliteDb::close() noexcept {
    for (auto& [sql, c] : cache_) sqlite3_finalize(c.stmt);
    cache_.clear();
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = nullptr;
}

Status SqliteDb::exec(const char* sql) {
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return std::unexpected(error(rc, "updating the profile"));
    return {};
}

Result<Statement> SqliteDb::prepare(const char* sql) {
    auto it = cache_.find(std::string_view(sql));
    if (it != cache_.end() && !it->second.in_use) {
        it->second.in_use = true;
        return Statement(*this, it->second.stmt, &it->second.in_use);
    }
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(s);
        return std::unexpected(error(rc, "reading the profile"));
    }
    if (s == nullptr) return fail(Errc::Malformed, "profile database: empty statement");
    if (it != cache_.end()) return Statement(*this, s, nullptr);  // cached one is busy
    auto& c = cache_[std::string(sql)];
    c.stmt = s;
    c.in_use = true;
    return Statement(*this, s, &c.in_use);
}

Result<std::int64_t> SqliteDb::query_int(const char* sql) {
    auto st = prepare(sql);
    if (!st) return std::unexpected(st.error());
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return fail(Errc::Malformed, "profile database: no result");
    return st->column_int(0);
}

std::int64_t SqliteDb::last_insert_rowid() const {
    return sqlite3_last_insert_rowid(db_);
}

int SqliteDb::changes() const {
    return sqlite3_changes(db_);
}

Error SqliteDb::error(int rc, std::string_view what) const {
    std::string msg = "profile database: ";
    msg += what;
    msg += ": ";
    // The connection's message is the most specific (e.g. "no such table:
    // contacts"); it never contains bound values.
    const char* detail = db_ != nullptr ? sqlite3_errmsg(db_) : nullptr;
    if (detail == nullptr || sqlite3_extended_errcode(db_) != rc) detail = sqlite3_errstr(rc);
    msg += detail;
    last_rc_ = rc & 0xff;
    switch (rc & 0xff) {
        case SQLITE_NOTADB:
        case SQLITE_CORRUPT:
        case SQLITE_ERROR:
        case SQLITE_SCHEMA:
        case SQLITE_MISMATCH:
        case SQLITE_RANGE:
        case SQLITE_FORMAT:
            return Error{Errc::Malformed, std::move(msg)};
        default:
            return Error{Errc::Io, std::move(msg)};
    }
}

bool SqliteDb::last_error_was_not_a_database() const {
    return last_rc_ == SQLITE_NOTADB;
}

// ---- Transaction ----

Result<Transaction> Transaction::begin(SqliteDb& db) {
    if (auto s = db.exec("BEGIN IMMEDIATE"); !s) return std::unexpected(s.error());
    return Transaction(db);
}

Transaction::~Transaction() {
    // ROLLBACK can fail only if there is no transaction (SQLite already
    // rolled it back after an I/O error), which is the state we want.
    if (db_ != nullptr) (void)db_->exec("ROLLBACK");
}

Status Transaction::commit() {
    SqliteDb* db = std::exchange(db_, nullptr);
    auto s = db->exec("COMMIT");
    if (!s) (void)db->exec("ROLLBACK");
    return s;
}

}  // namespace sotto::store
