// Two sotto-cli users on a sotto-localnet network, all real processes: the
// profile daemons, the authorities and relays. Bob invites Alice, she
// accepts, they chat; a daemon killed with SIGKILL in the middle of sending
// delivers each message exactly once after restarting (its profile lock
// gone with it); a second daemon on a profile is refused with the first's
// pid; a wrong passphrase and bad invite codes get their own messages;
// after a silent revocation Alice's messages to Bob stay queued as if he
// were offline; an invite that expires before its inviter answers shows as
// such and can be removed. Every wait is a sotto-cli command that returns
// when its condition holds (or times out).
#include <signal.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include "net/profile_lock.hpp"
#include "tests/common/cli_run.hpp"
#include "tests/common/cli_story.hpp"
#include "tests/common/free_ports.hpp"

namespace {

constexpr int kProcessTimeoutMs = 200000;

using Run = sotto::testing::CliRun;

}  // namespace

class TestCliLocalnet : public QObject {
    Q_OBJECT
  public:
    // For the shared steps (tests/common/cli_story.hpp).
    Run operator()(const QString& who, QStringList args) { return cli(who, std::move(args)); }

  private:
    QTemporaryDir dir_;

    QString profile(const QString& who) const { return dir_.filePath(who); }

    Run cli(const QString& who, QStringList args, const QString& passphrase = {}) {
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("SOTTO_PASSPHRASE", passphrase.isEmpty() ? who + "-passphrase" : passphrase);
        return sotto::testing::run_cli(profile(who), args, env, dir_.path(), kProcessTimeoutMs);
    }

    bool localnet(const QStringList& args) {
        QProcess p;
        p.start(QStringLiteral(SOTTO_LOCALNET_BIN), args);
        if (!p.waitForFinished(kProcessTimeoutMs)) return false;
        if (p.exitCode() != 0) qWarning() << p.readAllStandardError();
        return p.exitCode() == 0;
    }

    QStringList bodies(const QString& who, const QString& contact) {
        return sotto::testing::cli_bodies(*this, who, contact);
    }

