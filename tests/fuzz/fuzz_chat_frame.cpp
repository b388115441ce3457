// Fuzzes the chat frame codec: FrameDecoder::feed over arbitrary bytes, split
// where the first input byte says, never crashes, never buffers more than
// one frame, and stays failed after an error; every frame it (or
// decode_frame) accepts re-encodes to exactly the bytes it came from (the
// encoding is canonical: smallest class, zero padding).
#include <cstddef>
#include <cstdint>

#include "core/chat/chat_frame.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

using namespace sotto;
using namespace sotto::chat;
using fuzz::require;
using fuzz::same;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t step = static_cast<std::size_t>(data[0]) * 67 + 1;
    ByteView in(data + 1, size - 1);

    // One frame exactly.
    if (auto f = decode_frame(in)) {
        auto out = encode_frame(*f);
        require(out.has_value() && same(*out, in));
    }

    // As a stream, in pieces of `step` bytes.
    FrameDecoder d;
    std::size_t consumed = 0;  // bytes of `in` that made up accepted frames
    bool failed = false;
    for (std::size_t pos = 0; pos < in.size() && !failed; pos += step) {
        auto piece = in.subspan(pos, std::min(step, in.size() - pos));
        auto frames = d.feed(piece);
        if (!frames) {
            failed = true;
            break;
        }
        for (const auto& f : *frames) {
            auto out = encode_frame(f);
            require(out.has_value());
            require(consumed + out->size() <= in.size());
            require(same(*out, in.subspan(consumed, out->size())));
            consumed += out->size();
        }
        require(d.buffered() < kSizeClasses.back());
        require(consumed + d.buffered() == std::min(in.size(), pos + piece.size()));
    }
    if (failed) require(!d.feed(in.first(std::min<std::size_t>(in.size(), 4))).has_value());
    return 0;
}
