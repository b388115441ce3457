// The chat frame codec: every frame round-trips and is padded to the
// smallest size class; every malformed frame is refused; the stream decoder
// reassembles frames however the bytes are split; UTF-8 is checked strictly.
#include <QtTest>

#include "core/chat/chat_frame.hpp"
#include "core/wire/reader.hpp"

using namespace sotto;
using namespace sotto::chat;

namespace {

MessageId mid(std::uint8_t seed) {
    MessageId id;
    for (std::size_t i = 0; i < id.size; ++i) id.bytes[i] = static_cast<std::uint8_t>(seed + i);
    return id;
}

// One Sotto-onion credential (64 opaque bytes) and, for odd seeds, one of
// a transport this program does not know: the frame carries both.
transport::CredentialList creds(std::uint8_t seed) {
    transport::CredentialList list;
    Bytes b(64);
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(seed + 3 * i);
    list.push_back({transport::TransportKind::SottoOnion, SecretBytes(b)});
    if (seed % 2)
        list.push_back({static_cast<transport::TransportKind>(200), SecretBytes(Bytes{seed})});
    return list;
}

crypto::Ed25519PublicKey key(std::uint8_t seed) {
    crypto::Ed25519PublicKey k;
    for (std::size_t i = 0; i < 32; ++i) k.bytes[i] = static_cast<std::uint8_t>(seed * 7 + i);
    return k;
}

Bytes enc(const Frame& f) {
    auto b = encode_frame(f);
    if (!b) qFatal("encode failed: %s", b.error().message.c_str());
    return *b;
}

// Builds a frame by hand: total | type | content length | content | padding.
Bytes raw(std::uint32_t total, std::uint8_t type, std::uint32_t content_len, ByteView content,
          std::size_t actual_size) {
    wire::Writer w;
    w.u32(total).u8(type).u32(content_len).bytes(content);
    Bytes out = w.take();
    out.resize(actual_size, 0);
    return out;
}

Bytes ack_content() {
    auto id = mid(1);
    return Bytes(id.bytes.begin(), id.bytes.end());
}

bool same_frame(const Frame& a, const Frame& b) {
    if (a.index() != b.index()) return false;
    return enc(a) == enc(b);
}

std::string big_body(std::size_t n) {
    return std::string(n, 'x');
}

}  // namespace

