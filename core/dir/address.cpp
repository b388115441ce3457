#include "core/dir/address.hpp"

#include <algorithm>
#include <vector>

namespace sotto::dir {

namespace {

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// One inet_aton part: "0x..." hex (no digits reads as 0, as glibc does), "0..."
// octal, else decimal. Values above 2^32 are refused before they can wrap.
std::optional<std::uint64_t> parse_part(std::string_view s) {
    if (s.empty()) return std::nullopt;
    std::uint64_t base = 10;
    if (s.size() >= 2 && s[0] == '0' && lower(s[1]) == 'x') {
        base = 16;
        s.remove_prefix(2);
    } else if (s.size() >= 2 && s[0] == '0') {
        base = 8;
        s.remove_prefix(1);
    }
    std::uint64_t v = 0;
    for (char c : s) {
        const int d = hex_digit(c);
        if (d < 0 || static_cast<std::uint64_t>(d) >= base) return std::nullopt;
        v = v * base + static_cast<std::uint64_t>(d);
        if (v > 0xffffffffull) return std::nullopt;
    }
    return v;
}

std::string_view strip_brackets_and_zone(std::string_view host) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (auto pct = host.find('%'); pct != std::string_view::npos) host = host.substr(0, pct);
    return host;
}

bool non_public_v4(std::uint32_t a) {
    const std::uint32_t first = a >> 24;
    return first == 0 || first == 10 || first == 127 ||  // this network, private, loopback
           (a & 0xffc00000u) == 0x64400000u ||           // 100.64/10 shared (CGNAT)
           (a & 0xffff0000u) == 0xa9fe0000u ||           // 169.254/16 link-local
           (a & 0xfff00000u) == 0xac100000u ||           // 172.16/12 private
           (a & 0xffff0000u) == 0xc0a80000u ||           // 192.168/16 private
           a >= 0xe0000000u;                             // multicast, reserved, broadcast
}

// The IPv4 address inside ::ffff:a.b.c.d or ::a.b.c.d (but not :: or ::1,
// which are IPv6's own).
std::optional<std::uint32_t> embedded_v4(const std::array<std::uint8_t, 16>& b) {
    if (!std::all_of(b.begin(), b.begin() + 10, [](std::uint8_t x) { return x == 0; }))
        return std::nullopt;
    const bool mapped = b[10] == 0xff && b[11] == 0xff;
    const bool compatible = b[10] == 0 && b[11] == 0;
    if (!mapped && !compatible) return std::nullopt;
    const std::uint32_t v4 = (std::uint32_t{b[12]} << 24) | (std::uint32_t{b[13]} << 16) |
                             (std::uint32_t{b[14]} << 8) | b[15];
    if (compatible && v4 <= 1) return std::nullopt;
    return v4;
}

std::string dotted(std::uint32_t a) {
    return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." +
           std::to_string((a >> 8) & 0xff) + "." + std::to_string(a & 0xff);
}

}  // namespace

std::optional<std::uint32_t> parse_ipv4_literal(std::string_view host) {
    std::vector<std::uint64_t> parts;
    while (true) {
        const auto dot = host.find('.');
        auto part = parse_part(host.substr(0, dot));
        if (!part || parts.size() == 4) return std::nullopt;
        parts.push_back(*part);
        if (dot == std::string_view::npos) break;
        host.remove_prefix(dot + 1);
    }
    // All parts but the last are single bytes; the last fills the rest.
    std::uint32_t a = 0;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        if (parts[i] > 0xff) return std::nullopt;
        a |= static_cast<std::uint32_t>(parts[i]) << (24 - 8 * i);
    }
    const std::size_t rest_bits = 32 - 8 * (parts.size() - 1);
    const std::uint64_t last = parts.back();
    if (rest_bits < 32 && last >= (std::uint64_t{1} << rest_bits)) return std::nullopt;
    return a | static_cast<std::uint32_t>(last);
}

