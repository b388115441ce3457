// Invite codes: text roundtrip, tolerance for how people copy codes (case,
// spaces, dashes, line breaks, look-alike characters), every refusal with its
// own message, and the test vector printed in docs/messenger.md.
#include <QtTest>

#include "tests/common/doc_vectors.hpp"

#include <random>
#include <set>

#include "core/contacts/base32.hpp"
#include "core/contacts/invite_code.hpp"
#include "core/crypto/hash.hpp"

using namespace sotto;
using namespace sotto::contacts;

namespace {

const TimePoint t0 = TimePoint::from_seconds(1'767'225'600);  // 2026-01-01
constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz234567";

InviteCode make_code(std::uint32_t seed, std::string hint = "Bob") {
    std::mt19937 gen(seed);
    auto random = [&](std::size_t n) {
        Bytes b(n);
        for (auto& x : b) x = static_cast<std::uint8_t>(gen());
        return b;
    };
    InviteCode c;
    for (auto& b : c.network.bytes) b = static_cast<std::uint8_t>(gen());
    c.secret = SecretBytes(random(kInviteSecretBytes));
    c.credentials.push_back({transport::TransportKind::SottoOnion, SecretBytes(random(64))});
    c.expires_at = t0 + Duration::seconds(gen() % 1'000'000);
    c.name_hint = std::move(hint);
    return c;
}

bool same(const InviteCode& a, const InviteCode& b) {
    return a.network == b.network && ct_equal(a.secret.view(), b.secret.view()) &&
           transport::same_credentials(a.credentials, b.credentials) &&
           a.expires_at == b.expires_at && a.name_hint == b.name_hint;
}

// format_invite of a code the tests made valid.
std::string text_of(const InviteCode& c) {
    auto t = format_invite(c);
    if (!t) qFatal("format_invite: %s", t.error().message.c_str());
    return *t;
}

// A code text around any payload, with a correct checksum: lets the tests
// reach the checks that come after the checksum.
std::string text_for_payload(Bytes payload) {
    auto d = crypto::sha3_256(payload);
    payload.insert(payload.end(), d.bytes.begin(), d.bytes.begin() + 4);
    return "sotto:" + base32_encode(payload);
}

void put_u64(Bytes& p, std::int64_t seconds) {
    auto s = static_cast<std::uint64_t>(seconds);
    for (int shift = 56; shift >= 0; shift -= 8) p.push_back(static_cast<std::uint8_t>(s >> shift));
}

// The version-2 payload, laid out by hand (invite_code.hpp).
Bytes payload_of(const InviteCode& c, std::uint8_t version = kInviteVersion,
                 std::uint8_t session_version = kSessionVersion) {
    Bytes p{version};
    p.insert(p.end(), c.network.bytes.begin(), c.network.bytes.end());
    put_u64(p, c.expires_at.unix_seconds());
    p.push_back(session_version);
    p.insert(p.end(), c.secret.view().begin(), c.secret.view().end());
    p.push_back(static_cast<std::uint8_t>(c.name_hint.size()));
    p.insert(p.end(), c.name_hint.begin(), c.name_hint.end());
    p.push_back(static_cast<std::uint8_t>(c.credentials.size()));
    for (const auto& e : c.credentials) {
        p.push_back(static_cast<std::uint8_t>(e.transport));
        p.push_back(static_cast<std::uint8_t>(e.bytes.size() >> 8));
        p.push_back(static_cast<std::uint8_t>(e.bytes.size()));
        p.insert(p.end(), e.bytes.view().begin(), e.bytes.view().end());
    }
    return p;
}

// A version-1 payload: H(CK) | DC fixed in place of the secret and list.
Bytes payload_v1(const dir::NetworkId& network, ByteView ck_dc, TimePoint expires,
                 std::string_view hint) {
    Bytes p{1};
    p.insert(p.end(), network.bytes.begin(), network.bytes.end());
    p.insert(p.end(), ck_dc.begin(), ck_dc.end());
    put_u64(p, expires.unix_seconds());
    p.push_back(static_cast<std::uint8_t>(hint.size()));
    p.insert(p.end(), hint.begin(), hint.end());
    return p;
}

std::optional<InviteError> error_of(std::string_view text) {
    auto r = parse_invite(text);
    if (r) return std::nullopt;
    return r.error();
}

std::string strip(std::string_view text, std::string_view drop) {
    std::string out;
    for (char c : text)
        if (drop.find(c) == std::string_view::npos) out.push_back(c);
    return out;
}

}  // namespace

class TestInviteCode : public QObject {
    Q_OBJECT
  private slots:
    void roundtrip() {
        for (std::uint32_t seed = 0; seed < 200; ++seed) {
            std::string hint(seed % 65, static_cast<char>('a' + seed % 26));
            auto code = make_code(seed, hint);
            auto text = text_of(code);
            auto back = parse_invite(text);
            QVERIFY2(back.has_value(), text.c_str());
            QVERIFY(same(*back, code));
            QCOMPARE(text_of(*back), text);
        }
        auto empty = make_code(7, "");
        auto back = parse_invite(text_of(empty));
        QVERIFY(back && back->name_hint.empty());
    }

