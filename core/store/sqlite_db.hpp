// A thin RAII wrapper over the SQLite C API for the profile store: one
// connection, cached prepared statements, transactions that roll back unless
// committed, and SQLite result codes turned into Error values:
//   SQLITE_NOTADB, SQLITE_CORRUPT, SQLITE_ERROR (e.g. a missing table),
//   SQLITE_SCHEMA, SQLITE_MISMATCH, SQLITE_RANGE       → Errc::Malformed
//   everything else (IOERR, FULL, CANTOPEN, BUSY, ...)  → Errc::Io
// Not thread-safe: one connection belongs to one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/bytes.hpp"
#include "core/util/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace sotto::store {

class SqliteDb;

// A prepared statement borrowed from the connection's cache. Bind, step, read
// columns; the statement is reset (bindings cleared) when the handle goes.
// Column reads are only valid after step() returned true and until the next
// step or the handle's destruction.
class Statement {
  public:
    Statement(Statement&& o) noexcept
        : db_(o.db_), stmt_(o.stmt_), in_use_(o.in_use_), bind_rc_(o.bind_rc_) {
        o.stmt_ = nullptr;
        o.in_use_ = nullptr;
    }
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;
    ~Statement();

    // Parameters are 1-based, as in SQLite.
    Statement& bind(int i, std::int64_t v);
    Statement& bind(int i, ByteView v);  // a BLOB (an empty view binds an empty BLOB)
    Statement& bind_text(int i, std::string_view v);
    Statement& bind_null(int i);
    // Binds a BLOB or NULL.
    Statement& bind_optional(int i, const std::optional<Bytes>& v);

    // true: a row is available; false: done.
    Result<bool> step();
    // Runs a statement that returns no rows, then resets it so it can be
    // bound and run again.
    Status run();

    bool column_is_null(int i) const;
    std::int64_t column_int(int i) const;
    // The view points into SQLite's memory: copy before the next step.
    ByteView column_blob(int i) const;
    std::string column_text(int i) const;
    // For reading whole rows generically (the row MACs, row_integrity.hpp).
    enum class Type { Null, Integer, Real, Text, Blob };
    int column_count() const;
    Type column_type(int i) const;
    std::string_view column_name(int i) const;

  private:
    friend class SqliteDb;
    Statement(SqliteDb& db, sqlite3_stmt* s, bool* in_use) : db_(&db), stmt_(s), in_use_(in_use) {}
    void check_bind(int rc);
    SqliteDb* db_;
    sqlite3_stmt* stmt_;
    // The cache entry's busy flag; nullptr when the statement is not cached
    // (the cached one was in use) and is finalized here.
    bool* in_use_;
    int bind_rc_ = 0;  // the first failed bind, reported by step()
};

class SqliteDb {
  public:
    enum class Mode {
        ReadOnly,   // existing file; nothing is written
        ReadWrite,  // existing file
        Create,     // the file must already exist (empty) or be creatable
    };
    static Result<SqliteDb> open(const std::filesystem::path& path, Mode mode);

    SqliteDb(SqliteDb&& o) noexcept;
    SqliteDb& operator=(SqliteDb&& o) noexcept;
    SqliteDb(const SqliteDb&) = delete;
    SqliteDb& operator=(const SqliteDb&) = delete;
    ~SqliteDb();

    // Runs one or more statements that return no rows.
    Status exec(const char* sql);
    // A cached prepared statement (`sql` is normally a string literal).
    Result<Statement> prepare(const char* sql);
    // A single integer from a query such as "PRAGMA user_version".
    Result<std::int64_t> query_int(const char* sql);

    std::int64_t last_insert_rowid() const;
    int changes() const;

    // Turns a SQLite result code into an Error; `what` says what we were doing.
    Error error(int rc, std::string_view what) const;
    // Whether the last error() was SQLITE_NOTADB (the file is not an SQLite
    // database at all, as opposed to a damaged one).
    bool last_error_was_not_a_database() const;

    sqlite3* handle() const { return db_; }

  private:
    explicit SqliteDb(sqlite3* db) : db_(db) {}
    void close() noexcept;
    sqlite3* db_ = nullptr;
    mutable int last_rc_ = 0;
    struct Cached {
        sqlite3_stmt* stmt = nullptr;
        bool in_use = false;
    };
    std::map<std::string, Cached, std::less<>> cache_;
};

// BEGIN IMMEDIATE (takes the write lock at once, so a write cannot fail half
// way for lock reasons) ... COMMIT; rolls back on destruction unless
// committed.
class Transaction {
  public:
    static Result<Transaction> begin(SqliteDb& db);
    Transaction(Transaction&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
    Transaction& operator=(Transaction&&) = delete;
    ~Transaction();
    Status commit();

  private:
    explicit Transaction(SqliteDb& db) : db_(&db) {}
    SqliteDb* db_;
};

}  // namespace sotto::store
