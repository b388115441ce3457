#include "core/contacts/base32.hpp"

namespace sotto::contacts {

namespace {
constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz234567";
}

std::string base32_encode(ByteView data) {
    std::string out;
    out.reserve((data.size() * 8 + 4) / 5);
    std::uint32_t acc = 0;
    int bits = 0;
    for (std::uint8_t b : data) {
        acc = (acc << 8) | b;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out.push_back(kAlphabet[(acc >> bits) & 31]);
        }
        acc &= (1u << bits) - 1;
    }
    if (bits > 0) out.push_back(kAlphabet[(acc << (5 - bits)) & 31]);
    return out;
}

int base32_value(char c) {
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= '2' && c <= '7') return c - '2' + 26;
    return -1;
}

std::optional<Bytes> base32_decode(std::string_view text) {
    // 8 characters carry 5 bytes; a final partial group of 2, 4, 5 or 7
    // characters carries 1, 2, 3 or 4 bytes.
    std::size_t rest = text.size() % 8;
    if (rest == 1 || rest == 3 || rest == 6) return std::nullopt;
    Bytes out;
    out.reserve(text.size() * 5 / 8);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        int v = base32_value(c);
        if (v < 0) return std::nullopt;
        acc = (acc << 5) | static_cast<std::uint32_t>(v);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>(acc >> bits));
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) return std::nullopt;  // unused trailing bits must be zero
    return out;
}

}  // namespace sotto::contacts
