// The wire codecs: round trips and every way a decoder can refuse input.
#include <QtTest>

#include "core/wire/cell.hpp"
#include "core/wire/reader.hpp"
#include "core/wire/relay_cell.hpp"

using namespace sotto;
using namespace sotto::wire;

namespace {

Bytes pattern(std::size_t n, std::uint8_t seed = 1) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 7);
    return b;
}

Extend2 sample_extend2() {
    Extend2 e;
    e.identity = crypto::Ed25519PublicKey::from(pattern(32, 9));
    e.host = "relay-3.example";
    e.port = 9001;
    e.create.handshake_type = kHandshakeNtor;
    e.create.handshake = pattern(84, 4);
    return e;
}

// Offset of the port field in an encoded EXTEND2 with the given host.
std::size_t extend2_port_offset(const Extend2& e) {
    return 32 + 2 + e.host.size();
}

}  // namespace

class TestWire : public QObject {
    Q_OBJECT
  private slots:
    // ---- Reader / Writer ---------------------------------------------------

    void integers_round_trip_big_endian() {
        Writer w;
        w.u8(0xab).u16(0x1234).u32(0xdeadbeef).u64(0x0102030405060708ull);
        QCOMPARE(w.size(), std::size_t{15});
        const Bytes expect = {0xab, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x01,
                              0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
        QCOMPARE(w.data(), expect);
        Reader r(w.data());
        QCOMPARE(*r.u8(), std::uint8_t{0xab});
        QCOMPARE(*r.u16(), std::uint16_t{0x1234});
        QCOMPARE(*r.u32(), std::uint32_t{0xdeadbeef});
        QCOMPARE(*r.u64(), std::uint64_t{0x0102030405060708ull});
        QVERIFY(r.empty());
        QVERIFY(r.expect_end("test").has_value());
    }

    void integer_extremes() {
        Writer w;
        w.u16(0xffff).u32(0xffffffff).u64(~0ull).u64(0);
        Reader r(w.data());
        QCOMPARE(*r.u16(), std::uint16_t{0xffff});
        QCOMPARE(*r.u32(), std::uint32_t{0xffffffff});
        QCOMPARE(*r.u64(), ~std::uint64_t{0});
        QCOMPARE(*r.u64(), std::uint64_t{0});
    }

    void integer_reads_truncated() {
        const Bytes data = pattern(8);
        for (std::size_t have = 0; have < 8; ++have) {
            ByteView v = ByteView(data).first(have);
            if (have < 1) QCOMPARE(Reader(v).u8().error().code, Errc::Truncated);
            if (have < 2) QCOMPARE(Reader(v).u16().error().code, Errc::Truncated);
            if (have < 4) QCOMPARE(Reader(v).u32().error().code, Errc::Truncated);
            QCOMPARE(Reader(v).u64().error().code, Errc::Truncated);
        }
        // A failed read consumes nothing.
        Reader r(ByteView(data).first(3));
        QVERIFY(!r.u32().has_value());
        QCOMPARE(r.position(), std::size_t{0});
        QCOMPARE(*r.u16(), get_u16(data.data()));
        QCOMPARE(r.remaining(), std::size_t{1});
    }

    void bytes_and_rest() {
        const Bytes data = pattern(10);
        Reader r(data);
        auto a = r.bytes(4);
        QVERIFY(a.has_value());
        QCOMPARE(Bytes(a->begin(), a->end()), Bytes(data.begin(), data.begin() + 4));
        QCOMPARE(r.bytes(7).error().code, Errc::Truncated);
        QCOMPARE(r.position(), std::size_t{4});
        QVERIFY(r.bytes(0).has_value());
        QVERIFY(!r.expect_end("x").has_value());
        QCOMPARE(r.expect_end("x").error().code, Errc::Malformed);
        auto rest = r.rest();
        QCOMPARE(rest.size(), std::size_t{6});
        QVERIFY(r.empty());
        QCOMPARE(r.rest().size(), std::size_t{0});
        QVERIFY(r.expect_end("x").has_value());
    }

    void fixed_reads() {
        const Bytes data = pattern(40);
        Reader r(data);
        auto k = r.fixed<crypto::Ed25519PublicKey>();
        QVERIFY(k.has_value());
        QCOMPARE(Bytes(k->bytes.begin(), k->bytes.end()), Bytes(data.begin(), data.begin() + 32));
        QCOMPARE(r.fixed<crypto::Ed25519PublicKey>().error().code, Errc::Truncated);
        Writer w;
        w.fixed(*k);
        QCOMPARE(w.data(), Bytes(data.begin(), data.begin() + 32));
    }

    void var16_and_string16() {
        Writer w;
        w.var16(pattern(5)).string16("hello").var16({});
        Reader r(w.data());
        auto v = r.var16();
        QVERIFY(v.has_value());
        QCOMPARE(Bytes(v->begin(), v->end()), pattern(5));
        QCOMPARE(*r.string16(), std::string("hello"));
        QCOMPARE(r.var16()->size(), std::size_t{0});
        QVERIFY(r.empty());
    }

    void var16_limits() {
        Writer w;
        w.var16(pattern(10));
        QCOMPARE(Reader(w.data()).var16(10)->size(), std::size_t{10});
        QCOMPARE(Reader(w.data()).var16(9).error().code, Errc::TooLarge);
        QCOMPARE(Reader(w.data()).string16(9).error().code, Errc::TooLarge);
        // A length field larger than the input is truncation, not a crash.
        const Bytes huge = {0xff, 0xff, 1, 2, 3};
        QCOMPARE(Reader(huge).var16().error().code, Errc::Truncated);
        QCOMPARE(Reader(huge).string16().error().code, Errc::Truncated);
        for (std::size_t have = 0; have < w.size(); ++have) {
            Reader r(ByteView(w.data()).first(have));
            QCOMPARE(r.var16().error().code, Errc::Truncated);
        }
    }

    void put_get_helpers() {
        std::uint8_t b[4] = {};
        put_u16(b, 0xbeef);
        QCOMPARE(b[0], std::uint8_t{0xbe});
        QCOMPARE(b[1], std::uint8_t{0xef});
        QCOMPARE(get_u16(b), std::uint16_t{0xbeef});
        put_u32(b, 0x89abcdef);
        QCOMPARE(b[0], std::uint8_t{0x89});
        QCOMPARE(b[3], std::uint8_t{0xef});
        QCOMPARE(get_u32(b), std::uint32_t{0x89abcdef});
    }

    // ---- Cells -------------------------------------------------------------

    void cell_round_trip() {
        Cell c = Cell::make(0x01020304, CellCommand::Create2, pattern(100));
        Bytes out = {0xaa};  // encode appends
        encode_cell(c, out);
        QCOMPARE(out.size(), kCellLen + 1);
        QCOMPARE(out[1], std::uint8_t{0x01});
        QCOMPARE(out[4], std::uint8_t{0x04});
        QCOMPARE(out[5], static_cast<std::uint8_t>(CellCommand::Create2));
        auto back = decode_cell(ByteView(out).subspan(1));
        QVERIFY(back.has_value());
        QCOMPARE(back->circ_id, c.circ_id);
        QCOMPARE(back->command, c.command);
        QVERIFY(back->payload == c.payload);
        // The rest of the payload is zero padded.
        QCOMPARE(back->payload[100], std::uint8_t{0});
        QCOMPARE(back->payload[kCellPayloadLen - 1], std::uint8_t{0});
    }

    void cell_make_truncates_long_body() {
        Cell c = Cell::make(1, CellCommand::Relay, pattern(kCellPayloadLen + 50));
        QCOMPARE(c.payload[kCellPayloadLen - 1], pattern(kCellPayloadLen)[kCellPayloadLen - 1]);
        Cell empty = Cell::make(0, CellCommand::Padding);
        QVERIFY(
            std::all_of(empty.payload.begin(), empty.payload.end(), [](auto b) { return b == 0; }));
    }

    void cell_wrong_size() {
        Bytes big = pattern(kCellLen + 1);
        big[4] = static_cast<std::uint8_t>(CellCommand::Relay);
        for (std::size_t n = 0; n <= kCellLen + 1; ++n) {
            if (n == kCellLen) continue;
            auto r = decode_cell(ByteView(big).first(n));
            QVERIFY(!r.has_value());
            QCOMPARE(r.error().code, Errc::Malformed);
        }
    }

    void cell_commands() {
        int known = 0;
        for (int cmd = 0; cmd < 256; ++cmd) {
            Bytes in(kCellLen, 0);
            in[4] = static_cast<std::uint8_t>(cmd);
            auto r = decode_cell(in);
            QCOMPARE(r.has_value(), is_known_cell_command(static_cast<std::uint8_t>(cmd)));
            if (r) {
                ++known;
                QCOMPARE(static_cast<int>(r->command), cmd);
            } else {
                QCOMPARE(r.error().code, Errc::Malformed);
            }
        }
        QCOMPARE(known, 6);
        for (auto c : {CellCommand::Padding, CellCommand::Relay, CellCommand::Destroy,
                       CellCommand::RelayEarly, CellCommand::Create2, CellCommand::Created2})
            QVERIFY(is_known_cell_command(static_cast<std::uint8_t>(c)));
    }

    void destroy_reasons_have_names() {
        for (int r = 0; r < 256; ++r) {
            const char* name = destroy_reason_name(static_cast<DestroyReason>(r));
            QVERIFY(name != nullptr);
            QVERIFY(std::string(name).size() > 0);
        }
        QCOMPARE(std::string(destroy_reason_name(DestroyReason::Timeout)), std::string("timeout"));
        QCOMPARE(std::string(destroy_reason_name(static_cast<DestroyReason>(200))),
                 std::string("unknown"));
    }

    // ---- CREATE2 / CREATED2 ------------------------------------------------

    void create2_round_trip() {
        Create2 c{kHandshakeNtor, pattern(84)};
        Bytes enc = encode_create2(c);
        QCOMPARE(enc.size(), std::size_t{4 + 84});
        // Inside a cell the body is followed by zero padding.
        Cell cell = Cell::make(7, CellCommand::Create2, enc);
        auto back = decode_create2(cell.payload);
        QVERIFY(back.has_value());
        QCOMPARE(back->handshake_type, kHandshakeNtor);
        QCOMPARE(back->handshake, c.handshake);
        auto empty = decode_create2(encode_create2(Create2{9, {}}));
        QVERIFY(empty.has_value());
        QCOMPARE(empty->handshake_type, std::uint16_t{9});
        QVERIFY(empty->handshake.empty());
        // The largest handshake that fits the payload.
        Create2 max{kHandshakeNtor, pattern(kCellPayloadLen - 4)};
        QVERIFY(decode_create2(encode_create2(max)).has_value());
    }

    void create2_malformed() {
        Bytes enc = encode_create2(Create2{kHandshakeNtor, pattern(84)});
        for (std::size_t n = 0; n < enc.size(); ++n) {
            auto r = decode_create2(ByteView(enc).first(n));
            QVERIFY(!r.has_value());
            QCOMPARE(r.error().code, Errc::Truncated);
        }
        Bytes over = {0x00, 0x02};
        over.push_back(static_cast<std::uint8_t>((kCellPayloadLen - 3) >> 8));
        over.push_back(static_cast<std::uint8_t>(kCellPayloadLen - 3));
        over.resize(over.size() + kCellPayloadLen, 0);
        QCOMPARE(decode_create2(over).error().code, Errc::TooLarge);
    }

    void created2_round_trip_and_malformed() {
        Created2 c{pattern(64)};
        Bytes enc = encode_created2(c);
        Cell cell = Cell::make(7, CellCommand::Created2, enc);
        auto back = decode_created2(cell.payload);
        QVERIFY(back.has_value());
        QCOMPARE(back->handshake, c.handshake);
        auto ext = decode_extended2(encode_extended2(c));
        QVERIFY(ext.has_value());
        QCOMPARE(ext->handshake, c.handshake);
        for (std::size_t n = 0; n < enc.size(); ++n)
            QCOMPARE(decode_created2(ByteView(enc).first(n)).error().code, Errc::Truncated);
        Bytes over = {static_cast<std::uint8_t>((kCellPayloadLen - 1) >> 8),
                      static_cast<std::uint8_t>(kCellPayloadLen - 1)};
        over.resize(over.size() + kCellPayloadLen, 0);
        QCOMPARE(decode_created2(over).error().code, Errc::TooLarge);
        // The largest handshake that fits the payload.
        QVERIFY(
            decode_created2(encode_created2(Created2{pattern(kCellPayloadLen - 2)})).has_value());
    }

    // ---- Relay cells -------------------------------------------------------

    void relay_cell_round_trip() {
        for (std::size_t len : {std::size_t{0}, std::size_t{1}, std::size_t{100}, kRelayDataMax}) {
            RelayCell rc{RelayCommand::Data, 0x4242, pattern(len, 3)};
            std::array<std::uint8_t, kCellPayloadLen> payload;
            payload.fill(0xee);
            QVERIFY(encode_relay_cell(rc, payload).has_value());
            QCOMPARE(payload[0], static_cast<std::uint8_t>(RelayCommand::Data));
            // recognized and digest are left zero for the sender's crypto.
            QCOMPARE(get_u16(payload.data() + kRelayRecognizedOffset), std::uint16_t{0});
            QCOMPARE(get_u32(payload.data() + kRelayDigestOffset), std::uint32_t{0});
            // Padding after the data is zero, not left over.
            if (len < kRelayDataMax) QCOMPARE(payload[kRelayHeaderLen + len], std::uint8_t{0});
            auto back = decode_relay_cell(payload);
            QVERIFY(back.has_value());
            QCOMPARE(back->command, rc.command);
            QCOMPARE(back->stream_id, rc.stream_id);
            QCOMPARE(back->data, rc.data);
        }
    }

    void relay_cell_malformed() {
        std::array<std::uint8_t, kCellPayloadLen> payload{};
        RelayCell too_big{RelayCommand::Data, 1, pattern(kRelayDataMax + 1)};
        QCOMPARE(encode_relay_cell(too_big, payload).error().code, Errc::TooLarge);

        QVERIFY(encode_relay_cell(RelayCell{RelayCommand::Data, 1, pattern(10)}, payload));
        for (std::size_t n :
             {std::size_t{0}, std::size_t{11}, kCellPayloadLen - 1, kCellPayloadLen + 1}) {
            Bytes wrong(n, 0);
            if (n > 0) wrong[0] = static_cast<std::uint8_t>(RelayCommand::Data);
            QCOMPARE(decode_relay_cell(wrong).error().code, Errc::Malformed);
        }
        auto bad_len = payload;
        put_u16(bad_len.data() + 9, static_cast<std::uint16_t>(kRelayDataMax + 1));
        QCOMPARE(decode_relay_cell(bad_len).error().code, Errc::TooLarge);
        put_u16(bad_len.data() + 9, 0xffff);
        QCOMPARE(decode_relay_cell(bad_len).error().code, Errc::TooLarge);
        put_u16(bad_len.data() + 9, static_cast<std::uint16_t>(kRelayDataMax));
        QVERIFY(decode_relay_cell(bad_len).has_value());
    }

    void relay_commands() {
        std::array<std::uint8_t, kCellPayloadLen> payload{};
        int known = 0;
        for (int cmd = 0; cmd < 256; ++cmd) {
            payload[0] = static_cast<std::uint8_t>(cmd);
            auto r = decode_relay_cell(payload);
            QCOMPARE(r.has_value(), is_known_relay_command(static_cast<std::uint8_t>(cmd)));
            if (r)
                ++known;
            else
                QCOMPARE(r.error().code, Errc::Malformed);
        }
        // 11 engine commands plus the 9 of the private-service protocol
        // (32..40); the reserved 41..63 are refused until they are defined.
        QCOMPARE(known, 11 + 9);
        QVERIFY(is_known_relay_command(32));
        QVERIFY(is_known_relay_command(40));
        QVERIFY(!is_known_relay_command(41));
        QVERIFY(!is_known_relay_command(63));
        QVERIFY(!is_known_relay_command(31));
        QVERIFY(!is_known_relay_command(64));
        QVERIFY(!is_known_relay_command(0));
    }

    // ---- BEGIN -------------------------------------------------------------

    void begin_round_trip() {
        for (const std::string& host :
             {std::string("example.org"), std::string("10.0.0.1"), std::string("[::1]"),
              std::string("a"), std::string(255, 'h')}) {
            Begin b{host, 443};
            auto back = decode_begin(encode_begin(b));
            QVERIFY2(back.has_value(), host.c_str());
            QCOMPARE(back->host, b.host);
            QCOMPARE(back->port, b.port);
        }
        auto max_port = decode_begin(encode_begin(Begin{"h", 65535}));
        QVERIFY(max_port.has_value());
        QCOMPARE(max_port->port, std::uint16_t{65535});
    }

    void begin_truncated_everywhere() {
        Bytes enc = encode_begin(Begin{"example.org", 80});
        for (std::size_t n = 0; n < enc.size(); ++n) {
            auto r = decode_begin(ByteView(enc).first(n));
            QVERIFY(!r.has_value());
            QCOMPARE(r.error().code, Errc::Truncated);
        }
    }

    void begin_malformed() {
        // Trailing bytes.
        Bytes enc = encode_begin(Begin{"example.org", 80});
        enc.push_back(0);
        QCOMPARE(decode_begin(enc).error().code, Errc::Malformed);
        // Port 0.
        QCOMPARE(decode_begin(encode_begin(Begin{"example.org", 0})).error().code, Errc::Malformed);
        // Empty host.
        QCOMPARE(decode_begin(encode_begin(Begin{"", 80})).error().code, Errc::Malformed);
        // Oversize host: the length field itself exceeds 255.
        QCOMPARE(decode_begin(encode_begin(Begin{std::string(256, 'h'), 80})).error().code,
                 Errc::TooLarge);
        // Bad characters: space, control, DEL, non-ASCII, NUL.
        for (const std::string& host :
             {std::string("exa mple.org"), std::string("a\nb"), std::string("a\x7f"),
              std::string("caf\xc3\xa9"), std::string("a\0b", 3), std::string("\t")}) {
            auto r = decode_begin(encode_begin(Begin{host, 80}));
            QVERIFY(!r.has_value());
            QCOMPARE(r.error().code, Errc::Malformed);
        }
        // The printable extremes are allowed.
        QVERIFY(decode_begin(encode_begin(Begin{"!~", 80})).has_value());
    }

    // ---- EXTEND2 -----------------------------------------------------------

    void extend2_round_trip() {
        Extend2 e = sample_extend2();
        auto back = decode_extend2(encode_extend2(e));
        QVERIFY(back.has_value());
        QCOMPARE(back->identity, e.identity);
        QCOMPARE(back->host, e.host);
        QCOMPARE(back->port, e.port);
        QCOMPARE(back->create.handshake_type, e.create.handshake_type);
        QCOMPARE(back->create.handshake, e.create.handshake);
        // Fits in one relay cell.
        QVERIFY(encode_extend2(e).size() <= kRelayDataMax);
        e.create.handshake.clear();
        QVERIFY(decode_extend2(encode_extend2(e)).has_value());
    }

    void extend2_truncated_everywhere() {
        Bytes enc = encode_extend2(sample_extend2());
        for (std::size_t n = 0; n < enc.size(); ++n) {
            auto r = decode_extend2(ByteView(enc).first(n));
            QVERIFY(!r.has_value());
            QCOMPARE(r.error().code, Errc::Truncated);
        }
    }

    void extend2_malformed() {
        Extend2 e = sample_extend2();
        Bytes trailing = encode_extend2(e);
        trailing.push_back(1);
        QCOMPARE(decode_extend2(trailing).error().code, Errc::Malformed);

        Extend2 port0 = e;
        port0.port = 0;
        QCOMPARE(decode_extend2(encode_extend2(port0)).error().code, Errc::Malformed);

        for (const std::string& host :
             {std::string(""), std::string("a b"), std::string("\x01"), std::string("\xff")}) {
            Extend2 bad = e;
            bad.host = host;
            QCOMPARE(decode_extend2(encode_extend2(bad)).error().code, Errc::Malformed);
        }
        Extend2 long_host = e;
        long_host.host = std::string(256, 'h');
        QCOMPARE(decode_extend2(encode_extend2(long_host)).error().code, Errc::TooLarge);

        // Handshake length field beyond what a relay cell can carry.
        Bytes over = encode_extend2(e);
        const std::size_t hs_len_at = extend2_port_offset(e) + 2 + 2;
        put_u16(over.data() + hs_len_at, static_cast<std::uint16_t>(kRelayDataMax + 1));
        over.resize(hs_len_at + 2 + kRelayDataMax + 1, 0);
        QCOMPARE(decode_extend2(over).error().code, Errc::TooLarge);
        // Handshake length field beyond the input.
        Bytes short_hs = encode_extend2(e);
        put_u16(short_hs.data() + hs_len_at, 200);
        QCOMPARE(decode_extend2(short_hs).error().code, Errc::Truncated);
        // Host length field beyond the input.
        Bytes short_host = encode_extend2(e);
        put_u16(short_host.data() + 32, 250);
        QCOMPARE(decode_extend2(short_host).error().code, Errc::Truncated);
    }
};

QTEST_APPLESS_MAIN(TestWire)
#include "tst_wire.moc"
