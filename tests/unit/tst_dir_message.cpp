// Directory messages: votes, requests, responses and the stream framer.
#include <QtTest>

#include "core/crypto/ed25519.hpp"
#include "core/crypto/random.hpp"
#include "core/crypto/x25519.hpp"
#include "core/dir/dir_message.hpp"
#include "core/util/rng.hpp"
#include "core/wire/reader.hpp"

using namespace sotto;
using namespace sotto::dir;

namespace {

constexpr std::int64_t kT = 1'700'001'000;

struct Fixture {
    DeterministicRng rng{21};
    crypto::Ed25519SecretKey authority = crypto::Ed25519SecretKey::generate(rng);
    std::vector<crypto::Ed25519SecretKey> relays;

    Fixture() {
        for (int i = 0; i < 3; ++i) relays.push_back(crypto::Ed25519SecretKey::generate(rng));
        std::sort(relays.begin(), relays.end(),
                  [](const auto& a, const auto& b) { return a.public_key() < b.public_key(); });
    }

    RelayDescriptor descriptor(std::size_t i) {
        RelayDescriptor d;
        d.nickname = "relay" + std::to_string(i);
        d.onion_key = crypto::X25519SecretKey::generate(rng).public_key();
        d.host = "10.0.0." + std::to_string(i);
        d.port = 9000;
        d.capabilities = kCapHsDir;
        d.published = kT - 100;
        return sign_relay_descriptor(d, relays[i]);
    }

    Vote vote(std::size_t n = 3) {
        Vote v;
        v.valid_after = kT;
        for (std::size_t i = 0; i < n; ++i) {
            v.descriptors.push_back(descriptor(i));
            v.flags.push_back(kFlagRunning | (i % 2 ? kFlagHsDir : 0u));
        }
        return sign_vote(v, authority);
    }

    Consensus consensus() {
        Consensus c;
        c.network = "testnet";
        c.valid_after = kT;
        c.fresh_until = kT + 1800;
        c.valid_until = kT + 5400;
        auto d = descriptor(0);
        c.relays.push_back(
            {d.nickname, d.identity, d.onion_key, d.host, d.port, kFlagRunning, d.published});
        c.signatures.push_back(sign_consensus_digest(consensus_digest(c), authority));
        return c;
    }

    PostSignature post_signature() {
        auto c = consensus();
        return PostSignature{consensus_digest(c), kT, c.signatures[0]};
    }
};

void check_all_prefixes_fail(ByteView bytes, Result<DirRequest> (*decode)(ByteView)) {
    for (std::size_t n = 0; n < bytes.size(); ++n)
        QVERIFY2(!decode(bytes.first(n)).has_value(),
                 qPrintable(QStringLiteral("prefix %1").arg(n)));
}

}  // namespace

class TestDirMessage : public QObject {
    Q_OBJECT
  private slots:
    // ---- votes
    void vote_round_trip() {
        Fixture f;
        auto v = f.vote();
        auto bytes = encode_vote(v);
        auto back = decode_vote(bytes);
        QVERIFY2(back.has_value(), back ? "" : back.error().message.c_str());
        QVERIFY(*back == v);
        QCOMPARE(encode_vote(*back), bytes);
        QVERIFY(verify_vote_signature(v));
        auto empty = f.vote(0);
        QVERIFY(decode_vote(encode_vote(empty)).has_value());
    }

    void vote_layout() {
        Fixture f;
        auto v = f.vote(1);
        auto bytes = encode_vote(v);
        wire::Reader r(bytes);
        QCOMPARE(*r.u8(), kVoteVersion);
        QCOMPARE(*r.fixed<crypto::Ed25519PublicKey>(), f.authority.public_key());
        QCOMPARE(*r.u64(), std::uint64_t(kT));
        QCOMPARE(*r.u32(), 1u);
        auto d = r.var16();
        QVERIFY(d.has_value());
        QCOMPARE(Bytes(d->begin(), d->end()), encode_relay_descriptor(v.descriptors[0]));
        QCOMPARE(*r.u32(), v.flags[0]);
        QCOMPARE(*r.fixed<crypto::Ed25519Signature>(), v.signature);
        QVERIFY(r.empty());
    }

    void vote_signature_covers_prefix_and_body() {
        Fixture f;
        auto v = f.vote(2);
        auto bytes = encode_vote(v);
        Bytes signed_part(as_bytes("sotto-vote-v1").begin(), as_bytes("sotto-vote-v1").end());
        signed_part.insert(signed_part.end(), bytes.begin(), bytes.end() - 64);
        QVERIFY(crypto::ed25519_verify(f.authority.public_key(), signed_part, v.signature));
    }

