// The link layer: handshake, records, batching, timers and every way a peer
// can get a link closed.
#include <QtTest>

#include "core/crypto/hash.hpp"
#include "core/crypto/kdf.hpp"
#include "core/crypto/random.hpp"
#include "core/link/link_session.hpp"
#include "core/util/log.hpp"
#include "core/wire/reader.hpp"

using namespace sotto;
using namespace sotto::link;
using sotto::wire::Cell;
using sotto::wire::CellCommand;
using sotto::wire::kCellLen;

namespace {

constexpr TimePoint kT0 = TimePoint::from_seconds(1'700'000'000);
constexpr std::size_t kMsg1Len = 41;
constexpr std::size_t kMsg2Len = 144;
constexpr std::size_t kRecordOverhead = 2 + 16;

Cell numbered(std::uint32_t circ, std::uint8_t tag, CellCommand cmd = CellCommand::Relay) {
    Bytes body(wire::kCellPayloadLen, tag);
    body[0] = static_cast<std::uint8_t>(circ);
    return Cell::make(circ, cmd, body);
}

bool same_cell(const Cell& a, const Cell& b) {
    return a.circ_id == b.circ_id && a.command == b.command && a.payload == b.payload;
}

// Sizes of the sealed parts of consecutive records; fails the test on a
// partial record.
std::vector<std::size_t> record_lengths(ByteView bytes) {
    std::vector<std::size_t> lens;
    while (!bytes.empty()) {
        if (bytes.size() < 2) return {};
        const std::size_t len = wire::get_u16(bytes.data());
        if (bytes.size() < 2 + len) return {};
        lens.push_back(len);
        bytes = bytes.subspan(2 + len);
    }
    return lens;
}

// One initiator and one responder with fixed seeds.
struct Pair {
    explicit Pair(std::uint64_t seed = 1, LinkConfig config = {})
        : rng_id(seed * 100),
          rng_i(seed * 100 + 1),
          rng_r(seed * 100 + 2),
          identity(crypto::Ed25519SecretKey::generate(rng_id)),
          init(LinkSession::initiator(identity.public_key(), rng_i, kT0, config)),
          resp(LinkSession::responder(identity, rng_r, kT0, config)) {}

    // Moves bytes both ways until neither side has anything to say; returns
    // false if a side rejected what it got.
    bool pump(TimePoint now = kT0, Bytes* transcript = nullptr) {
        for (int round = 0; round < 16; ++round) {
            if (!init.has_output() && !resp.has_output()) return true;
            Bytes a, b;
            init.take_output(a, now);
            if (transcript) transcript->insert(transcript->end(), a.begin(), a.end());
            if (!a.empty() && !resp.receive(a, now)) return false;
            resp.take_output(b, now);
            if (transcript) transcript->insert(transcript->end(), b.begin(), b.end());
            if (!b.empty() && !init.receive(b, now)) return false;
        }
        return false;
    }

    DeterministicRng rng_id, rng_i, rng_r;
    crypto::Ed25519SecretKey identity;
    LinkSession init;
    LinkSession resp;
};

// Both sessions open and drained, with the output of the initiator for one
// queued cell returned for tampering tests.
Bytes one_record(Pair& p, const Cell& c) {
    p.init.send(c);
    Bytes out;
    p.init.take_output(out, kT0);
    return out;
}

Bytes scenario_transcript(std::uint64_t seed) {
    Pair p(seed);
    Bytes transcript;
    for (std::uint32_t i = 0; i < 40; ++i) p.init.send(numbered(i + 1, 0x11));
    p.resp.send(numbered(7, 0x22, CellCommand::Created2));
    if (!p.pump(kT0, &transcript)) return {};
    p.init.on_timer(kT0 + Duration::seconds(61));
    p.resp.on_timer(kT0 + Duration::seconds(61));
    if (!p.pump(kT0 + Duration::seconds(61), &transcript)) return {};
    return transcript;
}

}  // namespace

class TestLink : public QObject {
    Q_OBJECT
  private slots:
    void handshake_and_cells_both_ways() {
        Pair p;
        QCOMPARE(p.init.state(), LinkState::Handshaking);
        QCOMPARE(p.resp.state(), LinkState::Handshaking);
        QVERIFY(p.init.is_initiator());
        QVERIFY(!p.resp.is_initiator());

        Bytes msg1;
        p.init.take_output(msg1, kT0);
        QCOMPARE(msg1.size(), kMsg1Len);
        QCOMPARE(std::string(msg1.begin(), msg1.begin() + 8), std::string("SOTTOLNK"));
        QCOMPARE(msg1[8], std::uint8_t{1});
        QVERIFY(!p.init.has_output());
        QVERIFY(p.resp.receive(msg1, kT0).has_value());
        QCOMPARE(p.resp.state(), LinkState::Open);

        Bytes msg2;
        p.resp.take_output(msg2, kT0);
        QCOMPARE(msg2.size(), kMsg2Len);
        QVERIFY(p.init.receive(msg2, kT0).has_value());
        QCOMPARE(p.init.state(), LinkState::Open);
        QCOMPARE(p.init.peer_identity(), p.identity.public_key());

        const Cell a = numbered(5, 0xa1, CellCommand::Create2);
        const Cell b = numbered(6, 0xb2, CellCommand::Destroy);
        // Padding on a circuit is the node's business; only circ-0 padding is
        // link keepalive.
        const Cell pad = numbered(9, 0x00, CellCommand::Padding);
        p.init.send(a);
        p.init.send(pad);
        p.resp.send(b);
        QVERIFY(p.pump());
        auto got_a = p.resp.pop_cell();
        auto got_pad = p.resp.pop_cell();
        auto got_b = p.init.pop_cell();
        QVERIFY(got_a && got_pad && got_b);
        QVERIFY(same_cell(*got_a, a));
        QVERIFY(same_cell(*got_pad, pad));
        QVERIFY(same_cell(*got_b, b));
        QVERIFY(!p.resp.pop_cell());
        QVERIFY(!p.init.pop_cell());
        QVERIFY(!p.init.close_reason());
        QVERIFY(!p.resp.close_reason());
    }

