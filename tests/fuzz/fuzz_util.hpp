// What the fuzz targets share: require(), which ends the run in a way
// libFuzzer reports as a crash, and same(), for the checks that whatever
// decodes re-encodes to exactly the input.
#pragma once

#include <algorithm>

#include "core/util/bytes.hpp"

namespace sotto::fuzz {

inline void require(bool ok) {
    if (!ok) __builtin_trap();
}

inline bool same(const Bytes& out, ByteView in) {
    return std::equal(out.begin(), out.end(), in.begin(), in.end());
}

}  // namespace sotto::fuzz
