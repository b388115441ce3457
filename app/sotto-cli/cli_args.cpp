#include "app/sotto-cli/cli_args.hpp"

#include <charconv>
#include <set>

namespace sotto::cli {

std::optional<std::string> Args::option(const std::string& name) const {
    auto it = options.find(name);
    if (it == options.end()) return std::nullopt;
    return it->second;
}

std::string Args::option_or(const std::string& name, const std::string& fallback) const {
    return option(name).value_or(fallback);
}

bool is_flag_option(const std::string& name) {
    static const std::set<std::string> flags = {
        "json", "help", "foreground", "yes", "wait", "fast-publication", "no-wait"};
    return flags.contains(name);
}

std::optional<Args> parse_args(int argc, char** argv, std::string& error) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg.size() > 2 && arg.starts_with("--")) {
            std::string name = arg.substr(2);
            std::string value;
            if (auto eq = name.find('='); eq != std::string::npos) {
                value = name.substr(eq + 1);
                name = name.substr(0, eq);
            } else if (!is_flag_option(name)) {
                if (i + 1 >= argc) {
                    error = "option --" + name + " needs a value";
                    return std::nullopt;
                }
                value = argv[++i];
            }
            a.options[name] = value;
        } else if (a.command.empty()) {
            a.command = arg;
        } else {
            a.positional.push_back(arg);
        }
    }
    return a;
}

std::optional<long long> parse_duration_seconds(const std::string& text) {
    if (text.empty()) return std::nullopt;
    long long unit = 1;
    std::string digits = text;
    switch (text.back()) {
        case 's':
            unit = 1;
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'd':
            unit = 86400;
            break;
        default:
            unit = 0;
    }
    if (unit != 0)
        digits.pop_back();
    else
        unit = 1;
    long long v = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || p != digits.data() + digits.size() || v <= 0) return std::nullopt;
    return v * unit;
}

std::string usage() {
    return R"(Usage: sotto-cli [--profile DIR] [--json] [--passphrase-file FILE] COMMAND ...

Profile (DIR defaults to $XDG_DATA_HOME/sotto/default):
  init --name NAME [--network FILE]    create a profile (asks for a passphrase)
                                       on the Tor network, or on the network
                                       FILE names (a Sotto or Tor network file)
  passwd --new-passphrase-file FILE    change the passphrase (profile locked)
  unlock [--foreground] [--fast-publication] [--consensus-interval S]
                                       unlock and go online (runs the daemon)
  lock                                 go offline and stop the daemon (returns
                                       once it has closed the profile)
  status                               network, presence, contacts

Contacts:
  invite [--valid-days 1|7 | --expires 1h|1d|7d] [--qr FILE.png]
                                       print a one-time invite code (valid
                                       1 day unless told otherwise)
  invites                              our invites: status, expiry, and how
                                       often someone tried one without using it
  accept CODE | --image FILE [--wait] [--timeout S]
  contacts                             list with presence and unread counts
  rename CONTACT NAME
  safety-number CONTACT
  revoke CONTACT --yes                 silent: they just see you offline forever
  appear-offline CONTACT on|off
  presence visible|away|invisible

Chat:
  send CONTACT TEXT [--wait] [--timeout S]      --wait: until delivered
  history CONTACT [--limit N]
  wait-online CONTACT [--timeout S]    until the contact is online (or away)
  wait-offline CONTACT [--timeout S]

A profile is open in one program at a time: unlock, init and passwd refuse
one that the app or another daemon has open.
CONTACT is a contact id or a name. The passphrase comes from --passphrase-file,
the SOTTO_PASSPHRASE environment variable, or a prompt. --json prints machine-
readable output.
)";
}

}  // namespace sotto::cli
