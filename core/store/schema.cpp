#include "core/store/schema.hpp"

#include <string>
#include <vector>

#include "core/store/profile_store.hpp"
#include "core/store/row_integrity.hpp"

namespace sotto::store::schema {

namespace {

// Version 1: the initial schema. Columns of type BLOB that hold sealed values
// are nonce || ciphertext || tag (sealed_box.hpp); everything else is clear.
Status create_v1(SqliteDb& db, const SealedBox&) {
    return db.exec(R"sql(
CREATE TABLE meta (
    key TEXT PRIMARY KEY NOT NULL,
    value NOT NULL
) WITHOUT ROWID;

CREATE TABLE identity (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    display_name BLOB NOT NULL,   -- sealed
    node_identity BLOB NOT NULL,  -- sealed Ed25519 seed
    node_onion BLOB NOT NULL,     -- sealed X25519 secret
    network_file BLOB NOT NULL,   -- sealed text
    network_id BLOB NOT NULL      -- clear, 8 bytes
);

CREATE TABLE settings (
    tag BLOB PRIMARY KEY NOT NULL,  -- index tag of the setting's name
    value BLOB NOT NULL             -- sealed
) WITHOUT ROWID;

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    state INTEGER NOT NULL,
    name BLOB NOT NULL,               -- sealed text
    nickname BLOB NOT NULL,           -- sealed text
    appear_offline BLOB NOT NULL,     -- sealed bool
    our_grant BLOB NOT NULL,          -- sealed CK seed (32) || DC (32)
    their_credentials BLOB NOT NULL,  -- sealed H(CK) (32) || DC (32)
    our_pairwise BLOB NOT NULL,       -- sealed Ed25519 seed
    their_pairwise BLOB,              -- sealed Ed25519 public key, or NULL
    created_at BLOB NOT NULL          -- sealed time
);

CREATE TABLE invites (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    status INTEGER NOT NULL,
    used_by INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    grant_keys BLOB NOT NULL,  -- sealed CK seed (32) || DC (32)
    created_at BLOB NOT NULL,  -- sealed time
    expires_at BLOB NOT NULL,  -- sealed time
    name_hint BLOB NOT NULL    -- sealed text
);

CREATE TABLE accepted_invites (
    tag BLOB PRIMARY KEY NOT NULL,  -- index tag of H(CK)
    expires_at BLOB NOT NULL        -- sealed time
) WITHOUT ROWID;

CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- MessageRecord::row, the local order
    contact INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    id_tag BLOB NOT NULL,      -- index tag of (contact, MessageId), for dedup and acks
    direction INTEGER NOT NULL,
    state INTEGER NOT NULL,
    read INTEGER NOT NULL,
    msg_id BLOB NOT NULL,      -- sealed MessageId
    body BLOB NOT NULL,        -- sealed text
    sent_at BLOB NOT NULL,     -- sealed time
    delivered_at BLOB,         -- sealed time, or NULL
    UNIQUE (contact, id_tag)
);
-- History pages and the newest message per contact.
CREATE INDEX messages_by_contact ON messages(contact, id);
-- Unread counts and the outbox stay small however long the history is.
CREATE INDEX messages_unread ON messages(contact) WHERE direction = 2 AND read = 0;
CREATE INDEX messages_outbox ON messages(contact, id) WHERE direction = 1 AND state < 3;
)sql");
}