  private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        const auto base = sotto::testing::free_port_block(8);
        QVERIFY(base != 0);
        QVERIFY(localnet({"start", "--dir", dir_.filePath("net"), "--relays", "5", "--base-port",
                          QString::number(base)}));
        for (const auto* who : {"alice", "bob"}) {
            auto r =
                cli(who, {"init", "--name", QString(who).left(1).toUpper() + QString(who).mid(1),
                          "--network", dir_.filePath("net/network.txt"), "--scrypt-n", "1024"});
            QVERIFY2(r.code == 0, qPrintable(r.err));
        }
    }

    void cleanupTestCase() {
        for (const auto* who : {"alice", "bob"}) cli(who, {"lock"});
        localnet({"stop", "--dir", dir_.filePath("net")});
    }

    void wrong_passphrase_is_refused_and_touches_nothing() {
        QFile db(profile("bob") + "/profile.db");
        QVERIFY(db.open(QIODevice::ReadOnly));
        const auto before = db.readAll();
        db.close();
        auto r = cli("bob", {"unlock"}, "not-bobs-passphrase");
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("wrong passphrase"), qPrintable(r.err));
        QVERIFY(db.open(QIODevice::ReadOnly));
        QCOMPARE(db.readAll(), before);
    }

    void unlock_both() {
        qint64 alice_pid = 0;
        for (const auto* who : {"alice", "bob"}) {
            auto r = cli(who, {"unlock", "--fast-publication", "--consensus-interval", "5"});
            QVERIFY2(r.code == 0, qPrintable(r.err));
            if (QString(who) == "alice") alice_pid = r.json["pid"].toInteger();
        }
        // One program per profile: a second daemon, or passwd writing the
        // store underneath the first, is refused with the holder's pid.
        const QString open_elsewhere =
            QStringLiteral("This profile is already open in another Sotto program (process %1).")
                .arg(alice_pid);
        auto again = cli("alice", {"unlock"});
        QCOMPARE(again.code, 1);
        QCOMPARE(again.err, open_elsewhere);
        auto passwd = cli("alice", {"passwd", "--new-passphrase-file", dir_.filePath("none")});
        QCOMPARE(passwd.code, 1);
        QVERIFY2(passwd.err.startsWith(open_elsewhere), qPrintable(passwd.err));
    }

    void invite_accept_and_bad_codes() {
        auto inv = cli("bob", {"invite", "--expires", "1d", "--timeout", "120"});
        QVERIFY2(inv.code == 0, qPrintable(inv.err));
        const auto code = inv.json["code"].toString();
        QVERIFY(code.startsWith("sotto:"));

        auto typo = code;
        const int i = int(typo.size()) - 5;
        typo[i] = typo[i] == QChar('a') ? QChar('b') : QChar('a');
        auto bad = cli("alice", {"accept", typo});
        QCOMPARE(bad.code, 1);
        QVERIFY2(bad.err.contains("typo", Qt::CaseInsensitive), qPrintable(bad.err));
        auto junk = cli("alice", {"accept", "hello there"});
        QCOMPARE(junk.code, 1);
        QVERIFY(junk.err != bad.err);

        auto acc = cli("alice", {"accept", code, "--wait", "--timeout", "150"});
        QVERIFY2(acc.code == 0, qPrintable(acc.err));
        QCOMPARE(acc.json["state"].toString(), QStringLiteral("established"));
        QCOMPARE(acc.json["name"].toString(), QStringLiteral("Bob"));

        auto twice = cli("alice", {"accept", code});
        QCOMPARE(twice.code, 1);
        QVERIFY2(twice.err.contains("already", Qt::CaseInsensitive), qPrintable(twice.err));

        auto bobs = cli("bob", {"contacts"});
        QCOMPARE(bobs.json["contacts"].toArray().size(), 1);
        QCOMPARE(bobs.json["contacts"].toArray()[0].toObject()["name"].toString(),
                 QStringLiteral("Alice"));
        QCOMPARE(cli("alice", {"safety-number", "Bob"}).json["safety_number"],
                 cli("bob", {"safety-number", "Alice"}).json["safety_number"]);
    }

    void chat_both_ways() {
        auto a = cli("alice", {"send", "Bob", "Hi Bob! ünïcødé 👋", "--wait", "--timeout", "150"});
        QVERIFY2(a.code == 0, qPrintable(a.err));
        QCOMPARE(a.json["state"].toString(), QStringLiteral("delivered"));
        auto b = cli("bob", {"send", "Alice", "Hello Alice", "--wait", "--timeout", "150"});
        QVERIFY2(b.code == 0, qPrintable(b.err));
        QVERIFY(bodies("bob", "Alice").contains(QStringLiteral("Hi Bob! ünïcødé 👋")));
        QVERIFY(bodies("alice", "Bob").contains(QStringLiteral("Hello Alice")));
    }

    void kill_9_while_sending_delivers_each_message_once() {
        sotto::testing::kill_9_while_sending_delivers_each_once(
            *this, profile("alice"), {"unlock", "--fast-publication", "--consensus-interval", "5"},
            "150");
    }

    void hidden_presence_looks_offline() {
        sotto::testing::invisible_looks_offline_and_visible_comes_back(*this, "150");
    }

    void an_unanswered_invite_expires_and_can_be_removed() {
        // Invisible, Bob answers no invite stream: his code runs out unanswered.
        QVERIFY(cli("bob", {"presence", "invisible"}).code == 0);
        auto inv = cli("bob", {"invite", "--expires", "4s", "--timeout", "60"});
        QVERIFY2(inv.code == 0, qPrintable(inv.err));
        auto acc =
            cli("alice", {"accept", inv.json["code"].toString(), "--wait", "--timeout", "60"});
        QCOMPARE(acc.code, 1);
        QVERIFY2(acc.err.contains("expired"), qPrintable(acc.err));
        QString id;
        for (const auto& v : cli("alice", {"contacts"}).json["contacts"].toArray())
            if (v.toObject()["state"].toString() == "invite-expired")
                id = v.toObject()["id"].toString();
        QVERIFY(!id.isEmpty());
        auto rm = cli("alice", {"revoke", id, "--yes"});
        QVERIFY2(rm.code == 0, qPrintable(rm.err));
        for (const auto& v : cli("alice", {"contacts"}).json["contacts"].toArray())
            QCOMPARE(v.toObject()["state"].toString(), QStringLiteral("established"));
        QVERIFY(cli("bob", {"presence", "visible"}).code == 0);
        auto on = cli("alice", {"wait-online", "Bob", "--timeout", "150"});
        QVERIFY2(on.code == 0, qPrintable(on.err));
    }

    void silent_revoke_looks_offline_forever() {
        sotto::testing::silent_revoke_looks_offline(*this);
    }
};

QTEST_GUILESS_MAIN(TestCliLocalnet)
#include "tst_cli_localnet.moc"
