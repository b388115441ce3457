// The Noise Protocol Framework (revision 34), suite 25519_ChaChaPoly_SHA256:
// the CipherState, SymmetricState and HandshakeState objects of the spec's
// §5, driven by a handshake pattern given as tokens, with the psk modifiers
// of §9. Sessions between contacts (secure_channel.hpp) use two patterns,
// IK and XXpsk0; the object runs any pattern so that it can be checked
// against the published test vectors of others (tests/unit/tst_noise.cpp).
//
// Sans-I/O and allocation-light: write_message / read_message turn payloads
// into handshake messages and back; after the last message split() gives the
// two transport CipherStates. Any failure leaves the object failed for good.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto/x25519.hpp"
#include "core/util/bytes.hpp"
#include "core/util/error.hpp"
#include "core/util/rng.hpp"

namespace sotto::session::noise {

inline constexpr std::size_t kDhLen = 32;
inline constexpr std::size_t kHashLen = 32;
inline constexpr std::size_t kTagLen = 16;
inline constexpr std::size_t kMaxMessageLen = 65535;

enum class Token : std::uint8_t { E, S, EE, ES, SE, SS, Psk };

struct HandshakePattern {
    std::string name;  // "IK", "XXpsk0", "XXpsk0+psk1"
    // Pre-messages: "-> s" and "<- s".
    bool initiator_static_known = false;
    bool responder_static_known = false;
    // Message i is sent by the initiator when i is even.
    std::vector<std::vector<Token>> messages;
    bool psk_mode() const;
};

// A base pattern of the spec's §7 (NN, NK, NX, XN, XK, XX, KN, KK, KX, IN,
// IK, IX) with optional psk modifiers ("XXpsk0", "XXpsk0+psk1").
Result<HandshakePattern> pattern_by_name(std::string_view name);

// k and n of §5.1. Encryption fails once n would reach 2^64 - 1.
class CipherState {
  public:
    CipherState() = default;
    void initialize_key(ByteView key32);
    bool has_key() const { return has_key_; }
    // Appends ciphertext (with its tag, when there is a key) to `out`.
    Status encrypt_with_ad(ByteView ad, ByteView plaintext, Bytes& out);
    Result<Bytes> decrypt_with_ad(ByteView ad, ByteView ciphertext);

  private:
    Secret<32> k_;
    bool has_key_ = false;
    std::uint64_t n_ = 0;
};

struct Split {
    CipherState send;
    CipherState receive;
};

struct HandshakeKeys {
    std::optional<crypto::X25519SecretKey> s;   // our static
    std::optional<crypto::X25519PublicKey> rs;  // theirs, when known in advance
    std::vector<Secret<32>> psks;               // in the order the tokens use them
    std::optional<crypto::X25519SecretKey> e;   // test vectors only: a fixed ephemeral
};

class HandshakeState {
  public:
    static Result<HandshakeState> initialize(HandshakePattern pattern, bool initiator,
                                             ByteView prologue, HandshakeKeys keys, Rng& rng);

    // Whose turn: true when the next message is ours to write.
    bool our_turn() const;
    bool finished() const { return next_ == pattern_.messages.size(); }

    Result<Bytes> write_message(ByteView payload);
    Result<Bytes> read_message(ByteView message);

    // The peer's static key once a message has carried it (or the known one).
    const std::optional<crypto::X25519PublicKey>& remote_static() const { return rs_; }
    // h: identifies the handshake; both sides hold the same value.
    ByteView handshake_hash() const { return h_.view(); }
    // Only once finished(); the send/receive pair for our side.
    Result<Split> split();

    HandshakeState(HandshakeState&&) noexcept = default;
    HandshakeState& operator=(HandshakeState&&) noexcept = default;

  private:
    HandshakeState(Rng& rng) : rng_(&rng) {}
    // SymmetricState (§5.2).
    void mix_hash(ByteView data);
    Status mix_key(ByteView ikm);
    Status mix_e(ByteView e);
    Status mix_key_and_hash(ByteView ikm);
    Status encrypt_and_hash(ByteView plaintext, Bytes& out);
    Result<Bytes> decrypt_and_hash(ByteView ciphertext);
    Status dh_token(Token t);

    Rng* rng_;
    HandshakePattern pattern_;
    bool initiator_ = false;
    bool psk_mode_ = false;  // e tokens also mix the key (§9.2)
    std::size_t next_ = 0;   // index of the next message
    bool failed_ = false;
    Secret<32> ck_;
    Secret<32> h_;  // not secret, but kept like ck
    CipherState cs_;
    std::optional<crypto::X25519SecretKey> s_, e_, fixed_e_;
    std::optional<crypto::X25519PublicKey> rs_, re_;
    std::vector<Secret<32>> psks_;
    std::size_t next_psk_ = 0;
};

}  // namespace sotto::session::noise
