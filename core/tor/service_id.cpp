#include "core/tor/service_id.hpp"

#include <algorithm>
#include <cctype>

#include "core/crypto/hash.hpp"
#include "core/tor/encoding.hpp"

namespace sotto::tor {

Result<OnionServiceId> OnionServiceId::parse(std::string_view text) {
    constexpr std::string_view kSuffix = ".onion";
    if (text.ends_with(kSuffix)) text.remove_suffix(kSuffix.size());
    if (text.size() != kServiceIdChars)
        return fail(Errc::Malformed, "onion service id: not 56 characters");
    auto base32 = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'); };
    if (!std::all_of(text.begin(), text.end(), base32))
        return fail(Errc::Malformed, "onion service id: not lower-case base32");
    if (text.back() != 'd') return fail(Errc::BadVersion, "onion service id: not a v3 address");
    return OnionServiceId(std::string(text));
}

OnionServiceId OnionServiceId::for_key(const crypto::Ed25519PublicKey& key) {
    constexpr std::string_view kChecksum = ".onion checksum";
    Bytes input(kChecksum.begin(), kChecksum.end());
    input.insert(input.end(), key.bytes.begin(), key.bytes.end());
    input.push_back(3);
    const auto checksum = crypto::sha3_256(input);
    Bytes address(key.bytes.begin(), key.bytes.end());
    address.push_back(checksum.bytes[0]);
    address.push_back(checksum.bytes[1]);
    address.push_back(3);
    Bytes text(base32_chars(address.size()));
    base32_encode_into(address, text);
    std::string id(text.begin(), text.end());
    for (auto& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return OnionServiceId(std::move(id));
}

}  // namespace sotto::tor
