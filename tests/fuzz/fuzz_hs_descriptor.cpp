// Fuzzes the private-service descriptor decoders. The first byte picks the
// target: descriptor, withdrawal, the introduction-point plaintext parser
// (the input is sealed with a fixed cookie first, so the parser behind the
// AEAD is reached), or an arbitrary sealed section. What decodes must
// re-encode to the same bytes.
#include <cstddef>
#include <cstdint>

#include "core/hs/descriptor_id.hpp"
#include "core/hs/hs_descriptor.hpp"
#include "core/wire/reader.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

using namespace sotto;
using fuzz::same;

struct Fixed {
    hs::DescriptorCookie dc{Bytes(32, 0x5a)};
    crypto::Ed25519PublicKey ck = crypto::Ed25519PublicKey::from(Bytes(32, 0x6b));
    hs::SecretIdPart s = hs::secret_id_part(dc, 19675, 0);
    crypto::AeadKey key = std::move(*hs::intro_points_key(dc, s));
};

Fixed& fixed() {
    static Fixed f;
    return f;
}

struct CountingRng : Rng {
    std::uint8_t next = 0;
    void fill(MutableByteView out) override {
        for (auto& b : out) b = next++;
    }
};

hs::HsDescriptor with_section(Bytes section) {
    hs::HsDescriptor d;
    d.client_key = fixed().ck;
    d.secret_id = fixed().s;
    d.revision = 3;
    d.encrypted_intro_points = std::move(section);
    return d;
}

void fuzz_intro_plaintext(ByteView in) {
    Bytes plain(in.begin(), in.end());
    plain.resize(hs::kIntroSectionPlainLen, 0);
    crypto::AeadNonce nonce;
    wire::Writer aad;
    aad.fixed(fixed().ck).fixed(fixed().s).u64(3);
    Bytes section(nonce.bytes.begin(), nonce.bytes.end());
    if (!crypto::aead_seal_append(fixed().key, nonce, aad.data(), plain, section)) __builtin_trap();
    auto points = hs::open_intro_points(with_section(std::move(section)), fixed().dc);
    if (!points) return;
    if (points->empty() || points->size() > hs::kMaxIntroPoints) __builtin_trap();
    // What opens must seal and open again to the same points.
    CountingRng rng;
    auto again = hs::seal_intro_points(*points, fixed().dc, fixed().s, fixed().ck, 3, rng);
    if (!again || again->size() != hs::kIntroSectionLen) __builtin_trap();
    auto reopened = hs::open_intro_points(with_section(std::move(*again)), fixed().dc);
    if (!reopened || *reopened != *points) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    ByteView in(data + 1, size - 1);
    switch (data[0] % 4) {
        case 0:
            if (auto d = hs::decode_hs_descriptor(in)) {
                if (!same(hs::encode_hs_descriptor(*d), in)) __builtin_trap();
                if (hs::hs_descriptor_expiry(*d) <= TimePoint::from_seconds(d->published))
                    __builtin_trap();
                (void)hs::id_of(*d);
            }
            break;
        case 1:
            if (auto w = hs::decode_hs_withdrawal(in)) {
                if (!same(hs::encode_hs_withdrawal(*w), in)) __builtin_trap();
                if (!hs::check_hs_withdrawal(*w)) __builtin_trap();
            }
            break;
        case 2:
            fuzz_intro_plaintext(in);
            break;
        case 3:
            // Arbitrary sections: must fail cleanly (the tag cannot verify).
            if (hs::open_intro_points(with_section(Bytes(in.begin(), in.end())), fixed().dc))
                __builtin_trap();
            break;
    }
    return 0;
}
