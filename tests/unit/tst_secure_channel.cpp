// core/session/secure_channel: the two kinds of session (contact: IK,
// invite: XXpsk0), their framing, and everything that must fail them: a
// stranger's key, a wrong invite code, another network, a record lost,
// repeated, reordered or altered, lengths out of bounds. A failed channel
// stays failed and answers nothing.
#include <QtTest>

#include "core/crypto/random.hpp"
#include "core/session/secure_channel.hpp"
#include "core/util/rng.hpp"

using namespace sotto;
using namespace sotto::session;

namespace {

crypto::X25519SecretKey copy_of(const crypto::X25519SecretKey& k) {
    return *crypto::X25519SecretKey::from_bytes(k.secret_bytes());
}

struct Pair {
    SecureChannel caller;
    SecureChannel answerer;
};

// Runs the handshake to its end, delivering everything at once; returns
// whether both ended established.
bool handshake(Pair& p) {
    auto first = p.caller.start();
    if (!first) return false;
    Bytes to_answerer = *first, to_caller;
    for (int round = 0; round < 4 && (!to_answerer.empty() || !to_caller.empty()); ++round) {
        if (!to_answerer.empty()) {
            auto out = p.answerer.feed(to_answerer);
            to_answerer.clear();
            if (!out) return false;
            to_caller = std::move(out->send);
        }
        if (!to_caller.empty()) {
            auto out = p.caller.feed(to_caller);
            to_caller.clear();
            if (!out) return false;
            to_answerer = std::move(out->send);
        }
    }
    return p.caller.established() && p.answerer.established();
}

std::string text(const SecretBytes& b) {
    return std::string(b.view().begin(), b.view().end());
}

class Keys {
  public:
    Keys()
        : caller(crypto::X25519SecretKey::generate(rng)),
          answerer(crypto::X25519SecretKey::generate(rng)) {}
    Pair contact(ByteView caller_prologue = as_bytes("net"),
                 ByteView answerer_prologue = as_bytes("net"),
                 SecureChannel::PeerCheck check = nullptr) {
        if (!check) {
            const auto expected = caller.public_key();
            check = [expected](const crypto::X25519PublicKey& k) { return k == expected; };
        }
        return Pair{*SecureChannel::contact_caller(caller_prologue, copy_of(caller),
                                                   answerer.public_key(), rng),
                    *SecureChannel::contact_answerer(answerer_prologue, copy_of(answerer),
                                                     std::move(check), rng)};
    }
    Pair invite(const Secret<32>& caller_psk, const Secret<32>& answerer_psk) {
        return Pair{
            *SecureChannel::invite_caller(as_bytes("net"), caller_psk, copy_of(caller), rng),
            *SecureChannel::invite_answerer(as_bytes("net"), answerer_psk, copy_of(answerer), rng)};
    }
    SystemRng rng;
    crypto::X25519SecretKey caller, answerer;
};

Secret<32> psk(std::uint8_t fill) {
    Bytes b(32, fill);
    return Secret<32>(b);
}

}  // namespace

class TestSecureChannel : public QObject {
    Q_OBJECT
  private slots:
    void contact_session_carries_records_both_ways() {
        Keys k;
        auto p = k.contact();
        QVERIFY(!p.caller.established());
        QVERIFY(!p.caller.seal(as_bytes("too early")));
        auto first = p.caller.start();
        QVERIFY(first);
        // IK's first message: 2-byte length, e (32), s sealed (48), tag (16).
        QCOMPARE(first->size(), std::size_t(2 + 96));
        QVERIFY(!p.caller.start());  // once
        auto answer = p.answerer.feed(*first);
        QVERIFY(answer);
        QVERIFY(answer->established);
        QCOMPARE(answer->send.size(), std::size_t(2 + 48));
        auto done = p.caller.feed(answer->send);
        QVERIFY(done && done->established && done->send.empty());
        QVERIFY(p.caller.peer_static() == k.answerer.public_key());
        QVERIFY(p.answerer.peer_static() == k.caller.public_key());
        QVERIFY(ct_equal(p.caller.handshake_hash(), p.answerer.handshake_hash()));

        for (int i = 0; i < 50; ++i) {
            const std::string m = "message " + std::to_string(i);
            auto sealed = (i % 2 ? p.answerer : p.caller).seal(as_bytes(m));
            QVERIFY(sealed);
            QCOMPARE(sealed->size(), 2 + m.size() + 16);
            auto opened = (i % 2 ? p.caller : p.answerer).feed(*sealed);
            QVERIFY(opened);
            QCOMPARE(opened->records.size(), std::size_t(1));
            QCOMPARE(text(opened->records[0]), m);
        }
    }

