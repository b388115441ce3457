// Relay descriptors: encoding layout, signatures, and rejection of every kind
// of malformed input.
#include <QtTest>

#include "core/crypto/ed25519.hpp"
#include "core/crypto/random.hpp"
#include "core/crypto/x25519.hpp"
#include "core/dir/relay_descriptor.hpp"
#include "core/util/rng.hpp"
#include "core/wire/reader.hpp"
#include "tests/common/decode_error.hpp"

using namespace sotto;
using namespace sotto::dir;

namespace {

struct Keys {
    DeterministicRng rng{7};
    crypto::Ed25519SecretKey id = crypto::Ed25519SecretKey::generate(rng);
    crypto::X25519SecretKey onion = crypto::X25519SecretKey::generate(rng);
};

RelayDescriptor unsigned_descriptor(const Keys& k) {
    RelayDescriptor d;
    d.nickname = "relay1";
    d.onion_key = k.onion.public_key();
    d.host = "127.0.0.1";
    d.port = 9001;
    d.capabilities = kCapHsDir | kCapIntroRend;
    d.published = 1'700'000'000;
    return d;
}

// Encodes a descriptor with arbitrary (possibly invalid) fields, correctly signed.
Bytes signed_encoding(RelayDescriptor d, const Keys& k) {
    return encode_relay_descriptor(sign_relay_descriptor(std::move(d), k.id));
}

Errc decode_error(ByteView b) {
    return testing::error_of(decode_relay_descriptor(b));
}

}  // namespace

class TestRelayDescriptor : public QObject {
    Q_OBJECT
  private slots:
    void round_trip() {
        Keys k;
        auto d = sign_relay_descriptor(unsigned_descriptor(k), k.id);
        QCOMPARE(d.identity, k.id.public_key());
        auto bytes = encode_relay_descriptor(d);
        auto back = decode_relay_descriptor(bytes);
        QVERIFY2(back.has_value(), back ? "" : back.error().message.c_str());
        QVERIFY(*back == d);
        QCOMPARE(encode_relay_descriptor(*back), bytes);
        QVERIFY(check_relay_descriptor(d).has_value());
    }

