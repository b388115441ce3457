// Private-service descriptors: ids, encoding, signature, the encrypted
// introduction-point section and signed withdrawals.
#include <QtTest>

#include "core/crypto/hash.hpp"
#include "core/crypto/random.hpp"
#include "core/hs/descriptor_id.hpp"
#include "core/hs/hs_descriptor.hpp"
#include "core/hs/time_period.hpp"
#include "core/util/rng.hpp"
#include "core/wire/reader.hpp"
#include "tests/common/decode_error.hpp"

using namespace sotto;
using namespace sotto::hs;

namespace {

constexpr std::int64_t kNow = 1'700'000'000;

struct Fixture {
    DeterministicRng rng{11};
    crypto::Ed25519SecretKey ck = crypto::Ed25519SecretKey::generate(rng);
    DescriptorCookie dc{rng.bytes(32)};
    SecretIdPart s = secret_id_part(dc, 19675, 0);

    IntroPointInfo point(std::size_t i, std::size_t host_len = 0) {
        IntroPointInfo p;
        p.relay_identity = crypto::Ed25519SecretKey::generate(rng).public_key();
        p.relay_onion_key = crypto::X25519SecretKey::generate(rng).public_key();
        p.host = host_len ? std::string(host_len, 'h') : "10.0.0." + std::to_string(i);
        p.port = static_cast<std::uint16_t>(9000 + i);
        p.auth_key = crypto::Ed25519SecretKey::generate(rng).public_key();
        p.enc_key = crypto::X25519SecretKey::generate(rng).public_key();
        return p;
    }
    std::vector<IntroPointInfo> points(std::size_t n, std::size_t host_len = 0) {
        std::vector<IntroPointInfo> v;
        for (std::size_t i = 0; i < n; ++i) v.push_back(point(i, host_len));
        return v;
    }

    HsDescriptor descriptor(const std::vector<IntroPointInfo>& pts, std::uint64_t revision = 7) {
        HsDescriptor d;
        d.secret_id = s;
        d.published = kNow;
        d.lifetime_s = 3600;
        d.revision = revision;
        auto sealed = seal_intro_points(pts, dc, s, ck.public_key(), revision, rng);
        if (!sealed) qFatal("%s", sealed.error().message.c_str());
        d.encrypted_intro_points = std::move(*sealed);
        return sign_hs_descriptor(d, ck);
    }
    HsDescriptor descriptor() { return descriptor(points(3)); }

    // A withdrawal of this client's descriptors under `s`, signed.
    HsWithdrawal withdrawal(std::uint64_t revision) const {
        HsWithdrawal w;
        w.secret_id = s;
        w.revision = revision;
        return sign_hs_withdrawal(w, ck);
    }
};

Bytes copy(ByteView v) {
    return Bytes(v.begin(), v.end());
}

Errc decode_error(ByteView b) {
    return testing::error_of(decode_hs_descriptor(b));
}

// Re-signs a descriptor after its fields were changed.
Bytes resigned(HsDescriptor d, const crypto::Ed25519SecretKey& ck) {
    return encode_hs_descriptor(sign_hs_descriptor(std::move(d), ck));
}

// An intro section with an arbitrary plaintext, sealed correctly.
Bytes seal_raw(const Fixture& f, const HsDescriptor& d, const Bytes& plain) {
    auto key = intro_points_key(f.dc, d.secret_id);
    crypto::AeadNonce nonce;
    nonce.bytes.fill(3);
    wire::Writer aad;
    aad.fixed(d.client_key).fixed(d.secret_id).u64(d.revision);
    Bytes out(nonce.bytes.begin(), nonce.bytes.end());
    if (!crypto::aead_seal_append(*key, nonce, aad.data(), plain, out)) qFatal("seal");
    return out;
}

// `r` failed with `code`, saying exactly `message`.
template <typename T>
void verify_error(const Result<T>& r, Errc code, const char* message) {
    QVERIFY(!r.has_value());
    QCOMPARE(r.error().code, code);
    QCOMPARE(QString::fromStdString(r.error().message), QString::fromUtf8(message));
}

}  // namespace

