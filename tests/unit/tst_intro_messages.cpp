// Codecs of the introduction and rendezvous relay-cell bodies: round trips,
// every truncation, trailing bytes, wrong sizes and a forged ESTABLISH_INTRO.
#include <QtTest>

#include "core/crypto/hash.hpp"
#include "core/crypto/random.hpp"
#include "core/hs/intro_messages.hpp"

using namespace sotto;
using namespace sotto::hs;

namespace {

template <typename Fixed>
Fixed filled(std::uint8_t start) {
    Fixed f;
    for (std::size_t i = 0; i < Fixed::size; ++i) f.bytes[i] = static_cast<std::uint8_t>(start + i);
    return f;
}

Bytes with_extra(Bytes b) {
    b.push_back(0);
    return b;
}

}  // namespace

class TestIntroMessages : public QObject {
    Q_OBJECT
  private slots:
    void auth_key_id_is_a_labelled_hash() {
        DeterministicRng rng(1);
        auto ik = crypto::Ed25519SecretKey::generate(rng);
        auto other = crypto::Ed25519SecretKey::generate(rng);
        QCOMPARE(auth_key_id(ik.public_key()), auth_key_id(ik.public_key()));
        QVERIFY(auth_key_id(ik.public_key()) != auth_key_id(other.public_key()));
        auto expected =
            crypto::sha3_256_parts({as_bytes("sotto-auth-key-id"), ik.public_key().view()});
        QVERIFY(std::ranges::equal(auth_key_id(ik.public_key()).bytes, expected.bytes));
    }

    void establish_intro_round_trip() {
        DeterministicRng rng(2);
        auto ik = crypto::Ed25519SecretKey::generate(rng);
        auto binding = filled<CircuitBinding>(7);
        auto e = make_establish_intro(ik, binding, rng);
        QCOMPARE(e.auth_key, ik.public_key());
        QVERIFY(!e.nonce.is_zero());
        auto body = encode_establish_intro(e);
        QCOMPARE(body.size(), kEstablishIntroLen);
        QVERIFY(body.size() <= kMaxIntroBodyLen);
        auto d = decode_establish_intro(body);
        QVERIFY(d.has_value());
        QCOMPARE(*d, e);
        QVERIFY(check_establish_intro_binding(*d, binding).has_value());
        auto other = check_establish_intro_binding(*d, filled<CircuitBinding>(8));
        QVERIFY(!other.has_value());
        QCOMPARE(other.error().code, Errc::BadIdentity);
        // Fresh nonce each time.
        QVERIFY(make_establish_intro(ik, binding, rng).nonce != e.nonce);
    }

    void establish_intro_bad_signature() {
        DeterministicRng rng(3);
        auto ik = crypto::Ed25519SecretKey::generate(rng);
        auto body =
            encode_establish_intro(make_establish_intro(ik, filled<CircuitBinding>(1), rng));
        // Any changed byte (key, nonce, binding or signature) breaks it.
        for (std::size_t i : {0u, 40u, 70u, 100u, 159u}) {
            Bytes bad = body;
            bad[i] ^= 0x01;
            auto d = decode_establish_intro(bad);
            QVERIFY(!d.has_value());
            QCOMPARE(d.error().code, Errc::BadSignature);
        }
        // Signed by another key than the one it carries.
        auto mallory = crypto::Ed25519SecretKey::generate(rng);
        auto e = make_establish_intro(ik, filled<CircuitBinding>(1), rng);
        e.signature = mallory.sign(establish_intro_signed_part(e));
        QCOMPARE(decode_establish_intro(encode_establish_intro(e)).error().code,
                 Errc::BadSignature);
    }

    void establish_intro_sizes() {
        DeterministicRng rng(4);
        auto ik = crypto::Ed25519SecretKey::generate(rng);
        auto body =
            encode_establish_intro(make_establish_intro(ik, filled<CircuitBinding>(1), rng));
        for (std::size_t n = 0; n < body.size(); ++n) {
            auto d = decode_establish_intro(ByteView(body).first(n));
            QVERIFY(!d.has_value());
            QCOMPARE(d.error().code, Errc::Truncated);
        }
        QCOMPARE(decode_establish_intro(with_extra(body)).error().code, Errc::Malformed);
    }

    void intro_established() {
        auto b = encode_intro_established();
        QCOMPARE(b, Bytes{0});
        QVERIFY(decode_intro_established(b).has_value());
        QCOMPARE(decode_intro_established({}).error().code, Errc::Truncated);
        QCOMPARE(decode_intro_established(Bytes{1}).error().code, Errc::Malformed);
        QCOMPARE(decode_intro_established(Bytes{0, 0}).error().code, Errc::Malformed);
    }

