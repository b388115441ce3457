// The layer check (cmake/check_layers.cmake, issue 10 item 7): the real
// tree passes it, and a tree with one wrong-way include of every kind
// (tests/data/layers_bad) fails it with each one named, while the includes
// that point down in the same tree are not reported.
#include <QProcess>
#include <QtTest>

namespace {

struct Check {
    int exit_code = -1;
    QString output;
};

Check run_check(const QString& tree) {
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(SOTTO_CMAKE_COMMAND, {"-DSOURCE_DIR=" + tree, "-DLAYERS_FILE=" SOTTO_LAYERS_FILE, "-P",
                                  SOTTO_SOURCE_DIR "/cmake/check_layers.cmake"});
    Check c;
    if (!p.waitForFinished(120'000)) return c;
    c.exit_code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    c.output = QString::fromUtf8(p.readAll());
    return c;
}

}  // namespace

class TestLayering : public QObject {
    Q_OBJECT
  private slots:
    void the_tree_points_down() {
        const auto c = run_check(SOTTO_SOURCE_DIR);
        QVERIFY2(c.exit_code == 0, qPrintable(c.output));
    }

    void every_wrong_way_include_is_named() {
        const auto c = run_check(SOTTO_SOURCE_DIR "/tests/data/layers_bad");
        QVERIFY(c.exit_code != 0);
        const QStringList expected = {
            "core/crypto/upwards.hpp: includes core/node/node.hpp, but core/crypto may include "
            "only: util",
            "core/util/qt.cpp: includes the Qt header QObject: core has no Qt",
            "core/node/adapter.cpp: includes net/node_driver.hpp: core depends on nothing "
            "outside core",
            "core/gadgets/gadget.hpp: core/gadgets is not a layer",
            "net/upwards.cpp: includes ui/main_window.hpp: net may include only core/ and net/",
        };
        for (const auto& e : expected)
            QVERIFY2(c.output.contains(e), qPrintable(e + "\n" + c.output));
        // Exactly those five: the includes that point down are not reported.
        QCOMPARE(c.output.count(QRegularExpression(R"(^[ \t]+(core|net|ui)/\S+: )",
                                                   QRegularExpression::MultilineOption)),
                 expected.size());
        QVERIFY(!c.output.contains("fine."));
    }
};

QTEST_GUILESS_MAIN(TestLayering)
#include "tst_layering.moc"
