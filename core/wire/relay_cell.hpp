// Relay cells: the plaintext inside a RELAY cell once every onion layer is
// removed. Header: command (1), recognized (2, zero), stream id (2),
// digest (4), length (2); then up to 498 data bytes, zero padded.
// The `recognized` and `digest` fields are how the hop a cell is meant for
// recognises it (see core/onion/relay_crypto.hpp).
#pragma once

#include <cstdint>

#include "core/crypto/ed25519.hpp"
#include "core/util/bytes.hpp"
#include "core/util/error.hpp"
#include "core/wire/cell.hpp"

namespace sotto::wire {

inline constexpr std::size_t kRelayHeaderLen = 11;
inline constexpr std::size_t kRelayDataMax = kCellPayloadLen - kRelayHeaderLen;  // 498
inline constexpr std::size_t kRelayDigestOffset = 5;
inline constexpr std::size_t kRelayRecognizedOffset = 1;

enum class RelayCommand : std::uint8_t {
    Begin = 1,
    Data = 2,
    End = 3,
    Connected = 4,
    Sendme = 5,
    Truncate = 8,
    Truncated = 9,
    Drop = 10,
    BeginDir = 13,
    Extend2 = 14,
    Extended2 = 15,
    // The private-service protocol (core/hs, docs/protocol-hs-intro.md).
    EstablishIntro = 32,
    IntroEstablished = 33,
    Introduce1 = 34,
    Introduce2 = 35,
    IntroduceAck = 36,
    EstablishRendezvous = 37,
    RendezvousEstablished = 38,
    Rendezvous1 = 39,
    Rendezvous2 = 40,
    // 41..63 reserved.
};
bool is_known_relay_command(std::uint8_t c);

using StreamId = std::uint16_t;

struct RelayCell {
    RelayCommand command = RelayCommand::Drop;
    StreamId stream_id = 0;
    Bytes data;  // at most kRelayDataMax
};

// Writes the relay header and data into a cell payload with recognized = 0 and
// digest = 0; the sender's crypto fills the digest.
Status encode_relay_cell(const RelayCell& rc, std::array<std::uint8_t, kCellPayloadLen>& payload);
// Parses a payload already known to be addressed to us (recognized and digest
// checked by the caller).
Result<RelayCell> decode_relay_cell(ByteView payload);

// END reasons carried in the first data byte of an END cell.
enum class EndReason : std::uint8_t {
    Misc = 1,
    ResolveFailed = 2,
    ConnectRefused = 3,
    ExitPolicy = 4,
    Destroy = 5,
    Done = 6,
    Timeout = 7,
    Internal = 9,
    ResourceLimit = 11,
    Protocol = 13,
};

// BEGIN: target "host:port" (exit streams) as a string, at most 255 bytes.
struct Begin {
    std::string host;
    std::uint16_t port = 0;
};
Bytes encode_begin(const Begin& b);
Result<Begin> decode_begin(ByteView data);

// EXTEND2: who the next hop is and the CREATE2 handshake to send it.
struct Extend2 {
    crypto::Ed25519PublicKey identity;
    std::string host;  // IPv4/IPv6 literal or name, at most 255 bytes
    std::uint16_t port = 0;
    Create2 create;
};
Bytes encode_extend2(const Extend2& e);
Result<Extend2> decode_extend2(ByteView data);

// EXTENDED2 carries the CREATED2 body back.
inline Bytes encode_extended2(const Created2& c) {
    return encode_created2(c);
}
inline Result<Created2> decode_extended2(ByteView data) {
    return decode_created2(data);
}

// SENDME carries no data in this version (windows are counted, not
// authenticated; see docs/protocol.md).

}  // namespace sotto::wire
