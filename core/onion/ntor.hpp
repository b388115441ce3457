// Circuit handshakes (tor-spec §5.1.4 "ntor", with X25519, HMAC-SHA3-256 and
// HKDF-SHA3-256), plus the "fast" first-hop handshake.
//
// ntor authenticates the relay's onion key B (bound to its identity ID in the
// consensus) and gives forward secrecy through the ephemeral x and y:
//   client -> relay : ID | B | X                       (96 bytes)
//   relay -> client : Y | AUTH                         (64 bytes)
//   secret_input = X^y | X^b | ID | B | X | Y | PROTOID
//   KEY_SEED = HMAC(t_key, secret_input), verify = HMAC(t_verify, secret_input)
//   AUTH = HMAC(t_mac, verify | ID | B | Y | X | PROTOID | "Server")
//   keys = HKDF(KEY_SEED, info = m_expand), 96 bytes
//
// "fast" (handshake type 1) is for a first hop only, where the link handshake
// already authenticated the relay's identity: client sends 32 random bytes X,
// the relay answers 32 random bytes Y and keys = HKDF(X | Y). It lets a
// client talk to a directory authority whose onion key it does not know yet.
#pragma once

#include <optional>

#include "core/crypto/ed25519.hpp"
#include "core/crypto/x25519.hpp"
#include "core/onion/circuit_keys.hpp"
#include "core/util/error.hpp"
#include "core/util/rng.hpp"

namespace sotto::onion {

inline constexpr std::uint16_t kHandshakeFast = 1;
inline constexpr std::uint16_t kHandshakeNtor = 2;
inline constexpr std::size_t kNtorRequestLen = 96;
inline constexpr std::size_t kNtorReplyLen = 64;
inline constexpr std::size_t kFastLen = 32;

// The ntor derivation shared by the circuit handshake and the private
// services' hs-ntor (core/hs/introduce_crypto): with
//   secret_input = secret_parts... | PROTOID
//   KEY_SEED = HMAC(t_key, secret_input), verify = HMAC(t_verify, secret_input)
//   AUTH = HMAC(t_mac, verify | auth_parts... | PROTOID | "Server")
// where each label is PROTOID followed by ":key_extract", ":verify", ":mac".
struct NtorSecrets {
    SecretBytes key_seed;
    Bytes auth;
};
Result<NtorSecrets> ntor_derive(std::string_view proto_id,
                                std::initializer_list<ByteView> secret_parts,
                                std::initializer_list<ByteView> auth_parts);
// keys = HKDF-SHA3(KEY_SEED, info = PROTOID ":key_expand"), split into hop keys.
Result<HopKeys> ntor_expand(std::string_view proto_id, ByteView key_seed);

// Client state between sending the request and getting the reply.
class ClientHandshake {
  public:
    static ClientHandshake ntor(const crypto::Ed25519PublicKey& relay_id,
                                const crypto::X25519PublicKey& onion_key, Rng& rng);
    static ClientHandshake fast(Rng& rng);

    std::uint16_t type() const { return type_; }
    const Bytes& request() const { return request_; }
    // Verifies the relay's answer (AUTH for ntor) and derives the hop keys.
    Result<HopKeys> finish(ByteView reply);

    ClientHandshake(ClientHandshake&&) noexcept = default;
    ClientHandshake& operator=(ClientHandshake&&) noexcept = default;

  private:
    ClientHandshake() = default;
    std::uint16_t type_ = 0;
    Bytes request_;
    crypto::Ed25519PublicKey id_;
    crypto::X25519PublicKey b_;
    std::optional<crypto::X25519SecretKey> x_;
    Secret<32> fast_x_;
};

struct ServerHandshakeResult {
    Bytes reply;
    HopKeys keys;
};

// Relay side. Fails when the request names another relay or onion key, or is
// malformed; the relay then answers with DESTROY.
Result<ServerHandshakeResult> server_handshake(std::uint16_t type, ByteView request,
                                               const crypto::Ed25519PublicKey& id,
                                               const crypto::X25519SecretKey& onion, Rng& rng);

}  // namespace sotto::onion