    // The wire format follows the documented derivation exactly: recompute it
    // here from the same seeds and decrypt independently.
    void derivation_matches_spec() {
        Pair p;
        DeterministicRng replay_i(101);
        auto e_i = crypto::X25519SecretKey::generate(replay_i);
        p.resp.send(numbered(3, 0x33));
        Bytes msg1, msg2_and_record;
        p.init.take_output(msg1, kT0);
        QCOMPARE(crypto::X25519PublicKey::from(ByteView(msg1).subspan(9)), e_i.public_key());
        QVERIFY(p.resp.receive(msg1, kT0).has_value());
        p.resp.take_output(msg2_and_record, kT0);
        // The responder may send records right behind msg2.
        QCOMPARE(msg2_and_record.size(), kMsg2Len + kRecordOverhead + kCellLen);

        ByteView msg2 = ByteView(msg2_and_record).first(kMsg2Len);
        ByteView record = ByteView(msg2_and_record).subspan(kMsg2Len);
        auto e_r = crypto::X25519PublicKey::from(msg2.first(32));
        auto ss = e_i.agree(e_r);
        QVERIFY(ss.has_value());
        auto h = crypto::sha3_256_parts({as_bytes("sotto-link-v1"), msg1, e_r.view()});
        auto k_hs = crypto::hkdf(crypto::HkdfHash::Sha3_256, ss->view(), h.view(),
                                 as_bytes("sotto-link handshake"), 32);
        QVERIFY(k_hs.has_value());
        auto plain = crypto::aead_open(crypto::AeadKey(k_hs->view()), crypto::nonce_from_counter(0),
                                       h.view(), msg2.subspan(32));
        QVERIFY(plain.has_value());
        QCOMPARE(plain->size(), std::size_t{96});
        QCOMPARE(crypto::Ed25519PublicKey::from(ByteView(*plain).first(32)),
                 p.identity.public_key());
        Bytes signed_msg(23);
        std::string_view label = "sotto-link-v1 responder";
        std::copy(label.begin(), label.end(), signed_msg.begin());
        signed_msg.insert(signed_msg.end(), h.bytes.begin(), h.bytes.end());
        QVERIFY(
            crypto::ed25519_verify(p.identity.public_key(), signed_msg,
                                   crypto::Ed25519Signature::from(ByteView(*plain).subspan(32))));

        auto h2 = crypto::sha3_256_parts({h.view(), msg2});
        auto okm = crypto::hkdf(crypto::HkdfHash::Sha3_256, ss->view(), h2.view(),
                                as_bytes("sotto-link transport"), 64);
        QVERIFY(okm.has_value());
        crypto::AeadKey r_to_i(okm->view().subspan(32));
        QCOMPARE(std::size_t{wire::get_u16(record.data())}, kCellLen + 16);
        auto cells =
            crypto::aead_open(r_to_i, crypto::nonce_from_counter(0), {}, record.subspan(2));
        QVERIFY(cells.has_value());
        auto cell = wire::decode_cell(*cells);
        QVERIFY(cell.has_value());
        QVERIFY(same_cell(*cell, numbered(3, 0x33)));

        // And the initiator's direction uses the first half.
        QVERIFY(p.init.receive(msg2_and_record, kT0).has_value());
        QVERIFY(p.init.pop_cell().has_value());
        Bytes rec = one_record(p, numbered(4, 0x44));
        crypto::AeadKey i_to_r(okm->view().first(32));
        auto back =
            crypto::aead_open(i_to_r, crypto::nonce_from_counter(0), {}, ByteView(rec).subspan(2));
        QVERIFY(back.has_value());
    }

