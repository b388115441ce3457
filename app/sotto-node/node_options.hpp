// Settings of the headless node (sotto-node): a `key value` config file with
// command-line flags overriding it, turned into a NodeConfig. Every error is
// one line that says what to change. The format is documented in
// docs/sotto-node.md.
#pragma once

#include <QStringList>
#include <optional>
#include <string>
#include <vector>

#include "core/node/node_config.hpp"
#include "core/util/error.hpp"

namespace sotto::app {

struct NodeOptions {
    std::string data_dir;
    std::string network_path;
    std::string nickname;
    std::string host = "127.0.0.1";
    bool host_set = false;  // an authority defaults to its network-file address
    std::optional<std::uint16_t> port;
    std::string listen_host;  // empty: bind the advertised host
    bool authority = false;
    std::vector<node::ExitRule> exit_policy;
    bool hsdir = true;
    bool intro_rend = true;
    std::optional<std::int64_t> vote_interval;        // seconds
    std::optional<std::int64_t> vote_delay;           // seconds
    std::optional<std::int64_t> fetch_interval;       // seconds
    std::optional<std::int64_t> descriptor_interval;  // seconds
    bool verbose = false;
    bool print_identity = false;
};

// What the command line asked for. `help`/`version` are handled by the
// caller (they print and exit 0).
struct ParsedCommandLine {
    NodeOptions options;
    bool help = false;
    std::string help_text;
};

// Parses `arguments` (argv including the program name); reads the config
// file named by --config first, then applies the flags.
Result<ParsedCommandLine> parse_command_line(const QStringList& arguments);

// "127.0.0.1:1-65535,*:443" -> rules. Empty string -> no exit.
Result<std::vector<node::ExitRule>> parse_exit_policy(std::string_view text);

// Reads and parses the network file, builds the node configuration and
// checks the authority role against the network file. `identity` is this
// node's public identity.
Result<node::NodeConfig> build_node_config(NodeOptions& options,
                                           const crypto::Ed25519PublicKey& identity);

}  // namespace sotto::app
