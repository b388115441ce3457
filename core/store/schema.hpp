// The profile database's schema and its forward migrations. The schema
// version is `PRAGMA user_version`; migration step i takes a database from
// version i to version i + 1 (step 0 creates the initial schema, version 1).
// A new version means appending one step to profile_migrations() and
// bumping ProfileStore::kSchemaVersion; open() applies every pending step in
// one transaction, so a failed migration leaves the old version intact.
//
// The `meta` table (format, KDF parameters, salt, wrapped data key) is read
// before any migration runs, so no step may change its layout.
#pragma once

#include <cstdint>
#include <span>

#include "core/store/sealed_box.hpp"
#include "core/store/sqlite_db.hpp"
#include "core/util/error.hpp"

namespace sotto::store::schema {

// "Sott": PRAGMA application_id of every Sotto profile.
inline constexpr std::int32_t kApplicationId = 0x536f7474;

struct Migration {
    const char* description;
    // Runs inside the migration's transaction; the box is there for steps
    // that must re-seal or add sealed data.
    Status (*apply)(SqliteDb& db, const SealedBox& box);
};

// The program's migrations: size() == ProfileStore::kSchemaVersion.
std::span<const Migration> profile_migrations();

inline int latest_version(std::span<const Migration> steps) {
    return static_cast<int>(steps.size());
}

Result<int> user_version(SqliteDb& db);

// Applies steps[from ..] and sets user_version to steps.size(); the caller
// holds the transaction (create() uses this for the initial schema).
Status apply_steps(SqliteDb& db, const SealedBox& box, std::span<const Migration> steps, int from);

// Brings an existing profile up to latest_version(steps) in one transaction.
// Errc::BadVersion for a database newer than `steps`.
Status migrate(SqliteDb& db, const SealedBox& box, std::span<const Migration> steps);

}  // namespace sotto::store::schema