    void one_byte_fragments() {
        Pair p;
        p.init.send(numbered(1, 0x01));
        p.init.send(numbered(2, 0x02));
        p.resp.send(numbered(3, 0x03));
        for (int round = 0; round < 4; ++round) {
            Bytes a, b;
            p.init.take_output(a, kT0);
            for (auto byte : a) QVERIFY(p.resp.receive(ByteView(&byte, 1), kT0).has_value());
            p.resp.take_output(b, kT0);
            for (auto byte : b) QVERIFY(p.init.receive(ByteView(&byte, 1), kT0).has_value());
        }
        QCOMPARE(p.init.state(), LinkState::Open);
        QCOMPARE(p.resp.state(), LinkState::Open);
        auto c1 = p.resp.pop_cell();
        auto c2 = p.resp.pop_cell();
        auto c3 = p.init.pop_cell();
        QVERIFY(c1 && c2 && c3);
        QVERIFY(same_cell(*c1, numbered(1, 0x01)));
        QVERIFY(same_cell(*c2, numbered(2, 0x02)));
        QVERIFY(same_cell(*c3, numbered(3, 0x03)));
    }

    void several_records_in_one_read() {
        Pair p;
        QVERIFY(p.pump());
        Bytes all;
        for (std::uint8_t i = 0; i < 5; ++i) {
            p.init.send(numbered(i, i));
            p.init.take_output(all, kT0);
        }
        QCOMPARE(record_lengths(all).size(), std::size_t{5});
        QVERIFY(p.resp.receive(all, kT0).has_value());
        for (std::uint8_t i = 0; i < 5; ++i) {
            auto c = p.resp.pop_cell();
            QVERIFY(c && same_cell(*c, numbered(i, i)));
        }
    }

