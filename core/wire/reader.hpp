// Bounded big-endian readers and writers. Every decoder in the project reads
// through `Reader`, which never reads past its span: each read returns an
// error value instead, so malformed input cannot crash a parser.
#pragma once

#include <cstdint>
#include <string>

#include "core/util/bytes.hpp"
#include "core/util/error.hpp"

namespace sotto::wire {

class Reader {
  public:
    explicit Reader(ByteView data) : data_(data) {}

    std::size_t remaining() const { return data_.size() - pos_; }
    bool empty() const { return remaining() == 0; }
    std::size_t position() const { return pos_; }

    Result<std::uint8_t> u8();
    Result<std::uint16_t> u16();
    Result<std::uint32_t> u32();
    Result<std::uint64_t> u64();
    Result<ByteView> bytes(std::size_t n);
    // A u16 length followed by that many bytes, at most `max`.
    Result<ByteView> var16(std::size_t max = 0xffff);
    Result<std::string> string16(std::size_t max = 0xffff);
    ByteView rest();

    template <typename Fixed>
    Result<Fixed> fixed() {
        auto b = bytes(Fixed::size);
        if (!b) return std::unexpected(b.error());
        return Fixed::from(*b);
    }

    // Fails unless every byte was consumed: trailing data is malformed input.
    Status expect_end(const char* what) const;

  private:
    ByteView data_;
    std::size_t pos_ = 0;
};

class Writer {
  public:
    Writer() = default;
    explicit Writer(std::size_t reserve) { out_.reserve(reserve); }

    Writer& u8(std::uint8_t v);
    Writer& u16(std::uint16_t v);
    Writer& u32(std::uint32_t v);
    Writer& u64(std::uint64_t v);
    Writer& bytes(ByteView b);
    // Callers must ensure b.size() fits in 16 bits; encoders check bounds
    // before writing.
    Writer& var16(ByteView b);
    Writer& string16(std::string_view s) { return var16(as_bytes(s)); }
    template <typename Fixed>
    Writer& fixed(const Fixed& f) {
        return bytes(f.view());
    }

    std::size_t size() const { return out_.size(); }
    const Bytes& data() const { return out_; }
    Bytes take() { return std::move(out_); }

  private:
    Bytes out_;
};

void put_u16(std::uint8_t* p, std::uint16_t v);
void put_u32(std::uint8_t* p, std::uint32_t v);
std::uint16_t get_u16(const std::uint8_t* p);
std::uint32_t get_u32(const std::uint8_t* p);

}  // namespace sotto::wire
