// The name of a v3 onion service as tor's control port and SOCKS port speak
// it: the 56-character address without ".onion" (ADD_ONION's ServiceID,
// DEL_ONION's and ONION_CLIENT_AUTH_*'s HSAddress). A strong type, so a
// string that reached a command line has been checked once, here: 56
// characters of the lower-case base32 alphabet ending in 'd' (the version
// byte 3 fills the last character's five bits). That is what keeps these
// arguments from carrying a space, a quote or a line break into a command.
// The checksum inside the address is not checked here; tor checks it and
// replies 512 for a wrong one.
#pragma once

#include <string>
#include <string_view>

#include "core/crypto/ed25519.hpp"
#include "core/util/error.hpp"

namespace sotto::tor {

inline constexpr std::size_t kServiceIdChars = 56;

class OnionServiceId {
  public:
    // Accepts the bare id or the id with ".onion"; tor's own replies are in
    // lower case, so upper case is refused rather than folded.
    static Result<OnionServiceId> parse(std::string_view text);
    // The v3 address of a service key (rend-spec-v3 6): base32 of
    // key | CHECKSUM[:2] | 0x03, CHECKSUM = SHA3-256(".onion checksum" |
    // key | 0x03).
    static OnionServiceId for_key(const crypto::Ed25519PublicKey& key);

    const std::string& str() const { return id_; }
    // "<id>.onion", the SOCKS CONNECT host name.
    std::string hostname() const { return id_ + ".onion"; }

    friend bool operator==(const OnionServiceId&, const OnionServiceId&) = default;
    friend auto operator<=>(const OnionServiceId&, const OnionServiceId&) = default;

  private:
    explicit OnionServiceId(std::string id) : id_(std::move(id)) {}
    std::string id_;
};

}  // namespace sotto::tor