    void batching() {
        Pair p;
        QVERIFY(p.pump());
        for (std::uint32_t i = 0; i < 100; ++i)
            p.init.send(numbered(i, static_cast<std::uint8_t>(i)));
        QCOMPARE(p.init.queued_cells(), std::size_t{100});
        QVERIFY(p.init.has_output());
        Bytes out;
        p.init.take_output(out, kT0);
        QCOMPARE(p.init.queued_cells(), std::size_t{0});
        QVERIFY(!p.init.has_output());
        const std::size_t records = (100 + 31) / 32;
        QCOMPARE(out.size(), records * kRecordOverhead + 100 * kCellLen);
        auto lens = record_lengths(out);
        QCOMPARE(lens.size(), records);
        QCOMPARE(lens[0], 32 * kCellLen + 16);
        QCOMPARE(lens[3], 4 * kCellLen + 16);
        QVERIFY(p.resp.receive(out, kT0).has_value());
        for (std::uint32_t i = 0; i < 100; ++i) {
            auto c = p.resp.pop_cell();
            QVERIFY(c.has_value());
            QVERIFY(same_cell(*c, numbered(i, static_cast<std::uint8_t>(i))));
        }
        QVERIFY(!p.resp.pop_cell());
    }

    void batching_respects_configured_maximum() {
        LinkConfig config;
        config.max_cells_per_record = 10;
        Pair p(1, config);
        QVERIFY(p.pump());
        for (std::uint32_t i = 0; i < 25; ++i) p.init.send(numbered(i, 1));
        Bytes out;
        p.init.take_output(out, kT0);
        auto lens = record_lengths(out);
        QCOMPARE(lens.size(), std::size_t{3});
        QCOMPARE(lens[2], 5 * kCellLen + 16);
        QVERIFY(p.resp.receive(out, kT0).has_value());
    }

    void cells_queued_before_open_wait_for_handshake() {
        Pair p;
        p.init.send(numbered(1, 0x01));
        QCOMPARE(p.init.queued_cells(), std::size_t{1});
        Bytes msg1;
        p.init.take_output(msg1, kT0);
        QCOMPARE(msg1.size(), kMsg1Len);
        QCOMPARE(p.init.queued_cells(), std::size_t{1});
        // Nothing more to send until msg2 arrives.
        QVERIFY(!p.init.has_output());
        QVERIFY(p.resp.receive(msg1, kT0).has_value());
        Bytes msg2;
        p.resp.take_output(msg2, kT0);
        QVERIFY(p.init.receive(msg2, kT0).has_value());
        QVERIFY(p.init.has_output());
        Bytes rec;
        p.init.take_output(rec, kT0);
        QCOMPARE(rec.size(), kRecordOverhead + kCellLen);
        QVERIFY(p.resp.receive(rec, kT0).has_value());
        QVERIFY(p.resp.pop_cell().has_value());
    }

    void wrong_identity_rejected() {
        DeterministicRng rng(9), rng_i(10), rng_r(11);
        auto real = crypto::Ed25519SecretKey::generate(rng);
        auto other = crypto::Ed25519SecretKey::generate(rng);
        auto init = LinkSession::initiator(other.public_key(), rng_i, kT0);
        auto resp = LinkSession::responder(real, rng_r, kT0);
        Bytes msg1, msg2;
        init.send(numbered(1, 1));
        init.take_output(msg1, kT0);
        QVERIFY(resp.receive(msg1, kT0).has_value());
        resp.take_output(msg2, kT0);
        auto st = init.receive(msg2, kT0);
        QVERIFY(!st.has_value());
        QCOMPARE(st.error().code, Errc::BadIdentity);
        const std::string& msg = st.error().message;
        QVERIFY2(msg.find("expected") != std::string::npos, msg.c_str());
        QVERIFY2(msg.find(short_id(real.public_key().view())) != std::string::npos, msg.c_str());
        QVERIFY2(msg.find(short_id(other.public_key().view())) != std::string::npos, msg.c_str());
        QVERIFY(msg.find('\n') == std::string::npos);
        QCOMPARE(init.state(), LinkState::Closed);
        QVERIFY(init.close_reason().has_value());
        QCOMPARE(init.close_reason()->code, Errc::BadIdentity);
        QVERIFY(init.peer_identity().is_zero());

        // A closed link stays closed and silent.
        auto again = init.receive(msg2, kT0);
        QVERIFY(!again.has_value());
        QCOMPARE(again.error().code, Errc::BadIdentity);
        QCOMPARE(init.queued_cells(), std::size_t{0});
        init.send(numbered(2, 2));
        QCOMPARE(init.queued_cells(), std::size_t{0});
        QVERIFY(!init.has_output());
        Bytes out{1, 2, 3};
        init.take_output(out, kT0);
        QCOMPARE(out, (Bytes{1, 2, 3}));
        QCOMPARE(init.next_deadline(), TimePoint::never());
        init.on_timer(kT0 + Duration::hours(1));
        QCOMPARE(init.close_reason()->code, Errc::BadIdentity);
    }

