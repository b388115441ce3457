// The derivations behind the contact sessions (core/session/session_keys,
// core/crypto/ed25519_x25519) and whole sessions with fixed ephemerals,
// against the ```vector session-* blocks of docs/messenger.md. Those blocks
// come from scripts/session_vectors.py, an implementation of the same
// sessions written separately in Python from the Noise specification.
#include <QtTest>

#include "core/crypto/ed25519_x25519.hpp"
#include "core/crypto/random.hpp"
#include "core/session/secure_channel.hpp"
#include "core/session/session_keys.hpp"
#include "tests/common/doc_vectors.hpp"

using namespace sotto;
using namespace sotto::session;

namespace {

crypto::Ed25519SecretKey ed_key(const Bytes& seed) {
    auto k = crypto::Ed25519SecretKey::from_seed(seed);
    if (!k) qFatal("bad seed");
    return std::move(*k);
}

test::FixedRng fixed(const Bytes& value) {
    test::FixedRng r;
    r.value = value;
    return r;
}

Bytes credentials(const std::map<std::string, Bytes>& v) {
    Bytes c = v.at("client_key_id");
    c.insert(c.end(), v.at("descriptor_cookie").begin(), v.at("descriptor_cookie").end());
    return c;
}

// What both session vectors give the two sides alike: the prologue, the
// caller's pairwise key and each side's fixed ephemeral. Uses v.at(), so
// reading it leaves the vector's size as the test checked it.
struct SessionStart {
    explicit SessionStart(const std::map<std::string, Bytes>& v)
        : prologue(session_prologue(v.at("network_id"))),
          a(ed_key(v.at("caller_pairwise_seed"))),
          rng_a(fixed(v.at("caller_ephemeral"))),
          rng_b(fixed(v.at("answerer_ephemeral"))) {}
    Bytes prologue;
    crypto::Ed25519SecretKey a;
    test::FixedRng rng_a, rng_b;
};

}  // namespace

class TestSessionKeys : public QObject {
    Q_OBJECT
  private slots:
    void derivations_match_the_document() {
        auto v = test::read_doc_vector_hex("messenger.md", "session-keys");
        QCOMPARE(v.size(), std::size_t(12));
        auto key = ed_key(v["pairwise_seed"]);
        QCOMPARE(key.public_key().hex(), to_hex(v["pairwise_public"]));
        auto x = crypto::x25519_from_ed25519(key);
        QCOMPARE(to_hex(x.secret_bytes()), to_hex(v["x25519_secret"]));
        QCOMPARE(x.public_key().hex(), to_hex(v["x25519_public"]));
        // The public map gives the same key as the secret one.
        auto xp = crypto::x25519_from_ed25519(key.public_key());
        QVERIFY(xp);
        QVERIFY(*xp == x.public_key());
        QCOMPARE(to_hex(session_prologue(v["network_id"])), to_hex(v["prologue"]));
        QCOMPARE(to_hex(invite_psk(credentials(v)).view()), to_hex(v["invite_psk"]));
        auto inv = invite_pairwise_key(v["invite_client_seed"]);
        QCOMPARE(to_hex(inv.seed()), to_hex(v["invite_pairwise_seed"]));
        QCOMPARE(inv.public_key().hex(), to_hex(v["invite_pairwise_public"]));
    }

    void every_key_maps_and_junk_does_not() {
        SystemRng rng;
        for (int i = 0; i < 50; ++i) {
            auto k = crypto::Ed25519SecretKey::generate(rng);
            auto xp = crypto::x25519_from_ed25519(k.public_key());
            QVERIFY(xp);
            QVERIFY(*xp == crypto::x25519_from_ed25519(k).public_key());
        }
        // Not a point (y = 2 has no x), the identity (small order), and a
        // point of order 8.
        for (const char* bad :
             {"0200000000000000000000000000000000000000000000000000000000000000",
              "0100000000000000000000000000000000000000000000000000000000000000",
              "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"}) {
            Bytes b;
            QVERIFY(from_hex(bad, b));
            QVERIFY2(!crypto::x25519_from_ed25519(crypto::Ed25519PublicKey::from(b)), bad);
        }
    }

    void a_contact_session_matches_the_document() {
        auto v = test::read_doc_vector_hex("messenger.md", "session-contact");
        QCOMPARE(v.size(), std::size_t(10));
        auto [prologue, a, rng_a, rng_b] = SessionStart(v);
        auto b = ed_key(v["answerer_pairwise_seed"]);
        const auto a_pub = *crypto::x25519_from_ed25519(a.public_key());
        auto caller =
            SecureChannel::contact_caller(prologue, crypto::x25519_from_ed25519(a),
                                          *crypto::x25519_from_ed25519(b.public_key()), rng_a);
        auto answerer = SecureChannel::contact_answerer(
            prologue, crypto::x25519_from_ed25519(b),
            [&](const crypto::X25519PublicKey& k) { return k == a_pub; }, rng_b);
        QVERIFY(caller && answerer);
        auto m1 = caller->start();
        QCOMPARE(to_hex(*m1), to_hex(v["message_1"]));
        auto m2 = answerer->feed(*m1);
        QVERIFY(m2 && m2->established);
        QCOMPARE(to_hex(m2->send), to_hex(v["message_2"]));
        QVERIFY(caller->feed(m2->send));
        QCOMPARE(to_hex(caller->handshake_hash()), to_hex(v["handshake_hash"]));
        QCOMPARE(to_hex(*caller->seal(as_bytes("hello"))), to_hex(v["record_caller"]));
        QCOMPARE(to_hex(*answerer->seal(as_bytes("hi"))), to_hex(v["record_answerer"]));
    }

    void an_invite_session_matches_the_document() {
        auto v = test::read_doc_vector_hex("messenger.md", "session-invite");
        QCOMPARE(v.size(), std::size_t(12));
        auto [prologue, a, rng_a, rng_b] = SessionStart(v);
        auto inviter = invite_pairwise_key(v["invite_client_seed"]);
        const auto psk = invite_psk(credentials(v));
        auto caller =
            SecureChannel::invite_caller(prologue, psk, crypto::x25519_from_ed25519(a), rng_a);
        auto answerer = SecureChannel::invite_answerer(prologue, psk,
                                                       crypto::x25519_from_ed25519(inviter), rng_b);
        QVERIFY(caller && answerer);
        auto m1 = caller->start();
        QCOMPARE(to_hex(*m1), to_hex(v["message_1"]));
        auto m2 = answerer->feed(*m1);
        QVERIFY(m2 && !m2->established);
        QCOMPARE(to_hex(m2->send), to_hex(v["message_2"]));
        auto m3 = caller->feed(m2->send);
        QVERIFY(m3 && m3->established);
        QCOMPARE(to_hex(m3->send), to_hex(v["message_3"]));
        auto done = answerer->feed(m3->send);
        QVERIFY(done && done->established);
        QCOMPARE(to_hex(answerer->handshake_hash()), to_hex(v["handshake_hash"]));
        // Each side now holds the other's pairwise key in X25519 form.
        QVERIFY(*caller->peer_static() == *crypto::x25519_from_ed25519(inviter.public_key()));
        QVERIFY(*answerer->peer_static() == *crypto::x25519_from_ed25519(a.public_key()));
        QCOMPARE(to_hex(*caller->seal(as_bytes("hello"))), to_hex(v["record_caller"]));
    }
};

QTEST_GUILESS_MAIN(TestSessionKeys)
#include "tst_session_keys.moc"
