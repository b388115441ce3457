// Screenshots through the XDG desktop portal (ui/screenshot_portal) against
// a fake portal on a private D-Bus bus started by the test (dbus-daemon,
// scripts/install-deps.sh): the picture arrives and its file is deleted,
// cancelling and failing are told apart, untrusted answers (not a file URI,
// a missing file, a symbolic link, a stranger on the bus) are refused, and
// the add-contact flow reads an invite's QR code from the portal's picture.
#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusMessage>
#include <QDBusObjectPath>
#include <QDir>
#include <QFile>
#include <QPainter>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include "tests/ui/ui_harness.hpp"
#include "ui/invite_controller.hpp"
#include "ui/qr/qr_code.hpp"
#include "ui/screenshot_portal.hpp"

using namespace sotto;
using namespace sotto::testing;
using ui::ScreenshotPortal;

namespace {

// What org.freedesktop.portal.Screenshot does, as far as Sotto can tell:
// writes a PNG, answers the call with the request path, then emits
// Response on that path.
class FakePortal : public QObject {
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.portal.Screenshot")
  public:
    enum class Uri { Png, Http, Missing, Symlink, Directory };

    FakePortal(QDBusConnection bus, QString dir) : bus_(std::move(bus)), dir_(std::move(dir)) {}

    uint response = 0;
    Uri uri = Uri::Png;
    bool answer = true;         // false: the user never finishes
    bool before_reply = false;  // Response before the call's reply (the race)
    QImage picture;
    int calls = 0;
    QString file;  // the PNG written for the last call
    QString request_path;
    QVariantMap options;

  public slots:
    QDBusObjectPath Screenshot(const QString& parent_window, const QVariantMap& opts,
                               const QDBusMessage& message) {
        Q_UNUSED(parent_window);
        ++calls;
        options = opts;
        request_path = ScreenshotPortal::request_path(
            message.service(), opts.value(QStringLiteral("handle_token")).toString());
        QVariantMap results;
        if (response == 0) {
            file = QDir(dir_).filePath(QStringLiteral("Screenshot-%1.png").arg(calls));
            picture.save(file, "PNG");
            QString u = QUrl::fromLocalFile(file).toString();
            if (uri == Uri::Http) u = QStringLiteral("https://example.org/shot.png");
            if (uri == Uri::Missing) QFile::remove(file);
            if (uri == Uri::Symlink) {
                const QString link = file + QStringLiteral(".lnk.png");
                QFile::link(file, link);
                u = QUrl::fromLocalFile(link).toString();
            }
            if (uri == Uri::Directory) u = QUrl::fromLocalFile(dir_).toString();
            results.insert(QStringLiteral("uri"), u);
        }
        if (answer) {
            const QString path = request_path;
            const uint r = response;
            auto send = [this, path, r, results] {
                auto sig = QDBusMessage::createSignal(
                    path, QStringLiteral("org.freedesktop.portal.Request"),
                    QStringLiteral("Response"));
                sig << r << results;
                bus_.send(sig);
            };
            if (before_reply)
                send();
            else
                QTimer::singleShot(0, this, send);  // after the reply, as a real dialog
        }
        emit called();
        return QDBusObjectPath(request_path);
    }

  signals:
    void called();

  private:
    QDBusConnection bus_;
    QString dir_;
};

QImage scene_with_qr(const QString& text) {
    QImage scene(800, 600, QImage::Format_RGB32);
    scene.fill(QColor(0x80, 0x80, 0x80));
    QPainter p(&scene);
    p.drawImage(250, 120, qr::render_qr(text, 5));
    return scene;
}

}  // namespace

class TestScreenshotPortal : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void cleanup();
    void success_gives_the_picture_and_deletes_the_file();
    void an_answer_before_the_reply_is_not_lost();
    void cancel_and_failure_are_told_apart();
    void untrusted_answers_are_refused();
    void only_the_portal_may_answer_and_silence_times_out();
    void no_portal_is_not_available();
    void add_contact_reads_the_code_from_the_portal_picture();

  private:
    void start_fake();

    QTemporaryDir dir_;
    QProcess daemon_;
    QString address_;
    std::unique_ptr<FakePortal> fake_;
    bool fake_registered_ = false;
    int serial_ = 0;
    QStringList connections_;
    QString fake_bus_;
    QDBusConnection open_bus(const QString& what) {
        const QString name = QStringLiteral("%1-%2").arg(what).arg(++serial_);
        connections_ << name;
        return QDBusConnection::connectToBus(address_, name);
    }
};

