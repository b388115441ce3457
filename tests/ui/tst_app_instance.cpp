// One desktop app per profile (ui/app_instance.hpp). The requests on the
// app's socket are parsed strictly (a table of junk, no fuzzing); a second
// launch of the real `sotto` on a profile this process has open hands its
// sotto: link to our window (offered in Add contact, not accepted) and exits
// 0; junk, oversized and silent clients on the socket are refused or dropped
// and change nothing; a profile another program holds is refused with its
// pid, and the unlock page says so until the lock is free.
#include <QtQml/qqmlextensionplugin.h>
#include <unistd.h>

#include <QLocalSocket>
#include <QProcess>
#include <QtTest>

#include "core/crypto/random.hpp"
#include "tests/ui/ui_harness.hpp"
#include "ui/app_instance.hpp"

Q_IMPORT_QML_PLUGIN(Sotto_UiPlugin)

using namespace sotto;
using namespace sotto::testing;
using ui::AppInstance;
using ui::InstanceRequest;

namespace {

const QString kLink = QStringLiteral("sotto:aeaacaqd-aqcqmbyq-cejbgfav");

bool popup_open(TestWindow& w, const QString& name) {
    auto* o = find_object(w.window, name);
    return o && o->property("opened").toBool();
}

QString text_of(TestWindow& w, const QString& name) {
    auto* o = find_object(w.window, name);
    return o ? o->property("text").toString() : QStringLiteral("<no %1>").arg(name);
}

struct Launch {
    int code = -1;
    QProcess::ExitStatus status = QProcess::CrashExit;
    QString err;
};

// The real app, as a desktop entry starts it; the event loop runs while it
// does, so the AppInstance in this process can answer it.
Launch launch_app(const QString& profile, const QStringList& args) {
    QProcess p;
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    p.setProcessEnvironment(env);
    QSignalSpy finished(&p, &QProcess::finished);
    p.start(QStringLiteral(SOTTO_APP_BIN),
            QStringList{QStringLiteral("--profile"), profile} + args);
    Launch r;
    if (!finished.wait(30000)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("timed out");
        return r;
    }
    r.code = p.exitCode();
    r.status = p.exitStatus();
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

// Connects to the app's socket, sends `bytes`, and returns what came back
// before the app closed the connection.
QByteArray send_raw(const QString& socket_path, const QByteArray& bytes) {
    QLocalSocket s;
    s.connectToServer(socket_path);
    if (!s.waitForConnected(5000)) return QByteArrayLiteral("<no connection>");
    QSignalSpy closed(&s, &QLocalSocket::disconnected);
    QByteArray got;
    QObject::connect(&s, &QLocalSocket::readyRead, [&] { got += s.readAll(); });
    s.write(bytes);
    if (!closed.wait(10000)) return QByteArrayLiteral("<still open>");
    return got + s.readAll();
}

}  // namespace

class TestAppInstance : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase() { use_fusion_style(); }

    void links_are_recognised_by_shape() {
        QVERIFY(ui::is_invite_link(kLink));
        QVERIFY(ui::is_invite_link(QStringLiteral("SOTTO:AEAACAQD")));
        QVERIFY(ui::is_invite_link(QStringLiteral("sotto:") + QString(394, u'a')));
        QVERIFY(!ui::is_invite_link(QStringLiteral("sotto:") + QString(395, u'a')));
        for (const QString& bad :
             {QString(), QStringLiteral("sotto:"), QStringLiteral("sotto"),
              QStringLiteral("sotto: abc"), QStringLiteral("sotto:ab c"),
              QStringLiteral("sotto:abc\n"), QStringLiteral("sotto://abc"),
              QStringLiteral("https://example.org/sotto:abc"), QStringLiteral(" sotto:abc"),
              QStringLiteral("sotto:ab%20c"), QStringLiteral("sotto:abé"),
              // U+017F folds to 's' in Unicode case-insensitive comparisons.
              QStringLiteral(u"\u017Fotto:abc"), QStringLiteral("sotto:ab\u202Ec")})
            QVERIFY2(!ui::is_invite_link(bad), qPrintable(bad));
        QCOMPARE(ui::invite_link_from({QStringLiteral("hello"), QStringLiteral("sotto:a b"), kLink,
                                       QStringLiteral("sotto:second")}),
                 kLink);
        QCOMPARE(ui::invite_link_from({QStringLiteral("hello")}), QString());
    }

