#include "core/dir/tor_network_file.hpp"

#include <algorithm>
#include <array>

#include "core/crypto/hash.hpp"

namespace sotto::dir {

namespace {

// Options that choose which Tor network tor joins and how a small one
// behaves; everything else a network file might set is refused.
constexpr std::array<std::string_view, 12> kTorNetworkOptions = {
    "DirAuthority",  "AlternateDirAuthority", "TestingTorNetwork",          "AssumeReachable",
    "ClientUseIPv4", "ClientUseIPv6",         "PathsNeededToBuildCircuits", "GeoIPFile",
    "GeoIPv6File",   "FetchDirInfoEarly",     "FetchDirInfoExtraEarly",     "ShutdownWaitLength",
};

bool allowed_option(std::string_view key) {
    if (key.starts_with("Testing") && key.size() > 7) return true;
    return std::find(kTorNetworkOptions.begin(), kTorNetworkOptions.end(), key) !=
           kTorNetworkOptions.end();
}

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

// The first word, and the rest trimmed.
std::pair<std::string_view, std::string_view> split_first(std::string_view line) {
    std::size_t i = 0;
    while (i < line.size() && !is_blank(line[i])) ++i;
    return {line.substr(0, i), trim(line.substr(i))};
}

std::unexpected<Error> line_error(std::size_t line, std::string_view what) {
    return fail(Errc::Config,
                "network file line " + std::to_string(line) + ": " + std::string(what));
}

bool is_key(std::string_view k) {
    return !k.empty() && k.size() <= 64 && std::all_of(k.begin(), k.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_';
    });
}

// Visible ASCII and single spaces: tor gets the value as one argument, and
// nothing in it may read as a second option or a line of its own.
bool is_value(std::string_view v) {
    return !v.empty() && v.size() <= kMaxTorOptionValue &&
           std::all_of(v.begin(), v.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// Each line without its comment, numbered from 1; empty lines skipped.
template <typename F>
Status for_each_line(std::string_view text, F&& f) {
    std::size_t number = 0;
    for (std::size_t pos = 0; pos <= text.size();) {
        auto end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++number;
        if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        line = trim(line);
        if (!line.empty())
            if (auto st = f(number, line); !st) return st;
    }
    return {};
}

}  // namespace

bool is_tor_network_file(std::string_view text) {
    bool seen = false;
    bool tor = false;
    (void)for_each_line(text, [&](std::size_t, std::string_view line) -> Status {
        if (!seen) tor = split_first(line).first == "tor-network";
        seen = true;
        return {};
    });
    return tor;
}

Result<TorNetworkFile> parse_tor_network_file(std::string_view text) {
    TorNetworkFile nf;
    bool named = false;
    auto st = for_each_line(text, [&](std::size_t n, std::string_view line) -> Status {
        auto [word, rest] = split_first(line);
        if (word == "tor-network") {
            if (named) return line_error(n, "'tor-network' may appear only once");
            if (rest.empty() || !is_valid_network_name(rest))
                return line_error(n, "expected 'tor-network <name>' (visible ASCII, no spaces)");
            nf.name = std::string(rest);
            named = true;
            return {};
        }
        if (!named) return line_error(n, "a Tor network file starts with 'tor-network <name>'");
        if (word != "tor-option")
            return line_error(n, "unknown item '" + std::string(word).substr(0, 32) +
                                     "' (expected 'tor-option <Key> <value>')");
        auto [key, value] = split_first(rest);
        if (!is_key(key)) return line_error(n, "expected 'tor-option <Key> <value>'");
        if (!allowed_option(key))
            return line_error(n, "tor-option " + std::string(key) +
                                     " cannot be set by a network file (only the options that "
                                     "choose a network: DirAuthority, Testing*, ...)");
        if (!is_value(value))
            return line_error(n, "tor-option " + std::string(key) +
                                     " needs a value of visible ASCII, at most " +
                                     std::to_string(kMaxTorOptionValue) + " characters");
        if (nf.options.size() == kMaxTorOptions)
            return line_error(
                n, "too many tor-option lines (at most " + std::to_string(kMaxTorOptions) + ")");
        nf.options.push_back({std::string(key), std::string(value)});
        return {};
    });
    if (!st) return std::unexpected(st.error());
    if (!named) return fail(Errc::Config, "a Tor network file starts with 'tor-network <name>'");
    if (nf.is_public() && !nf.options.empty())
        return fail(Errc::Config,
                    "the public Tor network ('tor-network tor') takes no tor-option lines; "
                    "name a private network something else");
    return nf;
}

std::string format_tor_network_file(const TorNetworkFile& nf) {
    std::string out = "tor-network " + nf.name + "\n";
    for (const auto& o : nf.options) out += "tor-option " + o.key + " " + o.value + "\n";
    return out;
}

NetworkId network_id(const TorNetworkFile& nf) {
    // Sorted so the order of the lines does not matter; other options tune
    // tor, they do not change which network it is.
    std::vector<std::string> authorities;
    for (const auto& o : nf.options)
        if (o.key == "DirAuthority" || o.key == "AlternateDirAuthority")
            authorities.push_back(o.value);
    std::sort(authorities.begin(), authorities.end());
    const auto label = as_bytes("sotto-tor-network-id-v1");
    Bytes input(label.begin(), label.end());
    auto add = [&](std::string_view s) {
        const auto n = static_cast<std::uint32_t>(s.size());
        for (int i = 3; i >= 0; --i) input.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
        input.insert(input.end(), s.begin(), s.end());
    };
    add(nf.name);
    for (const auto& a : authorities) add(a);
    return NetworkId::from(crypto::sha3_256(input).view());
}

}  // namespace sotto::dir
