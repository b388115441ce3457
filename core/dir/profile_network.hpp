// The network a profile belongs to (issue 11, item 4): Sotto's own onion
// network, named by a network file (network_file.hpp; local tests and the
// demo), or a Tor network, named by a Tor network file
// (tor_network_file.hpp; the public Tor network by default). The profile
// keeps the file's text; this reads it back and says which transport runs
// the profile and which network id its invite codes carry.
#pragma once

#include <string>
#include <string_view>

#include "core/dir/network_file.hpp"
#include "core/dir/tor_network_file.hpp"

namespace sotto::dir {

enum class NetworkKind { Sotto, Tor };

struct ProfileNetwork {
    NetworkKind kind = NetworkKind::Tor;
    NetworkFile sotto;   // kind == Sotto
    TorNetworkFile tor;  // kind == Tor
    NetworkId id;

    // For people: "the Tor network", "private Tor network test-1",
    // "Sotto network localnet".
    std::string description() const;
};

// Either kind of file; errors are that parser's.
Result<ProfileNetwork> parse_profile_network(std::string_view text);

}  // namespace sotto::dir
