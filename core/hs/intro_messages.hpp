// Relay-cell bodies of the introduction and rendezvous steps of the private
// service protocol (paper Fig. 3, steps 1-2 and 8-14; docs/protocol-hs-intro.md).
//
// The introduction point learns only a per-establishment introduction key IK_i
// (paper 4.1), never the service's identity or a contact's client key. A
// client names that key by `AuthKeyId = H("sotto-auth-key-id", IK_i)`; the
// encrypted part of INTRODUCE1 is opaque here (see introduce_crypto.hpp). Every
// body fits in one relay cell (498 bytes); decoders are bounded, reject
// trailing bytes and return errors as values.
#pragma once

#include <cstdint>

#include "core/crypto/ed25519.hpp"
#include "core/crypto/hash.hpp"
#include "core/crypto/x25519.hpp"
#include "core/util/error.hpp"
#include "core/util/rng.hpp"
#include "core/wire/relay_cell.hpp"

namespace sotto::hs {

struct AuthKeyIdTag {};
struct IntroNonceTag {};
struct RendezvousCookieTag {};
struct HandshakeReplyTag {};

// H("sotto-auth-key-id", IK): how clients and the introduction point name IK.
using AuthKeyId = FixedBytes<32, AuthKeyIdTag>;
using IntroNonce = FixedBytes<32, IntroNonceTag>;
// A value both ends of the service's introduction circuit hop know and nobody
// else does (onion::circuit_binding of that hop's keys), so an ESTABLISH_INTRO
// cannot be replayed on another circuit or at another introduction point.
using CircuitBinding = crypto::Digest256;
// 20 random bytes chosen by the client for one rendezvous (paper RC). Not a
// secret from the rendezvous point, which matches the two circuits with it.
using RendezvousCookie = FixedBytes<20, RendezvousCookieTag>;
// The service's half of the end-to-end handshake: Y (32) | AUTH (32).
using HandshakeReply = FixedBytes<64, HandshakeReplyTag>;

inline constexpr std::size_t kMaxIntroBodyLen = wire::kRelayDataMax;  // 498
inline constexpr std::size_t kEstablishIntroLen = 32 + 32 + 32 + 64;
inline constexpr std::size_t kIntroduceHeaderLen = 32 + 32;  // auth_key_id | X
// The AEAD tag is the least an encrypted part can hold.
inline constexpr std::size_t kMinIntroduceEncryptedLen = 16;
inline constexpr std::size_t kMaxIntroduceEncryptedLen = kMaxIntroBodyLen - kIntroduceHeaderLen;
inline constexpr std::size_t kRendezvous1Len = 20 + 64;

AuthKeyId auth_key_id(const crypto::Ed25519PublicKey& auth_key);

// --- ESTABLISH_INTRO (service -> introduction point, step 1) -------------
// auth_key (32) | nonce (32) | circuit_binding (32) | signature (64), the
// signature by IK over "sotto-establish-intro-v1" | auth_key | nonce | binding.
struct EstablishIntro {
    crypto::Ed25519PublicKey auth_key;
    IntroNonce nonce;
    CircuitBinding circuit_binding;
    crypto::Ed25519Signature signature;
    friend bool operator==(const EstablishIntro&, const EstablishIntro&) = default;
};

Bytes establish_intro_signed_part(const EstablishIntro& e);
// Fresh nonce from `rng`, signed with the introduction key.
EstablishIntro make_establish_intro(const crypto::Ed25519SecretKey& auth_key,
                                    const CircuitBinding& binding, Rng& rng);
Bytes encode_establish_intro(const EstablishIntro& e);
// Verifies the signature (BadSignature). Does not compare the binding: the
// introduction point must call `check_establish_intro_binding` with its own.
Result<EstablishIntro> decode_establish_intro(ByteView in);
// BadIdentity when the cell was made for another circuit.
Status check_establish_intro_binding(const EstablishIntro& e, const CircuitBinding& this_circuit);

// --- INTRO_ESTABLISHED (step 2): status (1) = 0 --------------------------
Bytes encode_intro_established();
Status decode_intro_established(ByteView in);

// --- INTRODUCE1 (client -> IP, step 10) and INTRODUCE2 (IP -> service, 12) -
// auth_key_id (32) | client ephemeral X (32) | encrypted part (16..434). The
// introduction point forwards the INTRODUCE1 body unchanged as INTRODUCE2.
struct Introduce {
    AuthKeyId auth_key_id;
    crypto::X25519PublicKey client_key;  // X
    Bytes encrypted;
    friend bool operator==(const Introduce&, const Introduce&) = default;
};

Result<Bytes> encode_introduce(const Introduce& m);
Result<Introduce> decode_introduce(ByteView in);

// --- INTRODUCE_ACK (IP -> client, step 11): status (1) ------------------
//
// An introduction point answers every well-formed INTRODUCE1 with
// Forwarded, at once, whether or not it holds a circuit for the key (an
// unknown key is dropped silently). Anything else would be a presence oracle
// for whoever holds a current IK_i without being let in (a stranger a contact
// handed it to, a revoked or hidden contact): "unknown" while the service's
// introduction circuit is down, "forwarded" while it is up. So the status
// means only "received"; whether the service answers shows only as a
// RENDEZVOUS2, which the client waits for a bounded time per introduction
// point. UnknownAuthKey is no longer sent; it is still decoded, and a client
// treats it exactly like Forwarded.
enum class IntroduceAckStatus : std::uint8_t {
    Forwarded = 0,
    UnknownAuthKey = 1,  // obsolete: never sent
};
Bytes encode_introduce_ack(IntroduceAckStatus s);
Result<IntroduceAckStatus> decode_introduce_ack(ByteView in);

// --- ESTABLISH_RENDEZVOUS (client -> RP, step 8): cookie (20) -----------
Bytes encode_establish_rendezvous(const RendezvousCookie& cookie);
Result<RendezvousCookie> decode_establish_rendezvous(ByteView in);

// --- RENDEZVOUS_ESTABLISHED (RP -> client, step 9): empty ---------------
Bytes encode_rendezvous_established();
Status decode_rendezvous_established(ByteView in);

// --- RENDEZVOUS1 (service -> RP, step 13): cookie (20) | Y (32) | AUTH (32)
struct Rendezvous1 {
    RendezvousCookie cookie;
    HandshakeReply reply;
    friend bool operator==(const Rendezvous1&, const Rendezvous1&) = default;
};
Bytes encode_rendezvous1(const Rendezvous1& m);
Result<Rendezvous1> decode_rendezvous1(ByteView in);

// --- RENDEZVOUS2 (RP -> client, step 14): Y (32) | AUTH (32) ------------
// The rendezvous point copies the reply from RENDEZVOUS1 without the cookie.
Bytes encode_rendezvous2(const HandshakeReply& reply);
Result<HandshakeReply> decode_rendezvous2(ByteView in);

}  // namespace sotto::hs
