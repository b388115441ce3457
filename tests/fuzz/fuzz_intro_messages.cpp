// Fuzzes every introduction/rendezvous codec, the introduction payload
// decoder and service_open_introduce with a fixed key: any input gives a value
// or an error, and whatever decodes re-encodes to the same bytes (every
// encoding is canonical). The first byte picks the decoder.
#include <cstddef>
#include <cstdint>

#include "core/hs/intro_messages.hpp"
#include "core/hs/introduce_crypto.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

using namespace sotto;
using namespace sotto::hs;
using fuzz::require;
using fuzz::same;

struct Keys {
    crypto::Ed25519SecretKey ik;
    crypto::X25519SecretKey enc;
};

const Keys& keys() {
    static const Keys k = [] {
        std::uint8_t seed[32], scalar[32];
        for (int i = 0; i < 32; ++i) {
            seed[i] = static_cast<std::uint8_t>(0x10 + i);
            scalar[i] = static_cast<std::uint8_t>(0x30 + i);
        }
        return Keys{std::move(*crypto::Ed25519SecretKey::from_seed(seed)),
                    std::move(*crypto::X25519SecretKey::from_bytes(scalar))};
    }();
    return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t selector = data[0];
    ByteView in(data + 1, size - 1);
    switch (selector % 11) {
        case 0:
            if (auto e = decode_establish_intro(in)) require(same(encode_establish_intro(*e), in));
            break;
        case 1:
            if (decode_intro_established(in)) require(same(encode_intro_established(), in));
            break;
        case 2:
            if (auto m = decode_introduce(in)) {
                auto out = encode_introduce(*m);
                require(out.has_value() && same(*out, in));
            }
            break;
        case 3:
            if (auto s = decode_introduce_ack(in)) require(same(encode_introduce_ack(*s), in));
            break;
        case 4:
            if (auto c = decode_establish_rendezvous(in))
                require(same(encode_establish_rendezvous(*c), in));
            break;
        case 5:
            if (decode_rendezvous_established(in)) require(in.empty());
            break;
        case 6:
            if (auto m = decode_rendezvous1(in)) require(same(encode_rendezvous1(*m), in));
            break;
        case 7:
            if (auto r = decode_rendezvous2(in)) require(same(encode_rendezvous2(*r), in));
            break;
        case 8:
            if (auto p = decode_introduce_payload(in)) {
                auto out = encode_introduce_payload(*p);
                require(out.has_value() &&
                        std::equal(out->view().begin(), out->view().end(), in.begin(), in.end()));
            }
            break;
        case 9: {
            // With the right key id in front, so the fuzzer reaches the AEAD.
            const auto id = auth_key_id(keys().ik.public_key());
            Bytes body(id.bytes.begin(), id.bytes.end());
            body.insert(body.end(), in.begin(), in.end());
            if (auto o = service_open_introduce(body, keys().ik.public_key(), keys().enc)) {
                // Forging a tag is not expected; if it ever happens the
                // payload must at least be well-formed.
                require(encode_introduce_payload(o->payload).has_value());
            }
            break;
        }
        case 10:
            (void)service_open_introduce(in, keys().ik.public_key(), keys().enc);
            break;
    }
    return 0;
}
