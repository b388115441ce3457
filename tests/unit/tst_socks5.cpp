// The SOCKS5 client codec (core/tor/socks5): the exact bytes of each step
// with and without stream-isolation credentials, replies recorded from a
// real tor 0.4.9.11 SocksPort with ExtendedErrors, every reply code
// (RFC 1928's and tor's F0..F7) to its SocksError, every handshake
// violation, feeding split at every byte, and that stream bytes after the
// reply are left to the stream.
#include <QtTest>

#include <set>
#include <string>

#include "core/tor/socks5.hpp"

using namespace sotto;
using namespace sotto::tor;

namespace {

const std::string kHost = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";

Bytes b(std::initializer_list<int> v) {
    Bytes out;
    for (int x : v) out.push_back(std::uint8_t(x));
    return out;
}

Bytes cat(Bytes a, const Bytes& c) {
    a.insert(a.end(), c.begin(), c.end());
    return a;
}

Bytes connect_bytes(const std::string& host, std::uint16_t port) {
    Bytes out = b({5, 1, 0, 3, int(host.size())});
    out.insert(out.end(), host.begin(), host.end());
    out.push_back(std::uint8_t(port >> 8));
    out.push_back(std::uint8_t(port));
    return out;
}

// A reply as tor writes it: ATYP 4 (IPv6), zero address and port.
Bytes tor_reply(int code) {
    Bytes r = b({5, code, 0, 4});
    r.resize(22, 0);
    return r;
}

Socks5Client client(std::optional<SocksCredentials> iso = std::nullopt, std::string host = kHost,
                    std::uint16_t port = 80) {
    auto c = Socks5Client::start({std::move(host), port, std::move(iso)});
    if (!c) qFatal("start: %s", c.error().message.c_str());
    return std::move(*c);
}

SocksCredentials contact1() {
    return {"contact-1", "contact-1"};
}

// Runs a whole exchange: `server` is everything the server sends, fed in
// pieces of `step`; returns the client's output, concatenated.
struct Run {
    Bytes written;
    std::size_t consumed = 0;
    bool ok = true;
};
Run run(Socks5Client& c, const Bytes& server, std::size_t step) {
    Run r;
    r.written = c.take_output();
    for (std::size_t i = 0; i < server.size() && r.ok; i += step) {
        std::size_t n = std::min(step, server.size() - i);
        auto used = c.feed(ByteView(server).subspan(i, n));
        auto out = c.take_output();
        r.written.insert(r.written.end(), out.begin(), out.end());
        if (!used) {
            r.ok = false;
            break;
        }
        r.consumed += *used;
    }
    return r;
}

}  // namespace

class TestSocks5 : public QObject {
    Q_OBJECT

  private slots:
    void noAuthExactBytes() {
        auto c = client();
        QCOMPARE(c.take_output(), b({5, 1, 0}));
        QVERIFY(c.take_output().empty());
        QCOMPARE(c.state(), Socks5Client::State::AwaitMethod);
        QCOMPARE(*c.feed(b({5, 0})), std::size_t{2});
        QCOMPARE(c.take_output(), connect_bytes(kHost, 80));
        QCOMPARE(c.state(), Socks5Client::State::AwaitReply);
        // Success with an IPv4 BND, then the service's first stream bytes.
        Bytes reply = b({5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90});
        QCOMPARE(*c.feed(cat(reply, b({'h', 'i'}))), reply.size());
        QVERIFY(c.connected());
        QVERIFY(!c.error());
        // Once connected, nothing more is the handshake's.
        QCOMPARE(*c.feed(b({'!'})), std::size_t{0});
        QVERIFY(c.take_output().empty());
    }

    void isolationExactBytes() {
        auto c = client(contact1(), kHost, 443);
        // Only username/password is offered, so isolation cannot be dropped.
        QCOMPARE(c.take_output(), b({5, 1, 2}));
        QCOMPARE(*c.feed(b({5, 2})), std::size_t{2});
        Bytes auth = b({1, 9});
        for (char ch : std::string("contact-1")) auth.push_back(std::uint8_t(ch));
        auth.push_back(9);
        for (char ch : std::string("contact-1")) auth.push_back(std::uint8_t(ch));
        QCOMPARE(c.take_output(), auth);
        QCOMPARE(c.state(), Socks5Client::State::AwaitAuth);
        QCOMPARE(*c.feed(b({1, 0})), std::size_t{2});
        QCOMPARE(c.take_output(), connect_bytes(kHost, 443));
        QCOMPARE(*c.feed(tor_reply(0)), std::size_t{22});
        QVERIFY(c.connected());
    }

