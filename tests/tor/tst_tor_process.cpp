// Sotto's own tor process (net/tor_process): it starts with its sockets in
// the profile's private folder, and every way it can fail ends in one clear
// line — tor missing, a configuration tor rejects, a path too long for a
// Unix socket, tor dying after it was ready.
#include <sys/stat.h>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <csignal>

#include "core/dir/tor_network_file.hpp"
#include "net/profile_session.hpp"
#include "net/tor_process.hpp"

using namespace sotto;
using namespace sotto::net;

namespace {

// No network: these tests are about the process, not the Tor network.
TorProcessConfig offline_config(const QString& dir) {
    TorProcessConfig c;
    c.data_dir = dir + "/tor";
    c.extra = {
        {"DisableNetwork", "1"}, {"GeoIPFile", "/nonexistent"}, {"GeoIPv6File", "/nonexistent"}};
    return c;
}

mode_t mode_of(const QString& path) {
    struct stat st {};
    if (::stat(path.toLocal8Bit().constData(), &st) != 0) return 0;
    return st.st_mode & 0777;
}

}  // namespace

class TestTorProcess : public QObject {
    Q_OBJECT
  private slots:
    void opens_its_control_socket_in_a_private_folder();
    void reports_tor_missing();
    void reports_the_reason_tor_gives_for_exiting();
    void refuses_a_socket_path_too_long_for_the_kernel();
    void reports_tor_dying_after_it_was_ready();
    void a_tor_profile_without_tor_fails_with_one_line();
};

void TestTorProcess::opens_its_control_socket_in_a_private_folder() {
    QTemporaryDir dir;
    TorProcess tor(offline_config(dir.path()));
    QSignalSpy ready(&tor, &TorProcess::controlReady);
    QSignalSpy failed(&tor, &TorProcess::failed);
    QVERIFY(tor.start().has_value());
    QVERIFY2(ready.wait(30'000), failed.isEmpty() ? "" : qPrintable(failed[0][0].toString()));
    QVERIFY(failed.isEmpty());
    QVERIFY(tor.running());
    QCOMPARE(mode_of(dir.path() + "/tor"), mode_t(0700));
    QVERIFY(QFileInfo(tor.control_socket()).exists());
    // (The SOCKS socket opens only with the network: tst_tor_controller.)
    QCOMPARE(mode_of(tor.control_socket()) & 0077, mode_t(0));
    // (tor writes the cookie a moment after the socket opens: its mode is
    // checked once the controller has authenticated, in tst_tor_controller.)
    // Nothing of a torrc: every option is on the command line.
    QVERIFY(tor.arguments().contains("/dev/null"));
    tor.stop();
    QVERIFY(!tor.running());
}

void TestTorProcess::reports_tor_missing() {
    QTemporaryDir dir;
    auto config = offline_config(dir.path());
    config.tor_program = dir.path() + "/no-such-tor";
    TorProcess tor(config);
    QSignalSpy failed(&tor, &TorProcess::failed);
    QVERIFY(tor.start().has_value());
    QVERIFY(failed.wait(10'000));
    QVERIFY2(failed[0][0].toString().startsWith("tor is not installed"),
             qPrintable(failed[0][0].toString()));
}

void TestTorProcess::reports_the_reason_tor_gives_for_exiting() {
    QTemporaryDir dir;
    auto config = offline_config(dir.path());
    config.extra.push_back({"SocksPolicy", "this is not a policy"});
    TorProcess tor(config);
    QSignalSpy failed(&tor, &TorProcess::failed);
    QSignalSpy ready(&tor, &TorProcess::controlReady);
    QVERIFY(tor.start().has_value());
    QVERIFY(failed.wait(30'000));
    const QString why = failed[0][0].toString();
    QVERIFY2(why.startsWith("tor exited (1): "), qPrintable(why));
    // tor's own words, not a generic failure.
    QVERIFY2(why.contains("config", Qt::CaseInsensitive) || why.contains("policy"),
             qPrintable(why));
    QVERIFY(ready.isEmpty());
}

void TestTorProcess::refuses_a_socket_path_too_long_for_the_kernel() {
    QTemporaryDir dir;
    auto config = offline_config(dir.path() + "/" + QString(120, 'p'));
    TorProcess tor(config);
    auto started = tor.start();
    QVERIFY(!started.has_value());
    QCOMPARE(started.error().code, Errc::Config);
    QVERIFY(!tor.running());
}

void TestTorProcess::reports_tor_dying_after_it_was_ready() {
    QTemporaryDir dir;
    TorProcess tor(offline_config(dir.path()));
    QSignalSpy ready(&tor, &TorProcess::controlReady);
    QSignalSpy exited(&tor, &TorProcess::exited);
    QVERIFY(tor.start().has_value());
    QVERIFY(ready.wait(30'000));
    QVERIFY(tor.pid() > 0);
    ::kill(static_cast<pid_t>(tor.pid()), SIGKILL);
    QVERIFY(exited.wait(10'000));
    QVERIFY2(exited[0][0].toString().startsWith("tor crashed"),
             qPrintable(exited[0][0].toString()));
    QVERIFY(!tor.running());
    // And it starts again on the same folder.
    QVERIFY(tor.start().has_value());
    QVERIFY(ready.wait(30'000));
}

// Item 9: a profile on the Tor network where tor is not installed: the
// session fails with the one line (not a spinner that retries every minute
// behind the user's back), and stays offline.
void TestTorProcess::a_tor_profile_without_tor_fails_with_one_line() {
    QTemporaryDir dir;
    const QString profile = dir.path() + "/profile";
    const crypto::ScryptParams cheap{16, 1, 1};
    QVERIFY(ProfileSession::create_profile(
        profile, "pass", "Bob", QString::fromLatin1(dir::kPublicTorNetworkFile.data()), cheap));
    SessionOptions options;
    options.scrypt = cheap;
    options.tor_program = dir.path() + "/no-such-tor";
    auto session = ProfileSession::open(profile, "pass", options);
    QVERIFY2(session.has_value(), session ? "" : session.error().message.c_str());
    QSignalSpy failed(session->get(), &ProfileSession::failed);
    QVERIFY(failed.wait(30'000));
    QCOMPARE(failed.count(), 1);
    QVERIFY2(failed[0][0].toString().startsWith("tor is not installed"),
             qPrintable(failed[0][0].toString()));
    QCOMPARE((*session)->network_state(), NetworkState::Bootstrapping);
    QVERIFY((*session)->transport().status().contains("not installed"));
    // And it does not try again by itself.
    QCOMPARE((*session)->tor()->restarts(), 0);
}

QTEST_GUILESS_MAIN(TestTorProcess)
#include "tst_tor_process.moc"
