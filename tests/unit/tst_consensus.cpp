// The consensus document: canonical encoding, structural checks on decode,
// and signature / validity checks in verify_consensus.
#include <QtTest>

#include "core/crypto/ed25519.hpp"
#include "core/crypto/random.hpp"
#include "core/dir/consensus.hpp"
#include "core/util/rng.hpp"
#include "core/wire/reader.hpp"

using namespace sotto;
using namespace sotto::dir;

namespace {

constexpr std::int64_t kT = 1'700'001'000;

struct Fixture {
    DeterministicRng rng{11};
    std::vector<crypto::Ed25519SecretKey> keys;
    NetworkFile network;

    explicit Fixture(std::size_t authorities) {
        network.name = "testnet";
        for (std::size_t i = 0; i < authorities; ++i) {
            keys.push_back(crypto::Ed25519SecretKey::generate(rng));
            network.authorities.push_back({"auth" + std::to_string(i), keys.back().public_key(),
                                           "127.0.0.1", static_cast<std::uint16_t>(7000 + i)});
        }
    }

    ConsensusEntry entry(std::uint8_t tag) {
        ConsensusEntry e;
        e.nickname = "relay" + std::to_string(tag);
        e.identity.bytes.fill(tag);
        e.onion_key.bytes.fill(static_cast<std::uint8_t>(tag + 100));
        e.host = "10.0.0." + std::to_string(tag);
        e.port = static_cast<std::uint16_t>(9000 + tag);
        e.flags = kFlagRunning | (tag % 2 ? kFlagHsDir : kFlagExit);
        e.published = kT - 60;
        return e;
    }

    Consensus unsigned_consensus(std::size_t relays = 3) {
        Consensus c;
        c.network = network.name;
        c.valid_after = kT;
        c.fresh_until = kT + 1800;
        c.valid_until = kT + 3 * 1800;
        for (std::size_t i = 0; i < relays; ++i)
            c.relays.push_back(entry(static_cast<std::uint8_t>(i + 1)));
        return c;
    }

    Consensus signed_by(std::vector<std::size_t> signers, std::size_t relays = 3) {
        auto c = unsigned_consensus(relays);
        auto digest = consensus_digest(c);
        for (auto i : signers) c.signatures.push_back(sign_consensus_digest(digest, keys[i]));
        return c;
    }
};

QString message(const Status& s) {
    return s ? QString() : QString::fromStdString(s.error().message);
}

// Offsets inside an encoding of Fixture::unsigned_consensus (network "testnet").
constexpr std::size_t kValidAfterOffset = 1 + 2 + 7;
constexpr std::size_t kCountOffset = kValidAfterOffset + 24;

}  // namespace

class TestConsensus : public QObject {
    Q_OBJECT
  private slots:
    void round_trip() {
        Fixture f(3);
        auto c = f.signed_by({0, 1, 2});
        auto bytes = encode_consensus(c);
        auto back = decode_consensus(bytes);
        QVERIFY2(back.has_value(), back ? "" : back.error().message.c_str());
        QVERIFY(*back == c);
        QCOMPARE(encode_consensus(*back), bytes);
    }

    void empty_round_trip() {
        Fixture f(1);
        auto c = f.signed_by({}, 0);
        auto back = decode_consensus(encode_consensus(c));
        QVERIFY(back.has_value());
        QVERIFY(*back == c);
    }

    void layout() {
        Fixture f(1);
        auto c = f.signed_by({0}, 1);
        auto bytes = encode_consensus(c);
        wire::Reader r(bytes);
        QCOMPARE(*r.u8(), kConsensusVersion);
        QCOMPARE(QString::fromStdString(*r.string16()), QStringLiteral("testnet"));
        QCOMPARE(*r.u64(), std::uint64_t(kT));
        QCOMPARE(*r.u64(), std::uint64_t(kT + 1800));
        QCOMPARE(*r.u64(), std::uint64_t(kT + 5400));
        QCOMPARE(*r.u32(), 1u);
        QCOMPARE(QString::fromStdString(*r.string16()), QStringLiteral("relay1"));
        QCOMPARE(*r.fixed<crypto::Ed25519PublicKey>(), c.relays[0].identity);
        QCOMPARE(*r.fixed<crypto::X25519PublicKey>(), c.relays[0].onion_key);
        QCOMPARE(QString::fromStdString(*r.string16()), QStringLiteral("10.0.0.1"));
        QCOMPARE(*r.u16(), std::uint16_t{9001});
        QCOMPARE(*r.u32(), c.relays[0].flags);
        QCOMPARE(*r.u64(), std::uint64_t(kT - 60));
        const auto unsigned_len = r.position();
        QCOMPARE(*r.u16(), std::uint16_t{1});
        QCOMPARE(*r.fixed<crypto::Ed25519PublicKey>(), f.keys[0].public_key());
        QCOMPARE(*r.fixed<crypto::Ed25519Signature>(), c.signatures[0].signature);
        QVERIFY(r.empty());

        Bytes prefixed(as_bytes("sotto-consensus-v1").begin(),
                       as_bytes("sotto-consensus-v1").end());
        prefixed.insert(prefixed.end(), bytes.begin(), bytes.begin() + long(unsigned_len));
        QCOMPARE(consensus_digest(c), crypto::sha3_256(prefixed));
    }

