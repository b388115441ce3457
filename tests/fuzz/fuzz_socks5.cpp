// Fuzzes the SOCKS5 client handshake with arbitrary server bytes, with and
// without isolation credentials, fed in pieces the input chooses: the
// client ends connected, failed with a typed error, or waiting; it never
// consumes more than it was given nor any byte after the reply; and the
// pieces never change the outcome or what the client writes.
#include <cstddef>
#include <cstdint>

#include "core/tor/socks5.hpp"

namespace {

using namespace sotto;
using namespace sotto::tor;

struct Outcome {
    Bytes written;
    std::size_t consumed = 0;
    Socks5Client::State state{};
    std::optional<SocksError> error;
};

Outcome run(bool isolate, ByteView server, std::size_t step) {
    SocksRequest r{"pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion", 80,
                   std::nullopt};
    if (isolate) r.isolation = SocksCredentials{"contact-1", "x"};
    auto c = Socks5Client::start(std::move(r));
    if (!c) __builtin_trap();
    Outcome o;
    o.written = c->take_output();
    for (std::size_t i = 0; i < server.size(); i += step) {
        auto piece = server.subspan(i, std::min(step, server.size() - i));
        auto used = c->feed(piece);
        auto out = c->take_output();
        o.written.insert(o.written.end(), out.begin(), out.end());
        if (!used) {
            if (c->state() != Socks5Client::State::Failed || !c->error()) __builtin_trap();
            break;
        }
        if (*used > piece.size()) __builtin_trap();
        if (*used < piece.size() && !c->connected()) __builtin_trap();
        o.consumed += *used;
        if (c->connected()) break;
    }
    o.state = c->state();
    o.error = c->error();
    if (o.state == Socks5Client::State::Connected && o.error) __builtin_trap();
    if (o.error && o.state != Socks5Client::State::Failed) __builtin_trap();
    // The longest handshake: method (2) + auth (2) + reply with a 255-byte name (262).
    if (o.consumed > 266) __builtin_trap();
    return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    bool isolate = data[0] & 1;
    std::size_t step = (data[0] >> 1) % 9 + 1;
    ByteView server(data + 1, size - 1);
    auto pieces = run(isolate, server, step);
    auto whole = run(isolate, server, server.size() ? server.size() : 1);
    if (pieces.state != whole.state || pieces.error != whole.error ||
        pieces.written != whole.written ||
        (pieces.state == Socks5Client::State::Connected && pieces.consumed != whole.consumed))
        __builtin_trap();
    return 0;
}
