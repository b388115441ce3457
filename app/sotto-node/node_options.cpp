#include "node_options.hpp"

#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <charconv>

#include "core/dir/network_file.hpp"
#include "core/dir/relay_descriptor.hpp"

namespace sotto::app {

namespace {

struct Flag {
    const char* name;
    const char* value_name;  // nullptr: a switch
    const char* help;
};

// Config-file keys are the flag names; switches become `key yes|no`.
constexpr Flag kFlags[] = {
    {"config", "FILE", "Read settings from FILE (key value lines); flags override it."},
    {"data-dir", "DIR", "Directory holding this node's keys (created if absent)."},
    {"network", "FILE", "Network file naming the directory authorities."},
    {"nickname", "NAME", "Relay nickname (1-32 visible ASCII characters)."},
    {"host", "HOST", "Address this relay advertises (default 127.0.0.1)."},
    {"port", "PORT", "TCP port this relay listens on."},
    {"listen-host", "ADDR", "IP address to bind (default: the advertised host)."},
    {"authority", nullptr, "Also act as a directory authority (must be in the network file)."},
    {"exit-policy", "RULES",
     "Targets exit streams may reach, e.g. \"127.0.0.1:1-65535,*:443\" (default: none)."},
    {"no-hsdir", nullptr, "Do not store private-service descriptors."},
    {"no-intro-rend", nullptr, "Do not act as introduction or rendezvous point."},
    {"vote-interval", "SECONDS", "Authority voting round length (default 1800)."},
    {"vote-delay", "SECONDS", "Seconds from vote to consensus (default 30)."},
    {"fetch-interval", "SECONDS", "How often to fetch the consensus (default 600)."},
    {"descriptor-interval", "SECONDS", "How often to upload the descriptor (default 1800)."},
    {"verbose", nullptr, "Log debug messages."},
    {"print-identity", nullptr,
     "Print this node's Ed25519 identity (hex), creating keys if needed, and exit."},
};

bool is_switch(std::string_view key) {
    for (const auto& f : kFlags)
        if (key == f.name) return f.value_name == nullptr;
    return false;
}

bool is_known(std::string_view key) {
    for (const auto& f : kFlags)
        if (key == f.name) return true;
    return false;
}

Result<std::int64_t> parse_int(std::string_view key, std::string_view v, std::int64_t min,
                               std::int64_t max) {
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size() || n < min || n > max)
        return fail(Errc::Config, std::string(key) + " must be a whole number from " +
                                      std::to_string(min) + " to " + std::to_string(max) +
                                      ", not '" + std::string(v) + "'");
    return n;
}

Result<bool> parse_bool(std::string_view key, std::string_view v) {
    if (v == "yes" || v == "true" || v == "1" || v == "on") return true;
    if (v == "no" || v == "false" || v == "0" || v == "off") return false;
    return fail(Errc::Config,
                std::string(key) + " must be yes or no, not '" + std::string(v) + "'");
}

// Applies one setting. `base_dir` resolves relative paths (the config
// file's directory for file settings, the working directory for flags).
Status apply(NodeOptions& o, std::string_view key, const std::string& value,
             const QString& base_dir) {
    auto path = [&](const std::string& v) {
        return QDir(base_dir).absoluteFilePath(QString::fromStdString(v)).toStdString();
    };
    auto seconds = [&](std::optional<std::int64_t>& out) -> Status {
        auto n = parse_int(key, value, 1, 7 * 24 * 3600);
        if (!n) return std::unexpected(n.error());
        out = *n;
        return {};
    };
    auto boolean = [&](bool& out, bool invert) -> Status {
        auto b = parse_bool(key, value);
        if (!b) return std::unexpected(b.error());
        out = invert ? !*b : *b;
        return {};
    };
    if (key == "data-dir") {
        o.data_dir = path(value);
    } else if (key == "network") {
        o.network_path = path(value);
    } else if (key == "nickname") {
        o.nickname = value;
    } else if (key == "host") {
        o.host = value;
        o.host_set = true;
    } else if (key == "port") {
        auto n = parse_int(key, value, 1, 65535);
        if (!n) return std::unexpected(n.error());
        o.port = static_cast<std::uint16_t>(*n);
    } else if (key == "listen-host") {
        o.listen_host = value;
    } else if (key == "authority") {
        return boolean(o.authority, false);
    } else if (key == "exit-policy") {
        auto p = parse_exit_policy(value);
        if (!p) return std::unexpected(p.error());
        o.exit_policy = std::move(*p);
    } else if (key == "no-hsdir" || key == "hsdir") {
        return boolean(o.hsdir, key == "no-hsdir");
    } else if (key == "no-intro-rend" || key == "intro-rend") {
        return boolean(o.intro_rend, key == "no-intro-rend");
    } else if (key == "vote-interval") {
        return seconds(o.vote_interval);
    } else if (key == "vote-delay") {
        return seconds(o.vote_delay);
    } else if (key == "fetch-interval") {
        return seconds(o.fetch_interval);
    } else if (key == "descriptor-interval") {
        return seconds(o.descriptor_interval);
    } else if (key == "verbose") {
        return boolean(o.verbose, false);
    } else if (key == "print-identity") {
        return boolean(o.print_identity, false);
    } else {
        return fail(Errc::Config, "unknown setting '" + std::string(key) + "'");
    }
    return {};
}

Status read_config_file(NodeOptions& o, const QString& file) {
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text))
        return fail(Errc::Config, "cannot read config file " + file.toStdString() + ": " +
                                      f.errorString().toStdString());
    const QString base = QFileInfo(file).absolutePath();
    int line_no = 0;
    while (!f.atEnd()) {
        ++line_no;
        std::string line = f.readLine().toStdString();
        if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
        const auto first = line.find_first_not_of(" \t\r\n");
        if (first == std::string::npos) continue;
        const auto last = line.find_last_not_of(" \t\r\n");
        line = line.substr(first, last - first + 1);
        const auto space = line.find_first_of(" \t");
        const std::string key = line.substr(0, space);
        std::string value;
        if (space != std::string::npos) value = line.substr(line.find_first_not_of(" \t", space));
        auto where = [&] {
            return "config file " + file.toStdString() + " line " + std::to_string(line_no) + ": ";
        };
        const bool known = is_known(key) || key == "hsdir" || key == "intro-rend";
        if (key == "config" || key == "print-identity" || !known)
            return fail(Errc::Config, where() + "unknown setting '" + key + "'");
        if (value.empty() && is_switch(key)) value = "yes";
        if (value.empty()) return fail(Errc::Config, where() + key + " needs a value");
        if (auto s = apply(o, key, value, base); !s)
            return fail(Errc::Config, where() + s.error().message);
    }
    return {};
}

}  // namespace