std::optional<std::array<std::uint8_t, 16>> parse_ipv6_literal(std::string_view host) {
    host = strip_brackets_and_zone(host);
    if (host.find(':') == std::string_view::npos) return std::nullopt;
    // Groups before and after "::" (at most one).
    std::vector<std::uint16_t> head, tail;
    bool gap = false;
    std::optional<std::uint32_t> v4_tail;
    std::string_view rest = host;
    if (rest.starts_with("::")) {
        gap = true;
        rest.remove_prefix(2);
    } else if (rest.starts_with(":")) {
        return std::nullopt;
    }
    while (!rest.empty()) {
        auto& groups = gap ? tail : head;
        const auto colon = rest.find(':');
        const std::string_view g = rest.substr(0, colon);
        if (colon == std::string_view::npos && g.find('.') != std::string_view::npos) {
            // A trailing dotted IPv4 address: strictly four decimal parts.
            std::uint32_t a = 0;
            std::string_view q = g;
            for (int i = 0; i < 4; ++i) {
                const auto dot = q.find('.');
                const std::string_view p = q.substr(0, dot);
                if (p.empty() || p.size() > 3 ||
                    !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
                    return std::nullopt;
                const unsigned v = static_cast<unsigned>(std::stoul(std::string(p)));
                if (v > 255) return std::nullopt;
                a = (a << 8) | v;
                if ((dot == std::string_view::npos) != (i == 3)) return std::nullopt;
                if (dot != std::string_view::npos) q.remove_prefix(dot + 1);
            }
            v4_tail = a;
            rest = {};
            break;
        }
        if (g.empty() || g.size() > 4) return std::nullopt;
        std::uint16_t v = 0;
        for (char c : g) {
            const int d = hex_digit(c);
            if (d < 0) return std::nullopt;
            v = static_cast<std::uint16_t>((v << 4) | d);
        }
        groups.push_back(v);
        if (colon == std::string_view::npos) {
            rest = {};
            break;
        }
        rest.remove_prefix(colon + 1);
        if (rest.starts_with(":")) {
            if (gap) return std::nullopt;  // a second "::"
            gap = true;
            rest.remove_prefix(1);
        } else if (rest.empty()) {
            return std::nullopt;  // a trailing single ':'
        }
    }
    const std::size_t v4_groups = v4_tail ? 2 : 0;
    const std::size_t have = head.size() + tail.size() + v4_groups;
    if (gap ? have > 7 : have != 8) return std::nullopt;
    std::array<std::uint8_t, 16> out{};
    std::size_t i = 0;
    for (auto g : head) {
        out[i++] = static_cast<std::uint8_t>(g >> 8);
        out[i++] = static_cast<std::uint8_t>(g);
    }
    i = 16 - 2 * (tail.size() + v4_groups);
    for (auto g : tail) {
        out[i++] = static_cast<std::uint8_t>(g >> 8);
        out[i++] = static_cast<std::uint8_t>(g);
    }
    if (v4_tail)
        for (int k = 3; k >= 0; --k) out[i++] = static_cast<std::uint8_t>(*v4_tail >> (8 * k));
    return out;
}

bool is_non_public_host(std::string_view host) {
    if (auto v4 = parse_ipv4_literal(host)) return non_public_v4(*v4);
    if (auto v6 = parse_ipv6_literal(host)) {
        const auto& b = *v6;
        if (auto inner = embedded_v4(b)) return non_public_v4(*inner);
        const bool zero_prefix =
            std::all_of(b.begin(), b.begin() + 15, [](std::uint8_t x) { return x == 0; });
        return (zero_prefix && b[15] <= 1) ||              // :: and ::1
               (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||  // fe80::/10 link-local
               (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) ||  // fec0::/10 site-local
               (b[0] & 0xfe) == 0xfc ||                    // fc00::/7 unique local
               b[0] == 0xff;                               // multicast
    }
    // A host that looks like an IPv6 literal but does not parse is refused
    // too: a resolver might read it differently than this parser.
    if (host.find(':') != std::string_view::npos || host.starts_with('[')) return true;
    std::string name(host);
    std::transform(name.begin(), name.end(), name.begin(), lower);
    if (name.ends_with('.')) name.pop_back();
    return name == "localhost" || name.ends_with(".localhost");
}

std::string address_key(std::string_view host) {
    if (auto v4 = parse_ipv4_literal(host)) return dotted(*v4);
    if (auto v6 = parse_ipv6_literal(host)) {
        if (auto inner = embedded_v4(*v6)) return dotted(*inner);
        static constexpr char kHex[] = "0123456789abcdef";
        std::string key;
        for (std::size_t i = 0; i < 8; ++i) {
            key += kHex[(*v6)[i] >> 4];
            key += kHex[(*v6)[i] & 0xf];
            if (i % 2 == 1) key += ':';
        }
        return key + ":/64";
    }
    std::string name(host);
    std::transform(name.begin(), name.end(), name.begin(), lower);
    if (name.ends_with('.')) name.pop_back();
    return name;
}

}  // namespace sotto::dir