class TestHsDescriptor : public QObject {
    Q_OBJECT
  private slots:
    // ---- ids
    void id_derivations() {
        Fixture f;
        const auto ck = f.ck.public_key();
        const auto h_ck = client_key_id(ck);
        QCOMPARE(copy(h_ck.view()),
                 copy(crypto::sha3_256_parts({as_bytes("sotto-client-key-id"), ck.view()}).view()));
        const std::uint8_t tp_be[8] = {0, 0, 0, 0, 0, 0, 0x4c, 0xdb};  // 19675
        const std::uint8_t ri[1] = {1};
        QCOMPARE(copy(secret_id_part(f.dc, 19675, 1).view()),
                 copy(crypto::sha3_256_parts({as_bytes("sotto-secret-id"), f.dc.view(), tp_be, ri})
                          .view()));
        QCOMPARE(
            copy(descriptor_id(h_ck, f.s).view()),
            copy(crypto::sha3_256_parts({as_bytes("sotto-descriptor-id"), h_ck.view(), f.s.view()})
                     .view()));
        // Every input changes S.
        QVERIFY(secret_id_part(f.dc, 19675, 0) != secret_id_part(f.dc, 19675, 1));
        QVERIFY(secret_id_part(f.dc, 19675, 0) != secret_id_part(f.dc, 19676, 0));
        DescriptorCookie other(f.rng.bytes(32));
        QVERIFY(secret_id_part(f.dc, 19675, 0) != secret_id_part(other, 19675, 0));
        QCOMPARE(id_of(f.descriptor()), descriptor_id(h_ck, f.s));
    }

    // ---- encoding
    void round_trip() {
        Fixture f;
        auto pts = f.points(3);
        auto d = f.descriptor(pts);
        QCOMPARE(d.client_key, f.ck.public_key());
        auto bytes = encode_hs_descriptor(d);
        auto back = decode_hs_descriptor(bytes);
        QVERIFY2(back.has_value(), back ? "" : back.error().message.c_str());
        QVERIFY(*back == d);
        QCOMPARE(encode_hs_descriptor(*back), bytes);
        auto opened = open_intro_points(*back, f.dc);
        QVERIFY2(opened.has_value(), opened ? "" : opened.error().message.c_str());
        QVERIFY(*opened == pts);
    }

    void layout() {
        Fixture f;
        auto d = f.descriptor();
        auto bytes = encode_hs_descriptor(d);
        QCOMPARE(bytes.size(), std::size_t{1 + 32 + 32 + 8 + 4 + 8 + 2 + kIntroSectionLen + 64});
        QCOMPARE(kIntroSectionLen,
                 std::size_t{12 + 1 + 10 * (32 + 32 + 2 + 255 + 2 + 32 + 32) + 16});
        wire::Reader r(bytes);
        QCOMPARE(*r.u8(), kHsDescriptorVersion);
        QCOMPARE(*r.fixed<crypto::Ed25519PublicKey>(), d.client_key);
        QCOMPARE(*r.fixed<SecretIdPart>(), d.secret_id);
        QCOMPARE(*r.u64(), std::uint64_t{kNow});
        QCOMPARE(*r.u32(), std::uint32_t{3600});
        QCOMPARE(*r.u64(), std::uint64_t{7});
        QCOMPARE(copy(*r.var16()), d.encrypted_intro_points);
        QCOMPARE(*r.fixed<crypto::Ed25519Signature>(), d.signature);
        QVERIFY(r.empty());
        // Signed part: prefix || everything before the signature.
        Bytes expected = copy(as_bytes("sotto-hs-descriptor-v1"));
        expected.insert(expected.end(), bytes.begin(), bytes.end() - 64);
        QCOMPARE(hs_descriptor_signed_part(d), expected);
        QVERIFY(crypto::ed25519_verify(d.client_key, expected, d.signature));
    }

    void every_truncation_is_rejected() {
        Fixture f;
        auto bytes = encode_hs_descriptor(f.descriptor());
        for (std::size_t n = 0; n < bytes.size(); ++n)
            QVERIFY2(!decode_hs_descriptor(ByteView(bytes).first(n)).has_value(),
                     qPrintable(QStringLiteral("prefix %1").arg(n)));
        bytes.push_back(0);
        QCOMPARE(decode_error(bytes), Errc::Malformed);
    }

    void version_must_be_one() {
        Fixture f;
        auto bytes = encode_hs_descriptor(f.descriptor());
        for (std::uint8_t v : {0, 2, 255}) {
            bytes[0] = v;
            QCOMPARE(decode_error(bytes), Errc::BadVersion);
        }
    }

