#include "core/wire/relay_cell.hpp"

#include <algorithm>

#include "core/wire/reader.hpp"

namespace sotto::wire {

bool is_known_relay_command(std::uint8_t c) {
    switch (static_cast<RelayCommand>(c)) {
        case RelayCommand::Begin:
        case RelayCommand::Data:
        case RelayCommand::End:
        case RelayCommand::Connected:
        case RelayCommand::Sendme:
        case RelayCommand::Truncate:
        case RelayCommand::Truncated:
        case RelayCommand::Drop:
        case RelayCommand::BeginDir:
        case RelayCommand::Extend2:
        case RelayCommand::Extended2:
        case RelayCommand::EstablishIntro:
        case RelayCommand::IntroEstablished:
        case RelayCommand::Introduce1:
        case RelayCommand::Introduce2:
        case RelayCommand::IntroduceAck:
        case RelayCommand::EstablishRendezvous:
        case RelayCommand::RendezvousEstablished:
        case RelayCommand::Rendezvous1:
        case RelayCommand::Rendezvous2:
            return true;
    }
    return false;
}

Status encode_relay_cell(const RelayCell& rc, std::array<std::uint8_t, kCellPayloadLen>& p) {
    if (rc.data.size() > kRelayDataMax)
        return fail(Errc::TooLarge, "relay cell data exceeds " + std::to_string(kRelayDataMax));
    p.fill(0);
    p[0] = static_cast<std::uint8_t>(rc.command);
    put_u16(p.data() + 3, rc.stream_id);
    put_u16(p.data() + 9, static_cast<std::uint16_t>(rc.data.size()));
    std::copy(rc.data.begin(), rc.data.end(), p.begin() + kRelayHeaderLen);
    return {};
}

Result<RelayCell> decode_relay_cell(ByteView payload) {
    if (payload.size() != kCellPayloadLen) return fail(Errc::Malformed, "relay payload size");
    if (!is_known_relay_command(payload[0]))
        return fail(Errc::Malformed, "unknown relay command " + std::to_string(payload[0]));
    const std::uint16_t len = get_u16(payload.data() + 9);
    if (len > kRelayDataMax)
        return fail(Errc::TooLarge, "relay length " + std::to_string(len) + " exceeds cell");
    RelayCell rc;
    rc.command = static_cast<RelayCommand>(payload[0]);
    rc.stream_id = get_u16(payload.data() + 3);
    rc.data.assign(payload.begin() + kRelayHeaderLen,
                   payload.begin() + static_cast<long>(kRelayHeaderLen + len));
    return rc;
}

namespace {

Status check_host(const std::string& host) {
    if (host.empty() || host.size() > 255)
        return fail(Errc::Malformed, "host must be 1..255 bytes");
    for (char c : host)
        if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e)
            return fail(Errc::Malformed, "host contains a non-printable character");
    return {};
}

}  // namespace

Bytes encode_begin(const Begin& b) {
    Writer w;
    w.string16(b.host).u16(b.port);
    return w.take();
}

Result<Begin> decode_begin(ByteView data) {
    Reader r(data);
    Begin b;
    auto host = r.string16(255);
    if (!host) return std::unexpected(host.error());
    if (auto s = check_host(*host); !s) return std::unexpected(s.error());
    auto port = r.u16();
    if (!port) return std::unexpected(port.error());
    if (*port == 0) return fail(Errc::Malformed, "BEGIN port 0");
    if (auto s = r.expect_end("BEGIN"); !s) return std::unexpected(s.error());
    b.host = std::move(*host);
    b.port = *port;
    return b;
}

Bytes encode_extend2(const Extend2& e) {
    Writer w;
    w.fixed(e.identity)
        .string16(e.host)
        .u16(e.port)
        .u16(e.create.handshake_type)
        .var16(e.create.handshake);
    return w.take();
}

Result<Extend2> decode_extend2(ByteView data) {
    Reader r(data);
    Extend2 e;
    auto id = r.fixed<crypto::Ed25519PublicKey>();
    if (!id) return std::unexpected(id.error());
    auto host = r.string16(255);
    if (!host) return std::unexpected(host.error());
    if (auto s = check_host(*host); !s) return std::unexpected(s.error());
    auto port = r.u16();
    auto type = port ? r.u16() : Result<std::uint16_t>(std::unexpected(port.error()));
    if (!type) return std::unexpected(type.error());
    if (*port == 0) return fail(Errc::Malformed, "EXTEND2 port 0");
    auto hs = r.var16(kRelayDataMax);
    if (!hs) return std::unexpected(hs.error());
    if (auto s = r.expect_end("EXTEND2"); !s) return std::unexpected(s.error());
    e.identity = *id;
    e.host = std::move(*host);
    e.port = *port;
    e.create = Create2{*type, Bytes(hs->begin(), hs->end())};
    return e;
}

}  // namespace sotto::wire
