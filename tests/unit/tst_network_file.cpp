// The network file parser: accepted syntax, round trips, and an error that
// names the line for every kind of mistake.
#include <QtTest>

#include "core/dir/network_file.hpp"

using namespace sotto;
using namespace sotto::dir;

namespace {

const std::string kIdA(64, 'a');
const std::string kIdB = std::string(63, 'b') + "c";
const std::string kIdC = std::string(64, '0');

std::string good_file() {
    return "# test network\n"
           "network testnet\n"
           "\n"
           "authority alpha " +
           kIdA + " 127.0.0.1 7001   # first\n" + "  authority\tbeta " + kIdB +
           " auth-b.example 7002\r\n" + "authority gamma " + kIdC + " ::1 65535\n";
}

}  // namespace

class TestNetworkFile : public QObject {
    Q_OBJECT
  private slots:
    void parses_valid_file() {
        auto nf = parse_network_file(good_file());
        QVERIFY2(nf.has_value(), nf ? "" : nf.error().message.c_str());
        QCOMPARE(QString::fromStdString(nf->name), QStringLiteral("testnet"));
        QCOMPARE(nf->authorities.size(), std::size_t{3});
        QCOMPARE(QString::fromStdString(nf->authorities[0].nickname), QStringLiteral("alpha"));
        QCOMPARE(QString::fromStdString(nf->authorities[0].identity.hex()),
                 QString::fromStdString(kIdA));
        QCOMPARE(QString::fromStdString(nf->authorities[1].host), QStringLiteral("auth-b.example"));
        QCOMPARE(nf->authorities[1].port, std::uint16_t{7002});
        QCOMPARE(nf->authorities[2].port, std::uint16_t{65535});
        QCOMPARE(nf->majority(), std::size_t{2});
    }

    void upper_case_hex_is_accepted() {
        std::string id(64, 'A');
        auto nf = parse_network_file("network n\nauthority a " + id + " h 1\n");
        QVERIFY(nf.has_value());
        QCOMPARE(QString::fromStdString(nf->authorities[0].identity.hex()),
                 QString::fromStdString(std::string(64, 'a')));
    }

    void no_trailing_newline() {
        auto nf = parse_network_file("network n\nauthority a " + kIdA + " h 1");
        QVERIFY(nf.has_value());
        QCOMPARE(nf->authorities.size(), std::size_t{1});
    }

    void find_and_majority() {
        auto nf = parse_network_file(good_file());
        QVERIFY(nf.has_value());
        QVERIFY(nf->find(nf->authorities[1].identity) == &nf->authorities[1]);
        crypto::Ed25519PublicKey unknown;
        unknown.bytes.fill(0x77);
        QVERIFY(nf->find(unknown) == nullptr);
        NetworkFile one{"x", {nf->authorities[0]}};
        QCOMPARE(one.majority(), std::size_t{1});
        NetworkFile four{
            "x", {nf->authorities[0], nf->authorities[1], nf->authorities[2], nf->authorities[2]}};
        QCOMPARE(four.majority(), std::size_t{3});
        NetworkFile five = four;
        five.authorities.push_back(nf->authorities[0]);
        QCOMPARE(five.majority(), std::size_t{3});
    }

    void format_round_trips() {
        auto nf = parse_network_file(good_file());
        QVERIFY(nf.has_value());
        auto text = format_network_file(*nf);
        auto again = parse_network_file(text);
        QVERIFY2(again.has_value(), again ? "" : again.error().message.c_str());
        QVERIFY(*again == *nf);
        QCOMPARE(QString::fromStdString(format_network_file(*again)), QString::fromStdString(text));
    }

    // A file from before the settings existed parses with a public
    // network's defaults and formats exactly as it did.
    void files_without_settings_get_public_defaults() {
        const std::string old_file = "network n\nauthority a " + kIdA + " 127.0.0.1 7001\n";
        auto nf = parse_network_file(old_file);
        QVERIFY(nf.has_value());
        QVERIFY(!nf->allow_private_addresses);
        QCOMPARE(nf->relays_per_address, kDefaultRelaysPerAddress);
        QCOMPARE(nf->flag_uptime_s, kDefaultFlagUptimeSeconds);
        QCOMPARE(
            QString::fromStdString(format_network_file(*nf)),
            QString::fromStdString(
                "# Sotto network file: every node of the network uses the same one.\n" + old_file));
    }