    void text_shape() {
        auto text = text_of(make_code(1));
        QVERIFY(text.starts_with("sotto:"));
        auto body = std::string_view(text).substr(6);
        // Groups of 8 lower-case base32 characters joined by '-'.
        for (std::size_t i = 0; i < body.size(); ++i) {
            if (i % 9 == 8) {
                QCOMPARE(body[i], '-');
            } else {
                QVERIFY(kAlphabet.find(body[i]) != std::string_view::npos);
            }
        }
        // 51 fixed payload bytes + "Bob" + 68 of credentials + 4 checksum
        // bytes = 126 bytes = 202 characters.
        QCOMPARE(strip(body, "-").size(), std::size_t(202));
    }

    void vector_matches_the_document() {
        auto v = test::read_doc_vector("messenger.md", "invite-code");
        QCOMPARE(v.size(), std::size_t(8));
        Bytes network, secret, creds;
        QVERIFY(from_hex(v["network_id"], network));
        QVERIFY(from_hex(v["session_secret"], secret));
        QVERIFY(from_hex(v["credentials"], creds));
        InviteCode code;
        code.network = dir::NetworkId::from(network);
        code.secret = SecretBytes(secret);
        auto list = transport::decode_credentials(creds);
        QVERIFY(list);
        code.credentials = std::move(*list);
        code.expires_at = TimePoint::from_seconds(std::stoll(v["expires_at"]));
        code.name_hint = v["name_hint"];
        QCOMPARE(text_of(code), v["code"]);

        auto back = parse_invite(v["code"]);
        QVERIFY(back && same(*back, code));
        QCOMPARE(back->version, kInviteVersion);
        // The payload in hex, as the document spells it out.
        auto payload = payload_of(code);
        QCOMPARE(to_hex(payload), v["payload"]);
        QCOMPARE(to_hex(ByteView(crypto::sha3_256(payload).bytes).first(4)), v["checksum"]);
    }

    // Codes given out before version 2 still work: their H(CK) | DC is both
    // the one Sotto-onion credential and the session secret.
    void version_1_vector_still_parses() {
        auto v = test::read_doc_vector("messenger.md", "invite-code-v1");
        QCOMPARE(v.size(), std::size_t(8));
        Bytes network, ck, dc;
        QVERIFY(from_hex(v["network_id"], network));
        QVERIFY(from_hex(v["client_key_id"], ck));
        QVERIFY(from_hex(v["descriptor_cookie"], dc));
        Bytes ck_dc = ck;
        ck_dc.insert(ck_dc.end(), dc.begin(), dc.end());
        const auto nid = dir::NetworkId::from(network);
        const auto expires = TimePoint::from_seconds(std::stoll(v["expires_at"]));
        auto payload = payload_v1(nid, ck_dc, expires, v["name_hint"]);
        QCOMPARE(to_hex(payload), v["payload"]);
        QCOMPARE(to_hex(ByteView(crypto::sha3_256(payload).bytes).first(4)), v["checksum"]);
        QCOMPARE(text_for_payload(payload), strip(v["code"], "-"));

        auto back = parse_invite(v["code"]);
        QVERIFY(back);
        QCOMPARE(back->version, std::uint8_t(1));
        QVERIFY(back->network == nid);
        QVERIFY(ct_equal(back->secret.view(), ck_dc));
        QCOMPARE(back->credentials.size(), std::size_t(1));
        QCOMPARE(back->credentials[0].transport, transport::TransportKind::SottoOnion);
        QVERIFY(ct_equal(back->credentials[0].bytes.view(), ck_dc));
        QCOMPARE(back->expires_at, expires);
        QCOMPARE(back->name_hint, v["name_hint"]);
        // Version 1 structure errors are still malformed, not mistyped.
        Bytes cut = payload;
        cut.pop_back();
        QCOMPARE(error_of(text_for_payload(cut)), std::optional(InviteError::Malformed));
    }

