// Pictures of the main screens, in a light and a dark palette, written to
// build/screenshots/<screen>-<light|dark>.png for people to look at (fonts,
// layout, contrast): the first-run wizard, the unlock screen with a wrong
// passphrase, the main window with a conversation (and one with a queued
// message to an offline contact), the invite dialog, the add-contact dialog
// with an error, the camera view, and the revoke confirmation. The test checks only that
// each picture was made and is not blank.
#include <QtQml/qqmlextensionplugin.h>
#include <QDir>
#include <QFile>
#include <QGuiApplication>
#include <QPainter>
#include <QPalette>
#include <QtTest>

#include "core/crypto/random.hpp"
#include "tests/ui/ui_harness.hpp"
#include "ui/qr/qr_code.hpp"

Q_IMPORT_QML_PLUGIN(Sotto_UiPlugin)

using namespace sotto;
using namespace sotto::testing;

namespace {

QPalette make_palette(bool dark) {
    struct Colors {
        const char *window, *text, *base, *alt, *button, *highlight, *light, *midlight, *mid,
            *darker, *shadow, *placeholder, *disabled;
    };
    // Close to what GNOME (Adwaita) and KDE (Breeze) hand to Qt.
    const Colors c =
        dark ? Colors{"#26282c", "#e6e7e9", "#1d1e21", "#2b2d31", "#33363b", "#3b82f6", "#4a4d53",
                      "#3c3f44", "#2e3034", "#16171a", "#000000", "#8b8f96", "#6f7278"}
             : Colors{"#f2f2f3", "#1c1c1e", "#ffffff", "#f6f6f7", "#f7f7f8", "#2f6fdf", "#ffffff",
                      "#e4e4e6", "#b9b9be", "#8e8e93", "#5a5a5e", "#8a8a8f", "#a0a0a5"};
    QPalette p;
    auto set = [&](QPalette::ColorRole r, const char* col) { p.setColor(r, QColor(col)); };
    set(QPalette::Window, c.window);
    set(QPalette::WindowText, c.text);
    set(QPalette::Base, c.base);
    set(QPalette::AlternateBase, c.alt);
    set(QPalette::Text, c.text);
    set(QPalette::Button, c.button);
    set(QPalette::ButtonText, c.text);
    set(QPalette::BrightText, "#ffffff");
    set(QPalette::Highlight, c.highlight);
    set(QPalette::HighlightedText, "#ffffff");
    set(QPalette::Light, c.light);
    set(QPalette::Midlight, c.midlight);
    set(QPalette::Mid, c.mid);
    set(QPalette::Dark, c.darker);
    set(QPalette::Shadow, c.shadow);
    set(QPalette::PlaceholderText, c.placeholder);
    set(QPalette::ToolTipBase, c.base);
    set(QPalette::ToolTipText, c.text);
    set(QPalette::Link, c.highlight);
    for (auto r : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, r, QColor(c.disabled));
    return p;
}

QString shot_path(const QString& screen, bool dark) {
    QDir().mkpath(QStringLiteral(SOTTO_SCREENSHOT_DIR));
    return QStringLiteral(SOTTO_SCREENSHOT_DIR "/%1-%2.png")
        .arg(screen, dark ? QStringLiteral("dark") : QStringLiteral("light"));
}

// Lets bindings, layouts and images settle, then grabs.
void save(TestWindow& w, const QString& screen, bool dark) {
    QTest::qWait(250);
    const QImage img = w.window->grabWindow();
    QVERIFY(!img.isNull());
    // Not one flat colour: something was drawn.
    QVERIFY(img.pixel(10, 10) != img.pixel(img.width() / 2, img.height() / 2) ||
            img.pixel(img.width() / 3, img.height() / 3) != img.pixel(10, 10));
    QVERIFY2(img.save(shot_path(screen, dark)), qPrintable(shot_path(screen, dark)));
}

bool popup_open(TestWindow& w, const QString& name) {
    auto* o = find_object(w.window, name);
    return o && o->property("opened").toBool();
}

// A message from the past, as if it had been exchanged then.
void past_message(TestProfile& p, quint64 contact, bool incoming, const std::string& body,
                  QDateTime when) {
    store::MessageId id;
    p.rng.fill(id.bytes);
    const TimePoint t{when.toMSecsSinceEpoch() * 1000};
    if (incoming) {
        auto r = p.store->add_incoming(contact, id, body, t, t + Duration::seconds(2));
        QVERIFY(r && *r);
        QVERIFY(p.store->mark_read(contact));
    } else {
        QVERIFY(p.store->add_outgoing(contact, id, body, t));
        QVERIFY(p.store->set_message_state(contact, id, store::MessageState::Delivered,
                                           t + Duration::seconds(3)));
    }
}

}  // namespace

