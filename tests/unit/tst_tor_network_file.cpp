// The Tor network file (core/dir/tor_network_file) and the profile's network
// choice (core/dir/profile_network): the public Tor network's file, a
// private network's options, the options a file may not set, the network
// id (same for every public-Tor profile, different per private network,
// independent of line order), and the dispatch between the two kinds.
#include <QtTest>

#include "core/dir/profile_network.hpp"
#include "core/dir/tor_network_file.hpp"

using namespace sotto;
using namespace sotto::dir;

namespace {

const std::string kAuthority =
    "a0 orport=5000 no-v2 v3ident=0123456789ABCDEF0123456789ABCDEF01234567 127.0.0.1:5001 "
    "0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567";

std::string private_file(std::string_view name = "test-1",
                         std::string_view authority = kAuthority) {
    return "# a private Tor network\n"
           "tor-network " +
           std::string(name) +
           "\n"
           "tor-option TestingTorNetwork 1\n"
           "tor-option DirAuthority " +
           std::string(authority) +
           "   # the one authority\n"
           "tor-option PathsNeededToBuildCircuits 0.25\r\n";
}

QString error_of(std::string_view text) {
    auto nf = parse_tor_network_file(text);
    return nf ? QString() : QString::fromStdString(nf.error().message);
}

}  // namespace

class TestTorNetworkFile : public QObject {
    Q_OBJECT
  private slots:
    void public_network_file() {
        auto nf = parse_tor_network_file(kPublicTorNetworkFile);
        QVERIFY2(nf.has_value(), nf ? "" : nf.error().message.c_str());
        QVERIFY(nf->is_public());
        QVERIFY(nf->options.empty());
        QCOMPARE(format_tor_network_file(*nf), std::string(kPublicTorNetworkFile));
    }

    void private_network_options_in_order() {
        auto nf = parse_tor_network_file(private_file());
        QVERIFY2(nf.has_value(), nf ? "" : nf.error().message.c_str());
        QVERIFY(!nf->is_public());
        QCOMPARE(nf->name, std::string("test-1"));
        QCOMPARE(nf->options.size(), std::size_t{3});
        QCOMPARE(nf->options[0], (TorNetworkOption{"TestingTorNetwork", "1"}));
        // The value keeps its inner spaces; the comment and the blanks
        // around it go.
        QCOMPARE(nf->options[1], (TorNetworkOption{"DirAuthority", kAuthority}));
        QCOMPARE(nf->options[2], (TorNetworkOption{"PathsNeededToBuildCircuits", "0.25"}));
        auto again = parse_tor_network_file(format_tor_network_file(*nf));
        QVERIFY(again && *again == *nf);
    }

    // Options that would change more than which network tor joins: a
    // control or SOCKS port others could use, a service on disk, a log of
    // everything.
    void refuses_options_outside_the_network_choice() {
        for (const char* key : {"ControlPort", "SocksPort", "HiddenServiceDir", "DataDirectory",
                                "Log", "SafeLogging", "__OwningControllerProcess", "Testing"}) {
            const QString e = error_of("tor-network x\ntor-option " + std::string(key) + " 1\n");
            QVERIFY2(e.contains("line 2"), qPrintable(e));
            QVERIFY2(e.contains("cannot be set") || e.contains("expected"), qPrintable(e));
        }
        QVERIFY(error_of("tor-network x\ntor-option TestingV3AuthVotingStartOffset 0\n").isEmpty());
    }