    void name_hint_is_truncated_on_a_utf8_boundary() {
        // 63 ASCII bytes then "é" (2 bytes): the "é" would end at byte 65.
        std::string hint = std::string(63, 'x') + "\xc3\xa9" + "yyy";
        auto back = parse_invite(text_of(make_code(2, hint)));
        QVERIFY(back);
        QCOMPARE(back->name_hint, std::string(63, 'x'));

        // Exactly 64 bytes of 4-byte characters: kept whole.
        std::string emoji;
        for (int i = 0; i < 16; ++i) emoji += "\xf0\x9f\x98\x80";
        back = parse_invite(text_of(make_code(3, emoji + "z")));
        QVERIFY(back);
        QCOMPARE(back->name_hint, emoji);

        // Invalid UTF-8 given to format: cut before it, never passed on.
        back = parse_invite(text_of(make_code(4, "Ann\xff\x41")));
        QVERIFY(back);
        QCOMPARE(back->name_hint, std::string("Ann"));
        back = parse_invite(text_of(make_code(5, "Zo\xc3")));  // cut mid-character
        QVERIFY(back);
        QCOMPARE(back->name_hint, std::string("Zo"));
    }

    void separators_case_and_line_breaks_are_ignored() {
        auto code = make_code(11);
        auto text = text_of(code);
        auto body = strip(text.substr(6), "-");
        std::vector<std::string> variants;
        variants.push_back("sotto:" + body);  // no grouping at all
        std::string upper = text;
        for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        variants.push_back(upper);  // "SOTTO:ABCD..."
        std::string spaced = "sotto: ";
        for (std::size_t i = 0; i < body.size(); ++i) {
            if (i > 0 && i % 4 == 0) spaced += ' ';
            spaced += body[i];
        }
        variants.push_back(spaced);
        std::string wrapped = "  \t" + text.substr(0, 30) + "\r\n" + text.substr(30, 40) + "\n" +
                              text.substr(70) + "\n\n";
        variants.push_back(wrapped);
        // A word processor's en dashes and no-break spaces.
        std::string fancy;
        for (char c : text) {
            if (c == '-')
                fancy += "\xe2\x80\x93";
            else
                fancy += c;
        }
        variants.push_back(fancy);
        variants.push_back("\xef\xbb\xbf" + text.substr(0, 20) + "\xc2\xa0" + text.substr(20));
        variants.push_back("sotto:--" + body.substr(0, 5) + "- -" + body.substr(5) + "--");
        for (auto& v : variants) {
            auto back = parse_invite(v);
            QVERIFY2(back.has_value(), v.c_str());
            QVERIFY(same(*back, code));
        }
    }

    void look_alikes_are_mapped() {
        std::set<char> replaced;
        for (std::uint32_t seed = 0; seed < 20; ++seed) {
            auto code = make_code(100 + seed);
            auto text = text_of(code);
            std::string mangled = "sotto:";
            for (char c : text.substr(6)) {
                char m = c == 'o' ? '0' : c == 'l' ? '1' : c == 'b' ? '8' : c;
                if (m != c) replaced.insert(m);
                mangled += m;
            }
            auto back = parse_invite(mangled);
            QVERIFY2(back.has_value(), mangled.c_str());
            QVERIFY(same(*back, code));
        }
        QCOMPARE(replaced, (std::set<char>{'0', '1', '8'}));
        // The prefix too ("s0tt0:").
        auto code = make_code(5);
        auto back = parse_invite("S0TT0:" + text_of(code).substr(6));
        QVERIFY(back && same(*back, code));
    }

