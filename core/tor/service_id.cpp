#include "core/tor/service_id.hpp"

#include <algorithm>

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

}  // namespace sotto::tor
