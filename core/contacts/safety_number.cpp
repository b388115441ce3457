#include "core/contacts/safety_number.hpp"

#include <array>

#include "core/crypto/hash.hpp"

namespace sotto::contacts {

namespace {
constexpr std::string_view kLabel = "sotto-safety-number-v1";
constexpr std::size_t kGroups = 12;
constexpr std::size_t kChunkBytes = 5;  // 40 bits per group
}  // namespace

std::string safety_number(const crypto::Ed25519PublicKey& a, const crypto::Ed25519PublicKey& b) {
    const auto& lo = a < b ? a : b;
    const auto& hi = a < b ? b : a;
    Bytes input(kLabel.begin(), kLabel.end());
    input.insert(input.end(), lo.bytes.begin(), lo.bytes.end());
    input.insert(input.end(), hi.bytes.begin(), hi.bytes.end());
    auto seed = crypto::sha3_256(input);

    std::array<std::uint8_t, kGroups * kChunkBytes> stream{};
    crypto::shake256(seed.view(), stream);
    std::string out;
    out.reserve(kGroups * 6);
    for (std::size_t g = 0; g < kGroups; ++g) {
        std::uint64_t chunk = 0;
        for (std::size_t i = 0; i < kChunkBytes; ++i)
            chunk = (chunk << 8) | stream[g * kChunkBytes + i];
        auto digits = std::to_string(100000 + chunk % 100000);  // "1dddddd": keeps leading zeros
        if (g > 0) out.push_back(' ');
        out.append(digits, 1, 5);
    }
    return out;
}

}  // namespace sotto::contacts
