// Checks the test vectors printed in docs/protocol-hs-descriptors.md against
// the code, so the document and the implementation cannot drift apart.
#include <QtTest>

#include "tests/common/doc_vectors.hpp"

#include <fstream>
#include <map>
#include <sstream>

#include "core/crypto/hash.hpp"
#include "core/hs/descriptor_id.hpp"
#include "core/hs/hs_descriptor.hpp"
#include "core/hs/time_period.hpp"

using namespace sotto;
using namespace sotto::hs;

namespace {

std::map<std::string, std::string> read_vector(const std::string& name) {
    return test::read_doc_vector("protocol-hs-descriptors.md", name);
}

Bytes hex(const std::string& s) {
    Bytes b;
    if (!from_hex(s, b)) qFatal("bad hex in the vector: %s", s.c_str());
    return b;
}

std::int64_t number(const std::string& s) {
    return std::stoll(s);
}

Bytes copy(ByteView v) {
    return Bytes(v.begin(), v.end());
}

struct FixedRng : Rng {
    Bytes value;
    void fill(MutableByteView out) override {
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = value[i % value.size()];
    }
};

}  // namespace

class TestHsVectors : public QObject {
    Q_OBJECT
  private slots:
    void descriptor_id_vector_matches_the_document() {
        auto v = read_vector("hs-descriptor-id");
        QCOMPARE(v.size(), std::size_t{13});
        auto ck = crypto::Ed25519SecretKey::from_seed(hex(v["ck_seed"]));
        QVERIFY(ck.has_value());
        DescriptorCookie dc(hex(v["dc"]));
        const auto period = Duration::seconds(number(v["period"]));
        QCOMPARE(copy(ck->public_key().view()), hex(v["CK"]));
        const auto h = client_key_id(ck->public_key());
        QCOMPARE(copy(h.view()), hex(v["H_CK"]));
        const auto tp = time_period(number(v["now"]), h, period);
        QCOMPARE(tp, number(v["TP"]));
        QCOMPARE(period_start(tp, h, period), number(v["period_start"]));
        QCOMPARE(period_end(tp, h, period), number(v["period_end"]));
        const auto s = secret_id_part(dc, tp, static_cast<std::uint8_t>(number(v["replica"])));
        QCOMPARE(copy(s.view()), hex(v["S"]));
        QCOMPARE(copy(descriptor_id(h, s).view()), hex(v["descriptor_id"]));
        auto key = intro_points_key(dc, s);
        QVERIFY(key.has_value());
        QCOMPARE(copy(key->view()), hex(v["intro_key"]));
    }

    void descriptor_vector_matches_the_document() {
        auto ids = read_vector("hs-descriptor-id");
        auto v = read_vector("hs-descriptor");
        QCOMPARE(v.size(), std::size_t{8});
        auto ck = crypto::Ed25519SecretKey::from_seed(hex(ids["ck_seed"]));
        QVERIFY(ck.has_value());
        DescriptorCookie dc(hex(ids["dc"]));
        const auto s = SecretIdPart::from(hex(ids["S"]));
        IntroPointInfo p;
        p.relay_identity.bytes.fill(0x11);
        p.relay_onion_key.bytes.fill(0x22);
        p.host = "127.0.0.1";
        p.port = 9001;
        p.auth_key.bytes.fill(0x33);
        p.enc_key.bytes.fill(0x44);
        FixedRng rng;
        rng.value = hex(v["nonce"]);
        const auto revision = static_cast<std::uint64_t>(number(v["revision"]));
        HsDescriptor d;
        d.secret_id = s;
        d.published = number(v["published"]);
        d.lifetime_s = static_cast<std::uint32_t>(number(v["lifetime"]));
        d.revision = revision;
        auto section = seal_intro_points({p}, dc, s, ck->public_key(), revision, rng);
        QVERIFY(section.has_value());
        QCOMPARE(copy(crypto::sha3_256(*section).view()), hex(v["section_sha3"]));
        d.encrypted_intro_points = *section;
        d = sign_hs_descriptor(d, *ck);
        QCOMPARE(copy(d.signature.view()), hex(v["signature"]));
        const auto encoded = encode_hs_descriptor(d);
        QCOMPARE(encoded.size(), std::size_t{4050});
        QCOMPARE(copy(crypto::sha3_256(encoded).view()), hex(v["descriptor_sha3"]));
        QCOMPARE(copy(id_of(d).view()), hex(ids["descriptor_id"]));
        auto opened = open_intro_points(d, dc);
        QVERIFY(opened.has_value());
        QVERIFY(*opened == std::vector<IntroPointInfo>{p});

        HsWithdrawal w;
        w.secret_id = s;
        w.revision = revision;
        QCOMPARE(encode_hs_withdrawal(sign_hs_withdrawal(w, *ck)), hex(v["withdrawal"]));
        QVERIFY(decode_hs_withdrawal(hex(v["withdrawal"])).has_value());
    }
};

QTEST_APPLESS_MAIN(TestHsVectors)
#include "tst_hs_vectors.moc"
