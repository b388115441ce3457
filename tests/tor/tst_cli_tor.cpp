// Two sotto-cli users on a private Tor network (issue 11, item 9): every
// part a real process — the daemons, each with Sotto's own tor, and the
// network's authority and relays. Bob invites Alice over a one-time onion
// service, she accepts, they chat both ways with delivery acks; Alice's
// daemon killed with SIGKILL after five sends delivers each exactly once
// after it restarts (its tor went with it: TAKEOWNERSHIP); Invisible looks
// offline and visible comes back; a silent revoke looks offline for good.
// Every wait is a sotto-cli command that returns when its condition holds
// or times out.
#include <signal.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include "net/profile_lock.hpp"
#include "tests/common/cli_run.hpp"
#include "tests/common/cli_story.hpp"
#include "tests/common/tor_test_network.hpp"

namespace {

constexpr int kProcessTimeoutMs = 240000;

using Run = sotto::testing::CliRun;
using sotto::testing::TorTestNetwork;

}  // namespace

class TestCliTor : public QObject {
    Q_OBJECT
  public:
    // For the shared steps (tests/common/cli_story.hpp).
    Run operator()(const QString& who, QStringList args) { return cli(who, std::move(args)); }

  private:
    QTemporaryDir dir_;
    std::unique_ptr<TorTestNetwork> net_;

    QString profile(const QString& who) const { return dir_.filePath(who); }

    Run cli(const QString& who, QStringList args) {
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("SOTTO_PASSPHRASE", who + "-passphrase");
        return sotto::testing::run_cli(profile(who), args, env, dir_.path(), kProcessTimeoutMs);
    }

    QStringList bodies(const QString& who, const QString& contact) {
        return sotto::testing::cli_bodies(*this, who, contact);
    }

    Run unlock(const QString& who) { return cli(who, {"unlock", "--fast-publication"}); }

  private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        auto net = TorTestNetwork::start(dir_.filePath("net"));
        QVERIFY2(net.has_value(), net ? "" : net.error().message.c_str());
        net_ = std::move(*net);
        QFile f(dir_.filePath("tor-network.txt"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(net_->network_file_text().toUtf8());
        f.close();
        for (const auto* who : {"alice", "bob"}) {
            auto r =
                cli(who, {"init", "--name", QString(who).left(1).toUpper() + QString(who).mid(1),
                          "--network", f.fileName(), "--scrypt-n", "1024"});
            QVERIFY2(r.code == 0, qPrintable(r.err));
        }
    }

    void cleanupTestCase() {
        for (const auto* who : {"alice", "bob"}) cli(who, {"lock"});
        net_.reset();
    }

    void a_profile_without_network_is_on_the_tor_network() {
        auto r = cli("carol", {"init", "--name", "Carol", "--scrypt-n", "1024"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QFile db(profile("carol") + "/profile.db");
        QVERIFY(db.exists());
        // A network file that would open tor's control port to others is
        // refused before any profile is made.
        QFile bad(dir_.filePath("bad-network.txt"));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("tor-network evil\ntor-option ControlPort 9051\n");
        bad.close();
        auto refused = cli(
            "dave", {"init", "--name", "Dave", "--network", bad.fileName(), "--scrypt-n", "1024"});
        QCOMPARE(refused.code, 1);
        QVERIFY2(refused.err.contains("ControlPort"), qPrintable(refused.err));
        QVERIFY(!QFile::exists(profile("dave") + "/profile.db"));
    }

    void unlock_starts_own_tor() {
        for (const auto* who : {"alice", "bob"}) {
            auto r = unlock(who);
            QVERIFY2(r.code == 0, qPrintable(r.err));
        }
        // Each daemon's tor keeps its data in the profile, private.
        for (const auto* who : {"alice", "bob"}) {
            QFileInfo tor_dir(profile(who) + "/tor");
            QTRY_VERIFY_WITH_TIMEOUT(tor_dir.exists(), 30000);
            QCOMPARE(tor_dir.permissions() &
                         (QFile::ReadGroup | QFile::ReadOther | QFile::ExeGroup | QFile::ExeOther),
                     QFileDevice::Permissions{});
        }
    }

    void invite_over_tor_and_accept() {
        auto inv = cli("bob", {"invite", "--expires", "1d", "--timeout", "200"});
        QVERIFY2(inv.code == 0, qPrintable(inv.err));
        const auto code = inv.json["code"].toString();
        QVERIFY(code.startsWith("sotto:"));
        auto acc = cli("alice", {"accept", code, "--wait", "--timeout", "200"});
        QVERIFY2(acc.code == 0, qPrintable(acc.err));
        QCOMPARE(acc.json["state"].toString(), QStringLiteral("established"));
        QCOMPARE(acc.json["name"].toString(), QStringLiteral("Bob"));
        // The invite is used up: its service is gone, the code is refused.
        auto twice = cli("alice", {"accept", code});
        QCOMPARE(twice.code, 1);
        QCOMPARE(cli("bob", {"contacts"}).json["contacts"].toArray().size(), 1);
        QCOMPARE(cli("alice", {"safety-number", "Bob"}).json["safety_number"],
                 cli("bob", {"safety-number", "Alice"}).json["safety_number"]);
    }

    void chat_both_ways_with_delivery_acks() {
        auto a =
            cli("alice", {"send", "Bob", "Hi Bob, over Tor 🧅", "--wait", "--timeout", "200"});
        QVERIFY2(a.code == 0, qPrintable(a.err));
        QCOMPARE(a.json["state"].toString(), QStringLiteral("delivered"));
        auto b = cli("bob", {"send", "Alice", "Hello Alice", "--wait", "--timeout", "200"});
        QVERIFY2(b.code == 0, qPrintable(b.err));
        QCOMPARE(b.json["state"].toString(), QStringLiteral("delivered"));
        QVERIFY(bodies("bob", "Alice").contains(QStringLiteral("Hi Bob, over Tor 🧅")));
        QVERIFY(bodies("alice", "Bob").contains(QStringLiteral("Hello Alice")));
    }

    void kill_9_after_five_sends_delivers_each_once() {
        sotto::testing::kill_9_while_sending_delivers_each_once(
            *this, profile("alice"), {"unlock", "--fast-publication"}, "200");
    }

    void invisible_looks_offline_and_visible_comes_back() {
        sotto::testing::invisible_looks_offline_and_visible_comes_back(*this, "200");
    }

    void silent_revoke_looks_offline() { sotto::testing::silent_revoke_looks_offline(*this); }
};

QTEST_GUILESS_MAIN(TestCliTor)
#include "tst_cli_tor.moc"