    void layout() {
        Keys k;
        auto d = sign_relay_descriptor(unsigned_descriptor(k), k.id);
        auto bytes = encode_relay_descriptor(d);
        // version | nick | id | onion | host | port | caps | published | sig
        QCOMPARE(bytes.size(), std::size_t{1 + 2 + 6 + 32 + 32 + 2 + 9 + 2 + 4 + 8 + 64});
        QCOMPARE(bytes[0], kRelayDescriptorVersion);
        wire::Reader r(bytes);
        (void)r.u8();
        QCOMPARE(QString::fromStdString(*r.string16()), QStringLiteral("relay1"));
        QCOMPARE(*r.fixed<crypto::Ed25519PublicKey>(), d.identity);
        QCOMPARE(*r.fixed<crypto::X25519PublicKey>(), d.onion_key);
        QCOMPARE(QString::fromStdString(*r.string16()), QStringLiteral("127.0.0.1"));
        QCOMPARE(*r.u16(), std::uint16_t{9001});
        QCOMPARE(*r.u32(), std::uint32_t{kCapHsDir | kCapIntroRend});
        QCOMPARE(*r.u64(), std::uint64_t{1'700'000'000});
        QCOMPARE(*r.fixed<crypto::Ed25519Signature>(), d.signature);
        QVERIFY(r.empty());

        // Signed part: prefix || everything before the signature.
        auto part = relay_descriptor_signed_part(d);
        std::string_view prefix = "sotto-relay-descriptor-v1";
        QCOMPARE(part.size(), prefix.size() + bytes.size() - 64);
        QVERIFY(std::equal(prefix.begin(), prefix.end(), part.begin()));
        QVERIFY(std::equal(bytes.begin(), bytes.end() - 64, part.begin() + prefix.size()));
        QVERIFY(crypto::ed25519_verify(d.identity, part, d.signature));
    }

    void negative_published_round_trips() {
        Keys k;
        auto d = unsigned_descriptor(k);
        d.published = -5;
        auto bytes = signed_encoding(d, k);
        auto back = decode_relay_descriptor(bytes);
        QVERIFY(back.has_value());
        QCOMPARE(back->published, std::int64_t{-5});
    }

    void limits_accepted() {
        Keys k;
        auto d = unsigned_descriptor(k);
        d.nickname = std::string(32, '~');
        d.host = std::string(255, '!');
        d.port = 65535;
        d.capabilities = 0xffffffff;  // unknown capability bits are kept, not refused
        auto back = decode_relay_descriptor(signed_encoding(d, k));
        QVERIFY2(back.has_value(), back ? "" : back.error().message.c_str());
        QCOMPARE(back->capabilities, 0xffffffffu);
    }

    void name_helpers() {
        QVERIFY(is_valid_nickname("a"));
        QVERIFY(!is_valid_nickname(""));
        QVERIFY(!is_valid_nickname("has space"));
        QVERIFY(!is_valid_nickname(std::string(33, 'a')));
        QVERIFY(!is_valid_nickname(std::string("a\0b", 3)));
        QVERIFY(!is_valid_nickname("a\x7f"));
        QVERIFY(!is_valid_nickname("caf\xc3\xa9"));
        QVERIFY(is_valid_host(std::string(255, 'h')));
        QVERIFY(!is_valid_host(std::string(256, 'h')));
        QVERIFY(!is_valid_host(""));
        QVERIFY(!is_valid_host("a\tb"));
    }

    void every_truncation_fails() {
        Keys k;
        auto bytes = signed_encoding(unsigned_descriptor(k), k);
        for (std::size_t n = 0; n < bytes.size(); ++n) {
            auto d = decode_relay_descriptor(ByteView(bytes).first(n));
            QVERIFY2(!d.has_value(), qPrintable(QStringLiteral("prefix %1").arg(n)));
            QVERIFY(d.error().code == Errc::Truncated || d.error().code == Errc::TooLarge);
        }
    }

    void trailing_bytes_fail() {
        Keys k;
        auto bytes = signed_encoding(unsigned_descriptor(k), k);
        bytes.push_back(0);
        QCOMPARE(decode_error(bytes), Errc::Malformed);
    }

    void bad_version() {
        Keys k;
        auto bytes = signed_encoding(unsigned_descriptor(k), k);
        for (std::uint8_t v : {0, 2, 255}) {
            bytes[0] = v;
            auto d = decode_relay_descriptor(bytes);
            QVERIFY(!d.has_value());
            QCOMPARE(d.error().code, Errc::BadVersion);
            QVERIFY(d.error().message.find("version") != std::string::npos);
        }
    }

    void oversize_input() {
        Bytes big(kMaxRelayDescriptorLen + 1, 1);
        QCOMPARE(decode_error(big), Errc::TooLarge);
    }

    void bad_fields_data() {
        QTest::addColumn<int>("field");
        QTest::addColumn<int>("code");
        QTest::newRow("empty nickname") << 0 << int(Errc::Malformed);
        QTest::newRow("nickname 33") << 1 << int(Errc::TooLarge);
        QTest::newRow("nickname control") << 2 << int(Errc::Malformed);
        QTest::newRow("nickname space") << 3 << int(Errc::Malformed);
        QTest::newRow("empty host") << 4 << int(Errc::Malformed);
        QTest::newRow("host 256") << 5 << int(Errc::TooLarge);
        QTest::newRow("host newline") << 6 << int(Errc::Malformed);
        QTest::newRow("port 0") << 7 << int(Errc::Malformed);
    }
    void bad_fields() {
        QFETCH(int, field);
        QFETCH(int, code);
        Keys k;
        auto d = unsigned_descriptor(k);
        switch (field) {
            case 0:
                d.nickname = "";
                break;
            case 1:
                d.nickname = std::string(33, 'n');
                break;
            case 2:
                d.nickname = "ni\x01k";
                break;
            case 3:
                d.nickname = "ni k";
                break;
            case 4:
                d.host = "";
                break;
            case 5:
                d.host = std::string(256, 'h');
                break;
            case 6:
                d.host = "h\n";
                break;
            case 7:
                d.port = 0;
                break;
        }
        auto signed_d = sign_relay_descriptor(d, k.id);
        auto bytes = encode_relay_descriptor(signed_d);
        QCOMPARE(int(decode_error(bytes)), code);
        QVERIFY(!check_relay_descriptor(signed_d).has_value());
    }

    void bad_signature() {
        Keys k;
        auto bytes = signed_encoding(unsigned_descriptor(k), k);
        bytes.back() ^= 1;
        auto d = decode_relay_descriptor(bytes);
        QVERIFY(!d.has_value());
        QCOMPARE(d.error().code, Errc::BadSignature);
        QVERIFY(d.error().message.find("sign it again") != std::string::npos);
    }

    void any_body_bit_flip_fails() {
        Keys k;
        auto bytes = signed_encoding(unsigned_descriptor(k), k);
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            for (int bit : {0, 7}) {
                auto copy = bytes;
                copy[i] ^= static_cast<std::uint8_t>(1 << bit);
                QVERIFY2(!decode_relay_descriptor(copy).has_value(),
                         qPrintable(QStringLiteral("byte %1 bit %2").arg(i).arg(bit)));
            }
        }
    }

    void signed_by_other_key() {
        Keys k;
        DeterministicRng rng(99);
        auto other = crypto::Ed25519SecretKey::generate(rng);
        auto d = sign_relay_descriptor(unsigned_descriptor(k), k.id);
        d.signature = other.sign(relay_descriptor_signed_part(d));
        QCOMPARE(decode_error(encode_relay_descriptor(d)), Errc::BadSignature);
        auto s = check_relay_descriptor(d);
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, Errc::BadSignature);
    }

    void changed_field_after_signing_fails_check() {
        Keys k;
        auto d = sign_relay_descriptor(unsigned_descriptor(k), k.id);
        d.published += 1;
        QCOMPARE(check_relay_descriptor(d).error().code, Errc::BadSignature);
    }
};

QTEST_APPLESS_MAIN(TestRelayDescriptor)
#include "tst_relay_descriptor.moc"