// Version 2: a Requested contact carries the expiry of the invite code we
// accepted, so the engine can stop trying once it is past
// (ContactRecord::invite_expires_at). Existing Requested contacts take it
// from the accepted-invite record of their code: while Requested, their
// credentials are the code's, and the code's H(CK) keys that record. A
// contact whose record is missing (a crash between storing the contact and
// the record) keeps NULL, i.e. no known expiry, which is the version 1
// behaviour.
//
// The step spells out the v2 field bindings itself instead of calling the
// store's helpers: a migration is a snapshot of the layout of its version
// and must not change when later versions do.
Status add_invite_expiry_v2(SqliteDb& db, const SealedBox& box) {
    if (auto s = db.exec("ALTER TABLE contacts ADD COLUMN invite_expires_at BLOB");  // sealed time
        !s)
        return s;
    struct Requested {
        std::int64_t id;
        Bytes credentials;
    };
    std::vector<Requested> requested;
    {
        auto st = db.prepare("SELECT id, their_credentials FROM contacts WHERE state = 1");
        if (!st) return std::unexpected(st.error());
        for (;;) {
            auto row = st->step();
            if (!row) return std::unexpected(row.error());
            if (!*row) break;
            auto b = st->column_blob(1);
            requested.push_back({st->column_int(0), Bytes(b.begin(), b.end())});
        }
    }
    for (auto& c : requested) {
        auto creds =
            box.open_exact(FieldRef{"contacts", "their_credentials", c.id}, c.credentials, 64);
        if (!creds) return std::unexpected(creds.error());
        auto tag = box.index_tag("accepted-invite", creds->view().first(32));
        if (!tag) return std::unexpected(tag.error());
        auto st = db.prepare("SELECT expires_at FROM accepted_invites WHERE tag = ?");
        if (!st) return std::unexpected(st.error());
        auto row = st->bind(1, *tag).step();
        if (!row) return std::unexpected(row.error());
        if (!*row) continue;
        auto expires =
            box.open_time(FieldRef{"accepted_invites", "expires_at", 0, *tag}, st->column_blob(0));
        if (!expires) return std::unexpected(expires.error());
        auto sealed = box.seal_time(FieldRef{"contacts", "invite_expires_at", c.id}, *expires);
        if (!sealed) return std::unexpected(sealed.error());
        auto up = db.prepare("UPDATE contacts SET invite_expires_at = ? WHERE id = ?");
        if (!up) return std::unexpected(up.error());
        if (auto s = up->bind(1, *sealed).bind(2, c.id).run(); !s) return s;
    }
    return {};
}

// Version 3: how often someone opened an invite's stream and left without
// a Hello (InviteRecord::probes), sealed like the invite's other fields.
// NULL for the invites made before: none counted.
Status add_invite_probes_v3(SqliteDb& db, const SealedBox&) {
    return db.exec("ALTER TABLE invites ADD COLUMN probes BLOB");  // sealed u64, or NULL
}

// Version 4: every row of the sealed tables gets row_version and mac
// (row_integrity.hpp). The MACs themselves, and the digest in meta, are
// computed by the store once the steps have run (migrate's `finish`), and
// the data key is rewrapped to bind that the profile has them.
Status add_row_macs_v4(SqliteDb& db, const SealedBox&) {
    return integrity::add_columns(db);
}

constexpr Migration kMigrations[] = {
    {"initial schema", &create_v1},
    {"invite expiry of requested contacts", &add_invite_expiry_v2},
    {"probes of open invites", &add_invite_probes_v3},
    {"row MACs and the profile digest", &add_row_macs_v4},
};
static_assert(std::size(kMigrations) == ProfileStore::kSchemaVersion,
              "one migration step per schema version");

}  // namespace

std::span<const Migration> profile_migrations() {
    return kMigrations;
}

Result<int> user_version(SqliteDb& db) {
    auto v = db.query_int("PRAGMA user_version");
    if (!v) return std::unexpected(v.error());
    return static_cast<int>(*v);
}

Status apply_steps(SqliteDb& db, const SealedBox& box, std::span<const Migration> steps, int from) {
    if (from < 0) return fail(Errc::Malformed, "profile: negative schema version");
    for (std::size_t i = static_cast<std::size_t>(from); i < steps.size(); ++i) {
        if (auto s = steps[i].apply(db, box); !s) {
            Error e = s.error();
            e.message = "migrating the profile to version " + std::to_string(i + 1) + " (" +
                        steps[i].description + "): " + e.message;
            return std::unexpected(std::move(e));
        }
    }
    // PRAGMA takes no bound parameters; the value is our own integer.
    const std::string set = "PRAGMA user_version = " + std::to_string(steps.size());
    return db.exec(set.c_str());
}

Status migrate(SqliteDb& db, const SealedBox& box, std::span<const Migration> steps,
               const std::function<Status(int from)>& finish) {
    auto tx = Transaction::begin(db);
    if (!tx) return std::unexpected(tx.error());
    auto v = user_version(db);
    if (!v) return std::unexpected(v.error());
    if (*v > latest_version(steps))
        return fail(Errc::BadVersion, "profile schema version " + std::to_string(*v) +
                                          " is newer than this program's " +
                                          std::to_string(latest_version(steps)));
    if (*v < 1) return fail(Errc::Malformed, "not a Sotto profile (no schema)");
    if (*v == latest_version(steps)) return {};
    if (auto s = apply_steps(db, box, steps, *v); !s) return s;
    if (finish)
        if (auto s = finish(*v); !s) return s;
    return tx->commit();
}

}  // namespace sotto::store::schema
