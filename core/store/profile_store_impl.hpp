// Internal state of a ProfileStore, shared by the files that implement it,
// one per table: profile_store.cpp (create, open and unlock, the passphrase,
// identity and settings, test access), profile_store_contacts.cpp,
// profile_store_invites.cpp and profile_store_messages.cpp. Here: the Impl
// with its write transaction and row-integrity steps, and the helpers every
// table uses to seal and open fields and to run its queries (read_rows and
// the rest: one loop over result rows, written once). Not a public header.
#pragma once

#include <algorithm>
#include <array>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/store/profile_store.hpp"
#include "core/store/row_integrity.hpp"
#include "core/store/schema.hpp"
#include "core/store/sealed_box.hpp"
#include "core/store/sqlite_db.hpp"

namespace sotto::store {

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

inline Bytes seal_list(Fields& fx, const FieldRef& f, const Result<SecretBytes>& encoded) {
    if (!encoded) {
        fx.fail(encoded.error());
        return {};
    }
    return fx.seal(f, encoded->view());
}

inline std::int64_t to_row(std::uint64_t id) {
    return id > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
               ? -1
               : static_cast<std::int64_t>(id);
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

// What a row reader (read_contact, read_summary, read_invite, read_message)
// returns.
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

    // A write that adds to one contact's rows: the write transaction, begun
    // only once the contact is known to exist (NotFound otherwise), so no
    // caller can add a message to a removed contact.
    Result<WriteTx> begin_contact_write(ContactId contact) {
        auto tx = WriteTx::begin(*this);
        if (!tx) return err(tx);
        auto exists = contact_exists(to_row(contact));
        if (!exists) return err(exists);
        if (!*exists) return fail(Errc::NotFound, "no such contact");
        return tx;
    }

    // Seal a record's fields and write them into its (existing) row
    // (profile_store_contacts.cpp, profile_store_invites.cpp).
    Status write_contact(std::int64_t id, const ContactRecord& r);
    Status write_invite(std::int64_t id, const InviteRecord& r);
    // Inserts a message row and seals its fields under the new row id
    // (profile_store_messages.cpp).
    Result<MessageRecord> insert_message(ContactId contact, const Bytes& tag, MessageRecord m);
};

}  // namespace sotto::store
