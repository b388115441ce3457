// Whole-profile integrity (issue 9, finding 10). A sealed field binds only its
// table, column and row, so on its own the file could be edited in ways no
// field's tag notices: a clear column flipped (a Used invite back to Open, a
// Delivered message back to Queued), an old sealed value put back into its
// own row, a row deleted behind our back, or a removed contact and its
// history put back from an old copy.
//
// So every row of the sealed tables carries
//   row_version  a number from a per-profile counter, new on every write
//   mac          SealedBox::row_mac (HMAC-SHA-256 under a key from the
//                data key) over the table name and every other column of
//                the row, clear and sealed, each with its name and type
// and the profile keeps, sealed in its `meta` table under the data key, the
// counter and per table the number of rows and the XOR of their MACs. XOR is
// order-independent, so a write updates it in O(1) (out goes the row's old
// MAC, in its new one) and unlock checks it in one pass: any row whose MAC is
// wrong, any row that is missing, back, or an older version of itself gives a
// digest that does not match, and unlock stops with a sentence saying what
// and where (kChangedOutside), before anything is written.
//
// What it cannot see: the whole file replaced by an older copy of itself
// (digest and rows are then consistent); only something kept outside the
// file could tell. The data key's wrapping binds that the profile has row
// MACs (profile_key.hpp), so stripping the MACs and the digest to pass the
// file off as an older, unprotected version does not open either.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/crypto/hash.hpp"
#include "core/store/sealed_box.hpp"
#include "core/store/sqlite_db.hpp"
#include "core/util/error.hpp"

namespace sotto::store::integrity {

// Every unlock refusal for a changed file starts with this.
inline constexpr std::string_view kChangedOutside = "This profile was changed outside Sotto: ";

// The tables whose rows carry a MAC, in the digest's order, with their key
// column (an INTEGER row id, or the BLOB tag of a WITHOUT ROWID table).
enum class Table : std::uint8_t {
    Identity,
    Settings,
    Contacts,
    Invites,
    AcceptedInvites,
    Messages
};
inline constexpr std::size_t kTables = 6;

struct TableInfo {
    std::string_view name;
    std::string_view key;
    bool tag_key;           // BLOB tag instead of an integer id
    std::string_view noun;  // "a contact": for the error sentence
};
const TableInfo& info(Table t);

// Which row: an id for the rowid tables, a tag for settings and
// accepted_invites.
struct RowKey {
    std::int64_t id = 0;
    ByteView tag = {};
};

struct TableDigest {
    std::uint64_t rows = 0;
    crypto::Digest256 xor_of_macs{};
};

struct State {
    std::uint64_t counter = 0;  // the last row_version handed out
    std::array<TableDigest, kTables> tables{};

    Bytes encode() const;
    static Result<State> decode(ByteView b);
    TableDigest& of(Table t) { return tables[static_cast<std::size_t>(t)]; }
    const TableDigest& of(Table t) const { return tables[static_cast<std::size_t>(t)]; }
};

// The sealed state in `meta` (key "integrity"); nullopt if there is none.
Result<std::optional<State>> read_state(SqliteDb& db, const SealedBox& box);
Status write_state(SqliteDb& db, const SealedBox& box, const State& state);

// ---- writes (inside the caller's transaction) ----
// Before a row changes or goes: its current MAC leaves the digest. A row
// that does not exist is no error (an upsert of a new setting).
Status unlink_row(SqliteDb& db, State& state, Table t, RowKey key);
// After a row was written: a new version, the MAC of what is stored now,
// and the MAC joins the digest.
Status seal_row(SqliteDb& db, const SealedBox& box, State& state, Table t, RowKey key);

// ---- unlock and migration ----
// Recomputes every row's MAC and the digests and compares them with `state`
// (read only). Errc::BadSignature with a kChangedOutside sentence on any
// difference.
Status verify(SqliteDb& db, const SealedBox& box, const State& state);
// MACs every row afresh (new versions) and returns the state to store: after
// a migration changed the tables' columns, or to bring in a profile that
// had no MACs yet.
Result<State> rebuild(SqliteDb& db, const SealedBox& box, std::uint64_t counter);

// The schema step that adds the two columns (schema.cpp, version 4).
Status add_columns(SqliteDb& db);

}  // namespace sotto::store::integrity
