// Fuzzes the link layer from the untrusted side of every state: a fresh
// responder, an initiator waiting for msg2, an open link's record parser, and
// an open link's cell decoder (fed through genuinely sealed records, which
// fuzzed bytes alone could never produce). Any input must end in Open or
// Closed with an error, never a crash; the invariants below trap otherwise.
#include <cstddef>
#include <cstdint>

#include <algorithm>

#include "core/crypto/random.hpp"
#include "core/link/link_session.hpp"
#include "core/wire/reader.hpp"

namespace {

using namespace sotto;
using sotto::link::LinkSession;
using sotto::link::LinkState;

constexpr TimePoint kT0 = TimePoint::from_seconds(1'700'000'000);

void check(bool ok) {
    if (!ok) __builtin_trap();
}

const crypto::Ed25519SecretKey& identity() {
    static DeterministicRng rng(1);
    static const auto key = crypto::Ed25519SecretKey::generate(rng);
    return key;
}

// Feeds `in` in chunks of `chunk` bytes, checking the error contract.
void feed(LinkSession& s, ByteView in, std::size_t chunk) {
    TimePoint now = kT0;
    while (!in.empty()) {
        const std::size_t n = std::min(chunk, in.size());
        auto st = s.receive(in.first(n), now);
        check(st.has_value() == (s.state() != LinkState::Closed));
        if (!st) {
            check(s.close_reason().has_value());
            check(s.close_reason()->code == st.error().code);
            break;
        }
        in = in.subspan(n);
        now = now + Duration::millis(1);
    }
    while (auto c = s.pop_cell())
        check(!(c->command == wire::CellCommand::Padding && c->circ_id == 0));
    Bytes out;
    s.take_output(out, now);
    if (s.state() == LinkState::Closed) {
        check(out.empty());
        check(!s.receive(in, now).has_value());
    }
    s.on_timer(now + Duration::hours(1));
    check(s.state() == LinkState::Closed);
    check(s.next_deadline() == TimePoint::never());
}

bool handshake(LinkSession& init, LinkSession& resp) {
    for (int i = 0; i < 3; ++i) {
        Bytes a, b;
        init.take_output(a, kT0);
        if (!a.empty() && !resp.receive(a, kT0)) return false;
        resp.take_output(b, kT0);
        if (!b.empty() && !init.receive(b, kT0)) return false;
    }
    return init.state() == LinkState::Open && resp.state() == LinkState::Open;
}

// Runs `f(initiator, responder)` on an open link between the two, from
// DeterministicRngs seeded `seed` and `seed` + 1.
template <typename F>
void on_open_link(std::uint64_t seed, F&& f) {
    DeterministicRng rng_i(seed), rng_r(seed + 1);
    auto init = LinkSession::initiator(identity().public_key(), rng_i, kT0);
    auto resp = LinkSession::responder(identity(), rng_r, kT0);
    check(handshake(init, resp));
    f(init, resp);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    // The first byte picks one scenario (so each runs at full speed and the
    // fuzzer can specialise) and how the rest is fragmented.
    const unsigned mode = data[0] & 3;
    const std::size_t chunk = (data[0] >> 2) + 1;
    const ByteView in(data + 1, size - 1);

    if (mode == 0) {
        DeterministicRng rng(2);
        auto resp = LinkSession::responder(identity(), rng, kT0);
        feed(resp, in, chunk);
    }
    if (mode == 1) {
        DeterministicRng rng(3);
        auto init = LinkSession::initiator(identity().public_key(), rng, kT0);
        Bytes msg1;
        init.take_output(msg1, kT0);
        feed(init, in, chunk);
    }
    // The record layer of an open link, raw.
    if (mode == 2) on_open_link(4, [&](LinkSession&, LinkSession& resp) { feed(resp, in, chunk); });
    // Arbitrary cells (any command byte) inside authentic records.
    if (mode == 3)
        on_open_link(6, [&](LinkSession& init, LinkSession& resp) {
            for (std::size_t off = 0; off < in.size(); off += wire::kCellLen) {
                const ByteView raw = in.subspan(off, std::min(wire::kCellLen, in.size() - off));
                wire::Cell c;
                if (raw.size() >= 4) c.circ_id = wire::get_u32(raw.data());
                if (raw.size() >= 5) c.command = static_cast<wire::CellCommand>(raw[4]);
                if (raw.size() > 5) std::copy(raw.begin() + 5, raw.end(), c.payload.begin());
                init.send(c);
            }
            Bytes records;
            init.take_output(records, kT0);
            check(init.queued_cells() == 0);
            feed(resp, records, chunk * 97);
        });
    return 0;
}
