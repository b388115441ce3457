// Fuzzes the relay descriptor decoder: any input gives a value or an error,
// and whatever decodes re-encodes to the same bytes (the encoding is canonical).
#include <cstddef>
#include <cstdint>

#include "core/dir/relay_descriptor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    sotto::ByteView in(data, size);
    if (auto d = sotto::dir::decode_relay_descriptor(in)) {
        auto out = sotto::dir::encode_relay_descriptor(*d);
        if (!std::equal(out.begin(), out.end(), in.begin(), in.end())) __builtin_trap();
        if (!sotto::dir::check_relay_descriptor(*d)) __builtin_trap();
    }
    return 0;
}
