// A network file naming one directory authority that nobody runs (a fresh
// key at 127.0.0.1:9, the discard port): enough for a node, a profile or a
// relay to start and keep trying, for tests that never need the network.
#pragma once

#include <string>

#include "core/crypto/ed25519.hpp"
#include "core/crypto/random.hpp"
#include "core/dir/network_file.hpp"
#include "core/util/rng.hpp"

namespace sotto::testing {

inline std::string unreachable_network_file(const std::string& name) {
    SystemRng rng;
    dir::NetworkFile nf;
    nf.name = name;
    nf.authorities.push_back(
        {"nowhere", crypto::Ed25519SecretKey::generate(rng).public_key(), "127.0.0.1", 9});
    return dir::format_network_file(nf);
}

}  // namespace sotto::testing