    void introduce_round_trip_and_bounds() {
        Introduce m{filled<AuthKeyId>(1), filled<crypto::X25519PublicKey>(50), Bytes(434, 0xab)};
        auto body = encode_introduce(m);
        QVERIFY(body.has_value());
        QCOMPARE(body->size(), kMaxIntroBodyLen);
        auto d = decode_introduce(*body);
        QVERIFY(d.has_value());
        QCOMPARE(*d, m);
        // Shortest legal encrypted part: just a tag.
        m.encrypted = Bytes(16, 1);
        body = encode_introduce(m);
        QVERIFY(body.has_value());
        QCOMPARE(*decode_introduce(*body), m);
        // Every truncation of a full body: the header is needed whole and the
        // encrypted part must hold at least a tag.
        Introduce full{filled<AuthKeyId>(1), filled<crypto::X25519PublicKey>(50), Bytes(434, 1)};
        auto fb = *encode_introduce(full);
        for (std::size_t n = 0; n < kIntroduceHeaderLen + 16; ++n) {
            auto t = decode_introduce(ByteView(fb).first(n));
            QVERIFY(!t.has_value());
            QCOMPARE(t.error().code, Errc::Truncated);
        }
        for (std::size_t n = kIntroduceHeaderLen + 16; n <= fb.size(); ++n)
            QVERIFY(decode_introduce(ByteView(fb).first(n)).has_value());
        // Larger than a relay cell.
        QCOMPARE(decode_introduce(with_extra(fb)).error().code, Errc::TooLarge);
        full.encrypted = Bytes(435, 1);
        QCOMPARE(encode_introduce(full).error().code, Errc::TooLarge);
        full.encrypted = Bytes(15, 1);
        QVERIFY(!encode_introduce(full).has_value());
    }

    void introduce_ack() {
        for (auto s : {IntroduceAckStatus::Forwarded, IntroduceAckStatus::UnknownAuthKey}) {
            auto b = encode_introduce_ack(s);
            QCOMPARE(b.size(), std::size_t(1));
            QCOMPARE(*decode_introduce_ack(b), s);
        }
        QCOMPARE(encode_introduce_ack(IntroduceAckStatus::UnknownAuthKey), Bytes{1});
        QCOMPARE(decode_introduce_ack({}).error().code, Errc::Truncated);
        QCOMPARE(decode_introduce_ack(Bytes{2}).error().code, Errc::Malformed);
        QCOMPARE(decode_introduce_ack(Bytes{0, 0}).error().code, Errc::Malformed);
    }

    void establish_rendezvous() {
        auto cookie = filled<RendezvousCookie>(9);
        auto b = encode_establish_rendezvous(cookie);
        QCOMPARE(b.size(), std::size_t(20));
        QCOMPARE(*decode_establish_rendezvous(b), cookie);
        for (std::size_t n = 0; n < b.size(); ++n)
            QCOMPARE(decode_establish_rendezvous(ByteView(b).first(n)).error().code,
                     Errc::Truncated);
        QCOMPARE(decode_establish_rendezvous(with_extra(b)).error().code, Errc::Malformed);
    }

    void rendezvous_established() {
        QVERIFY(encode_rendezvous_established().empty());
        QVERIFY(decode_rendezvous_established({}).has_value());
        QCOMPARE(decode_rendezvous_established(Bytes{0}).error().code, Errc::Malformed);
    }

    void rendezvous1() {
        Rendezvous1 m{filled<RendezvousCookie>(3), filled<HandshakeReply>(100)};
        auto b = encode_rendezvous1(m);
        QCOMPARE(b.size(), kRendezvous1Len);
        QCOMPARE(*decode_rendezvous1(b), m);
        for (std::size_t n = 0; n < b.size(); ++n)
            QCOMPARE(decode_rendezvous1(ByteView(b).first(n)).error().code, Errc::Truncated);
        QCOMPARE(decode_rendezvous1(with_extra(b)).error().code, Errc::Malformed);
    }

    void rendezvous2() {
        auto reply = filled<HandshakeReply>(200);
        auto b = encode_rendezvous2(reply);
        QCOMPARE(b.size(), std::size_t(64));
        QCOMPARE(*decode_rendezvous2(b), reply);
        for (std::size_t n = 0; n < b.size(); ++n)
            QCOMPARE(decode_rendezvous2(ByteView(b).first(n)).error().code, Errc::Truncated);
        QCOMPARE(decode_rendezvous2(with_extra(b)).error().code, Errc::Malformed);
    }

    void every_body_fits_a_relay_cell() {
        QVERIFY(kEstablishIntroLen <= wire::kRelayDataMax);
        QVERIFY(kIntroduceHeaderLen + kMaxIntroduceEncryptedLen <= wire::kRelayDataMax);
        QVERIFY(kRendezvous1Len <= wire::kRelayDataMax);
    }
};

QTEST_APPLESS_MAIN(TestIntroMessages)
#include "tst_intro_messages.moc"