    void lifetime_bounds() {
        Fixture f;
        auto d = f.descriptor();
        for (std::uint32_t lifetime : {0u, 59u, 10801u, 0xffffffffu}) {
            d.lifetime_s = lifetime;
            QCOMPARE(decode_error(resigned(d, f.ck)), Errc::Malformed);
        }
        for (std::uint32_t lifetime : {60u, 3600u, 10800u}) {
            d.lifetime_s = lifetime;
            QVERIFY(decode_hs_descriptor(resigned(d, f.ck)).has_value());
        }
    }

    void published_bounds() {
        Fixture f;
        auto d = f.descriptor();
        for (std::int64_t t :
             {std::int64_t{-1}, kMaxHsPublished + 1, std::numeric_limits<std::int64_t>::max()}) {
            d.published = t;
            QCOMPARE(decode_error(resigned(d, f.ck)), Errc::Malformed);
        }
        for (std::int64_t t : {std::int64_t{0}, kMaxHsPublished}) {
            d.published = t;
            auto back = decode_hs_descriptor(resigned(d, f.ck));
            QVERIFY(back.has_value());
            QCOMPARE(hs_descriptor_expiry(*back), TimePoint::from_seconds(t + 3600));
        }
    }

    void size_bounds() {
        Fixture f;
        auto d = f.descriptor();
        constexpr std::size_t kFixed = 1 + 32 + 32 + 8 + 4 + 8 + 2 + 64;
        // The largest descriptor that fits exactly in 20 KiB decodes (the
        // HSDir does not interpret the section)...
        d.encrypted_intro_points.assign(kMaxHsDescriptorLen - kFixed, 0xab);
        auto max = resigned(d, f.ck);
        QCOMPARE(max.size(), kMaxHsDescriptorLen);
        QVERIFY(decode_hs_descriptor(max).has_value());
        // ...one byte more is refused before any parsing.
        d.encrypted_intro_points.push_back(0xab);
        QCOMPARE(decode_error(resigned(d, f.ck)), Errc::TooLarge);
        // A section too short to hold a nonce and a tag is malformed.
        d.encrypted_intro_points.assign(crypto::kAeadNonceLen + crypto::kAeadTagLen - 1, 1);
        QCOMPARE(decode_error(resigned(d, f.ck)), Errc::Malformed);
        d.encrypted_intro_points.push_back(1);
        QVERIFY(decode_hs_descriptor(resigned(d, f.ck)).has_value());
        // The section length field may not point past the end.
        auto bytes = encode_hs_descriptor(f.descriptor());
        wire::put_u16(bytes.data() + 1 + 32 + 32 + 8 + 4 + 8, 0xffff);
        QCOMPARE(decode_error(bytes), Errc::Truncated);
    }

    void forged_signature_is_rejected() {
        Fixture f;
        auto d = f.descriptor();
        auto bytes = encode_hs_descriptor(d);
        // Any changed byte of the signed part or of the signature.
        for (std::size_t i : {std::size_t{0 + 40}, std::size_t{80}, std::size_t{100},
                              bytes.size() - 100, bytes.size() - 1, bytes.size() - 64}) {
            auto b = bytes;
            b[i] ^= 0x01;
            auto r = decode_hs_descriptor(b);
            QVERIFY(!r.has_value());
            QCOMPARE(r.error().code, Errc::BadSignature);
        }
        // Signed by someone else but claiming this client key.
        DeterministicRng rng(99);
        auto mallory = crypto::Ed25519SecretKey::generate(rng);
        d.signature = mallory.sign(hs_descriptor_signed_part(d));
        auto r = decode_hs_descriptor(encode_hs_descriptor(d));
        verify_error(r, Errc::BadSignature,
                     "descriptor signature does not verify with its client key");
    }

    void placement_checks() {
        Fixture f;
        auto d = f.descriptor();
        const auto id = id_of(d);
        const auto skew = Duration::minutes(5);
        const auto now = TimePoint::from_seconds(kNow);
        QVERIFY(check_hs_descriptor(d, id, now, skew).has_value());
        DescriptorId other = id;
        other.bytes[31] ^= 1;
        QCOMPARE(check_hs_descriptor(d, other, now, skew).error().code, Errc::BadIdentity);
        QVERIFY(check_hs_descriptor(d, id, now - skew, skew).has_value());
        QCOMPARE(check_hs_descriptor(d, id, now - skew - Duration::micros(1), skew).error().code,
                 Errc::NotYetValid);
        QVERIFY(check_hs_descriptor(d, id, now + Duration::seconds(3599), skew).has_value());
        QVERIFY(
            check_hs_descriptor(d, id, now + Duration::seconds(3600) - Duration::micros(1), skew)
                .has_value());
        QCOMPARE(check_hs_descriptor(d, id, now + Duration::seconds(3600), skew).error().code,
                 Errc::Expired);
    }

