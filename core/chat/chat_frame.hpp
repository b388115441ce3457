// The chat protocol spoken on a stream between two contacts, inside the
// session (core/session: every frame is one sealed record). This unit is
// only the framing: every frame is padded to one of a few size
// classes so an observer of cell counts (or a relay) cannot tell message
// lengths apart beyond the class.
//
// On the wire: u32 big-endian total length (one of kSizeClasses) | body,
// where body = type u8 | content length u32 | content | zero padding. A
// frame that is not exactly a size class, has unknown type, trailing
// garbage inside its content, or non-zero padding is refused.
//
// Frames:
//   Hello    (invitee → inviter, first frame on an invite stream): the
//            invitee's display name, pairwise identity key, and the
//            credentials (one per transport the invitee runs, opaque) of
//            the grants the invitee made for the inviter.
//   Welcome  (inviter → invitee): the inviter's display name, pairwise
//            identity key and fresh long-term credentials for the invitee
//            (one per transport the inviter runs).
//   Message  id (16) | sent_at (u64 µs) | UTF-8 body (≤ kMaxBodyBytes).
//   Ack      id (16): the message is stored on the receiver's disk.
//   Presence online/away (sent first on every stream, and on change).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <variant>

#include "core/chat/message_id.hpp"
#include "core/crypto/ed25519.hpp"
#include "core/transport/credential.hpp"
#include "core/util/bytes.hpp"
#include "core/util/error.hpp"
#include "core/util/time.hpp"

namespace sotto::chat {

inline constexpr std::array<std::size_t, 4> kSizeClasses = {256, 1024, 4096, 16384};
// A message body must fit the largest class with its header; the engine
// refuses longer ones with a clear message.
inline constexpr std::size_t kMaxBodyBytes = 16000;
inline constexpr std::size_t kMaxNameBytes = 64;

struct Hello {
    std::string name;
    crypto::Ed25519PublicKey pairwise;
    transport::CredentialList grant_for_you;
};
struct Welcome {
    std::string name;
    crypto::Ed25519PublicKey pairwise;
    transport::CredentialList grant_for_you;
};
struct ChatMessage {
    MessageId id;
    TimePoint sent_at;
    std::string body;
};
struct Ack {
    MessageId id;
};
enum class PresenceState : std::uint8_t { Online = 1, Away = 2 };
struct Presence {
    PresenceState state = PresenceState::Online;
};

using Frame = std::variant<Hello, Welcome, ChatMessage, Ack, Presence>;

// Encodes and pads. Fails (Errc::TooLarge) if the content does not fit the
// largest class, or (Errc::Malformed) on invalid UTF-8 in a name or body.
Result<Bytes> encode_frame(const Frame& frame);

// Reassembles frames from stream bytes (which arrive in arbitrary pieces).
// After an error the decoder stays failed: the engine closes the stream.
class FrameDecoder {
  public:
    // Appends bytes; returns the frames completed by them.
    Result<std::vector<Frame>> feed(ByteView data);
    std::size_t buffered() const { return buf_.size(); }

  private:
    Bytes buf_;
    bool failed_ = false;
};

// One frame exactly (for tests and the fuzz target).
Result<Frame> decode_frame(ByteView wire);

// True iff `s` is valid UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF).
bool valid_utf8(std::string_view s);

// The longest prefix of valid UTF-8 `s` that ends on a character boundary
// and has at most `max` bytes (names cut to what a frame or a code carries).
std::string utf8_truncate(std::string s, std::size_t max);

}  // namespace sotto::chat
