// A node's long-term keys on disk, so that a restarted relay or authority
// keeps its identity (authorities are named by it in the network file).
// A data directory holds `identity.key` (Ed25519 seed) and `onion.key`
// (X25519 scalar): 32 raw bytes each, mode 0600, directory mode 0700.
// Missing keys are created; existing ones are never overwritten. Every
// buffer that held key bytes is wiped.
#pragma once

#include <string>

#include "core/node/node_config.hpp"
#include "core/util/error.hpp"
#include "core/util/rng.hpp"

namespace sotto::net {

inline constexpr const char* kIdentityKeyFile = "identity.key";
inline constexpr const char* kOnionKeyFile = "onion.key";

// Loads the keys from `dir`, creating the directory and any missing key.
// Refuses (Config error) key files that are not exactly 32 bytes or that are
// readable by group or others, with a message that says how to fix it.
Result<node::NodeKeys> load_or_create_keys(const std::string& dir, Rng& rng);

}  // namespace sotto::net
