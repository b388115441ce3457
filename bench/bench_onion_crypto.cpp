// Relay-cell crypto and circuit-handshake benchmarks, each printed beside
// the raw OpenSSL primitive doing the same work in the same run, so the
// table shows our overhead rather than the machine's speed.
//
//   middle hop : one AES-128-CTR layer + the `recognized` check
//   client     : 3 layers + the running SHA-256 digest of the target hop
//   ntor server: the relay's half of the circuit handshake
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <cstdio>

#include "core/crypto/hash.hpp"
#include "core/crypto/random.hpp"
#include "core/onion/ntor.hpp"
#include "core/onion/relay_crypto.hpp"
#include "core/wire/relay_cell.hpp"

using namespace sotto;
using Clock = std::chrono::steady_clock;

namespace {

template <typename F>
double ns_per_op(std::size_t iterations, F&& f) {
    for (std::size_t i = 0; i < iterations / 10; ++i) f();  // warm up
    auto t0 = Clock::now();
    for (std::size_t i = 0; i < iterations; ++i) f();
    auto t1 = Clock::now();
    return std::chrono::duration<double, std::nano>(t1 - t0).count() /
           static_cast<double>(iterations);
}

std::pair<onion::HopCrypto, onion::HopCrypto> hop(Rng& rng) {
    auto id = crypto::Ed25519SecretKey::generate(rng);
    auto onion_key = crypto::X25519SecretKey::generate(rng);
    auto c = onion::ClientHandshake::ntor(id.public_key(), onion_key.public_key(), rng);
    auto s = onion::server_handshake(onion::kHandshakeNtor, c.request(), id.public_key(), onion_key,
                                     rng);
    auto k = c.finish(s->reply);
    return {std::move(*onion::HopCrypto::create(*k)),
            std::move(*onion::HopCrypto::create(s->keys))};
}

void row(const char* what, double ours, double raw) {
    std::printf("| %-44s | %10.1f | %10.1f | %5.2fx |\n", what, ours, raw, ours / raw);
}

}  // namespace

int main() {
    DeterministicRng rng(1);
    constexpr std::size_t kCells = 2'000'000;
    std::printf("| %-44s | %10s | %10s | %6s |\n", "operation (ns per cell / per handshake)",
                "sotto", "raw", "ratio");
    std::printf("|%s|%s|%s|%s|\n", std::string(46, '-').c_str(), std::string(12, '-').c_str(),
                std::string(12, '-').c_str(), std::string(8, '-').c_str());

    // Raw primitives: an EVP AES-128-CTR context and a SHA-256 context.
    const std::uint8_t key[16] = {1, 2, 3};
    const std::uint8_t iv[16] = {};
    EVP_CIPHER_CTX* raw_ctx[3];
    for (auto*& c : raw_ctx) {
        c = EVP_CIPHER_CTX_new();
        EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), nullptr, key, iv);
    }
    EVP_MD_CTX* raw_md = EVP_MD_CTX_new();
    EVP_MD_CTX* raw_md_copy = EVP_MD_CTX_new();
    EVP_DigestInit_ex(raw_md, EVP_sha256(), nullptr);
    onion::CellPayload cell{};
    int len = 0;

    // Middle hop, forward: one layer off, not recognised (the common case).
    {
        auto [client, relay] = hop(rng);
        double ours = ns_per_op(kCells, [&] {
            cell[1] = 0xff;  // keep `recognized` non-zero so no digest is computed
            relay.relay_wrap_backward(cell);
        });
        double raw = ns_per_op(kCells, [&] {
            EVP_EncryptUpdate(raw_ctx[0], cell.data(), &len, cell.data(),
                              static_cast<int>(cell.size()));
        });
        row("middle hop: relay one layer", ours, raw);
    }
    // Client: 3 layers and a digest, both directions.
    {
        std::vector<onion::HopCrypto> client, relays;
        for (int i = 0; i < 3; ++i) {
            auto [c, r] = hop(rng);
            client.push_back(std::move(c));
            relays.push_back(std::move(r));
        }
        double ours = ns_per_op(kCells, [&] {
            cell[1] = 0;
            onion::client_encrypt_forward(client, 2, cell);
        });
        double raw = ns_per_op(kCells, [&] {
            EVP_DigestUpdate(raw_md, cell.data(), cell.size());
            EVP_MD_CTX_copy_ex(raw_md_copy, raw_md);
            unsigned char d[32];
            unsigned int dl = 0;
            EVP_DigestFinal_ex(raw_md_copy, d, &dl);
            for (auto* c : raw_ctx)
                EVP_EncryptUpdate(c, cell.data(), &len, cell.data(), static_cast<int>(cell.size()));
        });
        row("client: seal + 3 layers (forward)", ours, raw);
    }

    // Server side of the ntor handshake vs the raw X25519 work it contains
    // (one key generation and two scalar multiplications).
    {
        auto id = crypto::Ed25519SecretKey::generate(rng);
        auto onion_key = crypto::X25519SecretKey::generate(rng);
        auto c = onion::ClientHandshake::ntor(id.public_key(), onion_key.public_key(), rng);
        SystemRng sys;
        constexpr std::size_t kHs = 5000;
        double ours = ns_per_op(kHs, [&] {
            auto r = onion::server_handshake(onion::kHandshakeNtor, c.request(), id.public_key(),
                                             onion_key, sys);
            if (!r) std::abort();
        });
        auto peer = crypto::X25519SecretKey::generate(rng).public_key();
        double raw = ns_per_op(kHs, [&] {
            auto y = crypto::X25519SecretKey::generate(sys);
            auto a = y.agree(peer);
            auto b = onion_key.agree(peer);
            if (!a || !b) std::abort();
        });
        row("ntor server handshake", ours, raw);
        std::printf("\nntor server handshakes per second on one core: %.0f (goal >= 5000)\n",
                    1e9 / ours);
    }
    for (auto* c : raw_ctx) EVP_CIPHER_CTX_free(c);
    EVP_MD_CTX_free(raw_md);
    EVP_MD_CTX_free(raw_md_copy);
    return 0;
}
