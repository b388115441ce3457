// What the end-to-end session between contacts (core/session) costs, each
// figure beside a peer measured in the same run, so the ratio is what the
// table is about (this machine is shared):
//
//   contact handshake (IK, both sides, from the pairwise Ed25519 keys)
//       vs the ntor circuit handshake (both sides), which every hop of a
//       circuit already pays: a cold connect builds 3 + 3 of them;
//   invite handshake (XXpsk0, both sides), same peer;
//   a 16 KiB record sealed and opened vs raw ChaCha20-Poly1305 on the same
//       bytes (OpenSSL EVP, one context).
//
// The handshake adds one round trip on the stream too (loopback: well under
// a millisecond); the CPU figure here is what it adds besides.
#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/crypto/ed25519_x25519.hpp"
#include "core/crypto/random.hpp"
#include "core/onion/ntor.hpp"
#include "core/session/secure_channel.hpp"
#include "core/session/session_keys.hpp"

using namespace sotto;
using Clock = std::chrono::steady_clock;

namespace {

template <typename F>
double us_per_op(std::size_t iterations, F&& f) {
    for (std::size_t i = 0; i < iterations / 10 + 1; ++i) f();  // warm up
    auto t0 = Clock::now();
    for (std::size_t i = 0; i < iterations; ++i) f();
    auto t1 = Clock::now();
    return std::chrono::duration<double, std::micro>(t1 - t0).count() /
           static_cast<double>(iterations);
}

void row(const char* what, double ours, const char* peer, double theirs) {
    std::printf("| %-40s | %9.1f | %-34s | %9.1f | %5.2fx |\n", what, ours, peer, theirs,
                ours / theirs);
}

void need(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

int main() {
    SystemRng rng;
    std::printf("| %-40s | %9s | %-34s | %9s | %6s |\n", "sotto (µs per operation)", "sotto",
                "peer in the same run", "peer", "ratio");
    std::printf("|%s|%s|%s|%s|%s|\n", std::string(42, '-').c_str(), std::string(11, '-').c_str(),
                std::string(36, '-').c_str(), std::string(11, '-').c_str(),
                std::string(8, '-').c_str());

    // The ntor circuit handshake, both sides.
    auto id = crypto::Ed25519SecretKey::generate(rng);
    auto onion_key = crypto::X25519SecretKey::generate(rng);
    const double ntor = us_per_op(2000, [&] {
        auto c = onion::ClientHandshake::ntor(id.public_key(), onion_key.public_key(), rng);
        auto s = onion::server_handshake(onion::kHandshakeNtor, c.request(), id.public_key(),
                                         onion_key, rng);
        need(s.has_value() && c.finish(s->reply).has_value());
    });

    const Bytes prologue = session::session_prologue(Bytes(8, 7));
    auto alice = crypto::Ed25519SecretKey::generate(rng);
    auto bob = crypto::Ed25519SecretKey::generate(rng);
    const double ik = us_per_op(2000, [&] {
        // What the messenger does per stream: map both pairwise keys, then
        // the handshake on both sides.
        const auto bob_x = *crypto::x25519_from_ed25519(bob.public_key());
        const auto alice_x = *crypto::x25519_from_ed25519(alice.public_key());
        auto caller = session::SecureChannel::contact_caller(
            prologue, crypto::x25519_from_ed25519(alice), bob_x, rng);
        auto answerer = session::SecureChannel::contact_answerer(
            prologue, crypto::x25519_from_ed25519(bob),
            [&](const crypto::X25519PublicKey& k) { return k == alice_x; }, rng);
        auto m2 = answerer->feed(*caller->start());
        need(m2 && m2->established && caller->feed(m2->send).has_value());
    });
    row("contact handshake (IK), both sides", ik, "ntor circuit handshake, both sides", ntor);

    Bytes creds(64, 3);
    const auto psk = session::invite_psk(creds);
    const Bytes pairwise_seed = rng.bytes(32);
    const double xx = us_per_op(2000, [&] {
        auto inviter = session::invite_pairwise_key(pairwise_seed);
        auto caller = session::SecureChannel::invite_caller(
            prologue, psk, crypto::x25519_from_ed25519(alice), rng);
        auto answerer = session::SecureChannel::invite_answerer(
            prologue, psk, crypto::x25519_from_ed25519(inviter), rng);
        auto m2 = answerer->feed(*caller->start());
        auto m3 = caller->feed(m2->send);
        need(m3 && m3->established && answerer->feed(m3->send).has_value());
    });
    row("invite handshake (XXpsk0), both sides", xx, "ntor circuit handshake, both sides", ntor);

    // Records: seal + open of the largest chat frame.
    auto caller =
        session::SecureChannel::contact_caller(prologue, crypto::x25519_from_ed25519(alice),
                                               *crypto::x25519_from_ed25519(bob.public_key()), rng);
    auto answerer = session::SecureChannel::contact_answerer(
        prologue, crypto::x25519_from_ed25519(bob), nullptr, rng);
    auto m2 = answerer->feed(*caller->start());
    need(m2 && caller->feed(m2->send).has_value());
    const Bytes frame(session::kMaxRecordPlaintext, 0x42);
    const double record = us_per_op(20000, [&] {
        auto sealed = caller->seal(frame);
        auto opened = answerer->feed(*sealed);
        need(opened && opened->records.size() == 1);
    });
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    const std::uint8_t key[32] = {1}, nonce[12] = {};
    Bytes out(frame.size() + 16);
    const double raw = us_per_op(20000, [&] {
        int len = 0;
        for (int dir = 0; dir < 2; ++dir) {  // seal, then "open" (same work)
            EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, key, nonce, 1);
            EVP_CipherUpdate(ctx, out.data(), &len, frame.data(), static_cast<int>(frame.size()));
            EVP_CipherFinal_ex(ctx, out.data() + len, &len);
        }
    });
    EVP_CIPHER_CTX_free(ctx);
    row("16 KiB record: seal + open", record, "raw ChaCha20-Poly1305 twice", raw);
    std::printf("\nrecords: %.0f MB/s of chat frames through seal + open on one core\n",
                static_cast<double>(frame.size()) / record);
    return 0;
}
