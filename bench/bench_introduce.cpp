// INTRODUCE2 handling time on the service (paper 4.6: decrypt with IK_i's
// key, look the cookie up, replay cache, timestamp, rate limit), for 10,
// 1,000 and 100,000 contacts. The cookie lookup is a hash-table probe keyed
// by H(DC), so the time must not grow with the number of contacts.
#include <chrono>
#include <cstdio>

#include "core/crypto/random.hpp"
#include "core/hs/introduce_crypto.hpp"
#include "core/hs/introduction_checks.hpp"

using namespace sotto;
using Clock = std::chrono::steady_clock;

int main() {
    DeterministicRng rng(7);
    auto ik = crypto::Ed25519SecretKey::generate(rng);
    auto enc = crypto::X25519SecretKey::generate(rng);
    auto rp = crypto::Ed25519SecretKey::generate(rng).public_key();
    const TimePoint now = TimePoint::from_seconds(1'800'000'000);
    std::printf("| %-10s | %20s | %20s |\n", "contacts", "INTRODUCE2 check (us)",
                "decrypt alone (us)");
    std::printf("|------------|----------------------|----------------------|\n");
    for (std::size_t n : {std::size_t(10), std::size_t(1000), std::size_t(100000)}) {
        hs::CookieTable table;
        std::vector<Secret<32>> cookies;
        for (std::size_t i = 0; i < n; ++i) {
            Secret<32> dc;
            rng.fill(dc.mut());
            hs::ContactKey key;
            rng.fill(key.bytes);
            table[hs::cookie_index(dc)] = hs::CookieEntry{key, false};
            if (cookies.size() < 2000) cookies.push_back(std::move(dc));
        }
        hs::IntroductionPolicy policy;
        policy.rate_limit.count = 1'000'000;  // measure the checks, not refusals
        hs::IntroductionChecks checks(policy);
        // Valid introductions from known contacts, made before timing.
        constexpr int kIntros = 2000;
        std::vector<Bytes> bodies;
        for (int i = 0; i < kIntros; ++i) {
            hs::IntroducePayload p;
            p.rp_identity = rp;
            p.rp_host = "127.0.0.1";
            p.rp_port = 5001;
            rng.fill(p.rendezvous_cookie.bytes);
            p.descriptor_cookie = cookies[static_cast<std::size_t>(i) % cookies.size()].clone();
            p.timestamp = now.unix_seconds();
            auto intro = hs::client_introduce(p, ik.public_key(), enc.public_key(), rng);
            bodies.push_back(intro->introduce1());
        }
        auto t0 = Clock::now();
        int accepted = 0;
        for (auto& b : bodies)
            accepted += std::holds_alternative<hs::Accepted>(
                checks.check(b, ik.public_key(), enc, table, now));
        auto t1 = Clock::now();
        for (auto& b : bodies) (void)hs::service_open_introduce(b, ik.public_key(), enc);
        auto t2 = Clock::now();
        if (accepted != kIntros) {
            std::fprintf(stderr, "only %d of %d introductions accepted\n", accepted, kIntros);
            return 1;
        }
        auto us = [](auto d) {
            return std::chrono::duration<double, std::micro>(d).count() / kIntros;
        };
        std::printf("| %10zu | %20.1f | %20.1f |\n", n, us(t1 - t0), us(t2 - t1));
    }
    return 0;
}
