// The network file: the small text file that defines a Sotto onion network by
// naming its directory authorities (name, Ed25519 identity, address) and the
// few settings in which a test network differs from a public one. Every node
// of a network is configured with the same file. Format, one item per line,
// '#' starts a comment:
//   network <name>
//   authority <nickname> <identity-hex-64> <host> <port>
//   allow-private-addresses          (optional, at most once)
//   relays-per-address <n>           (optional, at most once)
//   flag-uptime <seconds>            (optional, at most once)
// Files without the optional lines parse as before and get the defaults of a
// public network (docs/protocol.md §6).
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
// Tor's AuthDirMaxServersPerAddr: an operator with one address runs a relay
// and a spare, not a Sybil army.
inline constexpr std::uint32_t kDefaultRelaysPerAddress = 2;
inline constexpr std::uint32_t kMaxRelaysPerAddress = 100000;
// How long authorities must have seen a relay reachable before they give it
// the HSDir and Intro/Rend flags: a relay that just appeared (perhaps one of
// many, placed on the HSDir ring on purpose) waits through several
// reachability checks before it holds descriptors or introduction keys, while
// a relay that restarts loses its flags for only this long.
inline constexpr std::int64_t kDefaultFlagUptimeSeconds = 2 * 3600;
inline constexpr std::int64_t kMaxFlagUptimeSeconds = 30 * 24 * 3600;

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
    // `allow-private-addresses`: relays may be on loopback, private and
    // link-local addresses (dir/address.hpp). Off in a public network: relays
    // refuse to EXTEND2 there and authorities refuse to list relays there, so
    // nobody can make a relay or an authority connect into its own host or
    // LAN. Test networks (sotto-localnet on 127.0.0.1, the simulator's 10.x)
    // turn it on.
    bool allow_private_addresses = false;
    // `relays-per-address`: authorities list at most this many relays per
    // address (dir::address_key).
    std::uint32_t relays_per_address = kDefaultRelaysPerAddress;
    // `flag-uptime`: see kDefaultFlagUptimeSeconds.
    std::int64_t flag_uptime_s = kDefaultFlagUptimeSeconds;

    // Signatures needed for a consensus to be accepted: a strict majority.
    std::size_t majority() const { return authorities.size() / 2 + 1; }
    const AuthorityInfo* find(const crypto::Ed25519PublicKey& id) const;
    friend bool operator==(const NetworkFile&, const NetworkFile&) = default;
};

// A short fingerprint of a network (name and authority identities, not
// addresses or settings, so moving an authority keeps the id). Invite codes carry it so a
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
// Settings are written only when they differ from the defaults, so a file
// without them formats as it did before they existed.
std::string format_network_file(const NetworkFile& nf);

}  // namespace sotto::dir
