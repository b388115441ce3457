// core/session/noise against the published vectors of two other
// implementations (cacophony, snow: tests/data/noise_vectors.json), for the
// base patterns and psk modifiers the sessions use (IK, XXpsk0) and some
// around them, byte for byte in both directions, through the handshake and
// the transport messages after it.
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include "core/crypto/random.hpp"
#include "core/session/noise.hpp"
#include "core/util/rng.hpp"

using namespace sotto;
using namespace sotto::session::noise;

namespace {

Bytes hex(const QJsonValue& v) {
    Bytes out;
    if (!from_hex(v.toString().toStdString(), out)) qFatal("bad hex in the vectors");
    return out;
}

crypto::X25519SecretKey secret(const QJsonValue& v) {
    auto k = crypto::X25519SecretKey::from_bytes(hex(v));
    if (!k) qFatal("bad key in the vectors");
    return std::move(*k);
}

QJsonArray vectors() {
    QFile f(SOTTO_SOURCE_DIR "/tests/data/noise_vectors.json");
    if (!f.open(QIODevice::ReadOnly)) qFatal("noise_vectors.json missing");
    return QJsonDocument::fromJson(f.readAll()).object()["vectors"].toArray();
}

HandshakeKeys keys_of(const QJsonObject& v, const char* side) {
    const QString p = QString::fromLatin1(side);
    HandshakeKeys k;
    if (v.contains(p + "_static")) k.s = secret(v[p + "_static"]);
    if (v.contains(p + "_remote_static"))
        k.rs = crypto::X25519PublicKey::from(hex(v[p + "_remote_static"]));
    for (auto psk : v[p + "_psks"].toArray()) k.psks.emplace_back(hex(psk));
    k.e = secret(v[p + "_ephemeral"]);
    return k;
}

std::string pattern_of(const QString& protocol) {
    // Noise_<pattern>_25519_ChaChaPoly_SHA256
    return protocol.section('_', 1, 1).toStdString();
}

}  // namespace

class TestNoise : public QObject {
    Q_OBJECT
  private slots:
    void vectors_of_other_implementations_match_byte_for_byte_data() {
        QTest::addColumn<int>("index");
        const auto all = vectors();
        for (int i = 0; i < all.size(); ++i)
            QTest::newRow(all[i].toObject()["protocol_name"].toString().toUtf8().constData()) << i;
    }
    void vectors_of_other_implementations_match_byte_for_byte() {
        QFETCH(int, index);
        const QJsonObject v = vectors()[index].toObject();
        SystemRng rng;  // unused: every ephemeral is fixed by the vector
        auto pattern = pattern_by_name(pattern_of(v["protocol_name"].toString()));
        QVERIFY(pattern);
        const auto handshake_messages = pattern->messages.size();
        auto init = HandshakeState::initialize(*pattern, true, hex(v["init_prologue"]),
                                               keys_of(v, "init"), rng);
        auto resp = HandshakeState::initialize(*pattern, false, hex(v["resp_prologue"]),
                                               keys_of(v, "resp"), rng);
        QVERIFY2(init, init ? "" : init.error().message.c_str());
        QVERIFY2(resp, resp ? "" : resp.error().message.c_str());

        const auto messages = v["messages"].toArray();
        std::optional<Split> is, rs;
        for (int i = 0; i < messages.size(); ++i) {
            const bool from_initiator = i % 2 == 0;
            const Bytes payload = hex(messages[i].toObject()["payload"]);
            const Bytes expected = hex(messages[i].toObject()["ciphertext"]);
            if (static_cast<std::size_t>(i) < handshake_messages) {
                auto& w = from_initiator ? *init : *resp;
                auto& r = from_initiator ? *resp : *init;
                QVERIFY(w.our_turn());
                auto ct = w.write_message(payload);
                QVERIFY(ct);
                QCOMPARE(to_hex(*ct), to_hex(expected));
                auto back = r.read_message(*ct);
                QVERIFY(back);
                QCOMPARE(to_hex(*back), to_hex(payload));
                if (static_cast<std::size_t>(i) + 1 == handshake_messages) {
                    QVERIFY(init->finished() && resp->finished());
                    if (v.contains("handshake_hash")) {
                        QCOMPARE(to_hex(init->handshake_hash()),
                                 v["handshake_hash"].toString().toStdString());
                        QCOMPARE(to_hex(resp->handshake_hash()),
                                 v["handshake_hash"].toString().toStdString());
                    }
                    auto a = init->split();
                    auto b = resp->split();
                    QVERIFY(a && b);
                    is.emplace(std::move(*a));
                    rs.emplace(std::move(*b));
                }
                continue;
            }
            auto& send = from_initiator ? is->send : rs->send;
            auto& receive = from_initiator ? rs->receive : is->receive;
            Bytes ct;
            QVERIFY(send.encrypt_with_ad({}, payload, ct));
            QCOMPARE(to_hex(ct), to_hex(expected));
            auto back = receive.decrypt_with_ad({}, ct);
            QVERIFY(back);
            QCOMPARE(to_hex(*back), to_hex(payload));
        }
    }

