// The commands Sotto sends to tor's control port (control-spec §3), one
// typed function each, encoded as the single CRLF-terminated line tor reads.
// This is a security boundary: a command line is the only thing between an
// argument and tor's whole configuration, so an argument that could end the
// line (CR, LF), add a second argument (a space), break out of a quoted
// string ('"', '\\' unescaped) or cut a C string short (NUL) is refused
// with an Error, never escaped into something else. Keys and addresses are
// typed (OnionServiceId, OnionServiceKey, X25519 keys) and encoded here, so
// they cannot carry such bytes at all. The line of a command that carries a
// private key is SecretBytes, wiped when dropped; `verb` is what may be
// logged.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/crypto/x25519.hpp"
#include "core/tor/command_replies.hpp"
#include "core/tor/safecookie.hpp"
#include "core/tor/service_id.hpp"

namespace sotto::tor {

// Bridge lines for SETCONF are the longest input (~200 bytes each).
inline constexpr std::size_t kMaxCommandBytes = 32 * 1024;
// sun_path holds 108 bytes with the NUL.
inline constexpr std::size_t kMaxUnixPathBytes = 107;

struct ControlCommand {
    std::string_view verb;  // "ADD_ONION": all of the command a log may show
    SecretBytes line;       // the bytes to write, CRLF included
    std::string_view text() const {
        return {reinterpret_cast<const char*>(line.data()), line.size()};
    }
};

namespace command {

// "PROTOCOLINFO 1": the one command, with AUTHCHALLENGE, tor takes before
// authentication.
ControlCommand protocolinfo();
// "AUTHCHALLENGE SAFECOOKIE <client nonce hex>"
ControlCommand authchallenge(const SafeCookieNonce& client_nonce);
// "AUTHENTICATE <client hash HEX>" (safecookie.hpp)
ControlCommand authenticate(const Secret<32>& client_hash);
// "TAKEOWNERSHIP": tor exits when this connection closes.
ControlCommand takeownership();

struct ConfSetting {
    std::string key;                   // an option name: [A-Za-z0-9_]+
    std::optional<std::string> value;  // sent as a QuotedString; none: "key" alone
};
// "SETCONF k="v" ...", "RESETCONF k ...": values may hold any byte but
// control characters (< 0x20, 0x7F); '"' and '\\' are escaped.
Result<ControlCommand> setconf(std::span<const ConfSetting> settings);
Result<ControlCommand> resetconf(std::span<const ConfSetting> settings);

// "SETEVENTS A B": names [A-Za-z_]+; an empty list turns every event off.
Result<ControlCommand> setevents(std::span<const std::string_view> events);
// "GETINFO k1 k2": keys [A-Za-z0-9/_.$:-]+, at least one.
Result<ControlCommand> getinfo(std::span<const std::string_view> keys);

// Where tor connects the streams of one virtual port. A Unix path is
// absolute and has no space, quote, backslash, comma or byte outside
// printable ASCII: tor reads Port= unquoted and splits it at the comma.
struct UnixTarget {
    std::string path;
};
struct TcpTarget {
    std::string host;  // an IPv4 literal, a [IPv6] literal or a host name
    std::uint16_t port = 0;
};
struct OnionPort {
    std::uint16_t virtual_port = 0;
    std::variant<UnixTarget, TcpTarget> target;
};

struct AddOnionRequest {
    // The service's key, kept by Sotto; none asks tor for a new one
    // ("NEW:ED25519-V3"), which it returns unless discard_pk.
    const OnionServiceKey* key = nullptr;
    bool discard_pk = false;
    bool detach = false;  // outlive this control connection
    // ClientAuthV3: the only clients that can read the descriptor. Not
    // empty sets Flags=V3Auth; Sotto always names exactly one.
    std::vector<crypto::X25519PublicKey> authorized_clients;
    std::vector<OnionPort> ports;  // at least one
};
// "ADD_ONION ED25519-V3:<key> Flags=... Port=... ClientAuthV3=..."
Result<ControlCommand> add_onion(const AddOnionRequest& request);
// "DEL_ONION <id>"
ControlCommand del_onion(const OnionServiceId& service);

// "ONION_CLIENT_AUTH_ADD <id> x25519:<key base64> [Flags=Permanent]".
// Permanent makes tor write the key into its data directory; Sotto keeps
// keys in its encrypted profile and leaves it off.
ControlCommand onion_client_auth_add(const OnionServiceId& service,
                                     const crypto::X25519SecretKey& key, bool permanent = false);
// "ONION_CLIENT_AUTH_REMOVE <id>"
ControlCommand onion_client_auth_remove(const OnionServiceId& service);

enum class Signal {
    Reload,
    Shutdown,
    Dump,
    Debug,
    Halt,
    ClearDnsCache,
    Newnym,
    Heartbeat,
    Dormant,
    Active
};
// "SIGNAL NEWNYM" etc.
ControlCommand signal(Signal s);

}  // namespace command

}  // namespace sotto::tor