void TestScreenshotPortal::initTestCase() {
    QVERIFY(dir_.isValid());
    const QString daemon = QStandardPaths::findExecutable(QStringLiteral("dbus-daemon"));
    QVERIFY2(!daemon.isEmpty(), "dbus-daemon is not installed: run scripts/install-deps.sh");
    // A bus of our own: no services to activate, anyone may own any name.
    const QString conf = dir_.filePath(QStringLiteral("bus.conf"));
    QFile f(conf);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QStringLiteral(
                R"(<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%1</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
)")
                .arg(dir_.path())
                .toUtf8());
    f.close();
    daemon_.start(daemon, {QStringLiteral("--config-file=") + conf, QStringLiteral("--nofork"),
                           QStringLiteral("--print-address=1")});
    QVERIFY2(daemon_.waitForStarted(), qPrintable(daemon_.errorString()));
    while (!daemon_.canReadLine())
        QVERIFY2(daemon_.waitForReadyRead(10000), "dbus-daemon printed no address");
    address_ = QString::fromUtf8(daemon_.readLine()).trimmed();
    QVERIFY(!address_.isEmpty());
}

void TestScreenshotPortal::cleanupTestCase() {
    for (const auto& n : connections_) QDBusConnection::disconnectFromBus(n);
    daemon_.terminate();
    daemon_.waitForFinished(10000);
}

void TestScreenshotPortal::init() {
    auto bus = open_bus(QStringLiteral("fake"));
    fake_bus_ = bus.name();
    fake_ = std::make_unique<FakePortal>(bus, dir_.filePath(QStringLiteral("shots")));
    QDir().mkpath(dir_.filePath(QStringLiteral("shots")));
    fake_->picture = scene_with_qr(QStringLiteral("SOTTO:PORTAL-TEST"));
}

void TestScreenshotPortal::start_fake() {
    auto bus = QDBusConnection(fake_bus_);
    QVERIFY(bus.isConnected());
    QVERIFY(bus.registerObject(QString::fromLatin1(ScreenshotPortal::kPath), fake_.get(),
                               QDBusConnection::ExportAllSlots));
    QVERIFY(bus.registerService(QString::fromLatin1(ScreenshotPortal::kService)));
    fake_registered_ = true;
}

void TestScreenshotPortal::cleanup() {
    if (fake_registered_) {
        auto bus = QDBusConnection(fake_bus_);
        bus.unregisterService(QString::fromLatin1(ScreenshotPortal::kService));
        bus.unregisterObject(QString::fromLatin1(ScreenshotPortal::kPath));
        fake_registered_ = false;
    }
    fake_.reset();
}

void TestScreenshotPortal::success_gives_the_picture_and_deletes_the_file() {
    start_fake();
    ScreenshotPortal portal(open_bus(QStringLiteral("client")));
    QVERIFY(portal.available());
    QSignalSpy finished(&portal, &ScreenshotPortal::finished);
    QSignalSpy failed(&portal, &ScreenshotPortal::failed);
    QVERIFY(portal.request());
    QVERIFY(portal.busy());
    QVERIFY(!portal.request());  // one at a time
    QVERIFY(finished.wait(10000));
    QCOMPARE(failed.count(), 0);
    QVERIFY(!portal.busy());
    QCOMPARE(fake_->calls, 1);
    QCOMPARE(fake_->options.value(QStringLiteral("interactive")).toBool(), true);
    QVERIFY(fake_->options.value(QStringLiteral("handle_token")).toString().size() >= 16);
    const QImage image = finished.at(0).at(0).value<QImage>();
    QCOMPARE(image.size(), fake_->picture.size());
    const auto texts = qr::decode_qr(image);
    QCOMPARE(texts.size(), std::size_t(1));
    QCOMPARE(texts.front(), QStringLiteral("SOTTO:PORTAL-TEST"));
    // A picture of the screen is not left on disk.
    QVERIFY(!fake_->file.isEmpty());
    QVERIFY(!QFile::exists(fake_->file));
    // A second request works too, with another token.
    const QString first_path = fake_->request_path;
    QVERIFY(portal.request());
    QVERIFY(finished.wait(10000));
    QVERIFY(fake_->request_path != first_path);
}

