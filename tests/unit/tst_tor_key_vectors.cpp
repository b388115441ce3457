// Sotto's Ed25519 keys against tor's own test vectors
// (tests/data/tor/ed25519_vectors.inc, from tor's src/test/): the public key
// of each seed, and the expanded secret key that tor keeps and ADD_ONION
// takes. A service key Sotto hands to tor must be the key tor would have
// made from the same seed, or the contact's address would be another.
#include <QtTest>

#include "core/crypto/ed25519.hpp"

// The blinding vectors are for key blinding (issue 12), not used here yet.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-variable"
#include "tests/data/tor/ed25519_vectors.inc"
#pragma GCC diagnostic pop

using namespace sotto;

namespace {

Bytes unhex(const char* s) {
    Bytes b;
    if (!from_hex(s, b)) b.clear();
    return b;
}

}  // namespace

class TestTorKeyVectors : public QObject {
    Q_OBJECT
  private slots:
    void seeds_give_tors_public_and_expanded_keys() {
        constexpr auto n = sizeof(ED25519_SECRET_KEYS) / sizeof(ED25519_SECRET_KEYS[0]);
        QCOMPARE(n, std::size_t(10));
        for (std::size_t i = 0; i < n; ++i) {
            auto key = crypto::Ed25519SecretKey::from_seed(unhex(ED25519_SECRET_KEYS[i]));
            QVERIFY(key);
            QCOMPARE(key->public_key().hex(), std::string(ED25519_PUBLIC_KEYS[i]));
            QCOMPARE(to_hex(key->expanded().view()), std::string(ED25519_EXPANDED_SECRET_KEYS[i]));
            // tor signs each public key with its own key: the same signature.
            QCOMPARE(key->sign(key->public_key().view()).hex(),
                     std::string(ED25519_SELF_SIGNATURES[i]));
        }
    }
};

QTEST_GUILESS_MAIN(TestTorKeyVectors)
#include "tst_tor_key_vectors.moc"