    void recordedBadAddress() {
        // tor 0.4.9.11, SocksPort ExtendedErrors, CONNECT to "notanonion.onion":
        // the method reply, then F6 with an IPv6 BND of zeros, 24 bytes in all.
        const Bytes recorded = b({0x05, 0x00, 0x05, 0xf6, 0x00, 0x04, 0, 0, 0, 0, 0, 0,
                                  0,    0,    0,    0,    0,    0,    0, 0, 0, 0, 0, 0});
        for (std::size_t step : {std::size_t{1}, std::size_t{2}, std::size_t{24}}) {
            auto c = client(std::nullopt, "notanonion.onion");
            auto r = run(c, recorded, step);
            QVERIFY(!r.ok);
            QCOMPARE(c.state(), Socks5Client::State::Failed);
            QCOMPARE(*c.error(), SocksError::OnionBadAddress);
            QVERIFY(is_onion_service_error(*c.error()));
            QCOMPARE(cat(b({5, 1, 0}), connect_bytes("notanonion.onion", 80)), r.written);
        }
        // The same with isolation credentials ("aaaa.onion"): 01 00 between.
        const Bytes with_auth = b({0x05, 0x02, 0x01, 0x00, 0x05, 0xf6, 0x00, 0x04, 0, 0, 0, 0, 0,
                                   0,    0,    0,    0,    0,    0,    0,    0,    0, 0, 0, 0, 0});
        auto c = client(SocksCredentials{"contact-1", "contact-1"}, "aaaa.onion");
        auto r = run(c, with_auth, 1);
        QVERIFY(!r.ok);
        QCOMPARE(*c.error(), SocksError::OnionBadAddress);
    }

    void everyReplyCode_data() {
        QTest::addColumn<int>("code");
        QTest::addColumn<int>("error");
        QTest::addColumn<bool>("onion");
        const std::pair<int, SocksError> codes[] = {
            {0x01, SocksError::GeneralFailure},
            {0x02, SocksError::NotAllowed},
            {0x03, SocksError::NetworkUnreachable},
            {0x04, SocksError::HostUnreachable},
            {0x05, SocksError::ConnectionRefused},
            {0x06, SocksError::TtlExpired},
            {0x07, SocksError::CommandNotSupported},
            {0x08, SocksError::AddressTypeNotSupported},
            {0xF0, SocksError::OnionDescriptorNotFound},
            {0xF1, SocksError::OnionDescriptorInvalid},
            {0xF2, SocksError::OnionIntroFailed},
            {0xF3, SocksError::OnionRendezvousFailed},
            {0xF4, SocksError::OnionClientAuthMissing},
            {0xF5, SocksError::OnionClientAuthWrong},
            {0xF6, SocksError::OnionBadAddress},
            {0xF7, SocksError::OnionIntroTimedOut},
            {0x09, SocksError::UnknownReplyCode},
            {0x7F, SocksError::UnknownReplyCode},
            {0xEF, SocksError::UnknownReplyCode},
            {0xF8, SocksError::UnknownReplyCode},
            {0xFF, SocksError::UnknownReplyCode},
        };
        for (auto [code, e] : codes)
            QTest::newRow(qPrintable(QString("0x%1").arg(code, 2, 16, QChar('0'))))
                << code << int(e) << (code >= 0xF0 && code <= 0xF7);
    }