    void digest_ignores_signatures_only() {
        Fixture f(3);
        auto c = f.unsigned_consensus();
        auto d0 = consensus_digest(c);
        auto signed_c = f.signed_by({0, 1});
        QCOMPARE(consensus_digest(signed_c), d0);
        auto changed = c;
        changed.relays[1].flags ^= kFlagExit;
        QVERIFY(consensus_digest(changed) != d0);
        changed = c;
        changed.valid_until += 1;
        QVERIFY(consensus_digest(changed) != d0);
        changed = c;
        changed.network = "othernet";
        QVERIFY(consensus_digest(changed) != d0);
        changed = c;
        changed.relays.pop_back();
        QVERIFY(consensus_digest(changed) != d0);
    }

    void find() {
        Fixture f(1);
        auto c = f.unsigned_consensus(5);
        crypto::Ed25519PublicKey id;
        id.bytes.fill(3);
        QVERIFY(c.find(id) == &c.relays[2]);
        id.bytes.fill(9);
        QVERIFY(c.find(id) == nullptr);
        id.bytes.fill(0);
        QVERIFY(c.find(id) == nullptr);
    }

    void every_truncation_fails() {
        Fixture f(3);
        auto bytes = encode_consensus(f.signed_by({0, 1, 2}, 2));
        for (std::size_t n = 0; n < bytes.size(); ++n) {
            auto c = decode_consensus(ByteView(bytes).first(n));
            QVERIFY2(!c.has_value(), qPrintable(QStringLiteral("prefix %1").arg(n)));
        }
    }

    void trailing_bytes_fail() {
        Fixture f(1);
        auto bytes = encode_consensus(f.signed_by({0}));
        bytes.push_back(0);
        auto c = decode_consensus(bytes);
        QVERIFY(!c.has_value());
        QCOMPARE(c.error().code, Errc::Malformed);
    }

    void bad_version() {
        Fixture f(1);
        auto bytes = encode_consensus(f.signed_by({0}));
        bytes[0] = 2;
        auto c = decode_consensus(bytes);
        QVERIFY(!c.has_value());
        QCOMPARE(c.error().code, Errc::BadVersion);
    }

