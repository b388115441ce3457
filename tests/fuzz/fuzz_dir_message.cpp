// Fuzzes directory messages. The first byte picks the decoder (requests,
// responses, votes, stream framer); the rest is its input. What decodes must
// re-encode to the same bytes.
#include <cstddef>
#include <cstdint>

#include "core/dir/dir_message.hpp"

namespace {

bool same(const sotto::Bytes& out, sotto::ByteView in) {
    return std::equal(out.begin(), out.end(), in.begin(), in.end());
}

// Feeds the input in chunks whose sizes come from the input itself, checking
// that every frame handed out is within bounds.
void fuzz_framer(sotto::ByteView in) {
    sotto::dir::DirFramer framer;
    std::size_t pos = 0;
    while (pos < in.size()) {
        std::size_t chunk = 1 + in[pos] % 64;
        chunk = std::min(chunk, in.size() - pos);
        if (!framer.feed(in.subspan(pos, chunk))) {
            if (framer.next()) __builtin_trap();
            return;
        }
        pos += chunk;
        while (auto body = framer.next())
            if (body->size() > sotto::dir::kMaxDirMessageLen) __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    sotto::ByteView in(data + 1, size - 1);
    switch (data[0] % 4) {
        case 0:
            if (auto r = sotto::dir::decode_dir_request(in))
                if (!same(sotto::dir::encode_dir_request(*r), in)) __builtin_trap();
            break;
        case 1:
            if (auto r = sotto::dir::decode_dir_response(in))
                if (!same(sotto::dir::encode_dir_response(*r), in)) __builtin_trap();
            break;
        case 2:
            if (auto v = sotto::dir::decode_vote(in)) {
                if (!same(sotto::dir::encode_vote(*v), in)) __builtin_trap();
                if (!sotto::dir::verify_vote_signature(*v)) __builtin_trap();
            }
            break;
        case 3:
            fuzz_framer(in);
            break;
    }
    return 0;
}