    // ---- introduction points
    void section_length_does_not_depend_on_the_points() {
        Fixture f;
        for (std::size_t n = 1; n <= kMaxIntroPoints; ++n)
            for (std::size_t host : {std::size_t{1}, std::size_t{9}, kMaxIntroHostLen}) {
                auto pts = f.points(n, host);
                auto sealed = seal_intro_points(pts, f.dc, f.s, f.ck.public_key(), 1, f.rng);
                QVERIFY(sealed.has_value());
                QCOMPARE(sealed->size(), kIntroSectionLen);
                auto d = f.descriptor(pts, 1);
                QCOMPARE(encode_hs_descriptor(d).size(),
                         encode_hs_descriptor(f.descriptor(f.points(1), 1)).size());
                auto opened = open_intro_points(d, f.dc);
                QVERIFY(opened.has_value());
                QVERIFY(*opened == pts);
            }
    }

    void nonce_is_fresh() {
        Fixture f;
        auto pts = f.points(2);
        auto a = seal_intro_points(pts, f.dc, f.s, f.ck.public_key(), 1, f.rng);
        auto b = seal_intro_points(pts, f.dc, f.s, f.ck.public_key(), 1, f.rng);
        QVERIFY(a && b && *a != *b);
    }

    void wrong_cookie_cannot_decrypt() {
        Fixture f;
        auto d = f.descriptor();
        DescriptorCookie wrong(f.rng.bytes(32));
        auto r = open_intro_points(d, wrong);
        verify_error(r, Errc::BadSignature,
                     "cannot decrypt the introduction points: wrong descriptor cookie");
    }

    void section_is_bound_to_its_descriptor() {
        Fixture f;
        auto d = f.descriptor(f.points(2), 5);
        // AAD = client key | S | revision: moving the section to another
        // revision, key or S breaks it even with the right cookie.
        auto moved = d;
        moved.revision = 6;
        QCOMPARE(open_intro_points(moved, f.dc).error().code, Errc::BadSignature);
        moved = d;
        moved.client_key = crypto::Ed25519SecretKey::generate(f.rng).public_key();
        QCOMPARE(open_intro_points(moved, f.dc).error().code, Errc::BadSignature);
        moved = d;
        moved.encrypted_intro_points[20] ^= 1;
        QCOMPARE(open_intro_points(moved, f.dc).error().code, Errc::BadSignature);
        moved = d;
        moved.encrypted_intro_points.pop_back();
        QCOMPARE(open_intro_points(moved, f.dc).error().code, Errc::Malformed);
    }

    void intro_point_bounds() {
        Fixture f;
        auto seal = [&](const std::vector<IntroPointInfo>& pts) {
            return seal_intro_points(pts, f.dc, f.s, f.ck.public_key(), 1, f.rng);
        };
        QCOMPARE(seal({}).error().code, Errc::Malformed);
        QCOMPARE(seal(f.points(kMaxIntroPoints + 1)).error().code, Errc::Malformed);
        QVERIFY(seal(f.points(kMaxIntroPoints, kMaxIntroHostLen)).has_value());
        for (std::string host : {std::string(), std::string(256, 'a'), std::string("a b"),
                                 std::string("a\nb"), std::string("caf\xc3\xa9")}) {
            auto pts = f.points(2);
            pts[1].host = host;
            QCOMPARE(seal(pts).error().code, Errc::Malformed);
        }
        auto pts = f.points(2);
        pts[0].port = 0;
        QCOMPARE(seal(pts).error().code, Errc::Malformed);
    }

