// Fuzzes the transport-tagged credential and grant lists (the payload tail
// of every invite code and Hello/Welcome, and three profile columns): any
// bytes give a list or an error, and a decoded list encodes to exactly the
// bytes it came from.
#include <cstddef>
#include <cstdint>

#include "core/transport/credential.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace sotto;
    const ByteView in(data, size);
    if (auto list = transport::decode_credentials(in)) {
        auto again = transport::encode_credentials(*list);
        if (!again || !ct_equal(again->view(), in)) __builtin_trap();
    }
    if (auto list = transport::decode_grants(in)) {
        auto again = transport::encode_grants(*list);
        if (!again || !ct_equal(again->view(), in)) __builtin_trap();
    }
    return 0;
}