    void bad_magic() {
        Pair p;
        Bytes msg1;
        p.init.take_output(msg1, kT0);
        msg1[7] = 'X';
        auto st = p.resp.receive(msg1, kT0);
        QVERIFY(!st.has_value());
        QCOMPARE(st.error().code, Errc::Malformed);
        QCOMPARE(p.resp.state(), LinkState::Closed);
        QVERIFY(!p.resp.has_output());
    }

    void bad_version() {
        Pair p;
        Bytes msg1;
        p.init.take_output(msg1, kT0);
        msg1[8] = 2;
        auto st = p.resp.receive(msg1, kT0);
        QVERIFY(!st.has_value());
        QCOMPARE(st.error().code, Errc::BadVersion);
        QCOMPARE(p.resp.state(), LinkState::Closed);
    }

    void small_order_ephemeral_rejected() {
        Pair p;
        Bytes msg1;
        p.init.take_output(msg1, kT0);
        std::fill(msg1.begin() + 9, msg1.end(), 0);
        QVERIFY(!p.resp.receive(msg1, kT0).has_value());
        QCOMPARE(p.resp.state(), LinkState::Closed);

        Pair q;
        Bytes fake_msg2(kMsg2Len, 0);
        QVERIFY(!q.init.receive(fake_msg2, kT0).has_value());
        QCOMPARE(q.init.state(), LinkState::Closed);
    }

    void tampered_msg2() {
        Pair p;
        Bytes msg1, msg2;
        p.init.take_output(msg1, kT0);
        QVERIFY(p.resp.receive(msg1, kT0).has_value());
        p.resp.take_output(msg2, kT0);
        msg2[60] ^= 0x01;
        auto st = p.init.receive(msg2, kT0);
        QVERIFY(!st.has_value());
        QCOMPARE(st.error().code, Errc::BadSignature);
        QCOMPARE(p.init.state(), LinkState::Closed);
    }

    void tampered_record() {
        Pair p;
        QVERIFY(p.pump());
        Bytes rec = one_record(p, numbered(1, 1));
        rec[100] ^= 0x08;
        auto st = p.resp.receive(rec, kT0);
        QVERIFY(!st.has_value());
        QCOMPARE(st.error().code, Errc::BadSignature);
        QCOMPARE(p.resp.state(), LinkState::Closed);
        QVERIFY(!p.resp.pop_cell());
    }

    void replayed_record_rejected() {
        Pair p;
        QVERIFY(p.pump());
        Bytes rec = one_record(p, numbered(1, 1));
        QVERIFY(p.resp.receive(rec, kT0).has_value());
        auto st = p.resp.receive(rec, kT0);
        QVERIFY(!st.has_value());
        QCOMPARE(st.error().code, Errc::BadSignature);
    }

    void truncated_header_waits() {
        Pair p;
        QVERIFY(p.pump());
        Bytes rec = one_record(p, numbered(1, 1));
        QVERIFY(p.resp.receive(ByteView(rec).first(1), kT0).has_value());
        QCOMPARE(p.resp.state(), LinkState::Open);
        QVERIFY(!p.resp.pop_cell());
        QVERIFY(p.resp.receive(ByteView(rec).subspan(1, 300), kT0).has_value());
        QVERIFY(!p.resp.pop_cell());
        QVERIFY(p.resp.receive(ByteView(rec).subspan(301), kT0).has_value());
        QVERIFY(p.resp.pop_cell().has_value());
        // An empty read is harmless.
        QVERIFY(p.resp.receive({}, kT0).has_value());
    }

