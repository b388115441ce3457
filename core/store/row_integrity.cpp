#include "core/store/row_integrity.hpp"

#include <vector>

namespace sotto::store::integrity {

namespace {

constexpr std::string_view kRowLabel = "sotto/profile/v1/row";
constexpr std::string_view kMacColumn = "mac";
constexpr std::string_view kVersionColumn = "row_version";
constexpr std::string_view kMetaKey = "integrity";
constexpr std::uint8_t kStateFormat = 1;

constexpr TableInfo kInfo[kTables] = {
    {"identity", "id", false, "the profile's own identity"},
    {"settings", "tag", true, "a setting"},
    {"contacts", "id", false, "a contact"},
    {"invites", "id", false, "an invite"},
    {"accepted_invites", "tag", true, "an invite code you accepted"},
    {"messages", "id", false, "a message"},
};

constexpr Table kAll[kTables] = {Table::Identity, Table::Settings,        Table::Contacts,
                                 Table::Invites,  Table::AcceptedInvites, Table::Messages};

// The statements per table, built once: the connection caches prepared
// statements by their text.
struct Sql {
    std::string row, mac, update, all, keys;
};
const Sql& sql(Table t) {
    static const auto table = [] {
        std::array<Sql, kTables> out;
        for (auto t : kAll) {
            const auto& i = info(t);
            const std::string name(i.name), key(i.key);
            out[static_cast<std::size_t>(t)] = Sql{
                "SELECT * FROM " + name + " WHERE " + key + " = ?",
                "SELECT mac FROM " + name + " WHERE " + key + " = ?",
                "UPDATE " + name + " SET row_version = ?, mac = ? WHERE " + key + " = ?",
                "SELECT * FROM " + name,
                "SELECT " + key + " FROM " + name,
            };
        }
        return out;
    }();
    return table[static_cast<std::size_t>(t)];
}

Statement& bind_key(Statement& st, int i, Table t, RowKey key) {
    return info(t).tag_key ? st.bind(i, key.tag) : st.bind(i, key.id);
}

void put(Bytes& out, ByteView b) {
    out.insert(out.end(), b.begin(), b.end());
}
void put_u64(Bytes& out, std::uint64_t v) {
    put(out, le64(static_cast<std::int64_t>(v)));
}
void put_name(Bytes& out, std::string_view s) {
    put(out, as_bytes(s));
    out.push_back(0);
}

// The row as the MAC sees it: every column but `mac`, each with its name
// and SQLite type, so that no two different rows encode the same. With
// `version`, the row_version column is taken as that value (the one about
// to be written).
void encode_row(const Statement& st, Table t, std::optional<std::uint64_t> version, Bytes& out) {
    out.clear();
    put_name(out, kRowLabel);
    put_name(out, info(t).name);
    const int n = st.column_count();
    for (int i = 0; i < n; ++i) {
        const auto name = st.column_name(i);
        if (name == kMacColumn) continue;
        put_name(out, name);
        if (version && name == kVersionColumn) {
            out.push_back(1);
            put_u64(out, *version);
            continue;
        }
        const auto type = st.column_type(i);
        switch (type) {
            case Statement::Type::Null:
                out.push_back(0);
                break;
            case Statement::Type::Integer:
                out.push_back(1);
                put_u64(out, static_cast<std::uint64_t>(st.column_int(i)));
                break;
            case Statement::Type::Real:  // none in our schema; its text form then
            case Statement::Type::Text:
            case Statement::Type::Blob: {
                out.push_back(static_cast<std::uint8_t>(type));
                const ByteView b = st.column_blob(i);
                put_u64(out, b.size());
                put(out, b);
                break;
            }
        }
    }
}

int column_index(const Statement& st, std::string_view name) {
    for (int i = 0; i < st.column_count(); ++i)
        if (st.column_name(i) == name) return i;
    return -1;
}

void xor_into(crypto::Digest256& acc, ByteView mac) {
    for (std::size_t i = 0; i < acc.bytes.size() && i < mac.size(); ++i) acc.bytes[i] ^= mac[i];
}

Error changed(std::string what) {
    return Error{Errc::BadSignature, std::string(kChangedOutside) + what +
                                         ". Sotto has not opened it and left the file as it is."};
}

std::string noun(Table t) {
    return std::string(info(t).noun);
}

}  // namespace

const TableInfo& info(Table t) {
    return kInfo[static_cast<std::size_t>(t)];
}

// counter (8) | format (1) | table count (1) | per table: name length (1),
// name, rows (8), XOR of MACs (32). Tables by name, so a later version can
// add some.
Bytes State::encode() const {
    Bytes out;
    put_u64(out, counter);
    out.push_back(kStateFormat);
    out.push_back(static_cast<std::uint8_t>(kTables));
    for (auto t : kAll) {
        const auto name = info(t).name;
        out.push_back(static_cast<std::uint8_t>(name.size()));
        put(out, as_bytes(name));
        put_u64(out, of(t).rows);
        put(out, of(t).xor_of_macs.view());
    }
    return out;
}

Result<State> State::decode(ByteView b) {
    auto bad = [] { return fail(Errc::Malformed, "profile: the integrity record is malformed"); };
    State s;
    std::size_t at = 0;
    auto u64 = [&](std::uint64_t& v) {
        if (b.size() - at < 8) return false;
        v = 0;
        for (std::size_t i = 0; i < 8; ++i) v |= std::uint64_t(b[at + i]) << (8 * i);
        at += 8;
        return true;
    };
    if (!u64(s.counter) || b.size() - at < 2 || b[at] != kStateFormat) return bad();
    const std::size_t n = b[at + 1];
    at += 2;
    std::array<bool, kTables> seen{};
    for (std::size_t k = 0; k < n; ++k) {
        if (b.size() - at < 1) return bad();
        const std::size_t len = b[at++];
        if (b.size() - at < len) return bad();
        const std::string_view name(reinterpret_cast<const char*>(b.data() + at), len);
        at += len;
        std::optional<Table> table;
        for (auto t : kAll)
            if (info(t).name == name) table = t;
        if (!table || seen[static_cast<std::size_t>(*table)]) return bad();
        seen[static_cast<std::size_t>(*table)] = true;
        auto& d = s.of(*table);
        if (!u64(d.rows) || b.size() - at < 32) return bad();
        d.xor_of_macs = crypto::Digest256::from(b.subspan(at, 32));
        at += 32;
    }
    if (at != b.size()) return bad();
    return s;
}

Result<std::optional<State>> read_state(SqliteDb& db, const SealedBox& box) {
    auto st = db.prepare("SELECT value FROM meta WHERE key = 'integrity'");
    if (!st) return std::unexpected(st.error());
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<State>();
    auto plain = box.open(FieldRef{"meta", kMetaKey, 0}, st->column_blob(0));
    if (!plain)
        return std::unexpected(changed("the record of what it holds does not authenticate"));
    auto s = State::decode(plain->view());
    if (!s) return std::unexpected(s.error());
    return std::optional<State>(std::move(*s));
}

Status write_state(SqliteDb& db, const SealedBox& box, const State& state) {
    const Bytes plain = state.encode();
    auto sealed = box.seal(FieldRef{"meta", kMetaKey, 0}, plain);
    if (!sealed) return std::unexpected(sealed.error());
    auto st = db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('integrity', ?)");
    if (!st) return std::unexpected(st.error());
    return st->bind(1, *sealed).run();
}

Status unlink_row(SqliteDb& db, State& state, Table t, RowKey key) {
    auto st = db.prepare(sql(t).mac.c_str());
    if (!st) return std::unexpected(st.error());
    auto row = bind_key(*st, 1, t, key).step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
    // A row inserted in this transaction and not sealed yet has no MAC.
    if (st->column_is_null(0)) return {};
    auto& d = state.of(t);
    xor_into(d.xor_of_macs, st->column_blob(0));
    --d.rows;
    return {};
}

Status seal_row(SqliteDb& db, const SealedBox& box, State& state, Table t, RowKey key) {
    const std::uint64_t version = state.counter + 1;
    crypto::Digest256 mac;
    {
        auto st = db.prepare(sql(t).row.c_str());
        if (!st) return std::unexpected(st.error());
        auto row = bind_key(*st, 1, t, key).step();
        if (!row) return std::unexpected(row.error());
        if (!*row) return fail(Errc::NotFound, "profile: no " + noun(t) + " to seal");
        thread_local Bytes enc;
        encode_row(*st, t, version, enc);
        mac = box.row_mac(enc);
    }
    auto up = db.prepare(sql(t).update.c_str());
    if (!up) return std::unexpected(up.error());
    up->bind(1, static_cast<std::int64_t>(version)).bind(2, mac.view());
    if (auto s = bind_key(*up, 3, t, key).run(); !s) return s;
    state.counter = version;
    auto& d = state.of(t);
    xor_into(d.xor_of_macs, mac.view());
    ++d.rows;
    return {};
}

Status verify(SqliteDb& db, const SealedBox& box, const State& state) {
    Bytes enc;
    for (auto t : kAll) {
        auto st = db.prepare(sql(t).all.c_str());
        if (!st) return std::unexpected(st.error());
        TableDigest found;
        std::uint64_t newest = 0;
        int mac_col = -1, version_col = -1, key_col = -1;
        for (;;) {
            auto row = st->step();
            if (!row) return std::unexpected(row.error());
            if (!*row) break;
            if (mac_col < 0) {
                mac_col = column_index(*st, kMacColumn);
                version_col = column_index(*st, kVersionColumn);
                key_col = column_index(*st, info(t).key);
                if (mac_col < 0 || version_col < 0 || key_col < 0)
                    return std::unexpected(changed("the " + std::string(info(t).name) +
                                                   " table lost its integrity columns"));
            }
            auto altered = [&] {
                std::string where(info(t).name);
                if (!info(t).tag_key) where += ", row " + std::to_string(st->column_int(key_col));
                return std::unexpected(changed(noun(t) + " was altered (" + where + ")"));
            };
            if (st->column_type(version_col) != Statement::Type::Integer ||
                st->column_type(mac_col) != Statement::Type::Blob)
                return altered();
            encode_row(*st, t, std::nullopt, enc);
            const auto mac = box.row_mac(enc);
            if (!ct_equal(mac.view(), st->column_blob(mac_col))) return altered();
            xor_into(found.xor_of_macs, mac.view());
            ++found.rows;
            newest = std::max(newest, static_cast<std::uint64_t>(st->column_int(version_col)));
        }
        const auto& expected = state.of(t);
        if (found.rows > expected.rows)
            return std::unexpected(changed(noun(t) + " that was removed is back"));
        if (found.rows < expected.rows) return std::unexpected(changed(noun(t) + " was deleted"));
        if (found.xor_of_macs != expected.xor_of_macs)
            return std::unexpected(changed(noun(t) + " was put back to an earlier version"));
        if (newest > state.counter)
            return std::unexpected(
                changed("the record of what it holds was put back to an earlier version"));
    }
    return {};
}

Result<State> rebuild(SqliteDb& db, const SealedBox& box, std::uint64_t counter) {
    State state;
    state.counter = counter;
    for (auto t : kAll) {
        std::vector<std::int64_t> ids;
        std::vector<Bytes> tags;
        {
            auto st = db.prepare(sql(t).keys.c_str());
            if (!st) return std::unexpected(st.error());
            for (;;) {
                auto row = st->step();
                if (!row) return std::unexpected(row.error());
                if (!*row) break;
                if (info(t).tag_key) {
                    auto b = st->column_blob(0);
                    tags.emplace_back(b.begin(), b.end());
                } else {
                    ids.push_back(st->column_int(0));
                }
            }
        }
        for (auto id : ids)
            if (auto s = seal_row(db, box, state, t, RowKey{id, {}}); !s)
                return std::unexpected(s.error());
        for (auto& tag : tags)
            if (auto s = seal_row(db, box, state, t, RowKey{0, tag}); !s)
                return std::unexpected(s.error());
    }
    return state;
}

Status add_columns(SqliteDb& db) {
    for (auto t : kAll) {
        const std::string name(info(t).name);
        const std::string add = "ALTER TABLE " + name +
                                " ADD COLUMN row_version INTEGER; ALTER TABLE " + name +
                                " ADD COLUMN mac BLOB;";
        if (auto s = db.exec(add.c_str()); !s) return s;
    }
    return {};
}

}  // namespace sotto::store::integrity
