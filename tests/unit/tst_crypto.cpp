// Known-answer tests for every primitive wrapper in core/crypto.
#include <QtTest>

#include "core/crypto/aead.hpp"
#include "core/crypto/aes_ctr.hpp"
#include "core/crypto/ed25519.hpp"
#include "core/crypto/hash.hpp"
#include "core/crypto/kdf.hpp"
#include "core/crypto/random.hpp"
#include "core/crypto/x25519.hpp"

using namespace sotto;
using namespace sotto::crypto;

namespace {
Bytes hex(std::string_view s) {
    Bytes b;
    if (!from_hex(s, b)) qFatal("bad hex in test vector");
    return b;
}
}  // namespace

class TestCrypto : public QObject {
    Q_OBJECT
  private slots:
    void sha3_fips202() {
        QCOMPARE(
            QString::fromStdString(sha3_256({}).hex()),
            QStringLiteral("a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"));
        QCOMPARE(
            QString::fromStdString(sha3_256(as_bytes("abc")).hex()),
            QStringLiteral("3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"));
    }
    void shake256_fips202() {
        std::uint8_t out[32];
        shake256({}, out);
        QCOMPARE(
            QString::fromStdString(to_hex(out)),
            QStringLiteral("46b9dd2b0ba88d13233b3feb743eeb243fcd52ea62b81b82b50c27646ed5762f"));
    }
    void running_digest_matches_one_shot() {
        RunningDigest d;
        d.update(as_bytes("ab"));
        auto mid = d.peek();
        QCOMPARE(mid, sha256(as_bytes("ab")));
        d.update(as_bytes("c"));
        QCOMPARE(d.peek(), sha256(as_bytes("abc")));
    }
    void hkdf_rfc5869_case1() {
        auto okm = hkdf(HkdfHash::Sha256, hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
                        hex("000102030405060708090a0b0c"), hex("f0f1f2f3f4f5f6f7f8f9"), 42);
        QVERIFY(okm.has_value());
        QCOMPARE(QString::fromStdString(to_hex(okm->view())),
                 QStringLiteral("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                                "34007208d5b887185865"));
    }
    void ed25519_rfc8032_test1() {
        auto sk = Ed25519SecretKey::from_seed(
            hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
        QVERIFY(sk.has_value());
        QCOMPARE(
            QString::fromStdString(sk->public_key().hex()),
            QStringLiteral("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
        auto sig = sk->sign({});
        QCOMPARE(
            QString::fromStdString(sig.hex()),
            QStringLiteral("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                           "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"));
        QVERIFY(ed25519_verify(sk->public_key(), {}, sig));
        sig.bytes[0] ^= 1;
        QVERIFY(!ed25519_verify(sk->public_key(), {}, sig));
    }
    void x25519_rfc7748() {
        auto a = X25519SecretKey::from_bytes(
            hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        auto b = X25519SecretKey::from_bytes(
            hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
        QVERIFY(a && b);
        QCOMPARE(
            QString::fromStdString(a->public_key().hex()),
            QStringLiteral("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));
        auto s1 = a->agree(b->public_key());
        auto s2 = b->agree(a->public_key());
        QVERIFY(s1 && s2);
        QCOMPARE(
            QString::fromStdString(to_hex(s1->view())),
            QStringLiteral("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"));
        QVERIFY(ct_equal(s1->view(), s2->view()));
        // Small-order point: must be refused, not produce a zero secret.
        QVERIFY(!a->agree(X25519PublicKey{}).has_value());
    }
    void chacha20poly1305_rfc8439() {
        AeadKey key(hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"));
        auto nonce = AeadNonce::from(hex("070000004041424344454647"));
        auto aad = hex("50515253c0c1c2c3c4c5c6c7");
        std::string_view pt =
            "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
            "future, sunscreen would be it.";
        auto ct = aead_seal(key, nonce, aad, as_bytes(pt));
        QVERIFY(ct.has_value());
        QCOMPARE(QString::fromStdString(to_hex(ByteView(*ct).last(16))),
                 QStringLiteral("1ae10b594f09e26a7e902ecbd0600691"));
        QCOMPARE(QString::fromStdString(to_hex(ByteView(*ct).first(16))),
                 QStringLiteral("d31a8d34648e60db7b86afbc53ef7ec2"));
        auto back = aead_open(key, nonce, aad, *ct);
        QVERIFY(back.has_value());
        QCOMPARE(std::string(back->begin(), back->end()), std::string(pt));
        (*ct)[3] ^= 0x40;
        auto bad = aead_open(key, nonce, aad, *ct);
        QVERIFY(!bad.has_value());
        QCOMPARE(bad.error().code, Errc::BadSignature);
        QVERIFY(!aead_open(key, nonce, aad, hex("0011")).has_value());
    }
    void aes128_ctr_sp800_38a() {
        // NIST SP 800-38A F.5.1 uses a non-zero IV; with our zero IV we check
        // against the ECB encryption of the counter blocks 0 and 1 instead.
        auto ctr = AesCtr::create(hex("2b7e151628aed2a6abf7158809cf4f3c"));
        QVERIFY(ctr.has_value());
        Bytes zeros(32, 0);
        ctr->apply(zeros);
        // AES-128(key, 0^128) = 7df76b0c1ab899b33e42f047b91b546f
        QCOMPARE(QString::fromStdString(to_hex(ByteView(zeros).first(16))),
                 QStringLiteral("7df76b0c1ab899b33e42f047b91b546f"));
        // Streaming: the keystream continues across calls.
        auto a = AesCtr::create(hex("2b7e151628aed2a6abf7158809cf4f3c"));
        Bytes part1(5, 0), part2(27, 0);
        a->apply(part1);
        a->apply(part2);
        part1.insert(part1.end(), part2.begin(), part2.end());
        QCOMPARE(part1, zeros);
        QVERIFY(!AesCtr::create(hex("00")).has_value());
    }
    void scrypt_rfc7914() {
        auto k = scrypt(as_bytes("password"), as_bytes("NaCl"), ScryptParams{1024, 8, 16}, 64);
        QVERIFY(k.has_value());
        QCOMPARE(QString::fromStdString(to_hex(k->view().first(16))),
                 QStringLiteral("fdbabe1c9d3472007856e7190d01e9fe"));
    }
    void constant_time_compare() {
        QVERIFY(ct_equal(as_bytes("abc"), as_bytes("abc")));
        QVERIFY(!ct_equal(as_bytes("abc"), as_bytes("abd")));
        QVERIFY(!ct_equal(as_bytes("abc"), as_bytes("ab")));
    }
    void secret_is_wiped_on_move() {
        Secret<4> a(as_bytes("abcd"));
        Secret<4> b(std::move(a));
        QCOMPARE(to_hex(a.view()), std::string("00000000"));
        QCOMPARE(to_hex(b.view()), std::string("61626364"));
    }
    void deterministic_rng_replays() {
        DeterministicRng r1(42), r2(42), r3(43);
        QCOMPARE(r1.bytes(300), r2.bytes(300));
        QVERIFY(r1.bytes(32) != r3.bytes(32));
        auto f1 = r1.fork(7), f2 = r2.fork(7);
        QCOMPARE(f1->bytes(64), f2->bytes(64));
        for (int i = 0; i < 1000; ++i) QVERIFY(r1.uniform(10) < 10);
    }
};

QTEST_APPLESS_MAIN(TestCrypto)
#include "tst_crypto.moc"
