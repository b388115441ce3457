// Test and benchmark access to a ProfileStore's internals: the connection
// (to simulate a full disk with PRAGMA max_page_count, or to relax
// synchronous while filling a benchmark database) and opening with a
// different list of migrations (to test a future schema version). Never used
// by the program itself.
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
    static Result<std::unique_ptr<ProfileStore>> open_with_migrations(
        const std::filesystem::path& path, std::string_view passphrase, Rng& rng,
        std::span<const schema::Migration> steps);
};

}  // namespace sotto::store
