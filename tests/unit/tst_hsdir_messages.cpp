// HSDir requests and responses on a BEGIN_DIR stream: layouts, routing byte,
// bounds, and every kind of malformed input.
#include <QtTest>

#include "core/crypto/random.hpp"
#include "core/hs/hsdir_messages.hpp"
#include "core/hs/hsdir_store.hpp"
#include "core/util/rng.hpp"
#include "core/wire/reader.hpp"
#include "tests/common/decode_error.hpp"

using namespace sotto;
using namespace sotto::hs;

namespace {

constexpr std::int64_t kNow = 1'700'000'000;

struct Fixture {
    DeterministicRng rng{41};
    crypto::Ed25519SecretKey ck = crypto::Ed25519SecretKey::generate(rng);
    SecretIdPart s = SecretIdPart::from(rng.bytes(32));

    HsDescriptor descriptor() {
        HsDescriptor d;
        d.secret_id = s;
        d.published = kNow;
        d.lifetime_s = 600;
        d.revision = 2;
        d.encrypted_intro_points = rng.bytes(kIntroSectionLen);
        return sign_hs_descriptor(d, ck);
    }
    HsWithdrawal withdrawal() {
        HsWithdrawal w;
        w.secret_id = s;
        w.revision = 2;
        return sign_hs_withdrawal(w, ck);
    }
};

Errc request_error(ByteView b) {
    return testing::error_of(decode_hsdir_request(b));
}

Errc response_error(ByteView b) {
    return testing::error_of(decode_hsdir_response(b));
}

}  // namespace

class TestHsDirMessages : public QObject {
    Q_OBJECT
  private slots:
    void post_round_trip_and_layout() {
        Fixture f;
        auto d = f.descriptor();
        PostHsDescriptor p{id_of(d), encode_hs_descriptor(d)};
        auto bytes = encode_hsdir_request(p);
        QCOMPARE(bytes.size(), 1 + 32 + p.descriptor.size());
        QCOMPARE(bytes[0], std::uint8_t{0x10});
        QVERIFY(std::equal(p.id.bytes.begin(), p.id.bytes.end(), bytes.begin() + 1));
        auto back = decode_hsdir_request(bytes);
        QVERIFY(back.has_value());
        QVERIFY(std::get<PostHsDescriptor>(*back) == p);
        QVERIFY(is_hsdir_request(bytes));
        // What the relay does with it.
        HsDirStore store;
        const auto& post = std::get<PostHsDescriptor>(*back);
        QVERIFY(store.store(post.id, post.descriptor, TimePoint::from_seconds(kNow)).has_value());
    }

    void get_round_trip_and_layout() {
        Fixture f;
        GetHsDescriptor g{id_of(f.descriptor())};
        auto bytes = encode_hsdir_request(g);
        QCOMPARE(bytes.size(), std::size_t{33});
        QCOMPARE(bytes[0], std::uint8_t{0x11});
        auto back = decode_hsdir_request(bytes);
        QVERIFY(back.has_value());
        QVERIFY(std::get<GetHsDescriptor>(*back) == g);
        for (std::size_t n = 0; n < bytes.size(); ++n)
            QVERIFY(!decode_hsdir_request(ByteView(bytes).first(n)).has_value());
        bytes.push_back(0);
        QCOMPARE(request_error(bytes), Errc::Malformed);
    }

    void withdraw_round_trip_and_layout() {
        Fixture f;
        WithdrawHsDescriptor w{f.withdrawal()};
        auto bytes = encode_hsdir_request(w);
        QCOMPARE(bytes.size(), 1 + kHsWithdrawalLen);
        QCOMPARE(bytes[0], std::uint8_t{0x12});
        auto back = decode_hsdir_request(bytes);
        QVERIFY(back.has_value());
        QVERIFY(std::get<WithdrawHsDescriptor>(*back) == w);
        for (std::size_t n = 0; n < bytes.size(); ++n)
            QVERIFY(!decode_hsdir_request(ByteView(bytes).first(n)).has_value());
        auto forged = bytes;
        forged.back() ^= 1;
        QCOMPARE(request_error(forged), Errc::BadSignature);
        bytes.push_back(0);
        QCOMPARE(request_error(bytes), Errc::TooLarge);
    }

    void post_bounds() {
        Fixture f;
        DescriptorId id;
        // Nothing after the id.
        QCOMPARE(request_error(encode_hsdir_request(PostHsDescriptor{id, {}})), Errc::Truncated);
        for (std::size_t n = 0; n < 33; ++n) {
            Bytes b(n, 0);
            if (n) b[0] = 0x10;
            QVERIFY(!decode_hsdir_request(b).has_value());
        }
        // At most one 20 KiB descriptor; the content is the store's business.
        PostHsDescriptor max{id, Bytes(kMaxHsDescriptorLen, 0xaa)};
        QVERIFY(decode_hsdir_request(encode_hsdir_request(max)).has_value());
        max.descriptor.push_back(0);
        QCOMPARE(request_error(encode_hsdir_request(max)), Errc::TooLarge);
    }

