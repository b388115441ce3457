// Requests to an HSDir and its answers (paper 4.3, protocol steps 3/4 and
// 6/7 of Fig. 3), carried on a BEGIN_DIR stream with the same
// `length(4) | body` framing as the relay directory (dir::DirFramer). The
// first body byte is the request type; 0x10..0x12 are the HSDir's, so a relay
// can route a body with is_hsdir_request() before decoding it.
//
//   0x10 PostHsDescriptor     id (32) | descriptor (rest, at most 20 KiB)
//   0x11 GetHsDescriptor      id (32)
//   0x12 WithdrawHsDescriptor withdrawal (169)
//   response: status (1) | message string16 (<= 200 printable)
//             | present (1) | descriptor (rest, only with status ok)
//
// The descriptor travels as opaque bytes: the HSDir store decodes and checks
// it itself (with its own counters), and a client runs decode_hs_descriptor
// and check_hs_descriptor on what it fetched.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "core/dir/dir_message.hpp"
#include "core/hs/hs_descriptor.hpp"

namespace sotto::hs {

enum class HsDirRequestType : std::uint8_t {
    PostHsDescriptor = 0x10,
    GetHsDescriptor = 0x11,
    WithdrawHsDescriptor = 0x12,
};

// Largest body: the post request (type, id, descriptor).
inline constexpr std::size_t kMaxHsDirMessageLen = 1 + 32 + kMaxHsDescriptorLen;
inline constexpr std::size_t kMaxHsDirResponseMessageLen = dir::kMaxDirResponseMessageLen;

struct PostHsDescriptor {
    DescriptorId id;
    Bytes descriptor;  // encoded; 1..kMaxHsDescriptorLen bytes
    friend bool operator==(const PostHsDescriptor&, const PostHsDescriptor&) = default;
};
struct GetHsDescriptor {
    DescriptorId id;
    friend bool operator==(const GetHsDescriptor&, const GetHsDescriptor&) = default;
};
struct WithdrawHsDescriptor {
    HsWithdrawal withdrawal;  // signature and id verified on decode
    friend bool operator==(const WithdrawHsDescriptor&, const WithdrawHsDescriptor&) = default;
};
using HsDirRequest = std::variant<PostHsDescriptor, GetHsDescriptor, WithdrawHsDescriptor>;

// Same status values as the relay directory: 0 ok, 1 rejected, 2 not found,
// 3 malformed.
using HsDirStatus = dir::DirStatus;
struct HsDirResponse {
    HsDirStatus status = HsDirStatus::Ok;
    std::string message;              // one line of printable ASCII, at most 200 bytes
    std::optional<Bytes> descriptor;  // answer to GetHsDescriptor
    friend bool operator==(const HsDirResponse&, const HsDirResponse&) = default;
};

// True when the body's first byte is one of the HSDir request types.
bool is_hsdir_request(ByteView body);

Bytes encode_hsdir_request(const HsDirRequest& r);
Result<HsDirRequest> decode_hsdir_request(ByteView in);
// The message is cut to 200 bytes and non-printable characters become '?',
// so every response encodes to bytes that decode (a descriptor attached to a
// non-ok status, or an oversize one, is left out).
Bytes encode_hsdir_response(const HsDirResponse& r);
Result<HsDirResponse> decode_hsdir_response(ByteView in);

}  // namespace sotto::hs
