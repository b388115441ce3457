// Typed readings of tor's replies to the commands Sotto sends
// (control-spec §3): PROTOCOLINFO (which authentication tor accepts and
// where its cookie is), AUTHCHALLENGE (the SAFECOOKIE server hash and
// nonce), ADD_ONION (the service id and, for a key tor generated, the key)
// and GETINFO (keyword=value lines and data blocks). Each takes a complete
// ControlReply from ControlReplyParser and refuses anything not shaped as
// the spec says, beyond what §3.21 and §4.1 tell controllers to ignore
// (unknown lines and extra arguments).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "core/tor/control_reply.hpp"
#include "core/tor/service_id.hpp"

namespace sotto::tor {

// The ED25519-V3 KeyBlob: the expanded secret key (32-byte clamped scalar,
// little-endian, then the 32-byte PRF secret), not a seed.
using OnionServiceKey = Secret<64>;

struct ProtocolInfo {
    bool auth_null = false;
    bool auth_hashed_password = false;
    bool auth_cookie = false;
    bool auth_safecookie = false;
    std::string cookie_file;  // empty if tor named none
    std::string tor_version;  // "0.4.9.11"
};
Result<ProtocolInfo> parse_protocolinfo(const ControlReply& reply);

struct AuthChallenge {
    std::array<std::uint8_t, 32> server_hash{};
    std::array<std::uint8_t, 32> server_nonce{};
};
Result<AuthChallenge> parse_authchallenge(const ControlReply& reply);

struct AddOnionResult {
    OnionServiceId service_id;
    std::optional<OnionServiceKey> private_key;  // only for NEW without DiscardPK
};
Result<AddOnionResult> parse_add_onion(const ControlReply& reply);

struct GetInfoEntry {
    std::string key;
    std::string value;  // the raw text after '=', or a data block's decoded text
};
// In tor's order; the final "OK" line is checked, not returned.
Result<std::vector<GetInfoEntry>> parse_getinfo(const ControlReply& reply);
// The value of `key` in a parsed GETINFO reply, or nullptr.
const std::string* find_info(const std::vector<GetInfoEntry>& entries, std::string_view key);

}  // namespace sotto::tor
