// The text encodings of keys on tor's control port: padded standard base64
// (RFC 4648 §4) for ED25519-V3 key blobs and x25519 private keys, unpadded
// base32 for ClientAuthV3 public keys, hex for the SAFECOOKIE exchange.
// They write into and read from caller-sized buffers, never into a growing
// string, so a private key's text exists only where the caller keeps it
// (a SecretBytes that wipes) and nowhere a reallocation left a copy.
#pragma once

#include <string_view>

#include "core/util/bytes.hpp"

namespace sotto::tor {

constexpr std::size_t base64_chars(std::size_t n) {
    return (n + 2) / 3 * 4;
}
constexpr std::size_t base32_chars(std::size_t n) {
    return (n * 8 + 4) / 5;
}

// `out` must hold exactly base64_chars(data.size()) bytes.
void base64_encode_into(ByteView data, MutableByteView out);
// Strict: exactly out.size() bytes decoded, the standard alphabet, the
// padding that length needs and no other, no whitespace, zero unused bits
// (so each key has one text). False, with `out` wiped, otherwise.
bool base64_decode_into(std::string_view text, MutableByteView out);
// Upper-case RFC 4648 base32 without padding; `out` must hold exactly
// base32_chars(data.size()) bytes.
void base32_encode_into(ByteView data, MutableByteView out);
// Strict hex of exactly out.size() bytes, either case. False, with `out`
// wiped, otherwise.
bool hex_decode_into(std::string_view text, MutableByteView out);

}  // namespace sotto::tor