    void psk_modifiers_place_their_token() {
        auto p = pattern_by_name("XXpsk0");
        QVERIFY(p);
        QCOMPARE(p->messages.size(), std::size_t(3));
        QVERIFY(p->messages[0] == (std::vector<Token>{Token::Psk, Token::E}));
        QVERIFY(p->messages[1] == (std::vector<Token>{Token::E, Token::EE, Token::S, Token::ES}));
        QVERIFY(p->psk_mode());
        auto q = pattern_by_name("IKpsk2");
        QVERIFY(q);
        QVERIFY(q->messages[1].back() == Token::Psk);
        QVERIFY(q->responder_static_known);
        QVERIFY(!pattern_by_name("IK")->psk_mode());
        for (auto bad : {"", "ZZ", "XXpsk", "XXpsk9", "XXpsk0psk1", "XXpsk0+", "XXfallback"})
            QVERIFY2(!pattern_by_name(bad), bad);
    }

    void initialize_refuses_missing_or_extra_keys() {
        SystemRng rng;
        auto ik = *pattern_by_name("IK");
        // The caller must know the answerer's key; the answerer must not.
        HandshakeKeys k1;
        k1.s = crypto::X25519SecretKey::generate(rng);
        QVERIFY(!HandshakeState::initialize(ik, true, {}, std::move(k1), rng));
        HandshakeKeys k2;
        k2.s = crypto::X25519SecretKey::generate(rng);
        k2.rs = crypto::X25519SecretKey::generate(rng).public_key();
        QVERIFY(!HandshakeState::initialize(ik, false, {}, std::move(k2), rng));
        HandshakeKeys k3;  // no static at all
        QVERIFY(!HandshakeState::initialize(ik, false, {}, std::move(k3), rng));
        // A psk pattern needs exactly its psks.
        HandshakeKeys k4;
        k4.s = crypto::X25519SecretKey::generate(rng);
        QVERIFY(
            !HandshakeState::initialize(*pattern_by_name("XXpsk0"), true, {}, std::move(k4), rng));
    }

    // Every bit of every handshake message matters, and a failure is final.
    void a_flipped_bit_anywhere_fails_the_handshake() {
        SystemRng rng;
        auto ik = *pattern_by_name("IK");
        auto s_init = crypto::X25519SecretKey::generate(rng);
        auto s_resp = crypto::X25519SecretKey::generate(rng);
        const auto resp_pub = s_resp.public_key();
        auto resp_secret = Bytes(s_resp.secret_bytes().begin(), s_resp.secret_bytes().end());
        auto init_secret = Bytes(s_init.secret_bytes().begin(), s_init.secret_bytes().end());
        auto make = [&](bool initiator) {
            HandshakeKeys k;
            k.s = *crypto::X25519SecretKey::from_bytes(initiator ? init_secret : resp_secret);
            if (initiator) k.rs = resp_pub;
            return *HandshakeState::initialize(ik, initiator, as_bytes("p"), std::move(k), rng);
        };
        auto probe = make(true);
        const auto msg1 = *probe.write_message({});
        QCOMPARE(msg1.size(), std::size_t(32 + 48 + 16));
        for (std::size_t bit = 0; bit < msg1.size() * 8; ++bit) {
            auto r = make(false);
            Bytes m = msg1;
            m[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
            QVERIFY2(!r.read_message(m), std::to_string(bit).c_str());
            // Failed for good: the genuine message is refused now too.
            QVERIFY(!r.read_message(msg1));
        }
        auto r = make(false);
        QVERIFY(!r.read_message(ByteView(msg1).first(msg1.size() - 1)));  // cut short
        auto r2 = make(false);
        QVERIFY(r2.read_message(msg1));
        QVERIFY(r2.remote_static() == s_init.public_key());
    }
};

QTEST_GUILESS_MAIN(TestNoise)
#include "tst_noise.moc"
