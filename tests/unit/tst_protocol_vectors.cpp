// Checks the test vectors printed in docs/protocol.md against the code, so
// the document and the implementation cannot drift apart.
#include <QtTest>

#include <fstream>
#include <map>
#include <sstream>

#include "core/onion/ntor.hpp"
#include "tests/common/doc_vectors.hpp"

using namespace sotto;

namespace {

std::map<std::string, Bytes> read_vector(const std::string& name) {
    return test::read_doc_vector_hex("protocol.md", name);
}
using test::FixedRng;

}  // namespace

class TestProtocolVectors : public QObject {
    Q_OBJECT
  private slots:
    void ntor_vector_matches_the_document() {
        auto v = read_vector("ntor");
        QCOMPARE(v.size(), std::size_t(12));
        auto id = crypto::Ed25519SecretKey::from_seed(v["identity_seed"]);
        auto b = crypto::X25519SecretKey::from_bytes(v["onion_secret"]);
        QVERIFY(id && b);
        QCOMPARE(Bytes(id->public_key().bytes.begin(), id->public_key().bytes.end()), v["ID"]);
        QCOMPARE(Bytes(b->public_key().bytes.begin(), b->public_key().bytes.end()), v["B"]);
        FixedRng client_rng, relay_rng;
        client_rng.value = v["client_x"];
        relay_rng.value = v["relay_y"];
        auto c = onion::ClientHandshake::ntor(id->public_key(), b->public_key(), client_rng);
        QCOMPARE(c.request(), v["request"]);
        auto s = onion::server_handshake(onion::kHandshakeNtor, c.request(), id->public_key(), *b,
                                         relay_rng);
        QVERIFY(s.has_value());
        QCOMPARE(s->reply, v["reply"]);
        auto k = c.finish(s->reply);
        QVERIFY(k.has_value());
        auto bytes = [](ByteView x) { return Bytes(x.begin(), x.end()); };
        QCOMPARE(bytes(k->forward_key.view()), v["Kf"]);
        QCOMPARE(bytes(k->backward_key.view()), v["Kb"]);
        QCOMPARE(bytes(k->forward_digest.view()), v["Df"]);
        QCOMPARE(bytes(k->backward_digest.view()), v["Db"]);
    }
};

QTEST_APPLESS_MAIN(TestProtocolVectors)
#include "tst_protocol_vectors.moc"
