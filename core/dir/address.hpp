// Host addresses as the network's address policy sees them (network file
// `allow-private-addresses` and `relays-per-address`, docs/protocol.md §6): is
// a relay address one that a public relay must not connect to, and under
// which key do relays count towards the per-address limit.
//
// Hosts are strings that the driver hands to its resolver, so a literal is
// recognised in every form a resolver accepts as one, not only the canonical
// one: glibc's getaddrinfo and Qt take inet_aton forms such as "127.1",
// "0x7f.0.0.1" or "2130706433" for 127.0.0.1, and IPv6 with brackets, zone
// ids and IPv4-mapped addresses. Names other than "localhost" are not
// resolved here (core does no I/O).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sotto::dir {

// The 32-bit value of an IPv4 literal in any inet_aton form (1 to 4 parts,
// each decimal, octal with a leading 0, or hex with 0x).
std::optional<std::uint32_t> parse_ipv4_literal(std::string_view host);
// An IPv6 literal, optionally in brackets and with a %zone suffix.
std::optional<std::array<std::uint8_t, 16>> parse_ipv6_literal(std::string_view host);

// Loopback, private (RFC 1918, unique-local fc00::/7, site-local), link-local
// (169.254/16, fe80::/10), shared (100.64/10), "this network" (0/8, ::),
// multicast and reserved (224/3, ff00::/8) literals, IPv4 inside IPv6
// (::ffff:a.b.c.d, ::a.b.c.d) by its IPv4 rules, and the names "localhost"
// and *.localhost. What a relay of a public network refuses to extend to and
// an authority of one refuses to list.
bool is_non_public_host(std::string_view host);

// What relays are counted under for `relays-per-address`: an IPv4 literal
// as its dotted quad (so "127.1" and "127.0.0.1" are one address), an IPv6
// literal as its /64 (an operator with one IPv6 subnet has 2^64 addresses),
// IPv4-mapped IPv6 as the IPv4 address, and a name in lower case.
std::string address_key(std::string_view host);

}  // namespace sotto::dir