    void oversize_length_rejected() {
        const std::size_t max = 32 * kCellLen + 16;
        for (std::size_t len : {max + 1, max + kCellLen, std::size_t{0xffff}}) {
            Pair p;
            QVERIFY(p.pump());
            const std::uint8_t header[2] = {static_cast<std::uint8_t>(len >> 8),
                                            static_cast<std::uint8_t>(len)};
            // Refused from the header alone, before any body is buffered.
            auto st = p.resp.receive(header, kT0);
            QVERIFY(!st.has_value());
            QCOMPARE(st.error().code, Errc::TooLarge);
            QCOMPARE(p.resp.state(), LinkState::Closed);
        }
        // The largest legal record is only waited for.
        Pair p;
        QVERIFY(p.pump());
        const std::uint8_t header[2] = {static_cast<std::uint8_t>(max >> 8),
                                        static_cast<std::uint8_t>(max)};
        QVERIFY(p.resp.receive(header, kT0).has_value());
        QCOMPARE(p.resp.state(), LinkState::Open);
    }

    void record_without_whole_cells_rejected() {
        // Lengths that cannot hold 1..32 whole cells plus the tag.
        for (std::size_t len : {std::size_t{0}, std::size_t{1}, std::size_t{16}, std::size_t{17},
                                kCellLen, kCellLen + 15, kCellLen + 17, 2 * kCellLen + 15}) {
            Pair p;
            QVERIFY(p.pump());
            Bytes rec = one_record(p, numbered(1, 1));
            wire::put_u16(rec.data(), static_cast<std::uint16_t>(len));
            auto st = p.resp.receive(rec, kT0);
            QVERIFY2(!st.has_value(), std::to_string(len).c_str());
            QCOMPARE(st.error().code, Errc::Malformed);
            QCOMPARE(p.resp.state(), LinkState::Closed);
        }
        // A whole number of cells that is not what was sealed fails the tag.
        Pair p;
        QVERIFY(p.pump());
        Bytes rec = one_record(p, numbered(1, 1));
        rec.resize(2 + 2 * kCellLen + 16, 0);
        wire::put_u16(rec.data(), static_cast<std::uint16_t>(2 * kCellLen + 16));
        auto st = p.resp.receive(rec, kT0);
        QVERIFY(!st.has_value());
        QCOMPARE(st.error().code, Errc::BadSignature);
    }

    void unknown_cell_command_closes() {
        Pair p;
        QVERIFY(p.pump());
        p.init.send(numbered(1, 1));
        Cell bad = numbered(2, 2);
        bad.command = static_cast<CellCommand>(77);
        p.init.send(bad);
        Bytes out;
        p.init.take_output(out, kT0);
        auto st = p.resp.receive(out, kT0);
        QVERIFY(!st.has_value());
        QCOMPARE(st.error().code, Errc::Malformed);
        QVERIFY(QString::fromStdString(st.error().message).contains(QStringLiteral("77")));
        QCOMPARE(p.resp.state(), LinkState::Closed);
        QVERIFY(!p.resp.pop_cell());
    }

    void keepalive_after_interval_not_delivered() {
        Pair p;
        QVERIFY(p.pump());
        QVERIFY(!p.init.has_output());
        QCOMPARE(p.init.next_deadline(), kT0 + Duration::seconds(60));
        p.init.on_timer(kT0 + Duration::seconds(59));
        QVERIFY(!p.init.has_output());
        p.init.on_timer(kT0 + Duration::seconds(60));
        QVERIFY(p.init.has_output());
        QCOMPARE(p.init.queued_cells(), std::size_t{1});
        // A second timer before the write must not pile up keepalives.
        p.init.on_timer(kT0 + Duration::seconds(61));
        QCOMPARE(p.init.queued_cells(), std::size_t{1});
        Bytes out;
        const TimePoint t1 = kT0 + Duration::seconds(61);
        p.init.take_output(out, t1);
        QCOMPARE(out.size(), kRecordOverhead + kCellLen);
        QCOMPARE(p.init.next_deadline(), t1 + Duration::seconds(60));
        QVERIFY(p.resp.receive(out, t1).has_value());
        QVERIFY(!p.resp.pop_cell());
        QCOMPARE(p.resp.state(), LinkState::Open);
        // The keepalive counts as life for the receiver.
        p.resp.on_timer(kT0 + Duration::minutes(5));
        QCOMPARE(p.resp.state(), LinkState::Open);
        // Any write resets the keepalive clock.
        Pair q;
        QVERIFY(q.pump());
        q.init.send(numbered(1, 1));
        Bytes w;
        q.init.take_output(w, kT0 + Duration::seconds(50));
        q.init.on_timer(kT0 + Duration::seconds(60));
        QVERIFY(!q.init.has_output());
    }

