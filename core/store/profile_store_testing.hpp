// Test and benchmark access to a ProfileStore's internals: the connection
// (to simulate a full disk with PRAGMA max_page_count, or to relax
// synchronous while filling a benchmark database) and opening with a
// different list of migrations (to test a future schema version) or past a
// failing row check. Never used by the program itself. (Tests choose a cheap
// scrypt cost through the params of create() and change_passphrase().)
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string_view>

#include "core/store/profile_store.hpp"
#include "core/store/schema.hpp"
#include "core/store/sqlite_db.hpp"

namespace sotto::store {

struct ProfileStoreTesting {
    static SqliteDb& db(ProfileStore& store);
    // `remac`: skip the check of the rows against the digest and compute all
    // MACs and the digest afresh over the file as it is, as if every row had
    // been written by the store (to reach the per-field checks behind them).
    static Result<std::unique_ptr<ProfileStore>> open_with_migrations(
        const std::filesystem::path& path, std::string_view passphrase, Rng& rng,
        std::span<const schema::Migration> steps, bool remac = false);
};

}  // namespace sotto::store