    void errors_name_the_line_and_the_fix() {
        QVERIFY(error_of("").contains("starts with 'tor-network"));
        QVERIFY(error_of("tor-option TestingTorNetwork 1\n").contains("line 1"));
        QVERIFY(error_of("tor-network a\ntor-network b\n").contains("only once"));
        QVERIFY(error_of("tor-network\n").contains("tor-network <name>"));
        QVERIFY(error_of("tor-network a b\n").contains("tor-network <name>"));
        QVERIFY(error_of("tor-network a\nbridge obfs4 1.2.3.4:5\n").contains("unknown item"));
        QVERIFY(error_of("tor-network a\ntor-option DirAuthority\n").contains("needs a value"));
        QVERIFY(
            error_of("tor-network a\ntor-option DirAuthority x\x01y\n").contains("visible ASCII"));
        QVERIFY(error_of("tor-network a\ntor-option Dir-Authority x\n").contains("expected"));
        QVERIFY(error_of("tor-network a\ntor-option DirAuthority " + std::string(600, 'x') + "\n")
                    .contains("at most"));
        QVERIFY(error_of("tor-network tor\ntor-option TestingTorNetwork 1\n")
                    .contains("public Tor network"));
        std::string many = "tor-network a\n";
        for (std::size_t i = 0; i <= kMaxTorOptions; ++i)
            many += "tor-option TestingTorNetwork 1\n";
        QVERIFY(error_of(many).contains("too many"));
    }

    void network_id_names_the_network_not_its_tuning() {
        const auto pub = network_id(*parse_tor_network_file(kPublicTorNetworkFile));
        QCOMPARE(network_id(*parse_tor_network_file("# mine\ntor-network   tor \n")), pub);
        const auto priv = network_id(*parse_tor_network_file(private_file()));
        QVERIFY(priv != pub);
        // Another tuning option: the same network.
        QCOMPARE(
            network_id(*parse_tor_network_file(private_file() + "tor-option ClientUseIPv6 0\n")),
            priv);
        // Another authority or another name: another network.
        QVERIFY(network_id(*parse_tor_network_file(
                    private_file("test-1", "a1 orport=6000 127.0.0.1:6001 AAAA"))) != priv);
        QVERIFY(network_id(*parse_tor_network_file(private_file("test-2"))) != priv);
        // Authorities in another order: the same network.
        const std::string two_a =
            "tor-network n\ntor-option DirAuthority A\ntor-option DirAuthority B\n";
        const std::string two_b =
            "tor-network n\ntor-option DirAuthority B\ntor-option DirAuthority A\n";
        QCOMPARE(network_id(*parse_tor_network_file(two_a)),
                 network_id(*parse_tor_network_file(two_b)));
    }

    void profile_network_dispatches_on_the_first_item() {
        auto tor = parse_profile_network("\n# comment\ntor-network tor\n");
        QVERIFY(tor && tor->kind == NetworkKind::Tor);
        QCOMPARE(tor->description(), std::string("the Tor network"));
        QCOMPARE(tor->id, network_id(tor->tor));
        auto priv = parse_profile_network(private_file());
        QVERIFY(priv && priv->kind == NetworkKind::Tor);
        QCOMPARE(priv->description(), std::string("private Tor network test-1"));

        const std::string sotto =
            "network localnet\nauthority a " + std::string(64, 'a') + " 127.0.0.1 7001\n";
        auto s = parse_profile_network(sotto);
        QVERIFY2(s.has_value(), s ? "" : s.error().message.c_str());
        QVERIFY(s->kind == NetworkKind::Sotto);
        QCOMPARE(s->description(), std::string("Sotto network localnet"));
        QCOMPARE(s->id, network_id(s->sotto));
        // The two id spaces never meet: a Sotto network named "tor" is not
        // the Tor network.
        auto named_tor = parse_profile_network("network tor\nauthority a " + std::string(64, 'a') +
                                               " 127.0.0.1 7001\n");
        QVERIFY(named_tor && named_tor->id != tor->id);

        // A broken Tor file reports the Tor parser's error, not the Sotto one's.
        auto bad = parse_profile_network("tor-network x\ntor-option ControlPort 9051\n");
        QVERIFY(!bad);
        QVERIFY(QString::fromStdString(bad.error().message).contains("ControlPort"));
        auto bad_sotto = parse_profile_network("network\n");
        QVERIFY(!bad_sotto);
    }
};

QTEST_APPLESS_MAIN(TestTorNetworkFile)
#include "tst_tor_network_file.moc"
