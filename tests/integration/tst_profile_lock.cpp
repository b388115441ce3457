// The profile lock (net/profile_lock.hpp): one program per profile. A second
// opener, in this process or another, is refused with the holder's pid; a
// closed session or a holder killed with SIGKILL (a child process: this
// program started with --hold-lock DIR) leaves the profile free; a wrong
// passphrase leaves profile.db byte for byte as it was, and the lock free.
#include <signal.h>
#include <unistd.h>

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <cstdio>
#include <string_view>

#include "core/dir/network_file.hpp"
#include "core/store/profile_store.hpp"
#include "net/profile_lock.hpp"
#include "net/profile_session.hpp"
#include "tests/common/unreachable_network.hpp"

using namespace sotto;
using net::ProfileLock;

namespace {

constexpr auto kPassphrase = "lock test passphrase";
constexpr const char* kHoldLockFlag = "--hold-lock";

// The child's side: take DIR's lock, say so, and hold it until killed (or
// until stdin closes, so a crashed test leaves no child behind).
int hold_lock(const char* dir) {
    auto lock = ProfileLock::acquire(QString::fromLocal8Bit(dir), QStringLiteral("lock-helper"));
    if (!lock) {
        std::fprintf(stderr, "%s\n", lock.error().message.c_str());
        return 1;
    }
    std::printf("held\n");
    std::fflush(stdout);
    char c;
    while (::read(STDIN_FILENO, &c, 1) > 0) {
    }
    return 0;
}

QString network_text() {
    return QString::fromStdString(testing::unreachable_network_file("locktest"));
}
net::SessionOptions cheap() {
    net::SessionOptions o;
    o.scrypt = crypto::ScryptParams{16, 1, 1};
    return o;
}

QByteArray read_all(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

}  // namespace

class TestProfileLock : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir tmp_;
    int next_ = 0;

    QString fresh_dir() {
        const QString d = tmp_.filePath(QStringLiteral("p%1").arg(next_++));
        QDir().mkpath(d);
        return d;
    }
    QString new_profile() {
        const QString d = tmp_.filePath(QStringLiteral("p%1").arg(next_++));
        auto s = net::ProfileSession::create_profile(d, kPassphrase, QStringLiteral("Lock"),
                                                     network_text(), cheap().scrypt);
        if (!s) qFatal("create_profile: %s", s.error().message.c_str());
        return d;
    }
    static QString own_message() { return ProfileLock::already_open_message(qint64(::getpid())); }

  private slots:
    void initTestCase() { QVERIFY(tmp_.isValid()); }

    void a_second_lock_is_refused_with_the_holders_pid() {
        const QString d = fresh_dir();
        auto first = ProfileLock::acquire(d);
        QVERIFY2(first, first ? "" : first.error().message.c_str());
        auto second = ProfileLock::acquire(d);
        QVERIFY(!second);
        QCOMPARE(QString::fromStdString(second.error().message), own_message());
        QCOMPARE(own_message(), QStringLiteral("This profile is already open in another Sotto "
                                               "program (process %1).")
                                    .arg(::getpid()));
        const auto holder = ProfileLock::recorded_holder(d);
        QVERIFY(holder);
        QCOMPARE(holder->pid, qint64(::getpid()));
        QCOMPARE(holder->owner, QFileInfo(QCoreApplication::applicationFilePath()).fileName());
        // Any spelling of the directory is the same lock.
        QVERIFY(!ProfileLock::acquire(d + QStringLiteral("/../") + QFileInfo(d).fileName()));
        QVERIFY((*first)->covers(d + QStringLiteral("/.")));
    }

    void closing_releases_it() {
        const QString d = fresh_dir();
        auto first = ProfileLock::acquire(d);
        QVERIFY(first);
        first->reset();
        QVERIFY(!ProfileLock::recorded_holder(d));
        QVERIFY(ProfileLock::acquire(d));
    }

    void a_session_holds_the_profile_until_it_ends() {
        const QString d = new_profile();
        auto one = net::ProfileSession::open(d, kPassphrase, cheap());
        QVERIFY2(one, one ? "" : one.error().message.c_str());
        auto two = net::ProfileSession::open(d, kPassphrase, cheap());
        QVERIFY(!two);
        QCOMPARE(QString::fromStdString(two.error().message), own_message());
        // Also before the passphrase is tried: it says "open", not "wrong".
        auto wrong = net::ProfileSession::open(d, QStringLiteral("not it"), cheap());
        QVERIFY(!wrong);
        QCOMPARE(QString::fromStdString(wrong.error().message), own_message());
        one->reset();
        auto three = net::ProfileSession::open(d, kPassphrase, cheap());
        QVERIFY2(three, three ? "" : three.error().message.c_str());
    }