void TestScreenshotPortal::an_answer_before_the_reply_is_not_lost() {
    start_fake();
    fake_->before_reply = true;
    ScreenshotPortal portal(open_bus(QStringLiteral("client")));
    QSignalSpy finished(&portal, &ScreenshotPortal::finished);
    QSignalSpy failed(&portal, &ScreenshotPortal::failed);
    portal.set_timeout(std::chrono::seconds(10));
    QVERIFY(portal.request());
    QVERIFY2(finished.wait(10000),
             failed.isEmpty() ? "nothing" : qPrintable(failed.at(0).at(0).toString()));
    QVERIFY(!QFile::exists(fake_->file));
}

void TestScreenshotPortal::cancel_and_failure_are_told_apart() {
    start_fake();
    ScreenshotPortal portal(open_bus(QStringLiteral("client")));
    QSignalSpy finished(&portal, &ScreenshotPortal::finished);
    QSignalSpy cancelled(&portal, &ScreenshotPortal::cancelled);
    QSignalSpy failed(&portal, &ScreenshotPortal::failed);
    fake_->response = 1;
    QVERIFY(portal.request());
    QVERIFY(cancelled.wait(10000));
    QCOMPARE(failed.count(), 0);
    fake_->response = 2;
    QVERIFY(portal.request());
    QVERIFY(failed.wait(10000));
    QCOMPARE(cancelled.count(), 1);
    QCOMPARE(finished.count(), 0);
    QVERIFY(!failed.at(0).at(0).toString().isEmpty());
}

void TestScreenshotPortal::untrusted_answers_are_refused() {
    start_fake();
    ScreenshotPortal portal(open_bus(QStringLiteral("client")));
    QSignalSpy finished(&portal, &ScreenshotPortal::finished);
    QSignalSpy failed(&portal, &ScreenshotPortal::failed);
    const std::pair<FakePortal::Uri, QString> cases[] = {
        {FakePortal::Uri::Http, QStringLiteral("not a local file URI")},
        {FakePortal::Uri::Missing, QStringLiteral("cannot be opened")},
        {FakePortal::Uri::Directory, QStringLiteral("not a regular file")},
        {FakePortal::Uri::Symlink, QStringLiteral("cannot be opened")},
    };
    for (const auto& [uri, reason] : cases) {
        fake_->uri = uri;
        failed.clear();
        QVERIFY(portal.request());
        QVERIFY(failed.wait(10000));
        const QString got = failed.at(0).at(0).toString();
        QVERIFY2(got.contains(reason), qPrintable(got));
        // Reasons end up in logs: no paths in them.
        QVERIFY2(!got.contains(dir_.path()), qPrintable(got));
    }
    QCOMPARE(finished.count(), 0);
    // The link (the last case) was refused, and what it points to left alone.
    QVERIFY(QFile::exists(fake_->file));
    QVERIFY(QFileInfo(fake_->file + QStringLiteral(".lnk.png")).isSymLink());
    // The directory was not touched either.
    QVERIFY(QFileInfo(dir_.filePath(QStringLiteral("shots"))).isDir());
}

void TestScreenshotPortal::only_the_portal_may_answer_and_silence_times_out() {
    start_fake();
    fake_->answer = false;
    ScreenshotPortal portal(open_bus(QStringLiteral("client")));
    QSignalSpy finished(&portal, &ScreenshotPortal::finished);
    QSignalSpy cancelled(&portal, &ScreenshotPortal::cancelled);
    QSignalSpy failed(&portal, &ScreenshotPortal::failed);
    portal.set_timeout(std::chrono::milliseconds(1500));
    QSignalSpy called(fake_.get(), &FakePortal::called);
    QVERIFY(portal.request());
    QVERIFY(called.wait(10000));
    // Someone else on the bus answers in the portal's place, with a file
    // of their choosing: not believed.
    auto stranger = open_bus(QStringLiteral("stranger"));
    const QString planted = dir_.filePath(QStringLiteral("planted.png"));
    QVERIFY(fake_->picture.save(planted, "PNG"));
    auto sig = QDBusMessage::createSignal(fake_->request_path,
                                          QStringLiteral("org.freedesktop.portal.Request"),
                                          QStringLiteral("Response"));
    sig << 0u << QVariantMap{{QStringLiteral("uri"), QUrl::fromLocalFile(planted).toString()}};
    QVERIFY(stranger.send(sig));
    QVERIFY(failed.wait(10000));
    QVERIFY2(failed.at(0).at(0).toString().contains(QStringLiteral("in time")),
             qPrintable(failed.at(0).at(0).toString()));
    QCOMPARE(finished.count(), 0);
    QCOMPARE(cancelled.count(), 0);
    QVERIFY(QFile::exists(planted));
    QVERIFY(!portal.busy());
}