    void requests_round_trip() {
        for (const InstanceRequest& r : {InstanceRequest{}, InstanceRequest{kLink},
                                         InstanceRequest{QStringLiteral("SOTTO:ABC")}}) {
            const auto wire = ui::encode_instance_request(r);
            QVERIFY(wire.size() <= ui::kMaxInstanceMessage);
            const auto back = ui::parse_instance_request(wire);
            QVERIFY(back);
            QVERIFY(*back == r);
        }
        QCOMPARE(ui::encode_instance_request({}), QByteArray("activate\n"));
        QCOMPARE(ui::encode_instance_request({kLink}), "link " + kLink.toLatin1() + "\n");
    }

    void junk_requests_are_refused() {
        const QByteArray longest = "link sotto:" + QByteArray(394, 'a') + "\n";
        QVERIFY(ui::parse_instance_request(longest));
        const QByteArray junk[] = {
            "",
            "\n",
            "activate",
            "activate\r\n",
            "activate\n\n",
            "activate\nactivate\n",
            " activate\n",
            "activate \n",
            "ACTIVATE\n",
            "Activate\n",
            QByteArray("activate\0\n", 10),
            QByteArray("\0activate\n", 10),
            "link\n",
            "link \n",
            "link  sotto:abc\n",
            "link sotto:\n",
            "link sotto:abc\r\n",
            "link sotto:abc \n",
            "link sotto:abc",
            "link sotto:abc\nactivate\n",
            "link sotto:abc\nlink sotto:def\n",
            "LINK sotto:abc\n",
            "link\tsotto:abc\n",
            "link http://example.org/\n",
            "link sotto://abc\n",
            "link sotto:ab/c\n",
            "link sotto:ab%41\n",
            QByteArray("link sotto:ab\0c\n", 16),
            "link sotto:ab\x7f\n",
            "link sotto:ab\xc3\xa9\n",
            "link \xc5\xbfotto:abc\n",  // U+017F in UTF-8
            "link sotto:ab\u202Ec\n",   // right-to-left override, in UTF-8
            "link sotto:" + QByteArray(395, 'a') + "\n",
            "link sotto:" + QByteArray(600, 'a') + "\n",
            QByteArray(ui::kMaxInstanceMessage + 1, '\n'),
            "accept sotto:abc\n",
            "quit\n",
            "{\"cmd\":\"activate\"}\n",
            QByteArray("\xff\xfe\x00\x01garbage", 11),
        };
        for (const auto& j : junk)
            QVERIFY2(!ui::parse_instance_request(j), j.toPercentEncoding().constData());
    }

    void a_second_launch_hands_its_link_to_the_running_window() {
        LoopbackNetwork net;
        TestProfile alice(net, "Alice");
        AppInstance instance(alice.dir.path());
        QCOMPARE(instance.start({}), AppInstance::Role::Primary);
        TestWindow w(*alice.session);
        QVERIFY(QTest::qWaitForWindowExposed(w.window));
        ui::route_instance_requests(instance, *alice.session, w.window);
        QSignalSpy requested(&instance, &AppInstance::requested);

        const auto second = launch_app(alice.dir.path(), {kLink});
        QCOMPARE(second.status, QProcess::NormalExit);
        QVERIFY2(second.code == 0, qPrintable(second.err));
        QVERIFY2(second.err.contains(QStringLiteral("process %1").arg(::getpid())),
                 qPrintable(second.err));
        QCOMPARE(requested.count(), 1);
        QCOMPARE(requested.at(0).at(0).toString(), kLink);
        // Offered, exactly as a link on our own command line: the dialog
        // opens with the code; nothing is accepted.
        QTRY_VERIFY(popup_open(w, QStringLiteral("addContactDialog")));
        QCOMPARE(find_item(w, QStringLiteral("addContactCode"))->property("text").toString(),
                 kLink);
        QCOMPARE(alice.session->pendingInvite(), QString());
        QCOMPARE(alice.contacts().count(), 0);

        // Without a link: the window is just asked forward.
        const auto plain = launch_app(alice.dir.path(), {});
        QVERIFY2(plain.code == 0, qPrintable(plain.err));
        QCOMPARE(requested.count(), 2);
        QCOMPARE(requested.at(1).at(0).toString(), QString());
    }

