// Fuzzes the link-cell decoders: any input must give a value or an error.
#include <cstddef>
#include <cstdint>

#include "core/wire/cell.hpp"
#include "core/wire/relay_cell.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    sotto::ByteView in(data, size);
    if (auto c = sotto::wire::decode_cell(in)) {
        sotto::Bytes out;
        sotto::wire::encode_cell(*c, out);
        if (out.size() != sotto::wire::kCellLen) __builtin_trap();
        (void)sotto::wire::decode_relay_cell(c->payload);
        (void)sotto::wire::decode_create2(c->payload);
        (void)sotto::wire::decode_created2(c->payload);
    }
    (void)sotto::wire::decode_begin(in);
    (void)sotto::wire::decode_extend2(in);
    return 0;
}