    void settings_parse_and_round_trip() {
        auto nf = parse_network_file(
            "network n\n  allow-private-addresses   # localnet\n"
            "authority a " +
            kIdA +
            " 127.0.0.1 7001\nrelays-per-address 8\r\n"
            "flag-uptime 0\n");
        QVERIFY2(nf.has_value(), nf ? "" : nf.error().message.c_str());
        QVERIFY(nf->allow_private_addresses);
        QCOMPARE(nf->relays_per_address, std::uint32_t{8});
        QCOMPARE(nf->flag_uptime_s, std::int64_t{0});
        const auto text = format_network_file(*nf);
        QVERIFY(text.find("allow-private-addresses\n") != std::string::npos);
        QVERIFY(text.find("relays-per-address 8\n") != std::string::npos);
        QVERIFY(text.find("flag-uptime 0\n") != std::string::npos);
        auto again = parse_network_file(text);
        QVERIFY(again.has_value());
        QVERIFY(*again == *nf);
        // Settings are not part of the network's identity.
        NetworkFile plain = *nf;
        plain.allow_private_addresses = false;
        plain.relays_per_address = kDefaultRelaysPerAddress;
        plain.flag_uptime_s = kDefaultFlagUptimeSeconds;
        QCOMPARE(network_id(plain), network_id(*nf));
        auto bounds = parse_network_file("network n\nauthority a " + kIdA +
                                         " h 1\nrelays-per-address 100000\nflag-uptime 2592000\n");
        QVERIFY2(bounds.has_value(), bounds ? "" : bounds.error().message.c_str());
        QCOMPARE(bounds->relays_per_address, kMaxRelaysPerAddress);
        QCOMPARE(bounds->flag_uptime_s, kMaxFlagUptimeSeconds);
    }

    void limits_accepted() {
        std::string nick(32, 'n'), host(255, 'h'), name(64, 'x');
        auto nf = parse_network_file("network " + name + "\nauthority " + nick + " " + kIdA + " " +
                                     host + " 1\n");
        QVERIFY2(nf.has_value(), nf ? "" : nf.error().message.c_str());
        std::string many = "network n\n";
        for (std::size_t i = 0; i < kMaxAuthorities; ++i) {
            char id[65];
            std::snprintf(id, sizeof id, "%064zx", i);
            many += "authority a" + std::to_string(i) + " " + id + " h 1\n";
        }
        auto full = parse_network_file(many);
        QVERIFY2(full.has_value(), full ? "" : full.error().message.c_str());
        QCOMPARE(full->authorities.size(), kMaxAuthorities);
    }