    void idle_timeout_closes() {
        Pair p;
        QVERIFY(p.pump());
        QCOMPARE(p.resp.next_deadline(), kT0 + Duration::seconds(60));
        p.resp.on_timer(kT0 + Duration::minutes(5) - Duration::micros(1));
        QCOMPARE(p.resp.state(), LinkState::Open);
        p.resp.on_timer(kT0 + Duration::minutes(5));
        QCOMPARE(p.resp.state(), LinkState::Closed);
        QVERIFY(p.resp.close_reason().has_value());
        QCOMPARE(p.resp.close_reason()->code, Errc::Io);
        QCOMPARE(p.resp.close_reason()->message, std::string("link idle for 300 s"));
        QCOMPARE(p.resp.next_deadline(), TimePoint::never());
        auto st = p.resp.receive(Bytes{0}, kT0);
        QVERIFY(!st.has_value());
        QCOMPARE(st.error().code, Errc::Io);
    }

    void idle_deadline_reported() {
        LinkConfig config;
        config.keepalive_interval = Duration::minutes(10);
        config.idle_timeout = Duration::minutes(2);
        Pair p(1, config);
        QVERIFY(p.pump());
        QCOMPARE(p.init.next_deadline(), kT0 + Duration::minutes(2));
        // Partial bytes are not life: a trickling peer must not hold a link.
        Bytes rec = one_record(p, numbered(1, 1));
        QVERIFY(p.resp.receive(ByteView(rec).first(5), kT0 + Duration::minutes(1)).has_value());
        QCOMPARE(p.resp.next_deadline(), kT0 + Duration::minutes(2));
        QVERIFY(p.resp.receive(ByteView(rec).subspan(5), kT0 + Duration::minutes(1)).has_value());
        QCOMPARE(p.resp.next_deadline(), kT0 + Duration::minutes(3));
    }

    void handshake_timeout_closes() {
        Pair p;
        QCOMPARE(p.init.next_deadline(), kT0 + Duration::seconds(10));
        QCOMPARE(p.resp.next_deadline(), kT0 + Duration::seconds(10));
        p.init.on_timer(kT0 + Duration::seconds(9));
        QCOMPARE(p.init.state(), LinkState::Handshaking);
        p.init.on_timer(kT0 + Duration::seconds(10));
        QCOMPARE(p.init.state(), LinkState::Closed);
        QVERIFY(p.init.close_reason().has_value());
        QCOMPARE(p.init.close_reason()->code, Errc::Io);
        QVERIFY(!p.init.has_output());
        p.resp.on_timer(kT0 + Duration::seconds(11));
        QCOMPARE(p.resp.state(), LinkState::Closed);
    }

    void deterministic_output() {
        Bytes a = scenario_transcript(3);
        Bytes b = scenario_transcript(3);
        Bytes c = scenario_transcript(4);
        QVERIFY(!a.empty());
        QCOMPARE(a.size(), b.size());
        QVERIFY(a == b);
        QCOMPARE(c.size(), a.size());
        QVERIFY(a != c);
    }

    void session_is_movable() {
        Pair p;
        LinkSession moved = std::move(p.init);
        Bytes msg1;
        moved.take_output(msg1, kT0);
        QCOMPARE(msg1.size(), kMsg1Len);
    }
};

QTEST_APPLESS_MAIN(TestLink)
#include "tst_link.moc"