    void pieces_of_any_size_are_reassembled() {
        Keys k;
        auto p = k.contact();
        QVERIFY(handshake(p));
        Bytes stream;
        std::vector<std::string> sent;
        for (std::size_t len : {1, 255, 256, 1024, 4096, 16384}) {
            std::string m(len, static_cast<char>('a' + len % 26));
            auto sealed = p.caller.seal(as_bytes(m));
            QVERIFY(sealed);
            stream.insert(stream.end(), sealed->begin(), sealed->end());
            sent.push_back(m);
        }
        std::vector<std::string> got;
        for (std::size_t at = 0; at < stream.size();) {
            const std::size_t n = std::min<std::size_t>(1 + at % 7, stream.size() - at);
            auto out = p.answerer.feed(ByteView(stream).subspan(at, n));
            QVERIFY(out);
            for (auto& r : out->records) got.push_back(text(r));
            // Never more than one record held.
            QVERIFY(p.answerer.buffered() <= kLengthPrefix + kMaxRecordLen);
            at += n;
        }
        QVERIFY(got == sent);
        QCOMPARE(p.answerer.buffered(), std::size_t(0));
        QVERIFY(!p.caller.seal(Bytes(kMaxRecordPlaintext + 1, 1)));
        QVERIFY(!p.caller.seal(ByteView{}));
    }

    // The answerer learns who calls from the first message and sends nothing
    // to anyone but the contact the stream is for.
    void a_stranger_gets_no_answer() {
        Keys k;
        auto stranger = crypto::X25519SecretKey::generate(k.rng);
        const auto expected = stranger.public_key();  // the contact we expect: not the caller
        int asked = 0;
        auto p =
            k.contact(as_bytes("net"), as_bytes("net"), [&](const crypto::X25519PublicKey& key) {
                ++asked;
                return key == expected;
            });
        auto first = p.caller.start();
        auto out = p.answerer.feed(*first);
        QVERIFY(!out);
        QCOMPARE(out.error().code, Errc::BadIdentity);
        QCOMPARE(asked, 1);
        QVERIFY(p.answerer.failed());
        QVERIFY(!p.answerer.feed(*first));  // and stays failed
    }

    // The caller encrypts to the answerer's key: someone holding another key
    // cannot read or answer the first message.
    void the_wrong_answerer_cannot_read_the_call() {
        Keys k;
        auto p = k.contact();
        auto impostor = *SecureChannel::contact_answerer(
            as_bytes("net"), crypto::X25519SecretKey::generate(k.rng),
            [](const crypto::X25519PublicKey&) { return true; }, k.rng);
        QVERIFY(!impostor.feed(*p.caller.start()));
    }

    void another_network_never_completes() {
        Keys k;
        auto p = k.contact(as_bytes("network one"), as_bytes("network two"));
        QVERIFY(!handshake(p));
    }

    void the_invite_session_needs_the_code() {
        Keys k;
        {
            auto p = k.invite(psk(1), psk(1));
            QVERIFY(handshake(p));
            QVERIFY(p.caller.peer_static() == k.answerer.public_key());
            QVERIFY(p.answerer.peer_static() == k.caller.public_key());
            auto m = p.caller.seal(as_bytes("Hello"));
            auto got = p.answerer.feed(*m);
            QVERIFY(got && got->records.size() == 1 && text(got->records[0]) == "Hello");
        }
        {
            // Without the code the very first message is refused, and the
            // inviter's key is never shown.
            auto p = k.invite(psk(2), psk(1));
            auto first = p.caller.start();
            QCOMPARE(first->size(), std::size_t(2 + 32 + 16));
            auto out = p.answerer.feed(*first);
            QVERIFY(!out);
            QVERIFY(p.answerer.failed());
        }
        {
            // An answerer without the code (a relay on the path) cannot
            // produce a second message the caller accepts.
            auto p = k.invite(psk(1), psk(3));
            auto first = p.caller.start();
            QVERIFY(!p.answerer.feed(*first));
        }
    }