    void vote_every_truncation_fails() {
        Fixture f;
        auto bytes = encode_vote(f.vote(2));
        for (std::size_t n = 0; n < bytes.size(); ++n)
            QVERIFY2(!decode_vote(ByteView(bytes).first(n)).has_value(),
                     qPrintable(QStringLiteral("prefix %1").arg(n)));
    }

    void vote_trailing_bytes() {
        Fixture f;
        auto bytes = encode_vote(f.vote(1));
        bytes.push_back(0);
        QCOMPARE(decode_vote(bytes).error().code, Errc::Malformed);
    }

    void vote_bad_version() {
        Fixture f;
        auto bytes = encode_vote(f.vote(1));
        bytes[0] = 0;
        QCOMPARE(decode_vote(bytes).error().code, Errc::BadVersion);
    }

    void vote_bad_signature() {
        Fixture f;
        auto v = f.vote(1);
        v.valid_after += 1800;  // changed after signing
        auto r = decode_vote(encode_vote(v));
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, Errc::BadSignature);
        QVERIFY(!verify_vote_signature(v));
    }

    void vote_bad_descriptor_signature() {
        Fixture f;
        auto v = f.vote(2);
        v.descriptors[1].port += 1;
        v = sign_vote(v, f.authority);  // the authority vouches, the relay did not sign
        auto r = decode_vote(encode_vote(v));
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, Errc::BadSignature);
        QVERIFY(r.error().message.starts_with("vote: "));
    }

    void vote_unsorted_and_duplicate() {
        Fixture f;
        auto v = f.vote(3);
        std::swap(v.descriptors[0], v.descriptors[2]);
        auto r = decode_vote(encode_vote(sign_vote(v, f.authority)));
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, Errc::Malformed);
        v = f.vote(2);
        v.descriptors[1] = v.descriptors[0];
        r = decode_vote(encode_vote(sign_vote(v, f.authority)));
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, Errc::Malformed);
    }

    void vote_oversize_count() {
        Fixture f;
        auto bytes = encode_vote(f.vote(0));
        wire::put_u32(bytes.data() + 1 + 32 + 8, kMaxVoteDescriptors + 1);
        QCOMPARE(decode_vote(bytes).error().code, Errc::TooLarge);
        wire::put_u32(bytes.data() + 1 + 32 + 8, 5);
        QCOMPARE(decode_vote(bytes).error().code, Errc::Truncated);
    }

    void vote_oversize_descriptor() {
        Fixture f;
        auto bytes = encode_vote(f.vote(1));
        wire::put_u16(bytes.data() + 1 + 32 + 8 + 4, kMaxRelayDescriptorLen + 1);
        QCOMPARE(decode_vote(bytes).error().code, Errc::TooLarge);
    }

    void vote_oversize_input() {
        Bytes big(kMaxDirMessageLen + 1, 0);
        QCOMPARE(decode_vote(big).error().code, Errc::TooLarge);
    }

    // ---- requests
    void request_round_trips() {
        Fixture f;
        std::vector<DirRequest> requests = {PostDescriptor{f.descriptor(0)}, GetConsensus{},
                                            PostVote{f.vote()}, f.post_signature()};
        std::uint8_t expected_type = 1;
        for (const auto& req : requests) {
            auto bytes = encode_dir_request(req);
            QCOMPARE(bytes[0], expected_type++);
            auto back = decode_dir_request(bytes);
            QVERIFY2(back.has_value(), back ? "" : back.error().message.c_str());
            QVERIFY(*back == req);
            QCOMPARE(encode_dir_request(*back), bytes);
        }
        QCOMPARE(encode_dir_request(GetConsensus{}).size(), std::size_t{1});
        QCOMPARE(encode_dir_request(f.post_signature()).size(), std::size_t{1 + 32 + 8 + 32 + 64});
    }

    void request_every_truncation_fails() {
        Fixture f;
        for (const DirRequest& req : std::vector<DirRequest>{
                 PostDescriptor{f.descriptor(1)}, PostVote{f.vote(1)}, f.post_signature()})
            check_all_prefixes_fail(encode_dir_request(req), decode_dir_request);
    }

    void request_trailing_bytes() {
        Fixture f;
        for (const DirRequest& req :
             std::vector<DirRequest>{PostDescriptor{f.descriptor(1)}, GetConsensus{},
                                     PostVote{f.vote(1)}, f.post_signature()}) {
            auto bytes = encode_dir_request(req);
            bytes.push_back(7);
            auto r = decode_dir_request(bytes);
            QVERIFY(!r.has_value());
            QCOMPARE(r.error().code, Errc::Malformed);
        }
    }

    void request_unknown_type() {
        for (std::uint8_t t : {0, 5, 255}) {
            Bytes b{t};
            auto r = decode_dir_request(b);
            QVERIFY(!r.has_value());
            QCOMPARE(r.error().code, Errc::Malformed);
            QVERIFY(r.error().message.find("unknown directory request type") != std::string::npos);
        }
    }

    void request_bad_contents() {
        Fixture f;
        auto bytes = encode_dir_request(PostDescriptor{f.descriptor(0)});
        bytes.back() ^= 1;
        QCOMPARE(decode_dir_request(bytes).error().code, Errc::BadSignature);
        bytes = encode_dir_request(PostVote{f.vote(1)});
        bytes[1] = 9;
        QCOMPARE(decode_dir_request(bytes).error().code, Errc::BadVersion);
    }

    void request_oversize() {
        Bytes big(kMaxDirMessageLen + 1, 3);
        QCOMPARE(decode_dir_request(big).error().code, Errc::TooLarge);
    }

    // ---- responses
    void response_round_trips() {
        Fixture f;
        std::vector<DirResponse> responses = {
            {DirStatus::Ok, "fine", f.consensus()},
            {DirStatus::Ok, "", std::nullopt},
            {DirStatus::Rejected, "descriptor is too old", std::nullopt},
            {DirStatus::NotFound, "no consensus yet", std::nullopt},
            {DirStatus::Malformed, std::string(200, 'm'), std::nullopt},
        };
        for (const auto& resp : responses) {
            auto bytes = encode_dir_response(resp);
            auto back = decode_dir_response(bytes);
            QVERIFY2(back.has_value(), back ? "" : back.error().message.c_str());
            QVERIFY(*back == resp);
            QCOMPARE(encode_dir_response(*back), bytes);
        }
    }

    void response_message_is_sanitised_on_encode() {
        DirResponse r{DirStatus::Rejected, std::string(300, 'x') + "\n", std::nullopt};
        r.message[3] = '\n';
        r.message[4] = '\xff';
        auto back = decode_dir_response(encode_dir_response(r));
        QVERIFY(back.has_value());
        QCOMPARE(back->message.size(), kMaxDirResponseMessageLen);
        QCOMPARE(back->message.substr(0, 6), std::string("xxx??x"));
    }

    void response_every_truncation_fails() {
        Fixture f;
        auto bytes = encode_dir_response({DirStatus::Ok, "ok", f.consensus()});
        for (std::size_t n = 0; n < bytes.size(); ++n)
            QVERIFY2(!decode_dir_response(ByteView(bytes).first(n)).has_value(),
                     qPrintable(QStringLiteral("prefix %1").arg(n)));
    }

    void response_malformed() {
        Fixture f;
        auto ok = encode_dir_response({DirStatus::Ok, "ok", std::nullopt});
        auto b = ok;
        b.push_back(0);
        QCOMPARE(decode_dir_response(b).error().code, Errc::Malformed);  // trailing
        b = ok;
        b[0] = 4;
        QCOMPARE(decode_dir_response(b).error().code, Errc::Malformed);  // status
        b = ok;
        b.back() = 2;
        QCOMPARE(decode_dir_response(b).error().code, Errc::Malformed);  // consensus flag
        b = ok;
        b[3] = '\n';
        QCOMPARE(decode_dir_response(b).error().code, Errc::Malformed);  // message char
        b = ok;
        b.back() = 1;  // says a consensus follows, none does
        QCOMPARE(decode_dir_response(b).error().code, Errc::Truncated);

        wire::Writer w;
        w.u8(0).string16(std::string(201, 'a')).u8(0);
        QCOMPARE(decode_dir_response(w.data()).error().code, Errc::TooLarge);

        auto with = encode_dir_response({DirStatus::Ok, "", f.consensus()});
        with[0] = static_cast<std::uint8_t>(DirStatus::Rejected);
        QCOMPARE(decode_dir_response(with).error().code, Errc::Malformed);
        with = encode_dir_response({DirStatus::Ok, "", f.consensus()});
        with[1 + 2 + 1] = 7;  // consensus version
        QCOMPARE(decode_dir_response(with).error().code, Errc::BadVersion);

        Bytes big(kMaxDirMessageLen + 1, 0);
        QCOMPARE(decode_dir_response(big).error().code, Errc::TooLarge);
    }

    // ---- framer
    void framer_whole_and_split() {
        Bytes stream;
        Bytes a{1, 2, 3}, b, c(1000, 9);
        DirFramer::frame(a, stream);
        DirFramer::frame(b, stream);
        DirFramer::frame(c, stream);
        QCOMPARE(stream.size(), std::size_t{4 + 3 + 4 + 0 + 4 + 1000});
        QCOMPARE(stream[3], std::uint8_t{3});

        for (std::size_t chunk : {stream.size(), std::size_t{1}, std::size_t{5}, std::size_t{7}}) {
            DirFramer fr;
            std::vector<Bytes> got;
            for (std::size_t i = 0; i < stream.size(); i += chunk) {
                QVERIFY(fr.feed(ByteView(stream).subspan(i, std::min(chunk, stream.size() - i)))
                            .has_value());
                while (auto m = fr.next()) got.push_back(*m);
            }
            QCOMPARE(got.size(), std::size_t{3});
            QCOMPARE(got[0], a);
            QCOMPARE(got[1], b);
            QCOMPARE(got[2], c);
            QVERIFY(!fr.next().has_value());
        }
    }

    void framer_partial_waits() {
        DirFramer fr;
        Bytes stream;
        DirFramer::frame(Bytes(10, 1), stream);
        QVERIFY(fr.feed(ByteView(stream).first(3)).has_value());
        QVERIFY(!fr.next().has_value());
        QVERIFY(fr.feed(ByteView(stream).subspan(3, 8)).has_value());
        QVERIFY(!fr.next().has_value());
        QVERIFY(fr.feed(ByteView(stream).subspan(11)).has_value());
        QCOMPARE(*fr.next(), Bytes(10, 1));
    }

    void framer_many_small_frames() {
        DirFramer fr;
        Bytes stream;
        for (int i = 0; i < 1000; ++i)
            DirFramer::frame(Bytes{static_cast<std::uint8_t>(i)}, stream);
        QVERIFY(fr.feed(stream).has_value());
        for (int i = 0; i < 1000; ++i) {
            if (i == 500) QVERIFY(fr.feed(stream).has_value());  // more arrives midway
            auto m = fr.next();
            QVERIFY(m.has_value());
            QCOMPARE((*m)[0], static_cast<std::uint8_t>(i));
        }
        for (int i = 0; i < 1000; ++i) QCOMPARE((*fr.next())[0], static_cast<std::uint8_t>(i));
        QVERIFY(!fr.next().has_value());
    }

    void framer_max_length_accepted() {
        DirFramer fr;
        Bytes header(4);
        wire::put_u32(header.data(), kMaxDirMessageLen);
        QVERIFY(fr.feed(header).has_value());
        QVERIFY(!fr.next().has_value());
    }

    void framer_oversize_is_sticky_error() {
        DirFramer fr;
        Bytes stream;
        DirFramer::frame(Bytes{1}, stream);
        Bytes bad(4);
        wire::put_u32(bad.data(), kMaxDirMessageLen + 1);
        stream.insert(stream.end(), bad.begin(), bad.end());
        auto s = fr.feed(ByteView(stream).first(stream.size() - 1));
        QVERIFY(s.has_value());  // the bad header is not complete yet
        s = fr.feed(ByteView(stream).last(1));
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, Errc::TooLarge);
        QVERIFY(!fr.next().has_value());
        Bytes good;
        DirFramer::frame(Bytes{2}, good);
        QVERIFY(!fr.feed(good).has_value());
        QVERIFY(!fr.next().has_value());
    }

    // A reader that never takes frames cannot be made to hold more than one
    // longest frame (header and limit): small frames without end are refused.
    void framer_holds_at_most_one_longest_frame_unread() {
        Bytes whole(4 + kMaxDirMessageLen, 7);
        wire::put_u32(whole.data(), kMaxDirMessageLen);
        DirFramer fr;
        QVERIFY(fr.feed(whole).has_value());
        auto s = fr.feed(Bytes{0});
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, Errc::TooLarge);
        QCOMPARE(fr.buffered(), std::size_t(0));
        QVERIFY(!fr.next().has_value());

        // Taken as they complete, frames flow without end.
        DirFramer ok;
        std::size_t got = 0;
        for (int i = 0; i < 3; ++i) {
            QVERIFY(ok.feed(whole).has_value());
            while (auto m = ok.next()) got += m->size() == kMaxDirMessageLen ? 1 : 0;
        }
        QCOMPARE(got, std::size_t(3));
    }

    void framer_with_a_smaller_limit() {
        DirFramer fr(100);
        Bytes stream;
        for (int i = 0; i < 20; ++i) DirFramer::frame(Bytes(10, 1), stream);  // 14 bytes each
        QVERIFY(fr.feed(ByteView(stream).first(98)).has_value());  // 7 frames, none taken
        auto s = fr.feed(ByteView(stream).subspan(98, 14));        // 112 > 4 + 100
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, Errc::TooLarge);

        DirFramer small(100);
        Bytes header(4);
        wire::put_u32(header.data(), 100);
        QVERIFY(small.feed(header).has_value());
        DirFramer smaller(100);
        wire::put_u32(header.data(), 101);
        QCOMPARE(smaller.feed(header).error().code, Errc::TooLarge);

        // Never above kMaxDirMessageLen, whatever is asked.
        DirFramer capped(2 * kMaxDirMessageLen);
        wire::put_u32(header.data(), kMaxDirMessageLen + 1);
        QCOMPARE(capped.feed(header).error().code, Errc::TooLarge);
    }
};

QTEST_APPLESS_MAIN(TestDirMessage)
#include "tst_dir_message.moc"
