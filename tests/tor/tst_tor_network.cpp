// The private Tor network the tests labelled `tor` run on: it comes up on
// fresh ports with every relay in the consensus, and goes away with the test.
#include <QTemporaryDir>
#include <QtTest>

#include "tests/common/tor_test_network.hpp"

using namespace sotto;
using namespace sotto::testing;

class TestTorNetwork : public QObject {
    Q_OBJECT
  private slots:
    void comes_up_with_every_relay_in_the_consensus();
};

void TestTorNetwork::comes_up_with_every_relay_in_the_consensus() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    TorTestNetworkOptions options;
    options.relays = 4;
    auto net = TorTestNetwork::start(dir.path(), options);
    QVERIFY2(net.has_value(), net ? "" : net.error().message.c_str());
    QCOMPARE((*net)->tor_count(), 5);
    QVERIFY((*net)->relays_in_consensus() >= 5);
    // A client is told the one authority and the settings of a tiny network.
    int authorities = 0;
    for (const auto& [key, value] : (*net)->client_options()) {
        if (key == "DirAuthority") {
            ++authorities;
            QVERIFY(value.contains("v3ident="));
        }
    }
    QCOMPARE(authorities, 1);
}

QTEST_GUILESS_MAIN(TestTorNetwork)
#include "tst_tor_network.moc"
