// Byte containers and fixed-size strong types shared by every core unit.
//
// `FixedBytes<N, Tag>` gives each kind of key or identifier its own type so
// a relay identity can never be passed where an onion key is expected.
// `Secret<N>` holds secret material: move-only, wiped on destruction and on
// move, never printable.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sotto {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;
using MutableByteView = std::span<std::uint8_t>;

// Overwrites memory in a way the optimiser may not remove (OPENSSL_cleanse).
void secure_wipe(void* p, std::size_t n) noexcept;

// Constant-time equality for secret-dependent comparisons.
bool ct_equal(ByteView a, ByteView b) noexcept;

std::string to_hex(ByteView b);
// Returns false on odd length or non-hex characters.
bool from_hex(std::string_view hex, Bytes& out);
// 0..15 for a hex digit of either case, -1 for anything else.
int hex_digit_value(char c);

inline ByteView as_bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

template <std::size_t N, typename Tag>
struct FixedBytes {
    static constexpr std::size_t size = N;
    std::array<std::uint8_t, N> bytes{};

    ByteView view() const { return bytes; }
    const std::uint8_t* data() const { return bytes.data(); }
    std::uint8_t* data() { return bytes.data(); }
    static FixedBytes from(ByteView v) {
        FixedBytes f;
        std::copy_n(v.begin(), std::min(v.size(), N), f.bytes.begin());
        return f;
    }
    std::string hex() const { return to_hex(bytes); }
    bool is_zero() const {
        return std::all_of(bytes.begin(), bytes.end(), [](auto b) { return b == 0; });
    }
    friend bool operator==(const FixedBytes&, const FixedBytes&) = default;
    friend auto operator<=>(const FixedBytes&, const FixedBytes&) = default;
};

template <std::size_t N>
class Secret {
  public:
    static constexpr std::size_t size = N;
    Secret() = default;
    explicit Secret(ByteView v) { std::copy_n(v.begin(), std::min(v.size(), N), bytes_.begin()); }
    ~Secret() { secure_wipe(bytes_.data(), N); }
    Secret(const Secret&) = delete;
    Secret& operator=(const Secret&) = delete;
    Secret(Secret&& o) noexcept : bytes_(o.bytes_) { secure_wipe(o.bytes_.data(), N); }
    Secret& operator=(Secret&& o) noexcept {
        if (this != &o) {
            bytes_ = o.bytes_;
            secure_wipe(o.bytes_.data(), N);
        }
        return *this;
    }
    // Explicit copy so duplicating a secret is always visible in review.
    Secret clone() const { return Secret(ByteView(bytes_)); }
    ByteView view() const { return bytes_; }
    MutableByteView mut() { return bytes_; }
    const std::uint8_t* data() const { return bytes_.data(); }
    std::uint8_t* data() { return bytes_.data(); }

  private:
    std::array<std::uint8_t, N> bytes_{};
};

// Variable-length secret buffer (e.g. derived key material).
class SecretBytes {
  public:
    SecretBytes() = default;
    explicit SecretBytes(std::size_t n) : b_(n) {}
    explicit SecretBytes(ByteView v) : b_(v.begin(), v.end()) {}
    ~SecretBytes() { wipe(); }
    SecretBytes(const SecretBytes&) = delete;
    SecretBytes& operator=(const SecretBytes&) = delete;
    SecretBytes(SecretBytes&& o) noexcept : b_(std::move(o.b_)) { o.b_.clear(); }
    SecretBytes& operator=(SecretBytes&& o) noexcept {
        if (this != &o) {
            wipe();
            b_ = std::move(o.b_);
            o.b_.clear();
        }
        return *this;
    }
    ByteView view() const { return b_; }
    MutableByteView mut() { return b_; }
    std::size_t size() const { return b_.size(); }
    const std::uint8_t* data() const { return b_.data(); }
    std::uint8_t* data() { return b_.data(); }

  private:
    void wipe() {
        if (!b_.empty()) secure_wipe(b_.data(), b_.size());
    }
    Bytes b_;
};

}  // namespace sotto
