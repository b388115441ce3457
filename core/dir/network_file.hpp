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
#include "core/util/bytes.hpp"
#include "core/util/error.hpp"

namespace sotto::dir {

inline constexpr std::size_t kMaxNetworkNameLen = 64;
// Votes and signatures are exchanged all-to-all, so the set stays small.
inline constexpr std::size_t kMaxAuthorities = 32;

struct AuthorityInfo {
    std::string nickname;
    crypto::Ed25519PublicKey identity;
    std::string host;
    std::uint16_t port = 0;
    friend bool operator==(const AuthorityInfo&, const AuthorityInfo&) = default;
};

struct NetworkFile {
    std::string name;
    std::vector<AuthorityInfo> authorities;

    // Signatures needed for a consensus to be accepted: a strict majority.
    std::size_t majority() const { return authorities.size() / 2 + 1; }
    const AuthorityInfo* find(const crypto::Ed25519PublicKey& id) const;
    friend bool operator==(const NetworkFile&, const NetworkFile&) = default;
};

// A short fingerprint of a network (name and authority identities, not
// addresses, so moving an authority keeps the id). Invite codes carry it so a
// code from another network is refused with a clear message.
struct NetworkIdTag {};
using NetworkId = FixedBytes<8, NetworkIdTag>;
NetworkId network_id(const NetworkFile& nf);

// Network names are 1..kMaxNetworkNameLen visible ASCII characters (no spaces).
bool is_valid_network_name(std::string_view name);

// Errors name the line and say what to fix, e.g.
// "network file line 3: authority identity must be 64 hex digits".
Result<NetworkFile> parse_network_file(std::string_view text);
// For values parse accepts (no '#' or spaces), parse(format(nf)) == nf.
std::string format_network_file(const NetworkFile& nf);

}  // namespace sotto::dir
