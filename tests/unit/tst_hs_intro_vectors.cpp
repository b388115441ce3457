// Checks the test vectors printed in docs/protocol-hs-intro.md against the
// code, so the document and the implementation cannot drift apart.
#include <QtTest>

#include "tests/common/doc_vectors.hpp"

#include <fstream>
#include <map>
#include <sstream>

#include "core/hs/intro_messages.hpp"
#include "core/hs/introduce_crypto.hpp"

using namespace sotto;
using namespace sotto::hs;

namespace {

std::map<std::string, Bytes> read_vector(const std::string& name) {
    return test::read_doc_vector_hex("protocol-hs-intro.md", name);
}
using test::FixedRng;

Bytes bytes(ByteView x) {
    return Bytes(x.begin(), x.end());
}

std::uint64_t be(const Bytes& b) {
    std::uint64_t v = 0;
    for (auto c : b) v = v << 8 | c;
    return v;
}

}  // namespace

class TestHsIntroVectors : public QObject {
    Q_OBJECT
  private slots:
    void hs_ntor_vector_matches_the_document() {
        auto v = read_vector("hs-ntor");
        QCOMPARE(v.size(), std::size_t(22));
        auto ik = crypto::Ed25519SecretKey::from_seed(v["ik_seed"]);
        auto b = crypto::X25519SecretKey::from_bytes(v["enc_secret"]);
        QVERIFY(ik && b);
        QCOMPARE(bytes(ik->public_key().view()), v["IK"]);
        QCOMPARE(bytes(b->public_key().view()), v["B"]);
        QCOMPARE(bytes(auth_key_id(ik->public_key()).view()), v["auth_key_id"]);

        IntroducePayload p;
        p.rp_identity = crypto::Ed25519PublicKey::from(v["rp_identity"]);
        p.rp_onion_key = crypto::X25519PublicKey::from(v["rp_onion_key"]);
        p.rp_host = std::string(v["rp_host"].begin(), v["rp_host"].end());
        p.rp_port = static_cast<std::uint16_t>(be(v["rp_port"]));
        p.rendezvous_cookie = RendezvousCookie::from(v["rendezvous_cookie"]);
        p.descriptor_cookie = Secret<32>(v["descriptor_cookie"]);
        p.timestamp = static_cast<std::int64_t>(be(v["timestamp"]));

        FixedRng client_rng, service_rng;
        client_rng.value = v["client_x"];
        service_rng.value = v["service_y"];
        auto c = client_introduce(p, ik->public_key(), b->public_key(), client_rng);
        QVERIFY(c.has_value());
        QCOMPARE(bytes(ByteView(c->introduce1()).subspan(32, 32)), v["X"]);
        QCOMPARE(c->introduce1(), v["introduce1"]);

        auto opened = service_open_introduce(c->introduce1(), ik->public_key(), *b);
        QVERIFY(opened.has_value());
        auto r = service_rendezvous(*opened, ik->public_key(), *b, service_rng);
        QVERIFY(r.has_value());
        QCOMPARE(bytes(r->reply.view()), v["reply"]);
        QCOMPARE(r->rendezvous1, v["rendezvous1"]);
        auto k = c->finish(r->reply.view());
        QVERIFY(k.has_value());
        QCOMPARE(bytes(k->forward_key.view()), v["Kf"]);
        QCOMPARE(bytes(k->backward_key.view()), v["Kb"]);
        QCOMPARE(bytes(k->forward_digest.view()), v["Df"]);
        QCOMPARE(bytes(k->backward_digest.view()), v["Db"]);
        // The service's side is the same material with the directions swapped.
        QCOMPARE(bytes(r->service_keys.backward_key.view()), v["Kf"]);
        QCOMPARE(bytes(r->service_keys.forward_digest.view()), v["Db"]);
    }

    void establish_intro_vector_matches_the_document() {
        auto v = read_vector("establish-intro");
        QCOMPARE(v.size(), std::size_t(4));
        auto ik = crypto::Ed25519SecretKey::from_seed(v["ik_seed"]);
        QVERIFY(ik.has_value());
        FixedRng rng;
        rng.value = v["nonce"];
        auto e = make_establish_intro(*ik, CircuitBinding::from(v["circuit_binding"]), rng);
        QCOMPARE(encode_establish_intro(e), v["establish_intro"]);
        QVERIFY(decode_establish_intro(v["establish_intro"]).has_value());
    }
};

QTEST_APPLESS_MAIN(TestHsIntroVectors)
#include "tst_hs_intro_vectors.moc"