class TestChatFrame : public QObject {
    Q_OBJECT
  private slots:
    void every_frame_roundtrips() {
        std::vector<Frame> frames;
        frames.push_back(Hello{"Alice", key(1), creds(2)});
        frames.push_back(Welcome{"Bob 🙂", key(3), creds(4)});
        frames.push_back(ChatMessage{mid(5), TimePoint::from_seconds(1'700'000'000), "hi there"});
        frames.push_back(ChatMessage{mid(6), TimePoint{0}, ""});
        frames.push_back(Ack{mid(7)});
        frames.push_back(Presence{PresenceState::Online});
        frames.push_back(Presence{PresenceState::Away});
        for (const auto& f : frames) {
            const Bytes wire = enc(f);
            auto back = decode_frame(wire);
            QVERIFY2(back.has_value(), back ? "" : back.error().message.c_str());
            QCOMPARE(back->index(), f.index());
            QCOMPARE(enc(*back), wire);
        }
        // Field by field for the ones with secrets and text.
        auto h = decode_frame(enc(Hello{"Alice", key(1), creds(2)}));
        QVERIFY(h);
        const auto& hello = std::get<Hello>(*h);
        QCOMPARE(hello.name, std::string("Alice"));
        QVERIFY(hello.pairwise == key(1));
        QVERIFY(transport::same_credentials(hello.grant_for_you, creds(2)));
        auto m = decode_frame(enc(ChatMessage{mid(5), TimePoint{123456789}, "hi"}));
        QVERIFY(m);
        const auto& msg = std::get<ChatMessage>(*m);
        QVERIFY(msg.id == mid(5));
        QCOMPARE(msg.sent_at.us, std::int64_t(123456789));
        QCOMPARE(msg.body, std::string("hi"));
        QVERIFY(std::get<Presence>(*decode_frame(enc(Presence{PresenceState::Away}))).state ==
                PresenceState::Away);
    }

    void pads_to_the_smallest_class() {
        // Header is 9 bytes; Message content is 24 + body.
        QCOMPARE(enc(Ack{mid(1)}).size(), std::size_t(256));
        QCOMPARE(enc(Presence{}).size(), std::size_t(256));
        QCOMPARE(enc(Hello{std::string(64, 'n'), key(1), creds(1)}).size(), std::size_t(256));
        QCOMPARE(enc(ChatMessage{mid(1), {}, big_body(256 - 9 - 24)}).size(), std::size_t(256));
        QCOMPARE(enc(ChatMessage{mid(1), {}, big_body(256 - 9 - 24 + 1)}).size(),
                 std::size_t(1024));
        QCOMPARE(enc(ChatMessage{mid(1), {}, big_body(1024 - 9 - 24)}).size(), std::size_t(1024));
        QCOMPARE(enc(ChatMessage{mid(1), {}, big_body(1024 - 9 - 24 + 1)}).size(),
                 std::size_t(4096));
        QCOMPARE(enc(ChatMessage{mid(1), {}, big_body(4096 - 9 - 24 + 1)}).size(),
                 std::size_t(16384));
        QCOMPARE(enc(ChatMessage{mid(1), {}, big_body(kMaxBodyBytes)}).size(), std::size_t(16384));
        // The length prefix is the whole frame; padding is zero.
        const Bytes w = enc(Ack{mid(1)});
        QCOMPARE(wire::get_u32(w.data()), std::uint32_t(256));
        QCOMPARE(w[4], std::uint8_t(4));
        QCOMPARE(wire::get_u32(w.data() + 5), std::uint32_t(16));
        for (std::size_t i = 9 + 16; i < w.size(); ++i) QCOMPARE(w[i], std::uint8_t(0));
    }

    void encoder_refuses_bad_content() {
        auto e = encode_frame(ChatMessage{mid(1), {}, big_body(kMaxBodyBytes + 1)});
        QVERIFY(!e);
        QCOMPARE(e.error().code, Errc::TooLarge);
        e = encode_frame(ChatMessage{mid(1), {}, "bad \xff utf8"});
        QVERIFY(!e);
        QCOMPARE(e.error().code, Errc::Malformed);
        e = encode_frame(Hello{std::string(kMaxNameBytes + 1, 'n'), key(1), creds(1)});
        QVERIFY(!e);
        QCOMPARE(e.error().code, Errc::TooLarge);
        e = encode_frame(Welcome{"\xc0\xaf", key(1), creds(1)});
        QVERIFY(!e);
        QCOMPARE(e.error().code, Errc::Malformed);
        e = encode_frame(Presence{static_cast<PresenceState>(9)});
        QVERIFY(!e);
    }

    void refuses_wrong_class_size() {
        const Bytes c = ack_content();
        // A valid frame to start from.
        QVERIFY(decode_frame(raw(256, 4, 16, c, 256)));
        // Length prefix not a size class.
        QVERIFY(!decode_frame(raw(255, 4, 16, c, 255)));
        QVERIFY(!decode_frame(raw(257, 4, 16, c, 257)));
        QVERIFY(!decode_frame(raw(512, 4, 16, c, 512)));
        QVERIFY(!decode_frame(raw(32768, 4, 16, c, 32768)));
        // Prefix says 256 but the frame is longer or shorter.
        auto longer = decode_frame(raw(256, 4, 16, c, 300));
        QVERIFY(!longer);
        auto shorter = decode_frame(raw(256, 4, 16, c, 200));
        QVERIFY(!shorter);
        QCOMPARE(shorter.error().code, Errc::Truncated);
        // Padded to a larger class than needed: not canonical.
        QVERIFY(!decode_frame(raw(1024, 4, 16, c, 1024)));
        QVERIFY(!decode_frame(Bytes{0, 0}));
    }

    void refuses_bad_type() {
        const Bytes c = ack_content();
        QVERIFY(!decode_frame(raw(256, 0, 16, c, 256)));
        QVERIFY(!decode_frame(raw(256, 6, 16, c, 256)));
        QVERIFY(!decode_frame(raw(256, 0xff, 16, c, 256)));
    }

    void refuses_nonzero_padding() {
        Bytes w = enc(Ack{mid(1)});
        QVERIFY(decode_frame(w));
        w.back() = 1;
        QVERIFY(!decode_frame(w));
        w.back() = 0;
        w[9 + 16] = 0x80;  // first padding byte
        QVERIFY(!decode_frame(w));
    }

    void refuses_truncated_content() {
        const Bytes c = ack_content();
        // Ack needs 16 bytes of content: 15 is short.
        QVERIFY(!decode_frame(raw(256, 4, 15, ByteView(c).first(15), 256)));
        // Content length runs past the frame.
        QVERIFY(!decode_frame(raw(256, 4, 248, c, 256)));
        QVERIFY(!decode_frame(raw(256, 4, 0xffffffff, c, 256)));
        // Hello cut inside its credential list.
        Bytes w = enc(Hello{"A", key(1), creds(1)});
        const std::uint32_t len = wire::get_u32(w.data() + 5);
        wire::put_u32(w.data() + 5, len - 1);
        w[9 + len - 1] = 0;  // keep the padding zero
        QVERIFY(!decode_frame(w));
        // Presence with no state byte.
        QVERIFY(!decode_frame(raw(256, 5, 0, {}, 256)));
    }

    void refuses_trailing_bytes_inside_content() {
        Bytes c = ack_content();
        c.push_back(0);  // the padding is zero too: only the length tells them apart
        QVERIFY(!decode_frame(raw(256, 4, 17, c, 256)));
        Bytes p{1, 0};
        QVERIFY(!decode_frame(raw(256, 5, 2, p, 256)));
        Bytes h = enc(Hello{"A", key(1), creds(1)});
        wire::put_u32(h.data() + 5, wire::get_u32(h.data() + 5) + 1);
        QVERIFY(!decode_frame(h));
        // And the untouched ones decode.
        QVERIFY(decode_frame(raw(256, 5, 1, Bytes{2}, 256)));
    }

    void refuses_bad_presence_state() {
        QVERIFY(!decode_frame(raw(256, 5, 1, Bytes{0}, 256)));
        QVERIFY(!decode_frame(raw(256, 5, 1, Bytes{3}, 256)));
    }

    void refuses_bad_utf8() {
        // Message body.
        Bytes m = enc(ChatMessage{mid(1), {}, "abcd"});
        QVERIFY(decode_frame(m));
        m[9 + 24 + 1] = 0xff;
        QVERIFY(!decode_frame(m));
        m[9 + 24 + 1] = 0xc0;  // overlong lead
        QVERIFY(!decode_frame(m));
        // Name in a Hello.
        Bytes h = enc(Hello{"abc", key(1), creds(1)});
        h[9 + 1 + 1] = 0xed;  // start of a 3-byte sequence that never completes
        QVERIFY(!decode_frame(h));
    }

    void refuses_over_long_body_and_name() {
        // A body one byte over the limit, built by hand (the encoder refuses it).
        Bytes content(16 + 8 + kMaxBodyBytes + 1, 'x');
        std::fill_n(content.begin(), 24, std::uint8_t(0));
        auto over =
            decode_frame(raw(16384, 3, static_cast<std::uint32_t>(content.size()), content, 16384));
        QVERIFY(!over);
        QCOMPARE(over.error().code, Errc::TooLarge);
        content.pop_back();
        QVERIFY(decode_frame(
            raw(16384, 3, static_cast<std::uint32_t>(content.size()), content, 16384)));
        // Name length 65.
        Bytes h = enc(Hello{std::string(64, 'n'), key(1), creds(1)});
        QVERIFY(decode_frame(h));
        Bytes name65;
        name65.push_back(65);
        name65.insert(name65.end(), 65, 'n');
        name65.insert(name65.end(), 96, 1);
        QVERIFY(!decode_frame(raw(256, 1, static_cast<std::uint32_t>(name65.size()), name65, 256)));
    }

    void utf8_validation() {
        QVERIFY(valid_utf8(""));
        QVERIFY(valid_utf8("plain ascii"));
        QVERIFY(valid_utf8("Grüße"));
        QVERIFY(valid_utf8("€"));
        QVERIFY(valid_utf8("😀"));                  // U+1F600, 4 bytes
        QVERIFY(valid_utf8("\xf4\x8f\xbf\xbf"));   // U+10FFFF
        QVERIFY(valid_utf8("\xed\x9f\xbf"));       // U+D7FF
        QVERIFY(!valid_utf8("\xf4\x90\x80\x80"));  // U+110000
        QVERIFY(!valid_utf8("\xed\xa0\x80"));      // U+D800 surrogate
        QVERIFY(!valid_utf8("\xed\xbf\xbf"));      // U+DFFF surrogate
        QVERIFY(!valid_utf8("\xc0\x80"));          // overlong NUL
        QVERIFY(!valid_utf8("\xe0\x80\xaf"));      // overlong '/'
        QVERIFY(!valid_utf8("\xf0\x82\x82\xac"));  // overlong €
        QVERIFY(!valid_utf8("\x80"));              // lone continuation
        QVERIFY(!valid_utf8("\xf0\x9f\x98"));      // truncated emoji
        QVERIFY(!valid_utf8("\xf8\x88\x80\x80\x80"));
        QVERIFY(!valid_utf8("\xe2\x82"));
        QVERIFY(!valid_utf8("a\xe2\x28\xa1"));
        QVERIFY(valid_utf8(std::string_view("nul\0inside", 10)));
    }

    void emoji_bodies_roundtrip() {
        const std::string body = "héllo 😀👍🏽 𝄞 — 你好";
        auto back = decode_frame(enc(ChatMessage{mid(9), TimePoint{42}, body}));
        QVERIFY(back);
        QCOMPARE(std::get<ChatMessage>(*back).body, body);
        // A body of only 4-byte characters up to the limit.
        std::string emoji;
        while (emoji.size() + 4 <= kMaxBodyBytes) emoji += "😀";
        QCOMPARE(emoji.size(), kMaxBodyBytes);
        back = decode_frame(enc(ChatMessage{mid(9), TimePoint{42}, emoji}));
        QVERIFY(back);
        QCOMPARE(std::get<ChatMessage>(*back).body, emoji);
        auto name = decode_frame(enc(Welcome{"😀😀", key(2), creds(2)}));
        QVERIFY(name);
        QCOMPARE(std::get<Welcome>(*name).name, std::string("😀😀"));
    }

    void decoder_reassembles_byte_by_byte() {
        std::vector<Frame> frames;
        frames.push_back(Hello{"Alice", key(1), creds(2)});
        frames.push_back(Presence{PresenceState::Away});
        frames.push_back(ChatMessage{mid(3), TimePoint{7}, big_body(3000)});
        frames.push_back(Ack{mid(4)});
        Bytes stream;
        for (const auto& f : frames) {
            auto b = enc(f);
            stream.insert(stream.end(), b.begin(), b.end());
        }
        FrameDecoder d;
        std::vector<Frame> got;
        for (auto byte : stream) {
            auto out = d.feed(ByteView(&byte, 1));
            QVERIFY(out);
            for (auto& f : *out) got.push_back(std::move(f));
        }
        QCOMPARE(got.size(), frames.size());
        for (std::size_t i = 0; i < frames.size(); ++i) QVERIFY(same_frame(got[i], frames[i]));
        QCOMPARE(d.buffered(), std::size_t(0));
    }

    void decoder_takes_one_big_chunk_and_odd_splits() {
        Bytes stream;
        std::vector<Frame> frames;
        for (int i = 0; i < 20; ++i)
            frames.push_back(
                ChatMessage{mid(static_cast<std::uint8_t>(i)), TimePoint{i}, big_body(i * 400)});
        for (const auto& f : frames) {
            auto b = enc(f);
            stream.insert(stream.end(), b.begin(), b.end());
        }
        FrameDecoder whole;
        auto out = whole.feed(stream);
        QVERIFY(out);
        QCOMPARE(out->size(), frames.size());
        for (std::size_t i = 0; i < frames.size(); ++i) QVERIFY(same_frame((*out)[i], frames[i]));

        // Chunks of a prime size straddle every boundary.
        FrameDecoder split;
        std::size_t n = 0;
        for (std::size_t pos = 0; pos < stream.size(); pos += 997) {
            auto part = split.feed(
                ByteView(stream).subspan(pos, std::min<std::size_t>(997, stream.size() - pos)));
            QVERIFY(part);
            n += part->size();
        }
        QCOMPARE(n, frames.size());
        // A partial frame stays buffered.
        FrameDecoder partial;
        auto p = partial.feed(ByteView(stream).first(300));
        QVERIFY(p);
        QCOMPARE(p->size(), std::size_t(1));  // the first (256-byte) frame
        QCOMPARE(partial.buffered(), std::size_t(44));
    }

    void decoder_fails_fast_and_stays_failed() {
        FrameDecoder d;
        // A bad length prefix fails as soon as its 4 bytes are in.
        Bytes bad{0, 0, 1};
        QVERIFY(d.feed(bad));
        std::uint8_t last = 0x01;  // 0x00000101 = 257
        auto r = d.feed(ByteView(&last, 1));
        QVERIFY(!r);
        // Afterwards even a good frame is refused.
        QVERIFY(!d.feed(enc(Ack{mid(1)})));

        FrameDecoder d2;
        Bytes w = enc(Ack{mid(1)});
        Bytes two = w;
        w.back() = 7;  // nonzero padding in the second frame
        two.insert(two.end(), w.begin(), w.end());
        QVERIFY(!d2.feed(two));
        QVERIFY(!d2.feed(enc(Ack{mid(1)})));
    }
};

QTEST_APPLESS_MAIN(TestChatFrame)
#include "tst_chat_frame.moc"