void TestScreenshotPortal::no_portal_is_not_available() {
    ScreenshotPortal portal(open_bus(QStringLiteral("client")));
    QVERIFY(!portal.available());
    // No bus at all (no session bus in CI): not available either.
    ScreenshotPortal nowhere(QDBusConnection(QStringLiteral("no-such-connection")));
    QVERIFY(!nowhere.available());
    // The add-contact dialog then shows screenError.
    LoopbackNetwork net;
    TestProfile alice(net, "Alice");
    auto* inv = alice.session->invites();
    inv->set_screenshot_portal(new ScreenshotPortal(open_bus(QStringLiteral("client"))));
    QVERIFY(!inv->grabScreenWithPortal());
    QVERIFY(inv->screenError().contains(QStringLiteral("portal")));
}

void TestScreenshotPortal::add_contact_reads_the_code_from_the_portal_picture() {
    start_fake();
    LoopbackNetwork net;
    TestProfile alice(net, "Alice"), bob(net, "Bob");
    QCOMPARE(bob.session->invites()->create(24), QString());
    fake_->picture = scene_with_qr(bob.session->invites()->code());
    auto* inv = alice.session->invites();
    inv->set_screenshot_portal(new ScreenshotPortal(open_bus(QStringLiteral("client"))));
    QSignalSpy grabbed(inv, &ui::InviteController::screenGrabbed);
    QSignalSpy cancelled(inv, &ui::InviteController::screenGrabCancelled);
    QSignalSpy failed(inv, &ui::InviteController::screenGrabFailed);

    // The user cancels in the portal's dialog: back to the dialog, no error.
    fake_->response = 1;
    QVERIFY(inv->grabScreenWithPortal());
    QVERIFY(cancelled.wait(10000));
    QVERIFY(inv->screenSource().isEmpty());
    // The portal fails: a message saying what to do instead.
    fake_->response = 2;
    QVERIFY(inv->grabScreenWithPortal());
    QVERIFY(failed.wait(10000));
    QVERIFY(failed.at(0).at(0).toString().contains(QStringLiteral("Open image")));
    QCOMPARE(grabbed.count(), 0);

    // The user picked the code in the portal's dialog: accepted at once,
    // no region picker, the file gone.
    QSignalSpy accepted(inv, &ui::InviteController::contactAccepted);
    QSignalSpy taken(inv, &ui::InviteController::screenGrabAccepted);
    fake_->response = 0;
    QVERIFY(inv->grabScreenWithPortal());
    QVERIFY(taken.wait(10000));
    QCOMPARE(accepted.count(), 1);
    QCOMPARE(accepted.at(0).at(1).toString(), QStringLiteral("Bob"));
    QCOMPARE(grabbed.count(), 0);
    QVERIFY(inv->screenSource().isEmpty());
    QVERIFY(!QFile::exists(fake_->file));
    // The same code again: refused with its own message, in the dialog.
    QVERIFY(inv->grabScreenWithPortal());
    QVERIFY(failed.wait(10000));
    QCOMPARE(failed.count(), 2);
    QVERIFY2(failed.at(1).at(0).toString().contains(QStringLiteral("already")),
             qPrintable(failed.at(1).at(0).toString()));
    QCOMPARE(accepted.count(), 1);

    // A whole screen with no code read in it: offered for region picking.
    fake_->picture = QImage(800, 600, QImage::Format_RGB32);
    fake_->picture.fill(QColor(0x80, 0x80, 0x80));
    QVERIFY(inv->grabScreenWithPortal());
    QVERIFY(grabbed.wait(10000));
    QVERIFY(!inv->screenSource().isEmpty());
    QCOMPARE(alice.session->screen_grab()->image().size(), QSize(800, 600));
    QVERIFY(!QFile::exists(fake_->file));
    QVERIFY(inv->acceptScreenRegion(0.2, 0.1, 0.75, 0.85).contains(QStringLiteral("No QR code")));
    QCOMPARE(accepted.count(), 1);
}

QTEST_MAIN(TestScreenshotPortal)
#include "tst_screenshot_portal.moc"
