// The encrypted part of INTRODUCE1/INTRODUCE2 and the end-to-end handshake
// between a contact (Alice, the client) and the service (Bob) — paper Fig. 3,
// steps 10-14, and paper 4.6 (the client identifies herself with her
// descriptor cookie DC inside the encrypted request). Exact formats and a test
// vector: docs/protocol-hs-intro.md.
//
// Step 10, client: a fresh ephemeral x; the request is encrypted to the
// introduction point's encryption key B (listed next to IK in the descriptor,
// which is signed by CK and encrypted under DC):
//   k   = HKDF(X25519(x, B), salt = H("sotto-introduce", AuthKeyId, X, B),
//              info = "sotto-introduce-key", 32)
//   body = AuthKeyId | X | ChaCha20-Poly1305(k, nonce 0, aad = AuthKeyId | X,
//                                             payload padded to a fixed size)
// Step 13, service ("hs-ntor", ntor bound to IK and DC):
//   secret_input = X^y | X^b | AuthKeyId | B | X | Y | DC | PROTOID
//   KEY_SEED = HMAC(PROTOID ":key_extract", secret_input)
//   verify   = HMAC(PROTOID ":verify", secret_input)
//   AUTH     = HMAC(PROTOID ":mac", verify | AuthKeyId | B | Y | X | PROTOID | "Server")
//   keys     = HKDF(KEY_SEED, info = PROTOID ":key_expand", 96)
// Step 14, client: checks AUTH. Both sides are authenticated: only Bob holds
// b, and only a holder of DC derives the same keys (DESIGN §2, "the
// end-to-end session key is bound to the introduction key and the cookie").
//
// Directions: the keys form a virtual hop appended to both rendezvous
// circuits. The client uses them like any hop (forward = client -> service).
// The service appends the same virtual hop to its own circuit, where
// "forward" means service -> client, so it gets them with the directions
// swapped (`ServiceRendezvous::service_keys`, = `swap_directions(client keys)`)
// and uses the same client-side HopCrypto calls: client_seal_forward and
// client_unwrap_backward.
#pragma once

#include <optional>
#include <string>

#include "core/crypto/aead.hpp"
#include "core/crypto/ed25519.hpp"
#include "core/crypto/x25519.hpp"
#include "core/hs/intro_messages.hpp"
#include "core/onion/circuit_keys.hpp"
#include "core/util/error.hpp"
#include "core/util/rng.hpp"

namespace sotto::hs {

inline constexpr std::uint8_t kIntroducePayloadVersion = 1;
// The payload is zero-padded to this size so every INTRODUCE1 fills a relay
// cell exactly (498 bytes): the length says nothing about the rendezvous
// point's host name or the client's software.
inline constexpr std::size_t kIntroducePlaintextLen =
    kMaxIntroduceEncryptedLen - crypto::kAeadTagLen;  // 418
inline constexpr std::size_t kIntroduce1Len = kIntroduceHeaderLen + kMaxIntroduceEncryptedLen;
inline constexpr std::size_t kMaxRpHostLen = 255;

// What the client tells the service (paper: RPO, RC, g^x, DC_AB, time; g^x
// travels in clear next to the ciphertext).
struct IntroducePayload {
    std::uint8_t version = kIntroducePayloadVersion;
    crypto::Ed25519PublicKey rp_identity;
    crypto::X25519PublicKey rp_onion_key;
    std::string rp_host;  // 1..255 visible ASCII
    std::uint16_t rp_port = 0;
    RendezvousCookie rendezvous_cookie;
    Secret<32> descriptor_cookie;  // DC_AB, identifies the contact
    std::int64_t timestamp = 0;    // unix seconds, checked against a window
};

// version (1) | rp_identity (32) | rp_onion_key (32) | rp_host string16 |
// rp_port (2) | cookie (20) | DC (32) | timestamp (8), zero-padded to
// kIntroducePlaintextLen.
Result<SecretBytes> encode_introduce_payload(const IntroducePayload& p);
// Exactly kIntroducePlaintextLen bytes; the padding must be zero.
Result<IntroducePayload> decode_introduce_payload(ByteView plaintext);

// Client state between sending INTRODUCE1 and receiving RENDEZVOUS2. Holds the
// ephemeral x and a copy of DC (both wiped); finish() can succeed only once.
class ClientIntroduce {
  public:
    const Bytes& introduce1() const { return introduce1_; }
    // Verifies AUTH from RENDEZVOUS2 (BadSignature when the service does not
    // hold the introduction point's encryption key) and returns the virtual
    // hop's keys for the client's side.
    Result<onion::HopKeys> finish(ByteView rendezvous2_reply);

    ClientIntroduce(ClientIntroduce&&) noexcept = default;
    ClientIntroduce& operator=(ClientIntroduce&&) noexcept = default;

  private:
    friend Result<ClientIntroduce> client_introduce(const IntroducePayload&,
                                                    const crypto::Ed25519PublicKey&,
                                                    const crypto::X25519PublicKey&, Rng&);
    ClientIntroduce() = default;
    Bytes introduce1_;
    AuthKeyId auth_key_id_;
    crypto::X25519PublicKey enc_key_;
    std::optional<crypto::X25519SecretKey> x_;
    Secret<32> descriptor_cookie_;
};

// auth_key: IK_i; enc_key: B_i — both from the decrypted descriptor.
Result<ClientIntroduce> client_introduce(const IntroducePayload& payload,
                                         const crypto::Ed25519PublicKey& auth_key,
                                         const crypto::X25519PublicKey& enc_key, Rng& rng);

struct OpenedIntroduce {
    AuthKeyId auth_key_id;
    crypto::X25519PublicKey client_key;  // X
    IntroducePayload payload;
};

// Service side, for the introduction circuit whose keys are IK_i and b_i.
// Errors: BadIdentity (names another introduction key), Crypto (X is a
// small-order point), BadSignature (tag does not verify: not made with B_i, or
// altered), Malformed/Truncated/BadVersion (bad payload). Every error means
// "drop silently".
Result<OpenedIntroduce> service_open_introduce(ByteView introduce2_body,
                                               const crypto::Ed25519PublicKey& auth_key,
                                               const crypto::X25519SecretKey& enc_key);

struct ServiceRendezvous {
    HandshakeReply reply;         // Y | AUTH
    Bytes rendezvous1;            // the RENDEZVOUS1 body: cookie | reply
    onion::HopKeys service_keys;  // directions swapped for the service (see above)
};

// Service side, after introduction_checks accepted the request: a fresh y,
// the reply for RENDEZVOUS1 and the service's keys of the virtual hop.
Result<ServiceRendezvous> service_rendezvous(const OpenedIntroduce& opened,
                                             const crypto::Ed25519PublicKey& auth_key,
                                             const crypto::X25519SecretKey& enc_key, Rng& rng);

// Exchanges forward and backward keys and digest seeds.
onion::HopKeys swap_directions(onion::HopKeys keys);

}  // namespace sotto::hs
