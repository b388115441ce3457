// Command-line parsing for sotto-cli, without Qt: `unlock` forks the daemon
// before any Qt object exists, so the arguments are read first.
//
//   sotto-cli [--profile DIR] [--json] [--passphrase-file FILE] COMMAND [ARGS] [--OPTION VALUE]...
//
// Options may appear anywhere; `--flag` without a value is "true".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sotto::cli {

struct Args {
    std::string command;
    std::vector<std::string> positional;  // after the command
    std::map<std::string, std::string> options;

    bool flag(const std::string& name) const { return options.contains(name); }
    std::optional<std::string> option(const std::string& name) const;
    std::string option_or(const std::string& name, const std::string& fallback) const;
};

// Options that never take a value.
bool is_flag_option(const std::string& name);

// Fails with a message when an option that needs a value has none.
std::optional<Args> parse_args(int argc, char** argv, std::string& error);

// "90", "90s", "15m", "2h", "7d" → seconds; nullopt if malformed.
std::optional<long long> parse_duration_seconds(const std::string& text);

std::string usage();

}  // namespace sotto::cli