    void one_character_typos_are_mistyped() {
        auto text = text_of(make_code(21));
        std::size_t checked = 0;
        for (std::size_t i = 6; i < text.size(); ++i) {
            if (text[i] == '-') continue;
            // Every other character of the alphabet at this position (a
            // replacement by the same character's look-alike is no typo).
            for (char r : kAlphabet) {
                if (r == text[i]) continue;
                std::string typo = text;
                typo[i] = r;
                QCOMPARE(error_of(typo), std::optional(InviteError::Mistyped));
                ++checked;
            }
            // A character outside the alphabet.
            std::string stray = text;
            stray[i] = '9';
            QCOMPARE(error_of(stray), std::optional(InviteError::Mistyped));
            // Left out, or typed twice.
            std::string dropped = text;
            dropped.erase(i, 1);
            QCOMPARE(error_of(dropped), std::optional(InviteError::Mistyped));
            std::string doubled = text;
            doubled.insert(i, 1, text[i]);
            QCOMPARE(error_of(doubled), std::optional(InviteError::Mistyped));
            // Two neighbours swapped.
            std::size_t j = i + 1;
            if (j < text.size() && text[j] == '-') ++j;
            if (j < text.size() && text[j] != text[i]) {
                std::string swapped = text;
                std::swap(swapped[i], swapped[j]);
                QCOMPARE(error_of(swapped), std::optional(InviteError::Mistyped));
            }
        }
        QVERIFY(checked > 4000);
    }

    void truncated_codes_are_mistyped() {
        auto text = text_of(make_code(31));
        for (std::size_t n = 6; n < text.size(); ++n)
            QCOMPARE(error_of(text.substr(0, n)), std::optional(InviteError::Mistyped));
        // The end without the start (lost the first line).
        QCOMPARE(error_of("sotto:" + text.substr(30)), std::optional(InviteError::Mistyped));
    }

    void other_text_is_not_an_invite() {
        for (std::string_view t :
             {"", "   ", "hello", "sotto", "sotto;abc", "https://example.org/invite",
              "sotto:https://example.org/x?y=z", "sotto:{\"invite\": 1}", "mailto:bob@example.org"})
            QCOMPARE(error_of(t), std::optional(InviteError::NotAnInvite));
        // A valid body without the prefix.
        auto text = text_of(make_code(41));
        QCOMPARE(error_of(text.substr(6)), std::optional(InviteError::NotAnInvite));
    }

    void unknown_version() {
        auto code = make_code(51);
        for (std::uint8_t version : {0, 3, 255})
            QCOMPARE(error_of(text_for_payload(payload_of(code, version))),
                     std::optional(InviteError::UnknownVersion));
        // A future version may be shorter or longer: still its version, not malformed.
        QCOMPARE(error_of(text_for_payload(Bytes{3, 1, 2, 3})),
                 std::optional(InviteError::UnknownVersion));
        // A session protocol this program does not speak.
        for (std::uint8_t session : {0, 2, 255})
            QCOMPARE(error_of(text_for_payload(payload_of(code, kInviteVersion, session))),
                     std::optional(InviteError::UnknownVersion));
        // The helper itself makes valid codes.
        auto back = parse_invite(text_for_payload(payload_of(code)));
        QVERIFY(back && same(*back, code));
    }

