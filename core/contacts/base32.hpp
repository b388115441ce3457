// RFC 4648 base32 (alphabet a-z, 2-7) in lower case without padding, for the
// text form of invite codes. Decoding is strict so that every text has at
// most one meaning: only the 32 lower-case alphabet characters, no padding,
// a length a whole number of bytes can have, and zero unused trailing bits.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/util/bytes.hpp"

namespace sotto::contacts {

std::string base32_encode(ByteView data);
// Value 0..31 of a lower-case alphabet character, or -1.
int base32_value(char c);
// nullopt on any character outside the lower-case alphabet, an impossible
// length (1, 3 or 6 characters past a multiple of 8) or non-zero unused bits.
std::optional<Bytes> base32_decode(std::string_view text);

}  // namespace sotto::contacts
