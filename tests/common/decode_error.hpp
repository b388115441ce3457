// The error of a result that must be one, for the codec tests that check
// which error a malformed input gets: QCOMPARE(error_of(decode_x(b)), ...).
#pragma once

#include <QtGlobal>

#include "core/util/error.hpp"

namespace sotto::testing {

template <typename T>
Errc error_of(const Result<T>& r) {
    if (r) qFatal("decode unexpectedly succeeded");
    return r.error().code;
}

}  // namespace sotto::testing
