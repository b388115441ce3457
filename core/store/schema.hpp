// The profile database's schema and its forward migrations. The schema
// version is `PRAGMA user_version`; migration step i takes a database from
// version i to version i + 1 (step 0 creates the initial schema, version 1).
// A new version means appending one step to profile_migrations() and
// bumping ProfileStore::kSchemaVersion; open() applies every pending step in
// one transaction, so a failed migration leaves the old version intact.
//
// The `meta` table (format, KDF parameters, salt, wrapped data key) is read
// before any migration runs, so no step may change its layout.
//
// Rows carry MACs from version 4 on (row_integrity.hpp), over all their
// columns: a step changes what they cover, so after any step has run the
// store computes them all afresh (the `finish` of migrate()) in the same
// transaction. A step therefore writes rows without caring for MACs.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "core/store/sealed_box.hpp"
#include "core/store/sqlite_db.hpp"
#include "core/util/error.hpp"

namespace sotto::store::schema {

// The first version whose rows carry MACs (row_integrity.hpp).
inline constexpr int kRowMacsVersion = 4;

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

// Brings an existing profile up to latest_version(steps) in one transaction;
// `finish` (if given) runs in it after the steps, with the version they
// started from, and only if any ran. Errc::BadVersion for a database newer
// than `steps`.
Status migrate(SqliteDb& db, const SealedBox& box, std::span<const Migration> steps,
               const std::function<Status(int from)>& finish = {});

}  // namespace sotto::store::schema