    void bad_times_data() {
        QTest::addColumn<qint64>("fresh");
        QTest::addColumn<qint64>("until");
        QTest::newRow("fresh == after") << qint64(kT) << qint64(kT + 10);
        QTest::newRow("fresh < after") << qint64(kT - 1) << qint64(kT + 10);
        QTest::newRow("until < fresh") << qint64(kT + 10) << qint64(kT + 9);
    }
    void bad_times() {
        QFETCH(qint64, fresh);
        QFETCH(qint64, until);
        Fixture f(1);
        auto c = f.unsigned_consensus();
        c.fresh_until = fresh;
        c.valid_until = until;
        auto r = decode_consensus(encode_consensus(c));
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, Errc::Malformed);
        QVERIFY(r.error().message.find("valid_after < fresh_until <= valid_until") !=
                std::string::npos);
    }

    void fresh_equal_until_accepted() {
        Fixture f(1);
        auto c = f.unsigned_consensus();
        c.valid_until = c.fresh_until;
        QVERIFY(decode_consensus(encode_consensus(c)).has_value());
    }

    void unsorted_entries() {
        Fixture f(1);
        auto c = f.unsigned_consensus();
        std::swap(c.relays[0], c.relays[2]);
        auto r = decode_consensus(encode_consensus(c));
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, Errc::Malformed);
    }

    void duplicate_entries() {
        Fixture f(1);
        auto c = f.unsigned_consensus();
        c.relays[1] = c.relays[0];
        auto r = decode_consensus(encode_consensus(c));
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, Errc::Malformed);
        QVERIFY(r.error().message.find("sorted") != std::string::npos);
    }

    void bad_entry_fields_data() {
        QTest::addColumn<int>("field");
        QTest::addColumn<int>("code");
        QTest::newRow("empty nickname") << 0 << int(Errc::Malformed);
        QTest::newRow("long nickname") << 1 << int(Errc::TooLarge);
        QTest::newRow("empty host") << 2 << int(Errc::Malformed);
        QTest::newRow("host with space") << 3 << int(Errc::Malformed);
        QTest::newRow("port 0") << 4 << int(Errc::Malformed);
        QTest::newRow("empty network") << 5 << int(Errc::Malformed);
        QTest::newRow("long network") << 6 << int(Errc::TooLarge);
    }
    void bad_entry_fields() {
        QFETCH(int, field);
        QFETCH(int, code);
        Fixture f(1);
        auto c = f.unsigned_consensus();
        switch (field) {
            case 0:
                c.relays[1].nickname.clear();
                break;
            case 1:
                c.relays[1].nickname = std::string(33, 'n');
                break;
            case 2:
                c.relays[1].host.clear();
                break;
            case 3:
                c.relays[1].host = "a b";
                break;
            case 4:
                c.relays[1].port = 0;
                break;
            case 5:
                c.network.clear();
                break;
            case 6:
                c.network = std::string(65, 'n');
                break;
        }
        auto r = decode_consensus(encode_consensus(c));
        QVERIFY(!r.has_value());
        QCOMPARE(int(r.error().code), code);
    }

    void oversize_relay_count() {
        Fixture f(1);
        auto bytes = encode_consensus(f.unsigned_consensus(0));
        wire::put_u32(bytes.data() + kCountOffset, kMaxConsensusRelays + 1);
        auto r = decode_consensus(bytes);
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, Errc::TooLarge);
        wire::put_u32(bytes.data() + kCountOffset, 0xffffffff);
        QCOMPARE(decode_consensus(bytes).error().code, Errc::TooLarge);
        // A plausible count without the entries is only truncated.
        wire::put_u32(bytes.data() + kCountOffset, kMaxConsensusRelays);
        QCOMPARE(decode_consensus(bytes).error().code, Errc::Truncated);
    }

    void oversize_signature_count() {
        Fixture f(1);
        auto bytes = encode_consensus(f.unsigned_consensus(1));
        wire::put_u16(bytes.data() + bytes.size() - 2, kMaxConsensusSignatures + 1);
        auto r = decode_consensus(bytes);
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, Errc::TooLarge);
    }

    void duplicate_signer() {
        Fixture f(3);
        auto c = f.signed_by({0, 0});
        auto r = decode_consensus(encode_consensus(c));
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, Errc::Malformed);
    }

    void oversize_input() {
        Bytes big(kMaxConsensusLen + 1, 0);
        big[0] = kConsensusVersion;
        auto r = decode_consensus(big);
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, Errc::TooLarge);
    }

    void max_relays_decode() {
        Fixture f(1);
        Consensus c = f.unsigned_consensus(0);
        for (std::size_t i = 0; i < kMaxConsensusRelays; ++i) {
            ConsensusEntry e = f.entry(1);
            e.identity = {};
            wire::put_u32(e.identity.data(), static_cast<std::uint32_t>(i));
            c.relays.push_back(e);
        }
        auto bytes = encode_consensus(c);
        QVERIFY(bytes.size() <= kMaxConsensusLen);
        auto r = decode_consensus(bytes);
        QVERIFY2(r.has_value(), r ? "" : r.error().message.c_str());
        QCOMPARE(r->relays.size(), kMaxConsensusRelays);
    }

    void verify_all_signatures() {
        Fixture f(3);
        auto c = f.signed_by({0, 1, 2});
        QVERIFY2(verify_consensus(c, f.network, kT + 10).has_value(),
                 qPrintable(message(verify_consensus(c, f.network, kT + 10))));
    }

    void verify_majority_enough() {
        Fixture f(3);
        QVERIFY(verify_consensus(f.signed_by({0, 2}), f.network, kT).has_value());
        Fixture five(5);
        QVERIFY(verify_consensus(five.signed_by({1, 3, 4}), five.network, kT).has_value());
        QVERIFY(!verify_consensus(five.signed_by({1, 3}), five.network, kT).has_value());
        Fixture one(1);
        QVERIFY(verify_consensus(one.signed_by({0}), one.network, kT).has_value());
    }

    void verify_minority_fails_with_message() {
        Fixture f(3);
        auto s = verify_consensus(f.signed_by({1}), f.network, kT);
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, Errc::BadSignature);
        QCOMPARE(message(s),
                 QStringLiteral("consensus has 1 valid signature of the 2 needed from 3 "
                                "authorities"));
        s = verify_consensus(f.signed_by({}), f.network, kT);
        QCOMPARE(message(s),
                 QStringLiteral("consensus has 0 valid signatures of the 2 needed from 3 "
                                "authorities"));
        Fixture one(1);
        s = verify_consensus(one.signed_by({}), one.network, kT);
        QCOMPARE(message(s),
                 QStringLiteral("consensus has 0 valid signatures of the 1 needed from 1 "
                                "authority"));
    }

    void verify_counts_each_signer_once() {
        Fixture f(3);
        auto c = f.signed_by({1, 1, 1});  // only constructible in memory; decode refuses it
        auto s = verify_consensus(c, f.network, kT);
        QVERIFY(!s.has_value());
        QCOMPARE(message(s),
                 QStringLiteral("consensus has 1 valid signature of the 2 needed from 3 "
                                "authorities"));
    }

    void verify_ignores_unknown_and_bad_signers() {
        Fixture f(3);
        auto c = f.signed_by({0});
        DeterministicRng rng(5);
        auto stranger = crypto::Ed25519SecretKey::generate(rng);
        c.signatures.push_back(sign_consensus_digest(consensus_digest(c), stranger));
        auto forged = sign_consensus_digest(consensus_digest(c), f.keys[1]);
        forged.signature.bytes[0] ^= 1;
        c.signatures.push_back(forged);
        // A signature over another document does not count either.
        auto other = f.unsigned_consensus(2);
        c.signatures.push_back(sign_consensus_digest(consensus_digest(other), f.keys[2]));
        auto s = verify_consensus(c, f.network, kT);
        QVERIFY(!s.has_value());
        QCOMPARE(message(s),
                 QStringLiteral("consensus has 1 valid signature of the 2 needed from 3 "
                                "authorities"));
        // A bad signature first does not hide a good one from the same signer.
        c.signatures.push_back(sign_consensus_digest(consensus_digest(c), f.keys[1]));
        QVERIFY(verify_consensus(c, f.network, kT).has_value());
    }

    void verify_tampered_entry_fails() {
        Fixture f(3);
        auto c = f.signed_by({0, 1, 2});
        c.relays[0].port += 1;
        auto s = verify_consensus(c, f.network, kT);
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, Errc::BadSignature);
    }

    void verify_wrong_network() {
        Fixture f(3);
        auto c = f.signed_by({0, 1, 2});
        auto other = f.network;
        other.name = "othernet";
        auto s = verify_consensus(c, other, kT);
        QVERIFY(!s.has_value());
        QVERIFY(message(s).contains(QStringLiteral("'testnet'")));
        QVERIFY(message(s).contains(QStringLiteral("'othernet'")));
    }

    void verify_time_window() {
        Fixture f(3);
        auto c = f.signed_by({0, 1, 2});
        QVERIFY(verify_consensus(c, f.network, c.valid_after).has_value());
        QVERIFY(verify_consensus(c, f.network, c.valid_until).has_value());
        auto early = verify_consensus(c, f.network, c.valid_after - 1);
        QVERIFY(!early.has_value());
        QCOMPARE(early.error().code, Errc::NotYetValid);
        QVERIFY(message(early).contains(QStringLiteral("clock")));
        auto late = verify_consensus(c, f.network, c.valid_until + 1);
        QVERIFY(!late.has_value());
        QCOMPARE(late.error().code, Errc::Expired);
        QVERIFY(message(late).contains(QStringLiteral("expired")));
    }

    void decode_does_not_check_signatures() {
        Fixture f(3);
        auto c = f.signed_by({0});
        c.signatures[0].signature.bytes.fill(0);
        QVERIFY(decode_consensus(encode_consensus(c)).has_value());
    }

    void valid_after_offset_is_right() {
        // Guards the offsets the tests above patch.
        Fixture f(1);
        auto bytes = encode_consensus(f.unsigned_consensus(0));
        wire::Reader r(ByteView(bytes).subspan(kValidAfterOffset));
        QCOMPARE(*r.u64(), std::uint64_t(kT));
    }
};

QTEST_APPLESS_MAIN(TestConsensus)
#include "tst_consensus.moc"