    void routing_byte() {
        QVERIFY(!is_hsdir_request({}));
        for (int b = 0; b < 256; ++b) {
            const std::uint8_t body[2] = {static_cast<std::uint8_t>(b), 0};
            QCOMPARE(is_hsdir_request(body), b >= 0x10 && b <= 0x12);
        }
        // The relay directory's own requests are not routed here.
        QVERIFY(!is_hsdir_request(dir::encode_dir_request(dir::GetConsensus{})));
        std::uint8_t unknown[33] = {0x13};
        QCOMPARE(request_error(unknown), Errc::Malformed);
    }

    void response_round_trips() {
        Fixture f;
        auto desc = encode_hs_descriptor(f.descriptor());
        for (const HsDirResponse& r :
             {HsDirResponse{HsDirStatus::Ok, "", desc},
              HsDirResponse{HsDirStatus::Ok, "stored", {}},
              HsDirResponse{HsDirStatus::NotFound, "no descriptor under this id", {}},
              HsDirResponse{HsDirStatus::Rejected, "revision downgrade: 1 < 2", {}},
              HsDirResponse{HsDirStatus::Malformed, "input ended early", {}}}) {
            auto bytes = encode_hsdir_response(r);
            auto back = decode_hsdir_response(bytes);
            QVERIFY2(back.has_value(), back ? "" : back.error().message.c_str());
            QVERIFY(*back == r);
        }
        auto bytes = encode_hsdir_response({HsDirStatus::Ok, "ok", desc});
        // status | string16 | flag | descriptor
        QCOMPARE(bytes.size(), 1 + 2 + 2 + 1 + desc.size());
        QCOMPARE(bytes[0], std::uint8_t{0});
        QCOMPARE(bytes[5], std::uint8_t{1});
        for (std::size_t n = 0; n < 6; ++n)
            QVERIFY(!decode_hsdir_response(ByteView(bytes).first(n)).has_value());
    }

    void response_encoder_always_produces_valid_bytes() {
        // Message cut to 200 and sanitised; a descriptor with an error status
        // is left out.
        HsDirResponse r{HsDirStatus::Rejected, std::string(300, 'x') + "\n", Bytes(10, 1)};
        auto back = decode_hsdir_response(encode_hsdir_response(r));
        QVERIFY(back.has_value());
        QCOMPARE(back->message.size(), std::size_t{200});
        QVERIFY(!back->descriptor.has_value());
        HsDirResponse nl{HsDirStatus::Ok, "two\nlines\x01", {}};
        back = decode_hsdir_response(encode_hsdir_response(nl));
        QVERIFY(back.has_value());
        QCOMPARE(QString::fromStdString(back->message), QStringLiteral("two?lines?"));
        HsDirResponse huge{HsDirStatus::Ok, "", Bytes(kMaxHsDescriptorLen + 1, 1)};
        back = decode_hsdir_response(encode_hsdir_response(huge));
        QVERIFY(back.has_value());
        QVERIFY(!back->descriptor.has_value());
    }

    void malformed_responses() {
        auto with = [](std::uint8_t status, std::string_view msg, std::uint8_t flag, Bytes rest) {
            wire::Writer w;
            w.u8(status).string16(msg).u8(flag).bytes(rest);
            return w.take();
        };
        QVERIFY(decode_hsdir_response(with(0, "ok", 0, {})).has_value());
        QCOMPARE(response_error(with(4, "ok", 0, {})), Errc::Malformed);
        QCOMPARE(response_error(with(0, "ok", 2, {})), Errc::Malformed);
        QCOMPARE(response_error(with(2, "gone", 1, Bytes(10, 1))), Errc::Malformed);
        QCOMPARE(response_error(with(0, "a\nb", 0, {})), Errc::Malformed);
        QCOMPARE(response_error(with(0, std::string(201, 'a'), 0, {})), Errc::TooLarge);
        QCOMPARE(response_error(with(0, "ok", 1, {})), Errc::Truncated);
        QCOMPARE(response_error(with(0, "ok", 0, Bytes(1, 0))), Errc::Malformed);
        QCOMPARE(response_error(with(0, "ok", 1, Bytes(kMaxHsDescriptorLen + 1, 1))),
                 Errc::TooLarge);
    }

    void framed_on_a_directory_stream() {
        Fixture f;
        auto d = f.descriptor();
        Bytes stream;
        dir::DirFramer::frame(
            encode_hsdir_request(PostHsDescriptor{id_of(d), encode_hs_descriptor(d)}), stream);
        dir::DirFramer::frame(encode_hsdir_request(GetHsDescriptor{id_of(d)}), stream);
        dir::DirFramer framer;
        for (std::size_t i = 0; i < stream.size(); i += 97)
            QVERIFY(framer.feed(
                ByteView(stream).subspan(i, std::min<std::size_t>(97, stream.size() - i))));
        auto first = framer.next();
        auto second = framer.next();
        QVERIFY(first && second && !framer.next());
        QVERIFY(is_hsdir_request(*first) && is_hsdir_request(*second));
        QVERIFY(std::holds_alternative<PostHsDescriptor>(*decode_hsdir_request(*first)));
        QVERIFY(std::holds_alternative<GetHsDescriptor>(*decode_hsdir_request(*second)));
    }
};

QTEST_APPLESS_MAIN(TestHsDirMessages)
#include "tst_hsdir_messages.moc"
