// Fuzzes the contact sessions' parser, SecureChannel::feed
// (core/session/secure_channel): never crashes, never holds more than one
// message, stays failed after an error, and never delivers a record that the
// other side did not seal.
//
// Input: byte 0 picks the case and the piece size; the rest is the stream.
// - Cases 0-3: the bytes go to a fresh channel (contact or invite, caller or
//   answerer) as if they came from the other side.
// - Case 4: a real handshake first, then the rest is cut into plaintexts
//   that the caller seals; the sealed stream is changed at one place (chosen
//   by the input) or not at all, and fed to the answerer, which must either
//   fail or deliver exactly the plaintexts, in order.
#include <cstddef>
#include <cstdint>

#include "core/crypto/random.hpp"
#include "core/session/secure_channel.hpp"
#include "core/util/rng.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

using namespace sotto;
using namespace sotto::session;
using fuzz::require;

crypto::X25519SecretKey key(std::uint8_t fill) {
    Bytes b(32, fill);
    return *crypto::X25519SecretKey::from_bytes(b);
}

Secret<32> psk() {
    Bytes b(32, 0x77);
    return Secret<32>(b);
}

SecureChannel make(int which, Rng& rng) {
    const Bytes prologue{1, 2, 3};
    switch (which) {
        case 0:
            return *SecureChannel::contact_caller(prologue, key(1), key(2).public_key(), rng);
        case 1:
            return *SecureChannel::contact_answerer(
                prologue, key(2), [](const crypto::X25519PublicKey&) { return true; }, rng);
        case 2:
            return *SecureChannel::invite_caller(prologue, psk(), key(1), rng);
        default:
            return *SecureChannel::invite_answerer(prologue, psk(), key(2), rng);
    }
}

void feed_in_pieces(SecureChannel& c, ByteView in, std::size_t step,
                    std::vector<Bytes>* delivered) {
    bool failed = false;
    for (std::size_t at = 0; at < in.size(); at += step) {
        auto out = c.feed(in.subspan(at, std::min(step, in.size() - at)));
        if (failed) require(!out.has_value());  // failed for good
        if (!out) {
            failed = true;
            require(c.failed() && c.buffered() == 0);
            continue;
        }
        require(c.buffered() <= kLengthPrefix + kMaxRecordLen);
        if (delivered)
            for (auto& r : out->records) delivered->emplace_back(r.view().begin(), r.view().end());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const int which = data[0] % 5;
    const std::size_t step = static_cast<std::size_t>(data[0] / 5) * 13 + 1;
    ByteView in(data + 1, size - 1);
    DeterministicRng rng(42);

    if (which < 4) {
        auto c = make(which, rng);
        if (which % 2 == 0) (void)c.start();
        std::vector<Bytes> delivered;
        feed_in_pieces(c, in, step, &delivered);
        // Nobody here holds the other side's keys: no record can verify.
        require(delivered.empty());
        return 0;
    }

    auto caller = make(0, rng);
    auto answerer = make(1, rng);
    auto m1 = caller.start();
    auto m2 = answerer.feed(*m1);
    require(m2 && m2->established);
    require(caller.feed(m2->send).has_value() && caller.established());

    // Plaintexts: the input cut at every zero byte (empty pieces skipped).
    std::vector<Bytes> sent;
    Bytes stream;
    Bytes piece;
    const std::size_t change_at = in.size() > 2 ? (std::size_t{in[0]} << 8 | in[1]) : 0;
    for (std::size_t i = 2; i <= in.size(); ++i) {
        if (i == in.size() || in[i] == 0) {
            if (!piece.empty() && piece.size() <= kMaxRecordPlaintext) {
                auto sealed = caller.seal(piece);
                require(sealed.has_value());
                stream.insert(stream.end(), sealed->begin(), sealed->end());
                sent.push_back(piece);
            }
            piece.clear();
        } else {
            piece.push_back(in[i]);
        }
    }
    const bool changed = change_at < stream.size() && in.size() > 2 && in[0] != 0xff;
    if (changed) stream[change_at] ^= static_cast<std::uint8_t>(in[1] | 1);
    std::vector<Bytes> delivered;
    feed_in_pieces(answerer, stream, step, &delivered);
    if (!changed) {
        require(delivered == sent);
        require(!answerer.failed());
    } else {
        // Whatever came before the change is delivered as sealed, nothing after.
        require(delivered.size() <= sent.size());
        for (std::size_t i = 0; i < delivered.size(); ++i) require(delivered[i] == sent[i]);
        // The change fails the channel, or (a length prefix made larger)
        // leaves it waiting for bytes that never come.
        require(answerer.failed() || delivered.size() < sent.size());
    }
    return 0;
}
