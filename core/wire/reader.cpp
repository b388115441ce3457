#include "core/wire/reader.hpp"

namespace sotto::wire {

namespace {
std::unexpected<Error> short_input(std::size_t want, std::size_t have) {
    return fail(Errc::Truncated, "input ended early: wanted " + std::to_string(want) +
                                     " more bytes, " + std::to_string(have) + " left");
}
}  // namespace

Result<std::uint8_t> Reader::u8() {
    if (remaining() < 1) return short_input(1, remaining());
    return data_[pos_++];
}

Result<std::uint16_t> Reader::u16() {
    if (remaining() < 2) return short_input(2, remaining());
    auto v = get_u16(data_.data() + pos_);
    pos_ += 2;
    return v;
}

Result<std::uint32_t> Reader::u32() {
    if (remaining() < 4) return short_input(4, remaining());
    auto v = get_u32(data_.data() + pos_);
    pos_ += 4;
    return v;
}

Result<std::uint64_t> Reader::u64() {
    if (remaining() < 8) return short_input(8, remaining());
    std::uint64_t v = static_cast<std::uint64_t>(get_u32(data_.data() + pos_)) << 32 |
                      get_u32(data_.data() + pos_ + 4);
    pos_ += 8;
    return v;
}

Result<ByteView> Reader::bytes(std::size_t n) {
    if (remaining() < n) return short_input(n, remaining());
    auto v = data_.subspan(pos_, n);
    pos_ += n;
    return v;
}

Result<ByteView> Reader::var16(std::size_t max) {
    auto n = u16();
    if (!n) return std::unexpected(n.error());
    if (*n > max)
        return fail(Errc::TooLarge,
                    "length " + std::to_string(*n) + " exceeds limit " + std::to_string(max));
    return bytes(*n);
}

Result<std::string> Reader::string16(std::size_t max) {
    auto b = var16(max);
    if (!b) return std::unexpected(b.error());
    return std::string(reinterpret_cast<const char*>(b->data()), b->size());
}

ByteView Reader::rest() {
    auto v = data_.subspan(pos_);
    pos_ = data_.size();
    return v;
}

Status Reader::expect_end(const char* what) const {
    if (remaining() != 0)
        return fail(Errc::Malformed, std::string(what) + ": " + std::to_string(remaining()) +
                                         " unexpected trailing bytes");
    return {};
}

Writer& Writer::u8(std::uint8_t v) {
    out_.push_back(v);
    return *this;
}

Writer& Writer::u16(std::uint16_t v) {
    out_.push_back(static_cast<std::uint8_t>(v >> 8));
    out_.push_back(static_cast<std::uint8_t>(v));
    return *this;
}

Writer& Writer::u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    return u16(static_cast<std::uint16_t>(v));
}

Writer& Writer::u64(std::uint64_t v) {
    u32(static_cast<std::uint32_t>(v >> 32));
    return u32(static_cast<std::uint32_t>(v));
}

Writer& Writer::bytes(ByteView b) {
    out_.insert(out_.end(), b.begin(), b.end());
    return *this;
}

Writer& Writer::var16(ByteView b) {
    u16(static_cast<std::uint16_t>(b.size()));
    return bytes(b);
}

void put_u16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}

void put_u32(std::uint8_t* p, std::uint32_t v) {
    put_u16(p, static_cast<std::uint16_t>(v >> 16));
    put_u16(p + 2, static_cast<std::uint16_t>(v));
}

std::uint16_t get_u16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}

std::uint32_t get_u32(const std::uint8_t* p) {
    return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
           static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

}  // namespace sotto::wire