    void errors_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("message");
        const QString a = QString::fromStdString(kIdA);
        const QString b = QString::fromStdString(kIdB);
        QTest::newRow("empty") << ""
                               << "network file: missing 'network <name>' line";
        QTest::newRow("comments only") << "# nothing\n\n"
                                       << "network file: missing 'network <name>' line";
        QTest::newRow("no authority")
            << "network n\n"
            << "network file: no authorities; add at least one line 'authority <nickname> "
               "<identity-hex> <host> <port>'";
        QTest::newRow("no network") << "authority a " + a + " h 1\n"
                                    << "network file: missing 'network <name>' line";
        QTest::newRow("two networks") << "network n\nauthority a " + a + " h 1\nnetwork m\n"
                                      << "network file line 3: only one 'network' line is allowed";
        QTest::newRow("network without name") << "network\n"
                                              << "network file line 1: expected 'network <name>'";
        QTest::newRow("network two words") << "network a b\n"
                                           << "network file line 1: expected 'network <name>'";
        QTest::newRow("network name too long")
            << "network " + QString(65, 'x') + "\n"
            << "network file line 1: network name must be 1..64 visible ASCII characters";
        QTest::newRow("network name non-ascii")
            << QString::fromUtf8("network n\xc3\xa9\n")
            << "network file line 1: network name must be 1..64 visible ASCII characters";
        QTest::newRow("unknown keyword")
            << "network n\nrelay a " + a + " h 1\n"
            << "network file line 2: unknown keyword; expected 'network', 'authority', "
               "'allow-private-addresses', 'relays-per-address' or 'flag-uptime'";
        QTest::newRow("allow-private-addresses with a value")
            << "network n\nauthority a " + a + " h 1\nallow-private-addresses yes\n"
            << "network file line 3: expected 'allow-private-addresses' alone";
        QTest::newRow("allow-private-addresses twice")
            << "network n\nallow-private-addresses\nauthority a " + a +
                   " h 1\nallow-private-addresses\n"
            << "network file line 4: only one 'allow-private-addresses' line is allowed";
        QTest::newRow("relays-per-address zero")
            << "network n\nauthority a " + a + " h 1\nrelays-per-address 0\n"
            << "network file line 3: expected 'relays-per-address <n>' with n from 1 to 100000";
        QTest::newRow("relays-per-address junk")
            << "network n\nauthority a " + a + " h 1\nrelays-per-address 2x\n"
            << "network file line 3: expected 'relays-per-address <n>' with n from 1 to 100000";
        QTest::newRow("relays-per-address missing")
            << "network n\nauthority a " + a + " h 1\nrelays-per-address\n"
            << "network file line 3: expected 'relays-per-address <n>' with n from 1 to 100000";
        QTest::newRow("relays-per-address twice")
            << "network n\nrelays-per-address 3\nrelays-per-address 3\nauthority a " + a + " h 1\n"
            << "network file line 3: only one 'relays-per-address' line is allowed";
        QTest::newRow("flag-uptime negative")
            << "network n\nauthority a " + a + " h 1\nflag-uptime -1\n"
            << "network file line 3: expected 'flag-uptime <seconds>' with seconds from 0 to "
               "2592000";
        QTest::newRow("flag-uptime too long")
            << "network n\nauthority a " + a + " h 1\nflag-uptime 2592001\n"
            << "network file line 3: expected 'flag-uptime <seconds>' with seconds from 0 to "
               "2592000";
        QTest::newRow("flag-uptime huge")
            << "network n\nauthority a " + a + " h 1\nflag-uptime 99999999999999999999999\n"
            << "network file line 3: expected 'flag-uptime <seconds>' with seconds from 0 to "
               "2592000";
        QTest::newRow("too few fields")
            << "network n\n\n\nauthority a " + a + " h\n"
            << "network file line 4: expected 'authority <nickname> <identity-hex> <host> "
               "<port>'";
        QTest::newRow("too many fields")
            << "network n\nauthority a " + a + " h 1 extra\n"
            << "network file line 2: expected 'authority <nickname> <identity-hex> <host> "
               "<port>'";
        QTest::newRow("nickname too long")
            << "network n\nauthority " + QString(33, 'n') + " " + a + " h 1\n"
            << "network file line 2: authority nickname must be 1..32 visible ASCII characters";
        QTest::newRow("identity short")
            << "network n\nauthority a " + a.left(62) + " h 1\n"
            << "network file line 2: authority identity must be 64 hex digits";
        QTest::newRow("identity long")
            << "network n\nauthority a " + a + "00 h 1\n"
            << "network file line 2: authority identity must be 64 hex digits";
        QTest::newRow("identity not hex")
            << "network n\nauthority a " + a.left(63) + "g h 1\n"
            << "network file line 2: authority identity must be 64 hex digits";
        QTest::newRow("host too long")
            << "network n\nauthority a " + a + " " + QString(256, 'h') + " 1\n"
            << "network file line 2: authority host must be 1..255 visible ASCII characters";
        QTest::newRow("port zero")
            << "network n\nauthority a " + a + " h 0\n"
            << "network file line 2: authority port must be a number from 1 to 65535";
        QTest::newRow("port too big")
            << "network n\nauthority a " + a + " h 65536\n"
            << "network file line 2: authority port must be a number from 1 to 65535";
        QTest::newRow("port huge")
            << "network n\nauthority a " + a + " h 99999999999999999999\n"
            << "network file line 2: authority port must be a number from 1 to 65535";
        QTest::newRow("port negative")
            << "network n\nauthority a " + a + " h -1\n"
            << "network file line 2: authority port must be a number from 1 to 65535";
        QTest::newRow("port plus")
            << "network n\nauthority a " + a + " h +1\n"
            << "network file line 2: authority port must be a number from 1 to 65535";
        QTest::newRow("port junk")
            << "network n\nauthority a " + a + " h 80x\n"
            << "network file line 2: authority port must be a number from 1 to 65535";
        QTest::newRow("duplicate identity")
            << "network n\nauthority a " + a + " h 1\nauthority b " + a + " h 2\n"
            << "network file line 3: authority identity " + a + " is listed twice";
        QTest::newRow("duplicate nickname")
            << "network n\nauthority a " + a + " h 1\nauthority a " + b + " h 2\n"
            << "network file line 3: authority nickname 'a' is listed twice";
    }
    void errors() {
        QFETCH(QString, text);
        QFETCH(QString, message);
        auto nf = parse_network_file(text.toStdString());
        QVERIFY(!nf.has_value());
        QCOMPARE(nf.error().code, Errc::Config);
        QCOMPARE(QString::fromStdString(nf.error().message), message);
    }

    void too_many_authorities() {
        std::string many = "network n\n";
        for (std::size_t i = 0; i <= kMaxAuthorities; ++i) {
            char id[65];
            std::snprintf(id, sizeof id, "%064zx", i);
            many += "authority a" + std::to_string(i) + " " + id + " h 1\n";
        }
        auto nf = parse_network_file(many);
        QVERIFY(!nf.has_value());
        QCOMPARE(QString::fromStdString(nf.error().message),
                 QStringLiteral("network file line 34: more than 32 authorities; remove some"));
    }

    void embedded_nul_is_rejected() {
        std::string text = "network n\nauthority a " + kIdA + " h 1\n";
        text[9] = '\0';
        auto nf = parse_network_file(text);
        QVERIFY(!nf.has_value());
    }
};

QTEST_APPLESS_MAIN(TestNetworkFile)
#include "tst_network_file.moc"
