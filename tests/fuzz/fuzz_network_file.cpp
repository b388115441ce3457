// Fuzzes the network file parser: any text gives a value or an error, a
// parsed file's settings are within their bounds, and a parsed file formats
// to text that parses to the same value. Also feeds the text's first line to
// the address policy (dir/address.hpp), which must not crash on any host and
// must count every IPv4 spelling of one address under one key. The same text
// goes to the Tor network file parser and the profile network dispatch
// (tor_network_file.hpp, profile_network.hpp): a parsed Tor file has only
// allowed, bounded options and formats to itself.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/dir/address.hpp"
#include "core/dir/network_file.hpp"
#include "core/dir/profile_network.hpp"
#include "core/dir/tor_network_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    const std::string_view host = text.substr(0, text.find('\n'));
    (void)sotto::dir::is_non_public_host(host);
    const auto key = sotto::dir::address_key(host);
    if (auto v4 = sotto::dir::parse_ipv4_literal(host))
        if (sotto::dir::address_key(key) != key) __builtin_trap();
    if (auto pn = sotto::dir::parse_profile_network(text))
        if ((pn->kind == sotto::dir::NetworkKind::Tor) != sotto::dir::is_tor_network_file(text))
            __builtin_trap();
    if (auto tf = sotto::dir::parse_tor_network_file(text)) {
        if (tf->options.size() > sotto::dir::kMaxTorOptions) __builtin_trap();
        for (const auto& o : tf->options)
            if (o.value.empty() || o.value.size() > sotto::dir::kMaxTorOptionValue ||
                o.value.find('\n') != std::string::npos || o.key == "ControlPort")
                __builtin_trap();
        auto again = sotto::dir::parse_tor_network_file(sotto::dir::format_tor_network_file(*tf));
        if (!again || !(*again == *tf)) __builtin_trap();
    }
    auto nf = sotto::dir::parse_network_file(text);
    if (!nf) return 0;
    if (nf->authorities.empty() || nf->majority() > nf->authorities.size()) __builtin_trap();
    if (nf->relays_per_address < 1 || nf->relays_per_address > sotto::dir::kMaxRelaysPerAddress ||
        nf->flag_uptime_s < 0 || nf->flag_uptime_s > sotto::dir::kMaxFlagUptimeSeconds)
        __builtin_trap();
    auto again = sotto::dir::parse_network_file(sotto::dir::format_network_file(*nf));
    if (!again || !(*again == *nf)) __builtin_trap();
    return 0;
}