    void the_link_waits_on_the_unlock_screen() {
        // Still locked: the link is kept and offered after unlocking.
        QTemporaryDir dir;
        SystemRng rng;
        create_store(dir.path(), "Dana", rng).reset();
        ui::SessionController session(dir.path(), QString());
        AppInstance instance(dir.path());
        QCOMPARE(instance.start({}), AppInstance::Role::Primary);
        TestWindow w(session);
        ui::route_instance_requests(instance, session, w.window);
        const auto second = launch_app(dir.path(), {kLink});
        QVERIFY2(second.code == 0, qPrintable(second.err));
        QCOMPARE(session.pendingInvite(), kLink);
        QCOMPARE(session.stage(), ui::SessionController::Stage::Unlock);
    }

    void junk_on_the_socket_changes_nothing() {
        QTemporaryDir dir;
        const QString profile = dir.filePath(QStringLiteral("new"));  // made by start()
        AppInstance instance(profile);
        QCOMPARE(instance.start({}), AppInstance::Role::Primary);
        QSignalSpy requested(&instance, &AppInstance::requested);
        const QString path = instance.socket_path();
        QCOMPARE(QFileInfo(path).permissions() &
                     (QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner |
                      QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup |
                      QFileDevice::ReadOther | QFileDevice::WriteOther | QFileDevice::ExeOther),
                 QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        QCOMPARE(QFileInfo(profile).permissions() &
                     (QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup |
                      QFileDevice::ReadOther | QFileDevice::WriteOther | QFileDevice::ExeOther),
                 QFileDevice::Permissions());

        QCOMPARE(send_raw(path, "link sotto:ab/c\n"), QByteArray("refused\n"));
        QCOMPARE(send_raw(path, "quit\n"), QByteArray("refused\n"));
        QCOMPARE(send_raw(path, "activate\nactivate\n"), QByteArray("refused\n"));
        // Too long without a newline: dropped unanswered.
        QCOMPARE(send_raw(path, QByteArray(4096, 'a')), QByteArray());
        // Silent: dropped after a while.
        QCOMPARE(send_raw(path, QByteArray("link sotto:abc")), QByteArray());
        QCOMPARE(requested.count(), 0);
        // Still serving.
        QCOMPARE(send_raw(path, ui::encode_instance_request({kLink})), QByteArray("ok\n"));
        QCOMPARE(requested.count(), 1);
    }

    void a_profile_open_elsewhere_is_refused_and_the_unlock_page_says_so() {
        QTemporaryDir dir;
        SystemRng rng;
        create_store(dir.path(), "Erin", rng).reset();
        auto daemon = net::ProfileLock::acquire(dir.path(), QStringLiteral("sotto-cli"));
        QVERIFY(daemon);
        const QString message = net::ProfileLock::already_open_message(::getpid()) +
                                QStringLiteral(" Lock it there first: sotto-cli lock.");

        AppInstance instance(dir.path());
        QCOMPARE(instance.start({kLink}), AppInstance::Role::Refused);
        QCOMPARE(instance.error(), message);
        // A launch of the real app says the same and does not stay.
        const auto second = launch_app(
            dir.path(), {QStringLiteral("--passphrase-file"), dir.filePath("none"), kLink});
        QCOMPARE(second.code, 1);
        QVERIFY2(second.err.contains(message), qPrintable(second.err));

        ui::SessionController session(dir.path(), QString());
        session.setLockSource([&instance] { return instance.lock(); });
        session.setProfileBusy(instance.error());
        TestWindow w(session);
        QVERIFY(QTest::qWaitForWindowExposed(w.window));
        QCOMPARE(text_of(w, QStringLiteral("unlockError")), message);
        QCOMPARE(session.unlock(QString::fromLatin1(kTestPassphrase.data())), message);

        // Once the other program lets go, unlocking takes the profile (a
        // wrong passphrase here, so it stays on the unlock page).
        daemon->reset();
        QCOMPARE(session.unlock(QStringLiteral("not the passphrase")),
                 QStringLiteral("Wrong passphrase. Check Caps Lock and try again."));
        QCOMPARE(session.profileBusy(), QString());
        QTRY_VERIFY(text_of(w, QStringLiteral("unlockError")).isEmpty());
        QVERIFY(!net::ProfileLock::acquire(dir.path()));
        QCOMPARE(net::ProfileLock::recorded_holder(dir.path())->owner,
                 QLatin1String(ui::kAppLockOwner));
        // ... and this window is now the one later launches reach.
        QCOMPARE(send_raw(instance.socket_path(), "activate\n"), QByteArray("ok\n"));
    }
};

QTEST_MAIN(TestAppInstance)
#include "tst_app_instance.moc"
