#include "core/store/schema.hpp"

#include <string>
#include <vector>

#include "core/hs/descriptor_id.hpp"
#include "core/store/profile_store.hpp"
#include "core/store/row_integrity.hpp"
#include "core/transport/onion_credentials.hpp"

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

// Version 5: grants and credentials become transport-tagged lists
// (core/transport/credential.hpp), so the messenger stores what any
// transport hands it without knowing its layout. Every grant and credential
// so far was for Sotto's onion network: the 64 bytes each column held become
// the one SottoOnion entry of a list. Invites get their own session secret
// and pairwise seed, which until now were derived from the invite's grant;
// an old invite keeps exactly what it had, so a code given out before the
// upgrade still works after it:
//   invites.secret         the psk input of the invite's handshake: H(CK) | DC,
//                          what a version-1 code carries
//   invites.pairwise_seed  the CK seed (invite_pairwise_key derives from it)
//   contacts.invite_secret for a Requested contact, the code's H(CK) | DC
// (the invitee's side of the same handshake); NULL for the others.
Status transport_tagged_credentials_v5(SqliteDb& db, const SealedBox& box) {
    if (auto s = db.exec("ALTER TABLE contacts ADD COLUMN invite_secret BLOB;"   // sealed, or NULL
                         "ALTER TABLE invites ADD COLUMN secret BLOB;"           // sealed
                         "ALTER TABLE invites ADD COLUMN pairwise_seed BLOB;");  // sealed (32)
        !s)
        return s;
    struct Row {
        std::int64_t id;
        std::int64_t state;
        Bytes a, b;
    };
    auto rows = [&](const char* sql) -> Result<std::vector<Row>> {
        std::vector<Row> out;
        auto st = db.prepare(sql);
        if (!st) return std::unexpected(st.error());
        for (;;) {
            auto row = st->step();
            if (!row) return std::unexpected(row.error());
            if (!*row) break;
            auto a = st->column_blob(2);
            auto b = st->column_blob(3);
            out.push_back({st->column_int(0), st->column_int(1), Bytes(a.begin(), a.end()),
                           Bytes(b.begin(), b.end())});
        }
        return out;
    };
    auto seal_list = [&](const FieldRef& f, const Result<SecretBytes>& list) -> Result<Bytes> {
        if (!list) return std::unexpected(list.error());
        return box.seal(f, list->view());
    };

    auto contacts = rows("SELECT id, state, our_grant, their_credentials FROM contacts");
    if (!contacts) return std::unexpected(contacts.error());
    for (auto& c : *contacts) {
        auto grant = box.open_exact(FieldRef{"contacts", "our_grant", c.id}, c.a, 64);
        if (!grant) return std::unexpected(grant.error());
        auto creds = box.open_exact(FieldRef{"contacts", "their_credentials", c.id}, c.b, 64);
        if (!creds) return std::unexpected(creds.error());
        transport::GrantList grants;
        grants.push_back({transport::TransportKind::SottoOnion, SecretBytes(grant->view())});
        transport::CredentialList theirs;
        theirs.push_back({transport::TransportKind::SottoOnion, SecretBytes(creds->view())});
        auto g =
            seal_list(FieldRef{"contacts", "our_grant", c.id}, transport::encode_grants(grants));
        if (!g) return std::unexpected(g.error());
        auto t = seal_list(FieldRef{"contacts", "their_credentials", c.id},
                           transport::encode_credentials(theirs));
        if (!t) return std::unexpected(t.error());
        std::optional<Bytes> secret;
        if (c.state == 1) {  // Requested: their credentials are still the code's
            auto sealed = box.seal(FieldRef{"contacts", "invite_secret", c.id}, creds->view());
            if (!sealed) return std::unexpected(sealed.error());
            secret = std::move(*sealed);
        }
        auto up = db.prepare(
            "UPDATE contacts SET our_grant = ?, their_credentials = ?, invite_secret = ? "
            "WHERE id = ?");
        if (!up) return std::unexpected(up.error());
        if (auto s = up->bind(1, *g).bind(2, *t).bind_optional(3, secret).bind(4, c.id).run(); !s)
            return s;
    }

    auto invites = rows("SELECT id, status, grant_keys, x'' FROM invites");
    if (!invites) return std::unexpected(invites.error());
    for (auto& inv : *invites) {
        auto raw = box.open_exact(FieldRef{"invites", "grant_keys", inv.id}, inv.a, 64);
        if (!raw) return std::unexpected(raw.error());
        transport::GrantList grants;
        grants.push_back({transport::TransportKind::SottoOnion, SecretBytes(raw->view())});
        auto onion = transport::open_onion_grant(grants.front());
        if (!onion) return std::unexpected(onion.error());
        // What the version-1 code of this invite carries: H(CK) | DC.
        auto code = transport::onion_credential(hs::credentials_for(*onion));
        auto g =
            seal_list(FieldRef{"invites", "grant_keys", inv.id}, transport::encode_grants(grants));
        if (!g) return std::unexpected(g.error());
        auto secret = box.seal(FieldRef{"invites", "secret", inv.id}, code.bytes.view());
        if (!secret) return std::unexpected(secret.error());
        auto seed =
            box.seal(FieldRef{"invites", "pairwise_seed", inv.id}, onion->client_key.seed());
        if (!seed) return std::unexpected(seed.error());
        auto up = db.prepare(
            "UPDATE invites SET grant_keys = ?, secret = ?, pairwise_seed = ? WHERE id = ?");
        if (!up) return std::unexpected(up.error());
        if (auto s = up->bind(1, *g).bind(2, *secret).bind(3, *seed).bind(4, inv.id).run(); !s)
            return s;
    }
    return {};
}

constexpr Migration kMigrations[] = {
    {"initial schema", &create_v1},
    {"invite expiry of requested contacts", &add_invite_expiry_v2},
    {"probes of open invites", &add_invite_probes_v3},
    {"row MACs and the profile digest", &add_row_macs_v4},
    {"transport-tagged grants and credentials", &transport_tagged_credentials_v5},
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
