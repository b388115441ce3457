// Link cells: the fixed-size unit that links carry (like tor-spec §3).
// Every cell is exactly 514 bytes on a link: circuit id (4), command (1),
// payload (509). Fixed size hides message lengths from anyone watching a link.
#pragma once

#include <array>
#include <cstdint>

#include "core/util/bytes.hpp"
#include "core/util/error.hpp"

namespace sotto::wire {

inline constexpr std::size_t kCellPayloadLen = 509;
inline constexpr std::size_t kCellLen = 4 + 1 + kCellPayloadLen;

enum class CellCommand : std::uint8_t {
    Padding = 0,     // keepalive / cover; circuit id 0
    Relay = 3,       // relay cell, onion-encrypted payload
    Destroy = 4,     // tear down a circuit; payload[0] is a DestroyReason
    RelayEarly = 9,  // like Relay; only these may carry EXTEND2 (bounds path length)
    Create2 = 10,    // circuit handshake request
    Created2 = 11,   // circuit handshake answer
};
bool is_known_cell_command(std::uint8_t c);

enum class DestroyReason : std::uint8_t {
    None = 0,
    Protocol = 1,
    Internal = 2,
    Requested = 3,
    ResourceLimit = 5,
    ConnectFailed = 6,
    BadIdentity = 7,
    LinkClosed = 8,
    Finished = 9,
    Timeout = 10,
};
const char* destroy_reason_name(DestroyReason r);

using CircuitId = std::uint32_t;

struct Cell {
    CircuitId circ_id = 0;
    CellCommand command = CellCommand::Padding;
    std::array<std::uint8_t, kCellPayloadLen> payload{};

    static Cell make(CircuitId id, CellCommand cmd, ByteView body = {});
};

// Appends exactly kCellLen bytes.
void encode_cell(const Cell& c, Bytes& out);
// Input must be exactly kCellLen bytes.
Result<Cell> decode_cell(ByteView in);

// CREATE2 / CREATED2 bodies (the handshake data inside the cell payload).
inline constexpr std::uint16_t kHandshakeNtor = 2;

struct Create2 {
    std::uint16_t handshake_type = kHandshakeNtor;
    Bytes handshake;  // at most kCellPayloadLen - 4
};
Bytes encode_create2(const Create2& c);
Result<Create2> decode_create2(ByteView payload);

struct Created2 {
    Bytes handshake;  // at most kCellPayloadLen - 2
};
Bytes encode_created2(const Created2& c);
Result<Created2> decode_created2(ByteView payload);

}  // namespace sotto::wire
