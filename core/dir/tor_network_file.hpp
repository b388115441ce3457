// The Tor network file (issue 11, item 4): which Tor network a profile joins.
// A profile is made for one network, and the public Tor network is the
// default; a private Tor network (tests, the demo's `--tor`) is named by the
// tor options that make tor join it instead — its directory authorities and
// the Testing* settings of a small network. Format, one item per line, '#'
// starts a comment:
//   tor-network <name>                  (first, exactly once; "tor" = public)
//   tor-option <Key> <value...>         (any number; a private network only)
// The options are handed to Sotto's own tor on its command line, so the file
// may set only those that choose a network (kTorNetworkOptions and
// Testing*): a file that could set ControlPort, SocksPort or a
// HiddenServiceDir would open Sotto's tor to other programs.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/dir/network_file.hpp"
#include "core/util/error.hpp"

namespace sotto::dir {

inline constexpr std::string_view kPublicTorNetworkName = "tor";
// What `sotto-cli init` without --network and the wizard's "Tor" write.
inline constexpr std::string_view kPublicTorNetworkFile = "tor-network tor\n";
inline constexpr std::size_t kMaxTorOptions = 64;
inline constexpr std::size_t kMaxTorOptionValue = 512;

struct TorNetworkOption {
    std::string key;
    std::string value;
    friend bool operator==(const TorNetworkOption&, const TorNetworkOption&) = default;
};

struct TorNetworkFile {
    std::string name;
    std::vector<TorNetworkOption> options;
    bool is_public() const { return name == kPublicTorNetworkName; }
    friend bool operator==(const TorNetworkFile&, const TorNetworkFile&) = default;
};

// Whether the text is a Tor network file at all (its first item is
// `tor-network`), so callers know which parser's errors to show.
bool is_tor_network_file(std::string_view text);
// Errors name the line and say what to fix, e.g. "network file line 2:
// tor-option ControlPort cannot be set by a network file".
Result<TorNetworkFile> parse_tor_network_file(std::string_view text);
std::string format_tor_network_file(const TorNetworkFile& nf);
// The network's id for invite codes and session prologues: its name and its
// DirAuthority values (which relays it trusts), so every profile on the
// public Tor network has the same id and two private networks differ.
NetworkId network_id(const TorNetworkFile& nf);

}  // namespace sotto::dir
