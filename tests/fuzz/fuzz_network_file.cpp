// Fuzzes the network file parser: any text gives a value or an error, and a
// parsed file formats to text that parses to the same value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/dir/network_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto nf = sotto::dir::parse_network_file(text);
    if (!nf) return 0;
    if (nf->authorities.empty() || nf->majority() > nf->authorities.size()) __builtin_trap();
    auto again = sotto::dir::parse_network_file(sotto::dir::format_network_file(*nf));
    if (!again || !(*again == *nf)) __builtin_trap();
    return 0;
}
