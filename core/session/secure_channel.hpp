// The end-to-end session between two contacts on one stream (docs/messenger.md,
// "Sessions"): a Noise handshake before anything else, then every chat frame
// sealed as one record. Independent of the transport: the stream may run
// over Sotto's own onion network, over Tor, or through a relay that forges
// cells; whatever is not a valid handshake or record under this session's
// keys fails the channel, and the stream must then be closed.
//
// Two kinds, chosen by what the caller knows:
// - Contact (Noise IK): both sides hold pairwise keys. The caller knows the
//   other side's static key; the answering side learns the caller's from the
//   first message and asks `PeerCheck` whether it is the contact the stream
//   came for. A refusal sends nothing back.
// - Invite (Noise XXpsk0): the invitee and the inviter know only the invite
//   code; its pre-shared key opens the very first message, so nobody without
//   the code gets an answer, and the two exchange their new pairwise keys in
//   the handshake.
//
// On the wire every message, handshake or record, is a 2-byte big-endian
// length and that many bytes. Handshake payloads are empty; a record holds
// one chat frame (at most kMaxRecordPlaintext bytes) and its 16-byte tag,
// under the Noise transport keys with implicit counters: a record lost,
// repeated, reordered or altered fails its tag, and so the channel.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "core/crypto/x25519.hpp"
#include "core/session/noise.hpp"
#include "core/util/bytes.hpp"
#include "core/util/error.hpp"
#include "core/util/rng.hpp"

namespace sotto::session {

// The largest chat frame (core/chat/chat_frame.hpp's biggest size class).
inline constexpr std::size_t kMaxRecordPlaintext = 16384;
inline constexpr std::size_t kMaxRecordLen = kMaxRecordPlaintext + noise::kTagLen;
inline constexpr std::size_t kLengthPrefix = 2;

class SecureChannel {
  public:
    // Whether the static key the caller proved is the one this stream may
    // come from. Called once, before anything is sent back.
    using PeerCheck = std::function<bool(const crypto::X25519PublicKey&)>;

    static Result<SecureChannel> contact_caller(ByteView prologue, crypto::X25519SecretKey ours,
                                                const crypto::X25519PublicKey& theirs, Rng& rng);
    static Result<SecureChannel> contact_answerer(ByteView prologue, crypto::X25519SecretKey ours,
                                                  PeerCheck check, Rng& rng);
    static Result<SecureChannel> invite_caller(ByteView prologue, const Secret<32>& psk,
                                               crypto::X25519SecretKey ours, Rng& rng);
    static Result<SecureChannel> invite_answerer(ByteView prologue, const Secret<32>& psk,
                                                 crypto::X25519SecretKey ours, Rng& rng);

    struct Output {
        Bytes send;                        // handshake messages to write, framed
        std::vector<SecretBytes> records;  // opened records, in order
        bool established = false;          // the handshake finished in this call
    };
    // The caller's first message, framed (empty for the answering side).
    Result<Bytes> start();
    // Bytes as they came off the stream, in pieces of any size. An error is
    // final: the stream must be closed and nothing from it used.
    Result<Output> feed(ByteView data);
    // One record, framed; only once established().
    Result<Bytes> seal(ByteView plaintext);

    bool established() const { return send_.has_value(); }
    bool failed() const { return failed_; }
    // The peer's static key, once the handshake has proved it.
    const std::optional<crypto::X25519PublicKey>& peer_static() const { return peer_; }
    // Noise's h after the handshake: the same value on both sides.
    ByteView handshake_hash() const { return hash_.view(); }
    // Bytes held for a message not yet complete (at most one record).
    std::size_t buffered() const { return in_.size(); }

    SecureChannel(SecureChannel&&) noexcept = default;
    SecureChannel& operator=(SecureChannel&&) noexcept = default;

  private:
    SecureChannel(noise::HandshakeState hs, PeerCheck check)
        : hs_(std::move(hs)), check_(std::move(check)) {}
    static Result<SecureChannel> make(std::string_view pattern, bool initiator, ByteView prologue,
                                      noise::HandshakeKeys keys, PeerCheck check, Rng& rng);
    // XXpsk0 with the invite's secret, either side of the invite stream.
    static Result<SecureChannel> invite(bool initiator, ByteView prologue, const Secret<32>& psk,
                                        crypto::X25519SecretKey ours, Rng& rng);
    Status write_handshake(Bytes& out);
    Status read_handshake(ByteView message, Output& out);
    Status finish();
    template <typename T>
    Result<T> broken(Error e);

    std::optional<noise::HandshakeState> hs_;
    PeerCheck check_;
    std::optional<noise::CipherState> send_, receive_;
    std::optional<crypto::X25519PublicKey> peer_;
    Secret<32> hash_;
    Bytes in_;
    bool started_ = false;
    bool failed_ = false;
};

}  // namespace sotto::session