    void malformed_structure_with_a_good_checksum() {
        auto code = make_code(61);
        auto good = payload_of(code);
        auto malformed = [](const Bytes& p) {
            return error_of(text_for_payload(p)) == std::optional(InviteError::Malformed);
        };
        QVERIFY(malformed(Bytes{kInviteVersion}));
        QVERIFY(malformed(Bytes(good.begin(), good.begin() + 50)));
        Bytes extra = good;
        extra.push_back('x');  // one byte more than the hint length says
        QVERIFY(malformed(extra));
        Bytes shorter(good.begin(), good.end() - 1);
        QVERIFY(malformed(shorter));
        // Hint length over 64 (with that many bytes present).
        code.name_hint = std::string(65, 'a');
        QVERIFY(malformed(payload_of(code)));
        // Invalid UTF-8 hints: bad byte, overlong, surrogate, beyond U+10FFFF,
        // lone continuation, cut short.
        for (std::string bad : {"\xff", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                                "\xf4\x90\x80\x80", "a\x80", "\xe2\x82"}) {
            code.name_hint = bad;
            QVERIFY2(malformed(payload_of(code)), to_hex(as_bytes(bad)).c_str());
        }
        code.name_hint = "\xe2\x82\xac\xf0\x9f\x98\x80";  // valid: euro sign, emoji
        QVERIFY(!error_of(text_for_payload(payload_of(code))));
        // An expiry beyond what TimePoint can hold.
        Bytes far = good;
        for (int i = 0; i < 8; ++i) far[9 + i] = 0xff;
        QVERIFY(malformed(far));
        // The credential list: none, an empty entry, a transport twice.
        auto with_list = [&](Bytes list) {
            Bytes p(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(51 + 3));
            p.insert(p.end(), list.begin(), list.end());
            return p;
        };
        QVERIFY(!error_of(text_for_payload(with_list({1, 1, 0, 1, 7}))));  // the helper is right
        QVERIFY(malformed(with_list({})));
        QVERIFY(malformed(with_list({0})));
        QVERIFY(malformed(with_list({1, 1, 0, 0})));
        QVERIFY(malformed(with_list({2, 1, 0, 1, 7, 1, 0, 1, 8})));
        // A transport this program does not know is kept, not refused.
        auto unknown = parse_invite(text_for_payload(with_list({2, 1, 0, 1, 7, 9, 0, 2, 5, 6})));
        QVERIFY(unknown);
        QCOMPARE(unknown->credentials.size(), std::size_t(2));
        QCOMPARE(static_cast<int>(unknown->credentials[1].transport), 9);
        // format refuses what parse would: a secret of another length, no credential.
        auto bad = make_code(62);
        bad.secret = SecretBytes(Bytes(31));
        QVERIFY(!format_invite(bad));
        bad = make_code(63);
        bad.credentials.clear();
        QVERIFY(!format_invite(bad));
    }

    void expired() {
        auto code = make_code(71);
        auto text = text_of(code);
        auto ok = check_invite(text, code.network, code.expires_at - Duration::seconds(1));
        QVERIFY(ok && same(*ok, code));
        auto at = check_invite(text, code.network, code.expires_at);
        QVERIFY(!at && at.error() == InviteError::Expired);
        auto later = check_invite(text, code.network, code.expires_at + Duration::hours(48));
        QVERIFY(!later && later.error() == InviteError::Expired);
    }

    void wrong_network() {
        auto code = make_code(81);
        auto text = text_of(code);
        auto other = code.network;
        other.bytes[7] ^= 1;
        auto r = check_invite(text, other, t0);
        QVERIFY(!r && r.error() == InviteError::WrongNetwork);
        // Both wrong: the network is the one to fix first.
        r = check_invite(text, other, code.expires_at + Duration::hours(1));
        QVERIFY(!r && r.error() == InviteError::WrongNetwork);
        // check_invite passes parse errors through.
        r = check_invite(text.substr(0, 40), code.network, t0);
        QVERIFY(!r && r.error() == InviteError::Mistyped);
    }

    void every_error_has_its_own_one_line_message() {
        std::set<std::string> seen;
        for (auto e : {InviteError::NotAnInvite, InviteError::Mistyped, InviteError::Malformed,
                       InviteError::UnknownVersion, InviteError::Expired, InviteError::WrongNetwork,
                       InviteError::AlreadyUsed}) {
            auto m = invite_error_message(e);
            QVERIFY(m.size() > 20 && m.size() < 160);
            QVERIFY(m.find('\n') == std::string::npos);
            QVERIFY2(m.find(':') != std::string::npos, m.c_str());  // "what: what to do"
            QVERIFY(seen.insert(m).second);
        }
        QVERIFY(invite_error_message(InviteError::Mistyped).find("QR") != std::string::npos);
        QVERIFY(invite_error_message(InviteError::Expired).find("new one") != std::string::npos);
        QVERIFY(invite_error_message(InviteError::WrongNetwork).find("another Sotto network") !=
                std::string::npos);
        QVERIFY(invite_error_message(InviteError::AlreadyUsed).find("already added") !=
                std::string::npos);
    }
};

QTEST_APPLESS_MAIN(TestInviteCode)
#include "tst_invite_code.moc"
