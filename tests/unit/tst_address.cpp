// The address policy's view of hosts (core/dir/address.hpp): which literals
// and names are non-public, in every spelling a resolver accepts, and the
// key relays are counted under per address.
#include <QtTest>

#include "core/dir/address.hpp"

using namespace sotto;
using namespace sotto::dir;

class TestAddress : public QObject {
    Q_OBJECT
  private slots:
    void ipv4_literals_in_inet_aton_forms() {
        QCOMPARE(parse_ipv4_literal("127.0.0.1"), std::optional<std::uint32_t>(0x7f000001));
        QCOMPARE(parse_ipv4_literal("127.1"), std::optional<std::uint32_t>(0x7f000001));
        QCOMPARE(parse_ipv4_literal("127.0.1"), std::optional<std::uint32_t>(0x7f000001));
        QCOMPARE(parse_ipv4_literal("2130706433"), std::optional<std::uint32_t>(0x7f000001));
        QCOMPARE(parse_ipv4_literal("0x7f.0.0.1"), std::optional<std::uint32_t>(0x7f000001));
        QCOMPARE(parse_ipv4_literal("0177.0.0.1"), std::optional<std::uint32_t>(0x7f000001));
        QCOMPARE(parse_ipv4_literal("0X7F000001"), std::optional<std::uint32_t>(0x7f000001));
        QCOMPARE(parse_ipv4_literal("10.0.0.255"), std::optional<std::uint32_t>(0x0a0000ff));
        for (const char* bad :
             {"", ".", "1.", ".1", "1..2", "1.2.3.4.5", "256.0.0.1", "1.2.3.256", "1.2.65536",
              "4294967296", "09.0.0.1", "1.2.3.x", "relay.example", "-1.0.0.0", "1.2.3.4 "})
            QVERIFY2(!parse_ipv4_literal(bad).has_value(), bad);
    }

    void ipv6_literals() {
        auto v = parse_ipv6_literal("::1");
        QVERIFY(v.has_value());
        QCOMPARE((*v)[15], std::uint8_t{1});
        for (const char* good :
             {"::", "::1", "[::1]", "fe80::1%eth0", "[fe80::1%25eth0]", "2001:db8::8:800:200c:417a",
              "1:2:3:4:5:6:7:8", "1::", "1:2:3:4:5:6:7::", "::ffff:10.0.0.1", "64:ff9b::1.2.3.4",
              "FD00::AbC"})
            QVERIFY2(parse_ipv6_literal(good).has_value(), good);
        for (const char* bad : {"", ":", ":::", "1:::2", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9",
                                "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8::", ":1::", "1:", "g::1",
                                "::1.2.3", "::1.2.3.256", "::01.2.3.4.5", "127.0.0.1"})
            QVERIFY2(!parse_ipv6_literal(bad).has_value(), bad);
        auto mapped = parse_ipv6_literal("::ffff:127.0.0.1");
        QVERIFY(mapped.has_value());
        QCOMPARE((*mapped)[10], std::uint8_t{0xff});
        QCOMPARE((*mapped)[12], std::uint8_t{127});
        QCOMPARE((*mapped)[15], std::uint8_t{1});
    }

    void non_public_hosts() {
        for (const char* h : {"127.0.0.1",
                              "127.255.255.254",
                              "127.1",
                              "2130706433",
                              "0x7f000001",
                              "0.0.0.0",
                              "0",
                              "10.0.0.1",
                              "10.255.1.2",
                              "172.16.0.1",
                              "172.31.255.255",
                              "192.168.0.1",
                              "169.254.169.254",
                              "100.64.0.1",
                              "100.127.255.255",
                              "224.0.0.1",
                              "255.255.255.255",
                              "::",
                              "::1",
                              "[::1]",
                              "fe80::1",
                              "fe80::1%eth0",
                              "febf::1",
                              "fec0::1",
                              "fc00::1",
                              "fd12:3456::1",
                              "ff02::1",
                              "::ffff:127.0.0.1",
                              "[::ffff:10.1.2.3]",
                              "::10.1.2.3",
                              "::ffff:0:0",
                              "localhost",
                              "LOCALHOST",
                              "localhost.",
                              "db.localhost",
                              "1:::2",
                              "[bogus]"})
            QVERIFY2(is_non_public_host(h), h);
        for (const char* h :
             {"1.1.1.1",         "8.8.8.8",           "9.255.255.255",     "11.0.0.0",
              "100.63.255.255",  "100.128.0.0",       "172.15.255.255",    "172.32.0.0",
              "192.167.255.255", "192.169.0.0",       "169.253.0.1",       "198.51.100.7",
              "223.255.255.255", "2001:db8::1",       "2606:4700::1111",   "fe7f::1",
              "::ffff:1.1.1.1",  "relay.example.org", "localhost.example", "mylocalhost"})
            QVERIFY2(!is_non_public_host(h), h);
    }

    void address_keys() {
        QCOMPARE(QString::fromStdString(address_key("127.1")), QStringLiteral("127.0.0.1"));
        QCOMPARE(QString::fromStdString(address_key("0x0a000001")), QStringLiteral("10.0.0.1"));
        QCOMPARE(QString::fromStdString(address_key("::ffff:1.2.3.4")), QStringLiteral("1.2.3.4"));
        // One /64 is one address.
        QCOMPARE(address_key("2001:db8:1:2::1"), address_key("[2001:DB8:1:2:ffff::9]"));
        QVERIFY(address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1"));
        QCOMPARE(QString::fromStdString(address_key("Relay.Example.")),
                 QStringLiteral("relay.example"));
        QVERIFY(address_key("1.2.3.4") != address_key("1.2.3.5"));
    }
};

QTEST_APPLESS_MAIN(TestAddress)
#include "tst_address.moc"
