// One program per profile, with the real executables: `sotto` (offscreen)
// unlocked with --passphrase-file, a second `sotto sotto:...` that hands the
// link to it and exits 0, sotto-cli refused while the app has the profile,
// the app killed with SIGKILL and started again, and the app refused (with
// the daemon's pid) while a sotto-cli daemon has the profile. The network
// file names one authority nobody runs: the profile never goes online,
// which none of this needs.
#include <signal.h>

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <memory>

#include "core/dir/network_file.hpp"
#include "net/profile_lock.hpp"
#include "tests/common/unreachable_network.hpp"

using namespace sotto;
using net::ProfileLock;

namespace {

constexpr int kTimeoutMs = 60000;
const QString kLink = QStringLiteral("sotto:aeaacaqd-aqcqmbyq-cejbgfav");

struct Run {
    int code = -1;
    QString out, err;
};

}  // namespace

class TestAppSingleInstance : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir tmp_;
    QString profile_, pass_file_;
    std::unique_ptr<QProcess> app_;
    QByteArray app_err_;

    QProcessEnvironment env() const {
        auto e = QProcessEnvironment::systemEnvironment();
        e.insert("QT_QPA_PLATFORM", "offscreen");
        e.insert("QT_QUICK_BACKEND", "software");
        e.insert("XDG_RUNTIME_DIR", tmp_.path());
        e.insert("SOTTO_PASSPHRASE", "app-test-passphrase");
        return e;
    }

    Run run(const QString& program, const QStringList& args) {
        QProcess p;
        p.setProcessEnvironment(env());
        QSignalSpy finished(&p, &QProcess::finished);
        p.start(program, args);
        Run r;
        if (!finished.wait(kTimeoutMs)) {
            p.kill();
            p.waitForFinished();
            r.err = "timed out: " + program + ' ' + args.join(' ');
            return r;
        }
        r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = QString::fromUtf8(p.readAllStandardOutput());
        r.err = QString::fromUtf8(p.readAllStandardError());
        return r;
    }
    Run cli(const QStringList& args) {
        return run(SOTTO_CLI_BIN, QStringList{"--profile", profile_} + args);
    }
    Run app(const QStringList& args) {
        return run(SOTTO_APP_BIN, QStringList{"--profile", profile_} + args);
    }

    // The first app, unlocked, in the background; returns once it is the
    // profile's app (it holds the lock and listens).
    bool start_first_app() {
        app_ = std::make_unique<QProcess>();
        app_err_.clear();
        app_->setProcessEnvironment(env());
        connect(app_.get(), &QProcess::readyReadStandardError, this,
                [this] { app_err_ += app_->readAllStandardError(); });
        app_->start(SOTTO_APP_BIN, {"--profile", profile_, "--passphrase-file", pass_file_});
        if (!app_->waitForStarted()) return false;
        const qint64 pid = app_->processId();
        const bool up = QTest::qWaitFor(
            [&] {
                return holder_is(pid) && QFile::exists(profile_ + "/app.sock") &&
                       app_->state() == QProcess::Running;
            },
            kTimeoutMs);
        if (!up) qWarning() << "the first sotto did not start:" << app_err_;
        return up;
    }
    bool holder_is(qint64 pid) const {
        const auto h = ProfileLock::recorded_holder(profile_);
        return h && h->pid == pid;
    }
    QString first_app_message() const {
        return ProfileLock::already_open_message(app_->processId());
    }

  private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        profile_ = tmp_.filePath("profile");
        pass_file_ = tmp_.filePath("pass");
        QFile pass(pass_file_);
        QVERIFY(pass.open(QIODevice::WriteOnly));
        pass.write("app-test-passphrase\n");
        pass.close();
        QFile net(tmp_.filePath("network.txt"));
        QVERIFY(net.open(QIODevice::WriteOnly));
        net.write(QByteArray::fromStdString(testing::unreachable_network_file("apptest")));
        net.close();
        auto r = cli({"init", "--name", "Ada", "--network", net.fileName(), "--scrypt-n", "1024"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
    }

    void cleanup() {
        if (app_ && app_->state() != QProcess::NotRunning) {
            app_->kill();
            app_->waitForFinished();
        }
        cli({"lock"});
    }

    void a_second_sotto_hands_its_link_over_and_exits_0() {
        QVERIFY(start_first_app());
        auto second = app({kLink});
        QVERIFY2(second.code == 0, qPrintable(second.err));
        QVERIFY2(second.err.contains(QString("process %1").arg(app_->processId())),
                 qPrintable(second.err));
        QTRY_VERIFY_WITH_TIMEOUT(app_err_.contains("handed over a sotto: link"), kTimeoutMs);

        // A plain second launch only brings the window forward.
        app_err_.clear();
        auto plain = app({});
        QVERIFY2(plain.code == 0, qPrintable(plain.err));
        QTRY_VERIFY_WITH_TIMEOUT(app_err_.contains("asked for this window"), kTimeoutMs);
        QVERIFY(!app_err_.contains("sotto: link"));
        QCOMPARE(app_->state(), QProcess::Running);
    }

    void sotto_cli_cannot_open_what_the_app_has() {
        QVERIFY(start_first_app());
        auto unlock = cli({"unlock"});
        QCOMPARE(unlock.code, 1);
        QVERIFY2(unlock.err.contains(first_app_message()), qPrintable(unlock.err));
        auto passwd = cli({"passwd", "--new-passphrase-file", pass_file_});
        QCOMPARE(passwd.code, 1);
        QVERIFY2(passwd.err.contains(first_app_message()), qPrintable(passwd.err));
        // Commands for a daemon say that the app has the profile, not that
        // it is locked.
        auto status = cli({"status"});
        QCOMPARE(status.code, 1);
        QVERIFY2(status.err.contains(
                     QString("is open in the Sotto app (process %1)").arg(app_->processId())),
                 qPrintable(status.err));
        QCOMPARE(app_->state(), QProcess::Running);
    }

    void the_app_killed_with_sigkill_leaves_the_profile_free() {
        QVERIFY(start_first_app());
        const qint64 dead = app_->processId();
        QCOMPARE(::kill(pid_t(dead), SIGKILL), 0);
        QVERIFY(app_->waitForFinished(kTimeoutMs));
        // Its socket file and lock record are still there; neither holds.
        QVERIFY(QFile::exists(profile_ + "/app.sock"));
        QVERIFY(holder_is(dead));
        auto status = cli({"status"});
        QCOMPARE(status.code, 1);
        QVERIFY2(status.err.contains("locked (not running)"), qPrintable(status.err));
        QVERIFY(start_first_app());
        QVERIFY(app_->processId() != dead);
        auto second = app({kLink});
        QVERIFY2(second.code == 0, qPrintable(second.err));
        QTRY_VERIFY_WITH_TIMEOUT(app_err_.contains("handed over a sotto: link"), kTimeoutMs);
        // SIGTERM: a clean exit, which clears the record.
        app_->terminate();
        QVERIFY(app_->waitForFinished(kTimeoutMs));
        app_err_ += app_->readAllStandardError();
        QVERIFY2(app_->exitCode() == 0, qPrintable(app_err_.right(3000)));
        QVERIFY(!ProfileLock::recorded_holder(profile_));
    }

    void the_app_says_when_the_daemon_has_the_profile() {
        auto unlock = cli({"--json", "unlock"});
        QVERIFY2(unlock.code == 0, qPrintable(unlock.err));
        const auto pid = QJsonDocument::fromJson(unlock.out.toUtf8()).object()["pid"].toInteger();
        QVERIFY(pid > 0);
        const QString message = ProfileLock::already_open_message(pid);
        auto second = app({"--passphrase-file", pass_file_, kLink});
        QCOMPARE(second.code, 1);
        QVERIFY2(second.err.contains(message), qPrintable(second.err));
        auto again = cli({"unlock"});
        QCOMPARE(again.code, 1);
        QVERIFY2(again.err.contains(message), qPrintable(again.err));
        // `lock` returns once the daemon has let go of the profile.
        auto lock = cli({"lock"});
        QVERIFY2(lock.code == 0, qPrintable(lock.err));
        QVERIFY(ProfileLock::acquire(profile_));
    }
};

QTEST_GUILESS_MAIN(TestAppSingleInstance)
#include "tst_app_single_instance.moc"
