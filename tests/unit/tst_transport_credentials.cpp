// Transport-tagged grants and credentials (core/transport/credential.hpp):
// the list encoding every invite code, Hello/Welcome and profile row uses,
// its bounds, and the Sotto-onion entries the onion transport reads.
#include <QtTest>

#include "core/crypto/random.hpp"
#include "core/transport/credential.hpp"
#include "core/transport/onion_credentials.hpp"
#include "core/transport/tor_credentials.hpp"

using namespace sotto;
using namespace sotto::transport;

namespace {

Credential entry(std::uint8_t kind, Bytes bytes) {
    return {static_cast<TransportKind>(kind), SecretBytes(bytes)};
}

}  // namespace

class TestTransportCredentials : public QObject {
    Q_OBJECT
  private slots:
    void lists_round_trip_with_unknown_transports_kept() {
        CredentialList list;
        list.push_back(entry(1, Bytes(64, 0xaa)));
        list.push_back(entry(200, Bytes{1, 2, 3}));
        auto enc = encode_credentials(list);
        QVERIFY(enc);
        QCOMPARE(to_hex(enc->view()).substr(0, 8), std::string("02010040"));
        QCOMPARE(enc->size(), std::size_t(1 + 3 + 64 + 3 + 3));
        auto back = decode_credentials(enc->view());
        QVERIFY(back);
        QVERIFY(same_credentials(*back, list));
        QCOMPARE(static_cast<int>((*back)[1].transport), 200);
        QVERIFY(find_transport(*back, TransportKind::SottoOnion) == &(*back)[0]);
        QVERIFY(!find_transport(*back, TransportKind::TorOnion));
        QCOMPARE(transport_name(static_cast<TransportKind>(200)), std::string("transport 200"));
    }

    void bad_lists_are_refused_both_ways() {
        CredentialList none;
        QVERIFY(!encode_credentials(none));
        CredentialList twice;
        twice.push_back(entry(1, Bytes{1}));
        twice.push_back(entry(1, Bytes{2}));
        QVERIFY(!encode_credentials(twice));
        CredentialList empty_entry;
        empty_entry.push_back(entry(1, {}));
        QVERIFY(!encode_credentials(empty_entry));
        CredentialList too_long;
        too_long.push_back(entry(1, Bytes(kMaxEntryBytes + 1, 1)));
        QVERIFY(!encode_credentials(too_long));
        CredentialList too_many;
        for (std::uint8_t k = 1; k <= kMaxTransports + 1; ++k)
            too_many.push_back(entry(k, Bytes{k}));
        QVERIFY(!encode_credentials(too_many));

        for (Bytes b :
             {Bytes{}, Bytes{0}, Bytes{9}, Bytes{1, 1, 0, 0}, Bytes{1, 1, 0, 2, 7},
              Bytes{1, 1, 0, 1, 7, 0}, Bytes{2, 1, 0, 1, 7, 1, 0, 1, 8}, Bytes{1, 1, 0x04, 0x01}})
            QVERIFY2(!decode_credentials(b), to_hex(b).c_str());
        QVERIFY(decode_credentials(Bytes{1, 1, 0, 1, 7}));
        QVERIFY(decode_grants(Bytes{1, 2, 0, 1, 7}));
    }

    void onion_grants_issue_and_open() {
        DeterministicRng rng(5);
        auto issued = issue_grant(TransportKind::SottoOnion, rng);
        QVERIFY(issued);
        QCOMPARE(issued->grant.bytes.size(), kOnionGrantBytes);
        QCOMPARE(issued->credential.bytes.size(), kOnionCredentialBytes);
        auto again = credential_for(issued->grant);
        QVERIFY(again);
        QVERIFY(same_credentials(list_of(std::move(*again)), list_of(issued->credential.clone())));
        auto g = open_onion_grant(issued->grant);
        QVERIFY(g);
        auto c = open_onion_credential(issued->credential);
        QVERIFY(c);
        QVERIFY(c->client_key_id == hs::credentials_for(*g).client_key_id);
        // The DC is the same 32 bytes on both sides.
        QVERIFY(ct_equal(c->cookie.view(), g->cookie.view()));
        // Another kind, or another length, is not an onion entry.
        QVERIFY(!open_onion_credential(entry(2, Bytes(64, 1))));
        QVERIFY(!open_onion_credential(entry(1, Bytes(63, 1))));
        QVERIFY(!open_onion_grant(Grant{TransportKind::SottoOnion, SecretBytes(Bytes(65, 1))}));
        // Kinds this build cannot issue or open say so.
        QVERIFY(!issue_grant(static_cast<TransportKind>(200), rng));
        QVERIFY(!credential_for(Grant{static_cast<TransportKind>(200), SecretBytes(Bytes(64, 1))}));
        const TransportKind kinds[] = {TransportKind::SottoOnion};
        auto many = issue_grants(kinds, rng);
        QVERIFY(many && many->grants.size() == 1 && many->credentials.size() == 1);
        QVERIFY(same_credentials(*credentials_for(many->grants), many->credentials));
        QVERIFY(!issue_grants({}, rng));
    }

    // A Tor grant is the contact's own service key and client-auth key; the
    // credential carries the service's public key and the same client-auth
    // secret, so the contact's tor can both find and open the service.
    void tor_grants_issue_and_open() {
        DeterministicRng rng(6);
        auto issued = issue_grant(TransportKind::TorOnion, rng);
        QVERIFY(issued);
        QCOMPARE(issued->grant.transport, TransportKind::TorOnion);
        QCOMPARE(issued->grant.bytes.size(), kTorGrantBytes);
        QCOMPARE(issued->credential.bytes.size(), kTorCredentialBytes);
        auto again = credential_for(issued->grant);
        QVERIFY(again);
        QVERIFY(same_credentials(list_of(std::move(*again)), list_of(issued->credential.clone())));
        auto g = open_tor_grant(issued->grant);
        QVERIFY(g);
        auto c = open_tor_credential(issued->credential);
        QVERIFY(c);
        QVERIFY(c->service_key == g->service_key.public_key());
        QVERIFY(c->client_auth.public_key() == g->client_auth.public_key());
        // Two contacts share no key.
        auto other = issue_grant(TransportKind::TorOnion, rng);
        QVERIFY(other);
        auto g2 = open_tor_grant(other->grant);
        QVERIFY(g2);
        QVERIFY(!(g2->service_key.public_key() == g->service_key.public_key()));
        QVERIFY(!(g2->client_auth.public_key() == g->client_auth.public_key()));
        QVERIFY(!open_tor_credential(entry(1, Bytes(64, 1))));
        QVERIFY(!open_tor_credential(entry(2, Bytes(63, 1))));
        QVERIFY(!open_tor_grant(Grant{TransportKind::TorOnion, SecretBytes(Bytes(65, 1))}));
        // A profile on both networks issues one grant for each.
        const TransportKind kinds[] = {TransportKind::SottoOnion, TransportKind::TorOnion};
        auto both = issue_grants(kinds, rng);
        QVERIFY(both && both->grants.size() == 2);
        QVERIFY(same_credentials(*credentials_for(both->grants), both->credentials));
    }
};

QTEST_GUILESS_MAIN(TestTransportCredentials)
#include "tst_transport_credentials.moc"
