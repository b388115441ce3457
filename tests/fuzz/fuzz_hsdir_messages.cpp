// Fuzzes HSDir requests and responses. The first byte picks the decoder; the
// rest is its input. What decodes must re-encode to the same bytes, and every
// decoded request must be one the relay routes to the HSDir.
#include <cstddef>
#include <cstdint>

#include "core/hs/hsdir_messages.hpp"
#include "core/hs/hsdir_store.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

using sotto::fuzz::same;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace sotto;
    if (size == 0) return 0;
    ByteView in(data + 1, size - 1);
    switch (data[0] % 2) {
        case 0:
            if (auto r = hs::decode_hsdir_request(in)) {
                if (!same(hs::encode_hsdir_request(*r), in)) __builtin_trap();
                if (!hs::is_hsdir_request(in)) __builtin_trap();
                // Whatever arrives goes into a store without crashing it.
                hs::HsDirStore store({.max_entries = 4, .max_bytes = 64 * 1024});
                const auto now = TimePoint::from_seconds(1'700'000'000);
                if (auto* p = std::get_if<hs::PostHsDescriptor>(&*r)) {
                    (void)store.store(p->id, p->descriptor, now);
                    (void)store.fetch(p->id, now);
                } else if (auto* w = std::get_if<hs::WithdrawHsDescriptor>(&*r)) {
                    (void)store.withdraw(w->withdrawal, now);
                }
                if (store.size() > 4) __builtin_trap();
            }
            break;
        case 1:
            if (auto r = hs::decode_hsdir_response(in)) {
                if (!same(hs::encode_hsdir_response(*r), in)) __builtin_trap();
                if (r->descriptor && r->status != hs::HsDirStatus::Ok) __builtin_trap();
            }
            break;
    }
    return 0;
}