    void a_wrong_passphrase_touches_nothing_and_leaves_it_free() {
        const QString d = new_profile();
        const QString db = QDir(d).filePath(net::kProfileDbFile);
        const QByteArray before = read_all(db);
        QVERIFY(!before.isEmpty());
        auto wrong = net::ProfileSession::open(d, QStringLiteral("not it"), cheap());
        QVERIFY(!wrong);
        QCOMPARE(wrong.error().message, std::string(store::kWrongPassphrase));
        QCOMPARE(read_all(db), before);
        QVERIFY(ProfileLock::acquire(d));
    }

    void the_callers_lock_is_used_and_must_be_this_profiles() {
        const QString d = new_profile(), other = new_profile();
        auto lock = ProfileLock::acquire(d, QStringLiteral("sotto-app"));
        QVERIFY(lock);
        auto mismatched = net::ProfileSession::open(other, kPassphrase, cheap(), *lock);
        QVERIFY(!mismatched);
        auto s = net::ProfileSession::open(d, kPassphrase, cheap(), *lock);
        QVERIFY2(s, s ? "" : s.error().message.c_str());
        QCOMPARE(ProfileLock::recorded_holder(d)->owner, QStringLiteral("sotto-app"));
        // The session shares the lock: dropping ours keeps the profile held.
        lock->reset();
        QVERIFY(!ProfileLock::acquire(d));
        s->reset();
        QVERIFY(ProfileLock::acquire(d));
    }

    void creating_needs_the_lock_too() {
        const QString d = fresh_dir();
        auto held = ProfileLock::acquire(d);
        QVERIFY(held);
        auto created = net::ProfileSession::create_profile(d, kPassphrase, QStringLiteral("Two"),
                                                           network_text(), cheap().scrypt);
        QVERIFY(!created);
        QCOMPARE(QString::fromStdString(created.error().message), own_message());
        QVERIFY(!net::ProfileSession::profile_exists(d));
        // With the lock handed in, it works.
        created = net::ProfileSession::create_profile(d, kPassphrase, QStringLiteral("Two"),
                                                      network_text(), cheap().scrypt, *held);
        QVERIFY2(created, created ? "" : created.error().message.c_str());
        QVERIFY(net::ProfileSession::profile_exists(d));
    }

    void another_process_holds_it_until_killed_with_sigkill() {
        const QString d = new_profile();
        QProcess child;
        child.start(QCoreApplication::applicationFilePath(), {kHoldLockFlag, d});
        QVERIFY(child.waitForStarted());
        QSignalSpy said(&child, &QProcess::readyReadStandardOutput);
        QVERIFY2(said.wait(10000), qPrintable(child.readAllStandardError()));
        QCOMPARE(child.readAllStandardOutput(), QByteArray("held\n"));

        const QString theirs = ProfileLock::already_open_message(child.processId());
        auto refused = ProfileLock::acquire(d);
        QVERIFY(!refused);
        QCOMPARE(QString::fromStdString(refused.error().message), theirs);
        auto session = net::ProfileSession::open(d, kPassphrase, cheap());
        QVERIFY(!session);
        QCOMPARE(QString::fromStdString(session.error().message), theirs);

        QCOMPARE(::kill(pid_t(child.processId()), SIGKILL), 0);
        QSignalSpy finished(&child, &QProcess::finished);
        QVERIFY(finished.wait(10000));
        QCOMPARE(child.exitStatus(), QProcess::CrashExit);
        // Its record is still in the file, but the kernel dropped the lock.
        QCOMPARE(ProfileLock::recorded_holder(d)->owner, QStringLiteral("lock-helper"));
        session = net::ProfileSession::open(d, kPassphrase, cheap());
        QVERIFY2(session, session ? "" : session.error().message.c_str());
        QCOMPARE(ProfileLock::recorded_holder(d)->pid, qint64(::getpid()));
    }

    void records_that_are_not_ours_are_ignored() {
        const QString d = fresh_dir();
        const QString path = QDir(d).filePath(net::kProfileLockFile);
        for (const QByteArray& junk :
             {QByteArray(""), QByteArray("12 sotto-app"), QByteArray("-1 sotto-app\n"),
              QByteArray("0 sotto-app\n"), QByteArray("12  sotto-app\n"), QByteArray("12\n"),
              QByteArray("x12 sotto-app\n"), QByteArray("12 sotto app\n"),
              QByteArray("12 ") + QByteArray(40, 'a') + '\n', QByteArray(200, '1') + '\n',
              QByteArray("12 s\xc3\xb6tto\n"), QByteArray("12 sotto-app\n\n")}) {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(junk);
            f.close();
            QVERIFY2(!ProfileLock::recorded_holder(d), junk.constData());
        }
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write("12 sotto-app\n");
        f.close();
        QCOMPARE(ProfileLock::recorded_holder(d)->pid, qint64(12));
        // A record nobody holds is no lock.
        QVERIFY(ProfileLock::acquire(d));
    }
};

int main(int argc, char** argv) {
    if (argc == 3 && std::string_view(argv[1]) == kHoldLockFlag) return hold_lock(argv[2]);
    QCoreApplication app(argc, argv);
    TestProfileLock t;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&t, argc, argv);
}

#include "tst_profile_lock.moc"
