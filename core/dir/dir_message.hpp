// Directory requests and responses, carried on a BEGIN_DIR stream (a stream
// that ends at the relay itself). Framing on the stream: length(4) | body,
// body at most kMaxDirMessageLen. Used by relays to upload descriptors, by
// clients to fetch the consensus, and by authorities to exchange votes and
// signatures.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>

#include "core/dir/consensus.hpp"
#include "core/dir/relay_descriptor.hpp"

namespace sotto::dir {

inline constexpr std::size_t kMaxDirMessageLen = kMaxConsensusLen + 1024;
// Requests a relay that is not an authority reads: GetConsensus and the HSDir
// requests (core/hs/hsdir_messages.hpp) are far smaller; only votes between
// authorities come near kMaxDirMessageLen.
inline constexpr std::size_t kMaxRelayRequestLen = 64 * 1024;
// 2: every descriptor carries the flags the authority gives it (issue 9:
// flags are voted, not derived from what the relay claims).
inline constexpr std::uint8_t kVoteVersion = 2;
inline constexpr std::size_t kMaxVoteDescriptors = kMaxConsensusRelays;
inline constexpr std::size_t kMaxDirResponseMessageLen = 200;

// A vote: one authority's view of the relays for a voting round.
struct Vote {
    crypto::Ed25519PublicKey authority;
    std::int64_t valid_after = 0;  // the round it is for
    std::vector<RelayDescriptor> descriptors;
    // Per descriptor, the consensus flags this authority gives it (the
    // consensus sets a flag that a strict majority of votes give).
    std::vector<std::uint32_t> flags;
    crypto::Ed25519Signature signature;  // over "sotto-vote-v1" || body
    friend bool operator==(const Vote&, const Vote&) = default;
};
Vote sign_vote(Vote v, const crypto::Ed25519SecretKey& authority_key);
Bytes encode_vote(const Vote& v);
// Descriptors sorted strictly by identity, one flags word each; verifies
// the vote signature and every descriptor's signature.
Result<Vote> decode_vote(ByteView in);
// Verifies only the vote's own signature, for votes that arrive as structs.
bool verify_vote_signature(const Vote& v);

struct PostDescriptor {
    RelayDescriptor descriptor;
    friend bool operator==(const PostDescriptor&, const PostDescriptor&) = default;
};
struct GetConsensus {
    friend bool operator==(const GetConsensus&, const GetConsensus&) = default;
};
struct PostVote {
    Vote vote;
    friend bool operator==(const PostVote&, const PostVote&) = default;
};
struct PostSignature {
    crypto::Digest256 consensus_digest;
    std::int64_t valid_after = 0;
    ConsensusSignature signature;
    friend bool operator==(const PostSignature&, const PostSignature&) = default;
};
using DirRequest = std::variant<PostDescriptor, GetConsensus, PostVote, PostSignature>;

enum class DirStatus : std::uint8_t { Ok = 0, Rejected = 1, NotFound = 2, Malformed = 3 };
struct DirResponse {
    DirStatus status = DirStatus::Ok;
    std::string message;                 // one line for people: printable ASCII, at most 200 bytes
    std::optional<Consensus> consensus;  // answer to GetConsensus
    friend bool operator==(const DirResponse&, const DirResponse&) = default;
};

Bytes encode_dir_request(const DirRequest& r);
Result<DirRequest> decode_dir_request(ByteView in);
// The message is cut to 200 bytes and non-printable characters become '?',
// so every response encodes to bytes that decode.
Bytes encode_dir_response(const DirResponse& r);
Result<DirResponse> decode_dir_response(ByteView in);

// Stream framing: collects bytes and yields complete bodies.
class DirFramer {
  public:
    DirFramer() = default;
    // Refuses frames longer than `max_message` (at most kMaxDirMessageLen).
    explicit DirFramer(std::size_t max_message);
    // Appends `length(4) | body` to out.
    static void frame(ByteView body, Bytes& out);
    // Error when a length exceeds the limit, or when more than one longest
    // frame (header and limit) would be held unread: feed in pieces and take
    // frames as they complete. Errors are sticky.
    Status feed(ByteView bytes);
    std::optional<Bytes> next();
    // Bytes held in memory (taken frames leave it at the next compaction).
    std::size_t buffered() const { return buf_.size(); }

  private:
    Bytes buf_;
    std::size_t head_ = 0;     // start of the first unread frame in buf_
    std::size_t checked_ = 0;  // end of the complete frames whose length was checked
    bool failed_ = false;      // an oversize length poisons the stream for good
    std::size_t max_message_ = kMaxDirMessageLen;
};

}  // namespace sotto::dir
