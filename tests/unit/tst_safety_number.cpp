// Safety numbers: 12 groups of 5 digits, the same on both sides, different
// for different keys, and equal to the vector printed in docs/messenger.md.
#include <QtTest>

#include "tests/common/doc_vectors.hpp"

#include <set>

#include "core/contacts/safety_number.hpp"

using namespace sotto;
using namespace sotto::contacts;

namespace {

crypto::Ed25519PublicKey key(std::uint8_t fill, std::uint8_t last = 0) {
    crypto::Ed25519PublicKey k;
    k.bytes.fill(fill);
    k.bytes[31] = last;
    return k;
}

std::string digits_only(const std::string& s) {
    std::string out;
    for (char c : s)
        if (c != ' ') out += c;
    return out;
}

// "ddddd ddddd ... ddddd": twelve groups of five digits, one space apart.
// (Not std::regex: GCC 12's <regex> trips -Wmaybe-uninitialized under the
// sanitizer build's -O2.)
bool twelve_groups(const std::string& n) {
    if (n.size() != 12 * 6 - 1) return false;
    for (std::size_t i = 0; i < n.size(); ++i)
        if (i % 6 == 5 ? n[i] != ' ' : (n[i] < '0' || n[i] > '9')) return false;
    return true;
}

}  // namespace

class TestSafetyNumber : public QObject {
    Q_OBJECT
  private slots:
    void twelve_groups_of_five_digits() {
        for (int i = 0; i < 50; ++i) {
            auto n = safety_number(key(static_cast<std::uint8_t>(i)), key(0xee, 1));
            QCOMPARE(n.size(), std::size_t(71));
            QVERIFY2(twelve_groups(n), n.c_str());
        }
    }

    void same_on_both_sides() {
        for (int i = 0; i < 50; ++i) {
            auto a = key(static_cast<std::uint8_t>(i), 7);
            auto b = key(static_cast<std::uint8_t>(255 - i), static_cast<std::uint8_t>(i));
            QCOMPARE(safety_number(a, b), safety_number(b, a));
        }
    }

    void different_keys_give_different_numbers() {
        std::set<std::string> seen;
        auto a = key(0x11);
        for (int i = 0; i < 256; ++i) {
            // Keys that differ in one bit of the last byte.
            auto n = safety_number(a, key(0x22, static_cast<std::uint8_t>(i)));
            QVERIFY(seen.insert(n).second);
        }
        // Replacing either key changes the number, and so does a
        // man-in-the-middle who holds one key of each side.
        auto b = key(0x22), m = key(0x33);
        QVERIFY(safety_number(a, b) != safety_number(a, m));
        QVERIFY(safety_number(a, b) != safety_number(m, b));
        QVERIFY(safety_number(a, m) != safety_number(m, b));
        // Each group is independent: across many numbers every group takes
        // many values and leading zeros are kept.
        std::vector<std::set<std::string>> groups(12);
        bool leading_zero = false;
        for (const auto& n : seen) {
            for (std::size_t g = 0; g < 12; ++g) {
                auto group = n.substr(g * 6, 5);
                groups[g].insert(group);
                leading_zero |= group[0] == '0';
            }
        }
        for (const auto& g : groups) QVERIFY(g.size() > 250);
        QVERIFY(leading_zero);
    }

    void vector_matches_the_document() {
        auto v = test::read_doc_vector("messenger.md", "safety-number");
        QCOMPARE(v.size(), std::size_t(3));
        Bytes a, b;
        QVERIFY(from_hex(v["key_a"], a) && from_hex(v["key_b"], b));
        auto ka = crypto::Ed25519PublicKey::from(a), kb = crypto::Ed25519PublicKey::from(b);
        QCOMPARE(digits_only(safety_number(ka, kb)), v["digits"]);
        QCOMPARE(digits_only(safety_number(kb, ka)), v["digits"]);
    }
};

QTEST_APPLESS_MAIN(TestSafetyNumber)
#include "tst_safety_number.moc"