    void everyReplyCode() {
        QFETCH(int, code);
        QFETCH(int, error);
        QFETCH(bool, onion);
        auto c = client();
        c.take_output();
        QVERIFY(c.feed(b({5, 0})).has_value());
        c.take_output();
        auto r = c.feed(tor_reply(code));
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, Errc::Io);
        QCOMPARE(int(*c.error()), error);
        QCOMPARE(c.reply_code(), std::uint8_t(code));
        QCOMPARE(is_onion_service_error(*c.error()), onion);
        QVERIFY(r.error().message.find(socks_error_name(*c.error())) != std::string::npos);
        // Failed stays failed.
        QVERIFY(!c.feed(b({0})).has_value());
        QCOMPARE(c.state(), Socks5Client::State::Failed);
    }

    void namesAreDistinct() {
        std::set<std::string> names;
        const SocksError all[] = {SocksError::GeneralFailure,
                                  SocksError::NotAllowed,
                                  SocksError::NetworkUnreachable,
                                  SocksError::HostUnreachable,
                                  SocksError::ConnectionRefused,
                                  SocksError::TtlExpired,
                                  SocksError::CommandNotSupported,
                                  SocksError::AddressTypeNotSupported,
                                  SocksError::OnionDescriptorNotFound,
                                  SocksError::OnionDescriptorInvalid,
                                  SocksError::OnionIntroFailed,
                                  SocksError::OnionRendezvousFailed,
                                  SocksError::OnionClientAuthMissing,
                                  SocksError::OnionClientAuthWrong,
                                  SocksError::OnionBadAddress,
                                  SocksError::OnionIntroTimedOut,
                                  SocksError::UnknownReplyCode,
                                  SocksError::NoAcceptableMethod,
                                  SocksError::AuthRejected,
                                  SocksError::ProtocolViolation};
        int onion = 0;
        for (auto e : all) {
            names.insert(socks_error_name(e));
            onion += is_onion_service_error(e);
        }
        QCOMPARE(names.size(), std::size_t{20});
        QCOMPARE(onion, 8);
        QCOMPARE(std::string(socks_error_name(SocksError::OnionClientAuthMissing)),
                 std::string("onion service client authorization missing"));
    }

    void handshakeViolations_data() {
        QTest::addColumn<bool>("isolate");
        QTest::addColumn<QByteArray>("server");
        QTest::addColumn<int>("error");
        auto row = [](const char* name, bool iso, const Bytes& s, SocksError e) {
            QTest::newRow(name) << iso
                                << QByteArray(reinterpret_cast<const char*>(s.data()),
                                              qsizetype(s.size()))
                                << int(e);
        };
        row("no acceptable method", false, b({5, 0xFF}), SocksError::NoAcceptableMethod);
        row("SOCKS4 server", false, b({4, 0}), SocksError::ProtocolViolation);
        row("method we did not offer", false, b({5, 2}), SocksError::ProtocolViolation);
        // A server that picks no-auth when asked for isolation would merge
        // circuits across contacts: refused.
        row("isolation dropped", true, b({5, 0}), SocksError::ProtocolViolation);
        row("GSSAPI", true, b({5, 1}), SocksError::ProtocolViolation);
        row("auth refused", true, b({5, 2, 1, 1}), SocksError::AuthRejected);
        row("auth version", true, b({5, 2, 5, 0}), SocksError::ProtocolViolation);
        row("reply version", false, cat(b({5, 0}), b({4, 0, 0, 1})), SocksError::ProtocolViolation);
        row("reply RSV", false, cat(b({5, 0}), b({5, 0, 1, 1})), SocksError::ProtocolViolation);
        row("reply ATYP 2", false, cat(b({5, 0}), b({5, 0, 0, 2})), SocksError::ProtocolViolation);
        row("reply ATYP 0", false, cat(b({5, 0}), b({5, 0, 0, 0})), SocksError::ProtocolViolation);
        row("empty domain BND", false, cat(b({5, 0}), b({5, 0, 0, 3, 0})),
            SocksError::ProtocolViolation);
    }

    void handshakeViolations() {
        QFETCH(bool, isolate);
        QFETCH(QByteArray, server);
        QFETCH(int, error);
        Bytes s(server.begin(), server.end());
        for (std::size_t step : {std::size_t{1}, s.size()}) {
            auto c = isolate ? client(contact1()) : client();
            auto r = run(c, s, step);
            QVERIFY(!r.ok);
            QCOMPARE(int(*c.error()), error);
            QCOMPARE(c.state(), Socks5Client::State::Failed);
        }
    }

    void violationReportedAtOnce() {
        // The bad version byte fails at once, not after 22 bytes that may
        // never come.
        auto c = client();
        c.take_output();
        QVERIFY(c.feed(b({5, 0})).has_value());
        QVERIFY(!c.feed(b({6})).has_value());
    }

    void everySplit() {
        const Bytes server = cat(cat(b({5, 2, 1, 0}), tor_reply(0)), b({'d', 'a', 't', 'a'}));
        auto whole = client(contact1());
        auto expected = run(whole, server, server.size());
        QVERIFY(expected.ok);
        QCOMPARE(expected.consumed, server.size() - 4);
        for (std::size_t cut = 1; cut < server.size(); ++cut) {
            auto c = client(contact1());
            Bytes written = c.take_output();
            std::size_t consumed = 0;
            for (auto piece : {ByteView(server).first(cut), ByteView(server).subspan(cut)}) {
                auto used = c.feed(piece);
                QVERIFY(used.has_value());
                consumed += *used;
                auto out = c.take_output();
                written.insert(written.end(), out.begin(), out.end());
            }
            QVERIFY(c.connected());
            QCOMPARE(consumed, expected.consumed);
            QCOMPARE(written, expected.written);
        }
    }

    void bindAddressForms() {
        // Every ATYP a reply may carry, the longest (a 255-byte name) included.
        Bytes name = b({5, 0, 0, 3, 255});
        name.resize(5 + 255 + 2, 'x');
        Bytes v6 = tor_reply(0);
        Bytes v4 = b({5, 0, 0, 1, 1, 2, 3, 4, 0, 80});
        for (const Bytes& reply : {name, v6, v4}) {
            auto c = client();
            c.take_output();
            QVERIFY(c.feed(b({5, 0})).has_value());
            // One byte short is not yet a reply...
            QCOMPARE(*c.feed(ByteView(reply).first(reply.size() - 1)), reply.size() - 1);
            QCOMPARE(c.state(), Socks5Client::State::AwaitReply);
            // ...the last byte is, and what follows is the stream's.
            QCOMPARE(*c.feed(cat(b({reply.back()}), b({1, 2, 3}))), std::size_t{1});
            QVERIFY(c.connected());
        }
    }

    void startRefusals() {
        auto refused = [](SocksRequest r) {
            return !Socks5Client::start(std::move(r)).has_value();
        };
        QVERIFY(refused({"", 80, std::nullopt}));
        QVERIFY(refused({std::string(256, 'a'), 80, std::nullopt}));
        QVERIFY(!refused({std::string(255, 'a'), 80, std::nullopt}));
        QVERIFY(refused({"a b.onion", 80, std::nullopt}));
        QVERIFY(refused({"a\r\n.onion", 80, std::nullopt}));
        QVERIFY(refused({std::string("a\0b.onion", 9), 80, std::nullopt}));
        QVERIFY(refused({"jos\xc3\xa9.onion", 80, std::nullopt}));
        QVERIFY(refused({kHost, 0, std::nullopt}));
        QVERIFY(refused({kHost, 80, SocksCredentials{"", "p"}}));
        QVERIFY(refused({kHost, 80, SocksCredentials{"u", ""}}));
        QVERIFY(refused({kHost, 80, SocksCredentials{std::string(256, 'u'), "p"}}));
        QVERIFY(
            !refused({kHost, 80, SocksCredentials{std::string(255, 'u'), std::string(255, 'p')}}));
        QVERIFY(!refused({kHost, 65535, std::nullopt}));
    }

    void outputWaitsForTheServer() {
        // Nothing is written ahead of the server's answer (no pipelining):
        // after the greeting, the auth request comes only with the method.
        auto c = client(contact1());
        QCOMPARE(c.take_output().size(), std::size_t{3});
        QVERIFY(c.feed(b({5})).has_value());
        QVERIFY(c.take_output().empty());
        QVERIFY(c.feed(b({2})).has_value());
        QVERIFY(!c.take_output().empty());
        QVERIFY(c.feed(b({1})).has_value());
        QVERIFY(c.take_output().empty());
    }
};

QTEST_APPLESS_MAIN(TestSocks5)
#include "tst_socks5.moc"