Result<std::vector<node::ExitRule>> parse_exit_policy(std::string_view text) {
    std::vector<node::ExitRule> rules;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t comma = text.find(',', pos);
        if (comma == std::string_view::npos) comma = text.size();
        std::string_view item = text.substr(pos, comma - pos);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        pos = comma + 1;
        if (item.empty()) continue;
        const auto bad = [&] {
            return fail(Errc::Config, "exit policy rule '" + std::string(item) +
                                          "' must look like HOST:PORT or HOST:MIN-MAX "
                                          "(HOST may be *)");
        };
        const auto colon = item.rfind(':');
        if (colon == std::string_view::npos || colon == 0) return bad();
        node::ExitRule rule;
        rule.host = std::string(item.substr(0, colon));
        std::string_view ports = item.substr(colon + 1);
        std::string_view lo = ports, hi = ports;
        if (auto dash = ports.find('-'); dash != std::string_view::npos) {
            lo = ports.substr(0, dash);
            hi = ports.substr(dash + 1);
        }
        auto a = parse_int("exit policy port", lo, 1, 65535);
        auto b = parse_int("exit policy port", hi, 1, 65535);
        if (!a || !b || *a > *b) return bad();
        rule.port_min = static_cast<std::uint16_t>(*a);
        rule.port_max = static_cast<std::uint16_t>(*b);
        rules.push_back(std::move(rule));
    }
    return rules;
}

