#include "core/dir/network_file.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "core/crypto/hash.hpp"
#include "core/dir/relay_descriptor.hpp"

namespace sotto::dir {

namespace {

constexpr std::string_view kAuthorityLine = "'authority <nickname> <identity-hex> <host> <port>'";

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

std::vector<std::string_view> split_words(std::string_view line) {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_space(line[i])) ++i;
        std::size_t start = i;
        while (i < line.size() && !is_space(line[i])) ++i;
        if (i > start) words.push_back(line.substr(start, i - start));
    }
    return words;
}

std::unexpected<Error> line_error(std::size_t line, std::string_view what) {
    return fail(Errc::Config,
                "network file line " + std::to_string(line) + ": " + std::string(what));
}

// Digits only: from_chars alone would accept a leading '-' and stop at junk.
bool parse_port(std::string_view s, std::uint16_t& port) {
    if (s.empty() || s.size() > 5) return false;
    if (!std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
    unsigned v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    if (v == 0 || v > 65535) return false;
    port = static_cast<std::uint16_t>(v);
    return true;
}

// A whole number from min to max, digits only.
bool parse_number(std::string_view s, std::int64_t min, std::int64_t max, std::int64_t& out) {
    if (s.empty() || s.size() > 18) return false;
    if (!std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
    std::int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    if (v < min || v > max) return false;
    out = v;
    return true;
}

Result<AuthorityInfo> parse_authority(std::size_t line, const std::vector<std::string_view>& w) {
    if (w.size() != 5) return line_error(line, "expected " + std::string(kAuthorityLine));
    AuthorityInfo a;
    if (!is_valid_nickname(w[1]))
        return line_error(line, "authority nickname must be 1.." + std::to_string(kMaxNicknameLen) +
                                    " visible ASCII characters");
    a.nickname = std::string(w[1]);
    Bytes id;
    if (w[2].size() != 64 || !from_hex(w[2], id))
        return line_error(line, "authority identity must be 64 hex digits");
    a.identity = crypto::Ed25519PublicKey::from(id);
    if (!is_valid_host(w[3]))
        return line_error(line, "authority host must be 1.." + std::to_string(kMaxHostLen) +
                                    " visible ASCII characters");
    a.host = std::string(w[3]);
    if (!parse_port(w[4], a.port))
        return line_error(line, "authority port must be a number from 1 to 65535");
    return a;
}

}  // namespace

bool is_valid_network_name(std::string_view name) {
    return !name.empty() && name.size() <= kMaxNetworkNameLen &&
           std::all_of(name.begin(), name.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

const AuthorityInfo* NetworkFile::find(const crypto::Ed25519PublicKey& id) const {
    auto it = std::find_if(authorities.begin(), authorities.end(),
                           [&](const AuthorityInfo& a) { return a.identity == id; });
    return it == authorities.end() ? nullptr : &*it;
}

Result<NetworkFile> parse_network_file(std::string_view text) {
    NetworkFile nf;
    bool have_name = false;
    std::set<crypto::Ed25519PublicKey> identities;
    std::set<std::string> nicknames;
    std::set<std::string_view> settings_seen;
    std::size_t line_no = 0;
    while (!text.empty()) {
        ++line_no;
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        line = line.substr(0, line.find('#'));
        auto w = split_words(line);
        if (w.empty()) continue;
        if (w[0] == "network") {
            if (w.size() != 2) return line_error(line_no, "expected 'network <name>'");
            if (have_name) return line_error(line_no, "only one 'network' line is allowed");
            if (!is_valid_network_name(w[1]))
                return line_error(line_no, "network name must be 1.." +
                                               std::to_string(kMaxNetworkNameLen) +
                                               " visible ASCII characters");
            nf.name = std::string(w[1]);
            have_name = true;
        } else if (w[0] == "authority") {
            auto a = parse_authority(line_no, w);
            if (!a) return std::unexpected(a.error());
            if (nf.authorities.size() == kMaxAuthorities)
                return line_error(line_no, "more than " + std::to_string(kMaxAuthorities) +
                                               " authorities; remove some");
            if (!identities.insert(a->identity).second)
                return line_error(line_no,
                                  "authority identity " + a->identity.hex() + " is listed twice");
            if (!nicknames.insert(a->nickname).second)
                return line_error(line_no,
                                  "authority nickname '" + a->nickname + "' is listed twice");
            nf.authorities.push_back(std::move(*a));
        } else if (w[0] == "allow-private-addresses" || w[0] == "relays-per-address" ||
                   w[0] == "flag-uptime") {
            if (!settings_seen.insert(w[0]).second)
                return line_error(line_no, "only one '" + std::string(w[0]) + "' line is allowed");
            if (w[0] == "allow-private-addresses") {
                if (w.size() != 1)
                    return line_error(line_no, "expected 'allow-private-addresses' alone");
                nf.allow_private_addresses = true;
                continue;
            }
            std::int64_t v = 0;
            if (w[0] == "relays-per-address") {
                if (w.size() != 2 || !parse_number(w[1], 1, kMaxRelaysPerAddress, v))
                    return line_error(line_no,
                                      "expected 'relays-per-address <n>' with n from 1 to " +
                                          std::to_string(kMaxRelaysPerAddress));
                nf.relays_per_address = static_cast<std::uint32_t>(v);
            } else {
                if (w.size() != 2 || !parse_number(w[1], 0, kMaxFlagUptimeSeconds, v))
                    return line_error(line_no,
                                      "expected 'flag-uptime <seconds>' with seconds from 0 to " +
                                          std::to_string(kMaxFlagUptimeSeconds));
                nf.flag_uptime_s = v;
            }
        } else {
            return line_error(line_no,
                              "unknown keyword; expected 'network', 'authority', "
                              "'allow-private-addresses', 'relays-per-address' or 'flag-uptime'");
        }
    }
    if (!have_name) return fail(Errc::Config, "network file: missing 'network <name>' line");
    if (nf.authorities.empty())
        return fail(Errc::Config, "network file: no authorities; add at least one line " +
                                      std::string(kAuthorityLine));
    return nf;
}

std::string format_network_file(const NetworkFile& nf) {
    std::string out = "# Sotto network file: every node of the network uses the same one.\n";
    out += "network " + nf.name + "\n";
    for (const auto& a : nf.authorities)
        out += "authority " + a.nickname + " " + a.identity.hex() + " " + a.host + " " +
               std::to_string(a.port) + "\n";
    if (nf.allow_private_addresses) out += "allow-private-addresses\n";
    if (nf.relays_per_address != kDefaultRelaysPerAddress)
        out += "relays-per-address " + std::to_string(nf.relays_per_address) + "\n";
    if (nf.flag_uptime_s != kDefaultFlagUptimeSeconds)
        out += "flag-uptime " + std::to_string(nf.flag_uptime_s) + "\n";
    return out;
}

NetworkId network_id(const NetworkFile& nf) {
    // Identities sorted so the order of lines in the file does not matter.
    std::vector<crypto::Ed25519PublicKey> ids;
    for (const auto& a : nf.authorities) ids.push_back(a.identity);
    std::sort(ids.begin(), ids.end());
    Bytes input(as_bytes("sotto-network-id-v1").begin(), as_bytes("sotto-network-id-v1").end());
    input.push_back(static_cast<std::uint8_t>(nf.name.size()));
    input.insert(input.end(), nf.name.begin(), nf.name.end());
    for (const auto& id : ids) input.insert(input.end(), id.bytes.begin(), id.bytes.end());
    return NetworkId::from(crypto::sha3_256(input).view());
}

}  // namespace sotto::dir
