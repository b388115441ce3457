#include "core/tor/encoding.hpp"

namespace sotto::tor {

namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

}  // namespace

void base64_encode_into(ByteView data, MutableByteView out) {
    std::size_t o = 0;
    for (std::size_t i = 0; i < data.size(); i += 3) {
        std::uint32_t v = std::uint32_t{data[i]} << 16;
        std::size_t n = data.size() - i;
        if (n > 1) v |= std::uint32_t{data[i + 1]} << 8;
        if (n > 2) v |= data[i + 2];
        out[o++] = kBase64[(v >> 18) & 63];
        out[o++] = kBase64[(v >> 12) & 63];
        out[o++] = n > 1 ? kBase64[(v >> 6) & 63] : '=';
        out[o++] = n > 2 ? kBase64[v & 63] : '=';
    }
}

bool base64_decode_into(std::string_view text, MutableByteView out) {
    auto refuse = [&] {
        secure_wipe(out.data(), out.size());
        return false;
    };
    if (text.size() != base64_chars(out.size())) return refuse();
    std::size_t o = 0;
    for (std::size_t i = 0; i < text.size(); i += 4) {
        std::size_t left = out.size() - o;  // bytes this quantum still owes
        std::size_t take = left < 3 ? left : 3;
        std::uint32_t v = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            char c = text[i + k];
            bool pad = k > take;  // a quantum of n bytes has n + 1 data characters
            if (pad) {
                if (c != '=') return refuse();
                v <<= 6;
                continue;
            }
            int d = base64_value(c);
            if (d < 0) return refuse();
            v = v << 6 | static_cast<std::uint32_t>(d);
        }
        // Bits past the last byte must be zero: one text per key.
        if ((take == 1 && (v & 0xFFFF) != 0) || (take == 2 && (v & 0xFF) != 0)) return refuse();
        out[o++] = static_cast<std::uint8_t>(v >> 16);
        if (take > 1) out[o++] = static_cast<std::uint8_t>(v >> 8);
        if (take > 2) out[o++] = static_cast<std::uint8_t>(v);
    }
    return true;
}

void base32_encode_into(ByteView data, MutableByteView out) {
    std::size_t o = 0;
    std::uint32_t acc = 0;
    int bits = 0;
    for (auto b : data) {
        acc = (acc << 8 | b) & 0xFFFF;
        bits += 8;
        while (bits >= 5) {
            out[o++] = kBase32[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0) out[o++] = kBase32[(acc << (5 - bits)) & 31];
}

bool hex_decode_into(std::string_view text, MutableByteView out) {
    if (text.size() != out.size() * 2) {
        secure_wipe(out.data(), out.size());
        return false;
    }
    for (std::size_t i = 0; i < out.size(); ++i) {
        int hi = hex_digit_value(text[2 * i]), lo = hex_digit_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            secure_wipe(out.data(), out.size());
            return false;
        }
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return true;
}

}  // namespace sotto::tor
