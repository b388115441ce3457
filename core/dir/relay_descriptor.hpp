// Relay descriptors: what a relay tells the directory authorities about
// itself, signed with its Ed25519 identity (tor-spec's server descriptor,
// reduced to what this network needs). Binary, length-bounded encoding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/crypto/ed25519.hpp"
#include "core/crypto/x25519.hpp"
#include "core/util/error.hpp"
#include "core/util/time.hpp"

namespace sotto::dir {

inline constexpr std::size_t kMaxRelayDescriptorLen = 1024;
inline constexpr std::uint8_t kRelayDescriptorVersion = 1;
inline constexpr std::size_t kMaxNicknameLen = 32;
inline constexpr std::size_t kMaxHostLen = 255;

// "Printable" means visible ASCII (0x21..0x7e): names appear in log lines and
// in the space-separated network file.
bool is_valid_nickname(std::string_view s);  // 1..kMaxNicknameLen printable
bool is_valid_host(std::string_view s);      // 1..kMaxHostLen printable

// Capability bits a relay announces; authorities turn them into flags.
enum RelayCapability : std::uint32_t {
    kCapHsDir = 1u << 0,      // stores private-service descriptors
    kCapExit = 1u << 1,       // opens exit streams (to its exit policy)
    kCapIntroRend = 1u << 2,  // introduction and rendezvous point
};

struct RelayDescriptor {
    std::string nickname;  // 1..32 printable ASCII
    crypto::Ed25519PublicKey identity;
    crypto::X25519PublicKey onion_key;
    std::string host;  // 1..255 printable ASCII
    std::uint16_t port = 0;
    std::uint32_t capabilities = 0;
    std::int64_t published = 0;  // unix seconds
    crypto::Ed25519Signature signature;
    friend bool operator==(const RelayDescriptor&, const RelayDescriptor&) = default;
};

// Bytes covered by the signature: "sotto-relay-descriptor-v1" || body.
Bytes relay_descriptor_signed_part(const RelayDescriptor& d);
RelayDescriptor sign_relay_descriptor(RelayDescriptor d, const crypto::Ed25519SecretKey& identity);
Bytes encode_relay_descriptor(const RelayDescriptor& d);
// Decodes and verifies the signature; BadSignature when it does not verify.
Result<RelayDescriptor> decode_relay_descriptor(ByteView in);
// The checks decode applies (field bounds, signature), for descriptors that
// arrive as structs rather than bytes.
Status check_relay_descriptor(const RelayDescriptor& d);

}  // namespace sotto::dir
