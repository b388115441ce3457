// Fuzzes the consensus decoder and verifier: any input gives a value or an
// error, whatever decodes re-encodes to the same bytes, and verification of a
// decoded document never crashes.
#include <cstddef>
#include <cstdint>

#include "core/dir/consensus.hpp"

namespace {
const sotto::dir::NetworkFile& network() {
    static const sotto::dir::NetworkFile nf = [] {
        sotto::dir::NetworkFile n;
        n.name = "testnet";
        for (std::uint8_t i = 1; i <= 3; ++i) {
            sotto::dir::AuthorityInfo a;
            a.nickname = "auth" + std::to_string(i);
            a.identity.bytes.fill(i);
            a.host = "127.0.0.1";
            a.port = 7000;
            n.authorities.push_back(a);
        }
        return n;
    }();
    return nf;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    sotto::ByteView in(data, size);
    auto c = sotto::dir::decode_consensus(in);
    if (!c) return 0;
    auto out = sotto::dir::encode_consensus(*c);
    if (!std::equal(out.begin(), out.end(), in.begin(), in.end())) __builtin_trap();
    (void)sotto::dir::consensus_digest(*c);
    (void)sotto::dir::verify_consensus(*c, network(), c->valid_after);
    for (const auto& e : c->relays)
        if (c->find(e.identity) != &e) __builtin_trap();
    return 0;
}