    void malformed_plaintext_is_rejected() {
        // Sections that authenticate (right cookie) but whose plaintext is
        // not a valid point list: only a buggy service could produce them.
        Fixture f;
        auto d = f.descriptor(f.points(1), 3);
        auto good = open_intro_points(d, f.dc);
        QVERIFY(good.has_value());
        wire::Writer one;
        one.u8(1)
            .fixed((*good)[0].relay_identity)
            .fixed((*good)[0].relay_onion_key)
            .string16((*good)[0].host)
            .u16((*good)[0].port)
            .fixed((*good)[0].auth_key)
            .fixed((*good)[0].enc_key);
        auto with = [&](Bytes plain) {
            auto x = d;
            plain.resize(kIntroSectionPlainLen, 0);
            x.encrypted_intro_points = seal_raw(f, x, plain);
            return open_intro_points(x, f.dc);
        };
        QVERIFY(with(one.data()).has_value());
        Bytes zero_count = one.data();
        zero_count[0] = 0;
        QCOMPARE(with(zero_count).error().code, Errc::Malformed);
        Bytes eleven = one.data();
        eleven[0] = 11;
        QCOMPARE(with(eleven).error().code, Errc::Malformed);
        Bytes two = one.data();
        two[0] = 2;  // the second point is all zero: empty host
        QCOMPARE(with(two).error().code, Errc::Malformed);
        Bytes dirty = one.data();
        dirty.resize(kIntroSectionPlainLen, 0);
        dirty.back() = 1;
        QCOMPARE(with(dirty).error().code, Errc::Malformed);
        Bytes port0 = one.data();
        port0[1 + 32 + 32 + 2 + (*good)[0].host.size()] = 0;
        port0[1 + 32 + 32 + 2 + (*good)[0].host.size() + 1] = 0;
        QCOMPARE(with(port0).error().code, Errc::Malformed);
        Bytes long_host = one.data();
        wire::put_u16(long_host.data() + 1 + 64, 256);
        QCOMPARE(with(long_host).error().code, Errc::TooLarge);
        // Ten points that run past the plaintext.
        Bytes overrun(kIntroSectionPlainLen, 0xff);
        overrun[0] = 10;
        QVERIFY(!with(overrun).has_value());
    }

    // ---- withdrawal
    void withdrawal_round_trip() {
        Fixture f;
        auto w = f.withdrawal(9);
        QCOMPARE(w.client_key, f.ck.public_key());
        QCOMPARE(w.id, id_of(f.descriptor()));
        auto bytes = encode_hs_withdrawal(w);
        QCOMPARE(bytes.size(), kHsWithdrawalLen);
        auto back = decode_hs_withdrawal(bytes);
        QVERIFY2(back.has_value(), back ? "" : back.error().message.c_str());
        QVERIFY(*back == w);
        // Signed part: prefix | id | client_key | secret_id | revision.
        wire::Writer expected;
        expected.bytes(as_bytes("sotto-hs-withdraw-v1"))
            .fixed(w.id)
            .fixed(w.client_key)
            .fixed(w.secret_id)
            .u64(9);
        QCOMPARE(hs_withdrawal_signed_part(w), expected.data());
        QCOMPARE(bytes[0], kHsWithdrawalVersion);
        QCOMPARE(Bytes(bytes.end() - 64, bytes.end()), copy(w.sig.view()));

        for (std::size_t n = 0; n < bytes.size(); ++n)
            QVERIFY(!decode_hs_withdrawal(ByteView(bytes).first(n)).has_value());
        auto longer = bytes;
        longer.push_back(0);
        QCOMPARE(decode_hs_withdrawal(longer).error().code, Errc::TooLarge);
        auto v2 = bytes;
        v2[0] = 2;
        QCOMPARE(decode_hs_withdrawal(v2).error().code, Errc::BadVersion);
    }

    void withdrawal_forgery_and_mismatched_id() {
        Fixture f;
        auto w = f.withdrawal(9);
        auto bytes = encode_hs_withdrawal(w);
        for (std::size_t i = 1; i < bytes.size(); i += 17) {
            auto b = bytes;
            b[i] ^= 0x80;
            auto r = decode_hs_withdrawal(b);
            QVERIFY(!r.has_value());
            QCOMPARE(r.error().code, Errc::BadSignature);
        }
        // Properly signed, but for an id its key and S do not produce.
        auto wrong = w;
        wrong.id.bytes[0] ^= 1;
        wrong.sig = f.ck.sign(hs_withdrawal_signed_part(wrong));
        auto r = decode_hs_withdrawal(encode_hs_withdrawal(wrong));
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, Errc::BadIdentity);
        // Signed by another key while naming this client key.
        auto mallory = crypto::Ed25519SecretKey::generate(f.rng);
        auto forged = w;
        forged.sig = mallory.sign(hs_withdrawal_signed_part(forged));
        QCOMPARE(check_hs_withdrawal(forged).error().code, Errc::BadSignature);
    }
};

QTEST_APPLESS_MAIN(TestHsDescriptor)
#include "tst_hs_descriptor.moc"