    void a_lost_repeated_reordered_or_altered_record_fails_the_channel() {
        Keys k;
        auto records = [&](Pair& p, int n) {
            std::vector<Bytes> out;
            for (int i = 0; i < n; ++i)
                out.push_back(*p.caller.seal(as_bytes("r" + std::to_string(i))));
            return out;
        };
        {
            auto p = k.contact();
            QVERIFY(handshake(p));
            auto r = records(p, 3);
            QVERIFY(p.answerer.feed(r[0]));
            QVERIFY(!p.answerer.feed(r[2]));  // r[1] lost
            QVERIFY(!p.answerer.feed(r[1]));  // failed for good
        }
        {
            auto p = k.contact();
            QVERIFY(handshake(p));
            auto r = records(p, 2);
            QVERIFY(p.answerer.feed(r[0]));
            QVERIFY(!p.answerer.feed(r[0]));  // replayed
        }
        {
            auto p = k.contact();
            QVERIFY(handshake(p));
            auto r = records(p, 2);
            QVERIFY(!p.answerer.feed(r[1]));  // reordered
        }
        {
            auto p = k.contact();
            QVERIFY(handshake(p));
            auto r = records(p, 1);
            for (std::size_t i = 2; i < r[0].size(); ++i) {
                auto q = k.contact();
                QVERIFY(handshake(q));
                Bytes m = *q.caller.seal(as_bytes("r0"));
                m[i] ^= 0x01;
                QVERIFY2(!q.answerer.feed(m), std::to_string(i).c_str());
            }
        }
        {
            // A record sealed in one direction does not open in the other.
            auto p = k.contact();
            QVERIFY(handshake(p));
            auto m = *p.caller.seal(as_bytes("mine"));
            QVERIFY(!p.caller.feed(m));
        }
    }

    void lengths_out_of_bounds_fail_before_anything_is_buffered() {
        Keys k;
        for (std::size_t len : {0, 257, 65535}) {
            auto p = k.contact();
            Bytes m{static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len)};
            QVERIFY2(!p.answerer.feed(m), std::to_string(len).c_str());
        }
        for (std::size_t len : {std::size_t{0}, std::size_t{1}, std::size_t{16}, kMaxRecordLen + 1,
                                std::size_t{65535}}) {
            auto p = k.contact();
            QVERIFY(handshake(p));
            Bytes m{static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len)};
            QVERIFY2(!p.answerer.feed(m), std::to_string(len).c_str());
            QCOMPARE(p.answerer.buffered(), std::size_t(0));
        }
        // A handshake message with one byte more than its tokens and tag:
        // refused (its tag no longer verifies; one encoding per message).
        auto p = k.contact();
        Bytes framed = *p.caller.start();
        framed.push_back(0);
        framed[1] = static_cast<std::uint8_t>(framed[1] + 1);
        QVERIFY(!p.answerer.feed(framed));
    }

    // Bytes that are not this session's (what an injecting relay would send:
    // chat frames in clear) fail it at any point.
    void plaintext_frames_fail_the_session() {
        Keys k;
        Bytes frame(256, 0);
        frame[2] = 1;  // a 256-byte chat frame starts 00 00 01 00
        {
            auto p = k.contact();
            QVERIFY(!p.answerer.feed(frame));
        }
        {
            auto p = k.contact();
            (void)p.caller.start();
            QVERIFY(!p.caller.feed(frame));
        }
        {
            auto p = k.contact();
            QVERIFY(handshake(p));
            QVERIFY(!p.caller.feed(frame));
        }
    }
};

QTEST_GUILESS_MAIN(TestSecureChannel)
#include "tst_secure_channel.moc"