class TestScreenshots : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase();
    void screens_data();
    void screens();
};

void TestScreenshots::initTestCase() {
    use_fusion_style();
    QFont font(QStringLiteral("DejaVu Sans"));
    font.setPointSize(10);
    QGuiApplication::setFont(font);
}

void TestScreenshots::screens_data() {
    QTest::addColumn<bool>("dark");
    QTest::newRow("light") << false;
    QTest::newRow("dark") << true;
}

void TestScreenshots::screens() {
    QFETCH(bool, dark);
    QGuiApplication::setPalette(make_palette(dark));

    // ---- first-run wizard: the profile, the network (from --network), the
    // bootstrap (towards authorities that do not answer: it stays there)
    {
        QTemporaryDir dir;
        const QString network_file = dir.filePath(QStringLiteral("network.txt"));
        {
            QFile f(network_file);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(
                "# Sotto network file: every node of the network uses the same one.\n"
                "network screenshots\n"
                "authority auth1 d1ed1e5a434ccb9a1e73a732b320c3efb5a015f184705a84a68a081c56a021ca "
                "127.0.0.1 9\n"
                "authority auth2 d0e7e69311582488e572d930c5fab4d5f8cc65e3ca15acdbc26b1d4dedd6c502 "
                "127.0.0.1 9\n");
        }
        net::SessionOptions options;
        options.scrypt = crypto::ScryptParams{16, 1, 1};
        ui::SessionController session(dir.filePath(QStringLiteral("alice")), network_file, options);
        TestWindow w(session);
        QVERIFY(QTest::qWaitForWindowExposed(w.window));
        find_item(w, QStringLiteral("wizardName"))
            ->setProperty("text", QStringLiteral("Alice Martin"));
        find_item(w, QStringLiteral("wizardPassphrase"))
            ->setProperty("text", QStringLiteral("correct horse"));
        save(w, QStringLiteral("wizard"), dark);
        find_item(w, QStringLiteral("wizardPassphrase2"))
            ->setProperty("text", QStringLiteral("correct horse"));
        click(w, find_item(w, QStringLiteral("wizardNext")));
        QTRY_COMPARE(
            find_object(w.window, QStringLiteral("firstRunWizard"))->property("step").toInt(), 1);
        save(w, QStringLiteral("wizard-network"), dark);
        // The wizard's other choice, the default without --network.
        click(w, find_item(w, QStringLiteral("wizardNetworkTor")));
        QTRY_VERIFY(!find_item(w, QStringLiteral("wizardNetwork"))->isVisible());
        save(w, QStringLiteral("wizard-network-tor"), dark);
        click(w, find_item(w, QStringLiteral("wizardNetworkFileChoice")));
        QTRY_VERIFY(find_item(w, QStringLiteral("wizardNetwork"))->isVisible());
        click(w, find_item(w, QStringLiteral("wizardNext")));
        QTRY_COMPARE(
            find_object(w.window, QStringLiteral("firstRunWizard"))->property("step").toInt(), 2);
        QVERIFY(net::ProfileSession::profile_exists(session.profileDir()));
        save(w, QStringLiteral("wizard-connecting"), dark);
    }

    // ---- unlock, after a wrong passphrase
    {
        QTemporaryDir dir;
        SystemRng rng;
        create_store(dir.path(), "Alice Martin", rng).reset();
        ui::SessionController session(dir.path(), QString());
        TestWindow w(session);
        QVERIFY(QTest::qWaitForWindowExposed(w.window));
        find_item(w, QStringLiteral("unlockPassphrase"))
            ->setProperty("text", QStringLiteral("wrong"));
        click(w, find_item(w, QStringLiteral("unlockButton")));
        QTRY_VERIFY(
            !find_item(w, QStringLiteral("unlockError"))->property("text").toString().isEmpty());
        save(w, QStringLiteral("unlock"), dark);
    }

    // ---- main window: Alice and four contacts in different states
    LoopbackNetwork net;
    auto alice = std::make_unique<TestProfile>(net, "Alice Martin");
    // Erin: Alice accepted her invite, Erin went away before answering.
    {
        TestProfile erin(net, "Erin Walsh");
        QCOMPARE(erin.session->invites()->create(24), QString());
        QCOMPARE(alice->session->invites()->acceptText(erin.session->invites()->code()), QString());
    }
    auto carol = std::make_unique<TestProfile>(net, "Carol Nguyen");
    auto [carol_id, alice_at_carol] = connect_pair(*alice, *carol);
    auto dave = std::make_unique<TestProfile>(net, "Dave Okafor");
    auto [dave_id, alice_at_dave] = connect_pair(*alice, *dave);
    auto bob = std::make_unique<TestProfile>(net, "Bob Hansen");
    auto [bob_id, alice_at_bob] = connect_pair(*alice, *bob);
    Q_UNUSED(alice_at_bob);
    QTRY_COMPARE(alice->contacts().presenceOf(bob_id), QStringLiteral("online"));
    QTRY_COMPARE(alice->contacts().presenceOf(carol_id), QStringLiteral("online"));

    const QDate today = QDate::currentDate();
    const QDateTime now = QDateTime::currentDateTime();
    past_message(*alice, carol_id, true, "Thanks for the book, I finished it in two days!",
                 QDateTime(today.addDays(-3), QTime(20, 14)));
    carol->session->setPresenceMode(ui::SessionController::Presence::Away);
    QTRY_COMPARE(alice->contacts().presenceOf(carol_id), QStringLiteral("away"));

    // Dave writes three messages, then goes offline.
    dave->chat().setContactId(alice_at_dave);
    for (const char* m :
         {"Hey Alice", "Are you coming to the meetup on Thursday?", "I can give you a lift 🚗"})
        QCOMPARE(dave->chat().send(QString::fromUtf8(m)), QString());
    QTRY_COMPARE(alice->contacts()
                     .data(alice->contacts().index(alice->contacts().indexOf(dave_id)),
                           ui::ContactListModel::UnreadRole)
                     .toInt(),
                 3);
    dave.reset();
    QTRY_COMPARE(alice->contacts().presenceOf(dave_id), QStringLiteral("offline"));
    Q_UNUSED(alice_at_carol);

    // Bob: yesterday's conversation and this morning's.
    const QDate yesterday = today.addDays(-1);
    past_message(*alice, bob_id, true, "Are we still on for the climbing gym tomorrow?",
                 QDateTime(yesterday, QTime(18, 2)));
    past_message(*alice, bob_id, false, "Yes! 7 pm works for me 🧗",
                 QDateTime(yesterday, QTime(18, 5)));
    past_message(*alice, bob_id, true, "Great, I'll bring the spare harness.",
                 QDateTime(yesterday, QTime(18, 6)));
    past_message(*alice, bob_id, true, "Morning! Did you get the photos from Saturday?",
                 now.addSecs(-40 * 60));
    past_message(*alice, bob_id, false,
                 "Got them, thanks. The one on the ridge is my new wallpaper.",
                 now.addSecs(-36 * 60));
    past_message(*alice, bob_id, true, "Ha, I knew you'd like that one 😄", now.addSecs(-35 * 60));

    TestWindow w(*alice->session);
    QVERIFY(QTest::qWaitForWindowExposed(w.window));
    w.window->requestActivate();
    alice->chat().setContactId(bob_id);
    QCOMPARE(alice->chat().send(QStringLiteral(
                 "Sending you the route map now. It's a long one, so I split it into two parts: "
                 "tell me if the second part doesn't make sense.")),
             QString());
    QTRY_COMPARE(alice->chat().data(alice->chat().index(0), ui::ChatModel::StateRole).toString(),
                 QStringLiteral("delivered"));
    // Grabbed before Bob's acknowledgement is processed: one tick ("sent").
    QCOMPARE(alice->chat().send(QStringLiteral("See you at 7!")), QString());
    {
        const QImage img = w.window->grabWindow();
        QVERIFY(img.save(shot_path(QStringLiteral("main"), dark)));
    }
    QTest::qWait(100);

    // A message to offline Dave waits in the outbox (the clock).
    alice->chat().setContactId(dave_id);
    QCOMPARE(alice->chat().send(QStringLiteral("Yes please! Pick me up at 6?")), QString());
    save(w, QStringLiteral("main-queued"), dark);

    // ---- invite dialog (Ctrl+N)
    alice->chat().setContactId(bob_id);
    QTest::keyClick(w.window, Qt::Key_N, Qt::ControlModifier);
    QTRY_VERIFY(popup_open(w, QStringLiteral("inviteDialog")));
    QTRY_COMPARE(find_item(w, QStringLiteral("inviteQr"))->property("status").toInt(), 1);
    save(w, QStringLiteral("invite"), dark);
    QMetaObject::invokeMethod(find_object(w.window, QStringLiteral("inviteDialog")), "close");
    QTRY_VERIFY(!popup_open(w, QStringLiteral("inviteDialog")));

    // ---- add-contact dialog with a mistyped code
    click(w, find_item(w, QStringLiteral("addContactButton")));
    QTRY_VERIFY(popup_open(w, QStringLiteral("addContactDialog")));
    QCOMPARE(carol->session->invites()->create(24), QString());
    QString typo = carol->session->invites()->code();
    typo[20] = typo[20] == u'a' ? u'b' : u'a';
    find_item(w, QStringLiteral("addContactCode"))->setProperty("text", typo);
    click(w, find_item(w, QStringLiteral("addContactConfirm")));
    QTRY_VERIFY(
        !find_item(w, QStringLiteral("addContactError"))->property("text").toString().isEmpty());
    save(w, QStringLiteral("add-contact"), dark);
#ifdef SOTTO_CAMERA
    // ---- the camera view (CI has no camera: it says so)
    QVERIFY(QMetaObject::invokeMethod(find_object(w.window, QStringLiteral("addContactDialog")),
                                      "scanCamera"));
    QTRY_VERIFY(popup_open(w, QStringLiteral("cameraScanDialog")));
    save(w, QStringLiteral("camera"), dark);
    QMetaObject::invokeMethod(find_object(w.window, QStringLiteral("cameraScanDialog")), "close");
    QTRY_VERIFY(!popup_open(w, QStringLiteral("cameraScanDialog")));
#else
    QMetaObject::invokeMethod(find_object(w.window, QStringLiteral("addContactDialog")), "close");
#endif
    QTRY_VERIFY(!popup_open(w, QStringLiteral("addContactDialog")));

    // ---- picking a QR code on a screen grab (the offscreen platform cannot
    // grab, so the test hands the controller a picture): drag around the
    // code, and the contact is added.
    TestProfile frank(net, "Frank Moreau");
    QCOMPARE(frank.session->invites()->create(1), QString());
    {
        QImage scene = w.window->grabWindow().scaled(800, 600);
        QPainter p(&scene);
        p.fillRect(QRect(290, 140, 240, 240), Qt::white);
        p.drawImage(QRect(300, 150, 220, 220), qr::render_qr(frank.session->invites()->code()));
        alice->session->invites()->set_screen_image(scene);
    }
    click(w, find_item(w, QStringLiteral("addContactButton")));
    QTRY_VERIFY(popup_open(w, QStringLiteral("addContactDialog")));
    auto* picker =
        qobject_cast<QQuickWindow*>(find_object(w.window, QStringLiteral("screenRegionPicker")));
    QVERIFY(picker);
    picker->resize(800, 600);
    picker->show();
    QVERIFY(QTest::qWaitForWindowExposed(picker));
    QTest::mousePress(picker, Qt::LeftButton, {}, QPoint(270, 120));
    for (int i = 1; i <= 10; ++i) QTest::mouseMove(picker, QPoint(270 + i * 28, 120 + i * 28));
    {
        QTest::qWait(200);
        QVERIFY(picker->grabWindow().save(shot_path(QStringLiteral("screen-region"), dark)));
    }
    const int before = alice->contacts().count();
    QTest::mouseRelease(picker, Qt::LeftButton, {}, QPoint(550, 400));
    QTRY_COMPARE(alice->contacts().count(), before + 1);
    QTRY_VERIFY(!picker->isVisible());
    QTRY_VERIFY(!popup_open(w, QStringLiteral("addContactDialog")));

    // ---- revoke confirmation, from the contact menu
    click(w, find_item(w, QStringLiteral("contactMenuButton")));
    QTRY_VERIFY(popup_open(w, QStringLiteral("contactMenu")));
    click(w, find_item(w, QStringLiteral("revokeItem")));
    QTRY_VERIFY(popup_open(w, QStringLiteral("revokeDialog")));
    save(w, QStringLiteral("revoke"), dark);
}

QTEST_MAIN(TestScreenshots)
#include "tst_screenshots.moc"