Result<ParsedCommandLine> parse_command_line(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        "Headless Sotto onion node: a relay, optionally a directory authority.");
    const QCommandLineOption help = parser.addHelpOption();
    std::vector<QCommandLineOption> options;
    for (const auto& f : kFlags) {
        options.emplace_back(QString::fromLatin1(f.name), QString::fromLatin1(f.help));
        if (f.value_name) options.back().setValueName(QString::fromLatin1(f.value_name));
        parser.addOption(options.back());
    }
    if (!parser.parse(arguments))
        return fail(Errc::Config, parser.errorText().toStdString() + " (see --help)");
    if (!parser.positionalArguments().isEmpty())
        return fail(Errc::Config, "unexpected argument '" +
                                      parser.positionalArguments().first().toStdString() +
                                      "' (see --help)");
    ParsedCommandLine out;
    if (parser.isSet(help)) {
        out.help = true;
        out.help_text = parser.helpText().toStdString();
        return out;
    }
    if (parser.isSet("config")) {
        if (auto s = read_config_file(out.options, parser.value("config")); !s)
            return std::unexpected(s.error());
    }
    const QString cwd = QDir::currentPath();
    for (std::size_t i = 0; i < options.size(); ++i) {
        const std::string name = kFlags[i].name;
        if (name == "config" || !parser.isSet(options[i])) continue;
        const std::string value =
            kFlags[i].value_name ? parser.value(options[i]).toStdString() : std::string("yes");
        if (auto s = apply(out.options, name, value, cwd); !s)
            return fail(Errc::Config, "--" + name + ": " + s.error().message);
    }
    return out;
}

Result<node::NodeConfig> build_node_config(NodeOptions& o,
                                           const crypto::Ed25519PublicKey& identity) {
    if (o.network_path.empty())
        return fail(Errc::Config,
                    "no network file: pass --network FILE (sotto-localnet writes DIR/network.txt)");
    QFile f(QString::fromStdString(o.network_path));
    if (!f.open(QIODevice::ReadOnly))
        return fail(Errc::Config, "cannot read network file " + o.network_path + ": " +
                                      f.errorString().toStdString() + " — pass --network FILE");
    const QByteArray text = f.readAll();
    auto network = dir::parse_network_file(std::string_view(text.constData(), text.size()));
    if (!network) return fail(Errc::Config, o.network_path + ": " + network.error().message);

    node::NodeConfig config;
    config.network = std::move(*network);
    const dir::AuthorityInfo* listed = config.network.find(identity);
    if (o.authority) {
        if (!listed)
            return fail(Errc::Config,
                        "this node's identity " + identity.hex() + " is not an authority in " +
                            o.network_path + ": add 'authority <nickname> " + identity.hex() +
                            " <host> <port>' to the network file, or drop --authority");
        // An authority must be reachable where the network file says it is.
        if (!o.host_set) o.host = listed->host;
        if (!o.port) o.port = listed->port;
        if (o.host != listed->host || *o.port != listed->port)
            return fail(Errc::Config, "the network file lists this authority at " + listed->host +
                                          ":" + std::to_string(listed->port) +
                                          " but it is configured for " + o.host + ":" +
                                          std::to_string(*o.port) +
                                          "; change --host/--port or the network file");
        if (o.nickname.empty()) o.nickname = listed->nickname;
    } else if (listed) {
        return fail(Errc::Config, "this node's identity is authority '" + listed->nickname +
                                      "' in " + o.network_path + "; start it with --authority");
    }
    if (o.nickname.empty())
        return fail(Errc::Config, "missing --nickname (or 'nickname' in the config file)");
    if (!dir::is_valid_nickname(o.nickname))
        return fail(Errc::Config, "nickname '" + o.nickname +
                                      "' must be 1-32 visible ASCII characters without spaces");
    if (!dir::is_valid_host(o.host))
        return fail(Errc::Config, "host '" + o.host + "' is not a valid address");
    if (!o.port)
        return fail(Errc::Config,
                    "missing --port (or 'port' in the config file): the TCP port to listen on");

    node::RelayConfig relay;
    relay.nickname = o.nickname;
    relay.host = o.host;
    relay.port = *o.port;
    relay.hsdir = o.hsdir;
    relay.intro_rend = o.intro_rend;
    relay.exit_policy = o.exit_policy;
    if (o.descriptor_interval)
        relay.descriptor_interval = Duration::seconds(*o.descriptor_interval);
    config.relay = std::move(relay);
    config.authority = o.authority;
    if (o.vote_interval) config.authority_config.interval = Duration::seconds(*o.vote_interval);
    if (o.vote_delay) config.authority_config.vote_delay = Duration::seconds(*o.vote_delay);
    if (config.authority_config.vote_delay * 2 >= config.authority_config.interval)
        return fail(Errc::Config,
                    "--vote-delay (" +
                        std::to_string(config.authority_config.vote_delay.seconds_count()) +
                        " s) must be less than half of --vote-interval (" +
                        std::to_string(config.authority_config.interval.seconds_count()) + " s)");
    if (o.fetch_interval) config.consensus_fetch_interval = Duration::seconds(*o.fetch_interval);
    return config;
}

}  // namespace sotto::app
