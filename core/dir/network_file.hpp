// The network file: the small text file that defines a Sotto onion network by
// naming its directory authorities (name, Ed25519 identity, address). Every
// node of a network is configured with the same file. Format, one item per
// line, '#' starts a comment:
//   network <name>
//   authority <nickname> <identity-hex-64> <host> <port>
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/crypto/ed25519.hpp"
#include "core/util/error.hpp"

namespace sotto::dir {

struct AuthorityInfo {
    std::string nickname;
    crypto::Ed25519PublicKey identity;
    std::string host;
    std::uint16_t port = 0;
};

struct NetworkFile {
    std::string name;
    std::vector<AuthorityInfo> authorities;

    // Signatures needed for a consensus to be accepted: a strict majority.
    std::size_t majority() const { return authorities.size() / 2 + 1; }
    const AuthorityInfo* find(const crypto::Ed25519PublicKey& id) const;
};

// Errors name the line and say what to fix, e.g.
// "network file line 3: authority identity must be 64 hex digits".
Result<NetworkFile> parse_network_file(std::string_view text);
std::string format_network_file(const NetworkFile& nf);

}  // namespace sotto::dir
