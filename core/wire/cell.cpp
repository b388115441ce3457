#include "core/wire/cell.hpp"

#include <algorithm>

#include "core/wire/reader.hpp"

namespace sotto::wire {

bool is_known_cell_command(std::uint8_t c) {
    switch (static_cast<CellCommand>(c)) {
        case CellCommand::Padding:
        case CellCommand::Relay:
        case CellCommand::Destroy:
        case CellCommand::RelayEarly:
        case CellCommand::Create2:
        case CellCommand::Created2:
            return true;
    }
    return false;
}

const char* destroy_reason_name(DestroyReason r) {
    switch (r) {
        case DestroyReason::None:
            return "none";
        case DestroyReason::Protocol:
            return "protocol violation";
        case DestroyReason::Internal:
            return "internal error";
        case DestroyReason::Requested:
            return "requested";
        case DestroyReason::ResourceLimit:
            return "resource limit";
        case DestroyReason::ConnectFailed:
            return "could not connect to next hop";
        case DestroyReason::BadIdentity:
            return "next hop had the wrong identity";
        case DestroyReason::LinkClosed:
            return "link closed";
        case DestroyReason::Finished:
            return "finished";
        case DestroyReason::Timeout:
            return "timeout";
    }
    return "unknown";
}

Cell Cell::make(CircuitId id, CellCommand cmd, ByteView body) {
    Cell c;
    c.circ_id = id;
    c.command = cmd;
    std::copy_n(body.begin(), std::min(body.size(), kCellPayloadLen), c.payload.begin());
    return c;
}

void encode_cell(const Cell& c, Bytes& out) {
    const std::size_t base = out.size();
    out.resize(base + kCellLen);
    put_u32(out.data() + base, c.circ_id);
    out[base + 4] = static_cast<std::uint8_t>(c.command);
    std::copy(c.payload.begin(), c.payload.end(), out.begin() + static_cast<long>(base + 5));
}

Result<Cell> decode_cell(ByteView in) {
    if (in.size() != kCellLen)
        return fail(Errc::Malformed, "cell must be " + std::to_string(kCellLen) + " bytes, got " +
                                         std::to_string(in.size()));
    if (!is_known_cell_command(in[4]))
        return fail(Errc::Malformed, "unknown cell command " + std::to_string(in[4]));
    Cell c;
    c.circ_id = get_u32(in.data());
    c.command = static_cast<CellCommand>(in[4]);
    std::copy(in.begin() + 5, in.end(), c.payload.begin());
    return c;
}

Bytes encode_create2(const Create2& c) {
    Writer w(4 + c.handshake.size());
    w.u16(c.handshake_type).var16(c.handshake);
    return w.take();
}

Result<Create2> decode_create2(ByteView payload) {
    Reader r(payload);
    auto type = r.u16();
    if (!type) return std::unexpected(type.error());
    auto hs = r.var16(kCellPayloadLen - 4);
    if (!hs) return std::unexpected(hs.error());
    return Create2{*type, Bytes(hs->begin(), hs->end())};
}

Bytes encode_created2(const Created2& c) {
    Writer w(2 + c.handshake.size());
    w.var16(c.handshake);
    return w.take();
}

Result<Created2> decode_created2(ByteView payload) {
    Reader r(payload);
    auto hs = r.var16(kCellPayloadLen - 2);
    if (!hs) return std::unexpected(hs.error());
    return Created2{Bytes(hs->begin(), hs->end())};
}

}  // namespace sotto::wire
