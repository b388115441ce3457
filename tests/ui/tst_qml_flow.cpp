// The QML views offscreen, driven like a user would: two app windows
// (Alice and Bob) in one process over the loopback transport, through
// invite → accept → chat → presence → revoke, with mouse clicks and key
// presses on the real items, checking what the windows show.
#include <QtQml/qqmlextensionplugin.h>
#include <QClipboard>
#include <QGuiApplication>
#include <QtTest>

#include "core/contacts/invite_code.hpp"
#include "core/crypto/random.hpp"
#include "tests/ui/ui_harness.hpp"
#ifdef SOTTO_CAMERA
#include <QCameraDevice>
#include <QMediaDevices>
#include <QPainter>
#include <QVideoSink>

#include "tests/ui/video_frames.hpp"
#include "ui/qr/qr_code.hpp"
#endif

Q_IMPORT_QML_PLUGIN(Sotto_UiPlugin)

using namespace sotto;
using namespace sotto::testing;

namespace {

QString text_of(TestWindow& w, const QString& name) {
    auto* o = find_object(w.window, name);
    return o ? o->property("text").toString() : QStringLiteral("<no %1>").arg(name);
}

bool popup_open(TestWindow& w, const QString& name) {
    auto* o = find_object(w.window, name);
    return o && o->property("opened").toBool();
}

}  // namespace

class TestQmlFlow : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase() { use_fusion_style(); }
    void invite_accept_chat_presence_revoke();
    void invite_dialog_defaults_to_a_day_and_says_when_the_code_was_tried();
    void keyboard_finds_and_switches_contacts();
    void a_sotto_link_is_offered_not_accepted();
#ifdef SOTTO_CAMERA
    void a_code_held_up_to_the_camera_adds_the_contact();
#endif
    void unlock_screen_says_wrong_passphrase();
    void wizard_refuses_mismatched_passphrases();
};

void TestQmlFlow::invite_accept_chat_presence_revoke() {
    LoopbackNetwork net;
    TestProfile alice(net, "Alice"), bob(net, "Bob");
    TestWindow aw(*alice.session), bw(*bob.session);
    QVERIFY(QTest::qWaitForWindowExposed(aw.window));
    QVERIFY(QTest::qWaitForWindowExposed(bw.window));
    QCOMPARE(aw.window->title(), QStringLiteral("Sotto — Alice"));
    QCOMPARE(text_of(bw, QStringLiteral("networkStatus")), QStringLiteral("Connected"));

    // ---- Bob: Ctrl+N opens the invite dialog with a fresh code.
    bw.window->requestActivate();
    QTest::keyClick(bw.window, Qt::Key_N, Qt::ControlModifier);
    QTRY_VERIFY(popup_open(bw, QStringLiteral("inviteDialog")));
    const QString code = text_of(bw, QStringLiteral("inviteCode"));
    QVERIFY2(code.startsWith(QStringLiteral("sotto:")), qPrintable(code));
    auto* qr = find_item(bw, QStringLiteral("inviteQr"));
    QVERIFY(qr);
    QTRY_COMPARE(qr->property("status").toInt(), 1);  // Image.Ready
    click(bw, find_item(bw, QStringLiteral("copyInviteButton")));
    QCOMPARE(QGuiApplication::clipboard()->text(), code);

    // ---- Alice: Add contact, paste a mistyped code first, then the right one.
    click(aw, find_item(aw, QStringLiteral("addContactButton")));
    QTRY_VERIFY(popup_open(aw, QStringLiteral("addContactDialog")));
    auto* field = find_item(aw, QStringLiteral("addContactCode"));
    QString typo = code;
    typo[typo.size() - 3] = typo[typo.size() - 3] == u'a' ? u'b' : u'a';
    field->setProperty("text", typo);
    click(aw, find_item(aw, QStringLiteral("addContactConfirm")));
    QTRY_VERIFY(!text_of(aw, QStringLiteral("addContactError")).isEmpty());
    QVERIFY(popup_open(aw, QStringLiteral("addContactDialog")));
    // From the clipboard, where Bob's copy button put it.
    click(aw, find_item(aw, QStringLiteral("fromClipboardButton")));
    QTRY_VERIFY(!popup_open(aw, QStringLiteral("addContactDialog")));
    QCOMPARE(alice.contacts().count(), 1);
    // The new contact is open in the chat pane, waiting for Bob.
    QCOMPARE(text_of(aw, QStringLiteral("chatTitle")), QStringLiteral("Bob"));

    // Bob's dialog closes by itself when the code is used.
    QTRY_VERIFY(!popup_open(bw, QStringLiteral("inviteDialog")));
    QTRY_COMPARE(bob.contacts().count(), 1);
    QTRY_VERIFY(find_item(bw, QStringLiteral("contact_Alice")));
    QTRY_COMPARE(text_of(aw, QStringLiteral("chatPresence")), QStringLiteral("Online"));

    // ---- Alice types and presses Enter; Shift+Enter is a new line.
    auto* input = find_item(aw, QStringLiteral("composerInput"));
    QVERIFY(input);
    aw.window->requestActivate();
    QTRY_VERIFY(aw.window->isActive());
    input->forceActiveFocus();
    type_text(aw.window, QStringLiteral("Hello Bob"));
    QTest::keyClick(aw.window, Qt::Key_Return, Qt::ShiftModifier);
    type_text(aw.window, QStringLiteral("second line"));
    QTest::keyClick(aw.window, Qt::Key_Return);
    QTRY_COMPARE(alice.chat().count(), 1);
    QCOMPARE(input->property("text").toString(), QString());
    QCOMPARE(alice.chat().data(alice.chat().index(0), ui::ChatModel::BodyRole).toString(),
             QStringLiteral("Hello Bob\nsecond line"));
    auto* mark = find_item(aw, QStringLiteral("deliveryMark"));
    QVERIFY(mark);
    QTRY_COMPARE(mark->property("deliveryState").toString(), QStringLiteral("delivered"));

    // Bob sees an unread badge, opens the conversation by clicking, reads.
    QTRY_COMPARE(bob.contacts().totalUnread(), 1);
    auto* badge = find_item(bw, QStringLiteral("unreadBadge"));
    QVERIFY(badge && badge->isVisible());
    bw.window->requestActivate();
    QTRY_VERIFY(bw.window->isActive());
    click(bw, find_item(bw, QStringLiteral("contact_Alice")));
    QTRY_COMPARE(text_of(bw, QStringLiteral("chatTitle")), QStringLiteral("Alice"));
    QTRY_COMPARE(bob.contacts().totalUnread(), 0);
    QCOMPARE(bob.chat().count(), 1);

    // ---- Bob goes invisible from the presence selector; Alice sees him offline.
    click(bw, find_item(bw, QStringLiteral("presenceSelector")));
    QTRY_VERIFY(popup_open(bw, QStringLiteral("presenceMenu")));
    click(bw, find_item(bw, QStringLiteral("presence_Invisible")));
    QTRY_COMPARE(bob.session->presenceMode(), ui::SessionController::Presence::Invisible);
    QTRY_COMPARE(text_of(aw, QStringLiteral("chatPresence")), QStringLiteral("Offline"));
    QVERIFY(text_of(bw, QStringLiteral("chatBanner")).contains(QStringLiteral("invisible")));

    // Sending while invisible asks first; confirming reveals him to Alice only.
    auto* binput = find_item(bw, QStringLiteral("composerInput"));
    QTRY_VERIFY(bw.window->isActive());
    binput->forceActiveFocus();
    type_text(bw.window, QStringLiteral("still here"));
    QTest::keyClick(bw.window, Qt::Key_Return);
    QTRY_VERIFY(popup_open(bw, QStringLiteral("revealDialog")));
    QCOMPARE(bob.chat().count(), 1);  // nothing sent yet
    click(bw, find_item(bw, QStringLiteral("revealSendButton")));
    QTRY_COMPARE(bob.chat().count(), 2);
    QTRY_COMPARE(text_of(aw, QStringLiteral("chatPresence")), QStringLiteral("Online"));
    QTRY_COMPARE(alice.chat().count(), 2);

    // ---- Bob revokes Alice from the contact menu, after the confirmation.
    click(bw, find_item(bw, QStringLiteral("contactMenuButton")));
    QTRY_VERIFY(popup_open(bw, QStringLiteral("contactMenu")));
    click(bw, find_item(bw, QStringLiteral("revokeItem")));
    QTRY_VERIFY(popup_open(bw, QStringLiteral("revokeDialog")));
    QCOMPARE(bob.contacts().count(), 1);  // not before confirming
    click(bw, find_item(bw, QStringLiteral("revokeConfirm")));
    QTRY_COMPARE(bob.contacts().count(), 0);
    QVERIFY(!bob.chat().hasContact());
    // To Alice, Bob just looks offline.
    QTRY_COMPARE(text_of(aw, QStringLiteral("chatPresence")), QStringLiteral("Offline"));
    QCOMPARE(alice.contacts().count(), 1);
}

// `sotto sotto:...` (a clicked link): the add-contact dialog opens with the
// code filled in, and nothing is accepted until the user confirms.
void TestQmlFlow::a_sotto_link_is_offered_not_accepted() {
    LoopbackNetwork net;
    TestProfile alice(net, "Alice");
    TestWindow w(*alice.session);
    QVERIFY(QTest::qWaitForWindowExposed(w.window));
    const QString link = QStringLiteral("sotto:aeaacaqd-aqcqmbyq-cejbgfav");
    alice.session->setPendingInvite(link);
    QTRY_VERIFY(popup_open(w, QStringLiteral("addContactDialog")));
    QCOMPARE(find_item(w, QStringLiteral("addContactCode"))->property("text").toString(), link);
    QCOMPARE(alice.session->pendingInvite(), QString());
    QCOMPARE(alice.contacts().count(), 0);
}

#ifdef SOTTO_CAMERA
// The camera dialog reads what the camera's video sink shows. CI has no
// camera, so frames go into the viewfinder's sink the way a camera's would.
void TestQmlFlow::a_code_held_up_to_the_camera_adds_the_contact() {
    LoopbackNetwork net;
    TestProfile alice(net, "Alice"), bob(net, "Bob");
    TestWindow aw(*alice.session);
    QVERIFY(QTest::qWaitForWindowExposed(aw.window));
    QVERIFY(bob.session->invites()->create(24).isEmpty());
    const QString code = bob.session->invites()->code();
    // A phone showing the code, in a room.
    const auto held_up = [](const QString& text) {
        QImage room(960, 720, QImage::Format_RGB32);
        room.fill(QColor(96, 88, 80));
        QPainter p(&room);
        p.fillRect(QRect(300, 160, 360, 440), Qt::black);
        p.drawImage(QRect(320, 230, 320, 320), qr::render_qr(text, 4, 2));
        return room;
    };

    click(aw, find_item(aw, QStringLiteral("addContactButton")));
    QTRY_VERIFY(popup_open(aw, QStringLiteral("addContactDialog")));
    auto* button = find_item(aw, QStringLiteral("fromCameraButton"));
    QVERIFY(button);
    QCOMPARE(button->isEnabled(), !QMediaDevices::videoInputs().isEmpty());
    QVERIFY(QMetaObject::invokeMethod(find_object(aw.window, QStringLiteral("addContactDialog")),
                                      "scanCamera"));
    QTRY_VERIFY(popup_open(aw, QStringLiteral("cameraScanDialog")));
    QVERIFY(!popup_open(aw, QStringLiteral("addContactDialog")));
    if (QMediaDevices::videoInputs().isEmpty())
        QVERIFY(find_item(aw, QStringLiteral("noCameraLabel"))->isVisible());

    // Back returns to the add-contact dialog; the camera view opens again.
    click(aw, find_item(aw, QStringLiteral("cameraScanCancel")));
    QTRY_VERIFY(popup_open(aw, QStringLiteral("addContactDialog")));
    QVERIFY(!popup_open(aw, QStringLiteral("cameraScanDialog")));
    QVERIFY(QMetaObject::invokeMethod(find_object(aw.window, QStringLiteral("addContactDialog")),
                                      "scanCamera"));
    QTRY_VERIFY(popup_open(aw, QStringLiteral("cameraScanDialog")));

    auto* viewfinder = find_item(aw, QStringLiteral("cameraViewfinder"));
    QVERIFY(viewfinder);
    auto* sink = viewfinder->property("videoSink").value<QVideoSink*>();
    QVERIFY(sink);
    // A QR code that is no invite: refused with a reason, still looking.
    sink->setVideoFrame(make_frame(held_up(QStringLiteral("https://example.org/menu")),
                                   QVideoFrameFormat::Format_YUYV));
    QTRY_VERIFY_WITH_TIMEOUT(!text_of(aw, QStringLiteral("cameraScanError")).isEmpty(), 10000);
    QVERIFY(popup_open(aw, QStringLiteral("cameraScanDialog")));
    QCOMPARE(alice.contacts().count(), 0);
    // Bob's code: accepted, the dialogs close and the new contact is open.
    sink->setVideoFrame(make_frame(held_up(code), QVideoFrameFormat::Format_NV12));
    QTRY_VERIFY_WITH_TIMEOUT(!popup_open(aw, QStringLiteral("cameraScanDialog")), 10000);
    QVERIFY(!popup_open(aw, QStringLiteral("addContactDialog")));
    QCOMPARE(alice.contacts().count(), 1);
    QCOMPARE(text_of(aw, QStringLiteral("chatTitle")), QStringLiteral("Bob"));
    QTRY_COMPARE(bob.contacts().count(), 1);
}
#endif

// Finding 8: an unused code tells whoever holds it when we are online.
// The dialog makes a code for a day unless asked otherwise, and says so
// when someone opened the code's stream and left without using it.
void TestQmlFlow::invite_dialog_defaults_to_a_day_and_says_when_the_code_was_tried() {
    LoopbackNetwork net;
    TestProfile bob(net, "Bob");
    TestWindow bw(*bob.session);
    QVERIFY(QTest::qWaitForWindowExposed(bw.window));
    bw.window->requestActivate();
    const auto before = net::MessengerDriver::now().unix_seconds();
    QTest::keyClick(bw.window, Qt::Key_N, Qt::ControlModifier);
    QTRY_VERIFY(popup_open(bw, QStringLiteral("inviteDialog")));
    const QString code = text_of(bw, QStringLiteral("inviteCode"));
    QVERIFY2(code.startsWith(QStringLiteral("sotto:")), qPrintable(code));
    auto* day = find_item(bw, QStringLiteral("validity_24"));
    auto* week = find_item(bw, QStringLiteral("validity_168"));
    QVERIFY(day && week);
    QVERIFY(day->property("checked").toBool());
    QVERIFY(!week->property("checked").toBool());
    QCOMPARE(bob.session->invites()->expiresText(),
             QStringLiteral("Works once · expires in 24 hours"));
    auto parsed = contacts::parse_invite(code.toStdString());
    QVERIFY(parsed);
    // Made 24 hours after some moment between the click and now (compared
    // with one reading of the clock, a second boundary in between failed it).
    const auto after = net::MessengerDriver::now().unix_seconds();
    QVERIFY2(parsed->expires_at.unix_seconds() >= before + 24 * 3600 &&
                 parsed->expires_at.unix_seconds() <= after + 24 * 3600,
             qPrintable(QString::number(parsed->expires_at.unix_seconds() - after)));
    auto* probes = find_item(bw, QStringLiteral("inviteProbes"));
    QVERIFY(probes);
    QVERIFY(!probes->isVisible());

    // Someone holding the code connects and leaves without a word.
    auto prober = net.transport();
    QCOMPARE(parsed->credentials.size(), std::size_t(1));
    const auto now = net::MessengerDriver::now();
    const auto attempt = prober->connect(parsed->credentials.front(), now);
    auto events = prober->take_events();
    QCOMPARE(events.size(), std::size_t(1));
    auto* connected = std::get_if<transport::Connected>(&events.front());
    QVERIFY(connected);
    QCOMPARE(connected->attempt, attempt);
    prober->close(connected->stream, now);
    QTRY_VERIFY(probes->isVisible());
    QCOMPARE(probes->property("text").toString(),
             QStringLiteral("Someone tried your invite code without using it."));
    QCOMPARE(bob.store->invite(1)->probes, 1u);

    // 7 days can be chosen; the new code starts without probes.
    click(bw, week);
    QTRY_VERIFY(text_of(bw, QStringLiteral("inviteCode")) != code);
    QCOMPARE(bob.session->invites()->expiresText(),
             QStringLiteral("Works once · expires in 7 days"));
    QVERIFY(!probes->isVisible());
}

void TestQmlFlow::keyboard_finds_and_switches_contacts() {
    LoopbackNetwork net;
    AliceBobCarol three(net);
    auto& [alice, bob, carol, bob_id, carol_id] = three;
    TestWindow w(*alice.session);
    QVERIFY(QTest::qWaitForWindowExposed(w.window));
    w.window->requestActivate();
    QTRY_VERIFY(w.window->isActive());
    // Alt+Down from nothing opens the first (Carol, newest), then Bob.
    QTest::keyClick(w.window, Qt::Key_Down, Qt::AltModifier);
    QTRY_COMPARE(alice.chat().contactId(), carol_id);
    QTest::keyClick(w.window, Qt::Key_Down, Qt::AltModifier);
    QTRY_COMPARE(alice.chat().contactId(), bob_id);
    QTest::keyClick(w.window, Qt::Key_Up, Qt::AltModifier);
    QTRY_COMPARE(alice.chat().contactId(), carol_id);
    // Ctrl+K: type a name, Enter opens the match.
    QTest::keyClick(w.window, Qt::Key_K, Qt::ControlModifier);
    auto* search = find_item(w, QStringLiteral("contactSearch"));
    QTRY_VERIFY(search->hasActiveFocus());
    type_text(w.window, QStringLiteral("bo"));
    QTRY_COMPARE(alice.session->contactsView()->rowCount(), 1);
    QTest::keyClick(w.window, Qt::Key_Return);
    QTRY_COMPARE(alice.chat().contactId(), bob_id);
    // Esc clears the filter; Ctrl+F works too.
    QTest::keyClick(w.window, Qt::Key_Escape);
    QTRY_COMPARE(alice.session->contactsView()->rowCount(), 2);
    find_item(w, QStringLiteral("composerInput"))->forceActiveFocus();
    QTest::keyClick(w.window, Qt::Key_F, Qt::ControlModifier);
    QTRY_VERIFY(search->hasActiveFocus());
}

void TestQmlFlow::unlock_screen_says_wrong_passphrase() {
    // A profile on disk and no session: the unlock screen.
    QTemporaryDir dir;
    SystemRng rng;
    create_store(dir.path(), "Dana", rng).reset();
    ui::SessionController session(dir.path(), QString());
    QCOMPARE(session.stage(), ui::SessionController::Stage::Unlock);
    TestWindow w(session);
    QVERIFY(QTest::qWaitForWindowExposed(w.window));
    auto* pass = find_item(w, QStringLiteral("unlockPassphrase"));
    QVERIFY(pass);
    pass->setProperty("text", QStringLiteral("not the passphrase"));
    click(w, find_item(w, QStringLiteral("unlockButton")));
    QTRY_VERIFY(text_of(w, QStringLiteral("unlockError")).contains(QStringLiteral("Wrong")));
    QCOMPARE(session.stage(), ui::SessionController::Stage::Unlock);

    // A profile changed outside Sotto (a row flipped behind its back): the
    // right passphrase gets the store's sentence, and the app stays locked.
    {
        auto db = store::SqliteDb::open(
            std::filesystem::path(QDir(dir.path()).filePath(net::kProfileDbFile).toStdString()),
            store::SqliteDb::Mode::ReadWrite);
        QVERIFY(db);
        QVERIFY(db->exec("UPDATE identity SET network_id = zeroblob(8)"));
    }
    pass->setProperty("text",
                      QString::fromUtf8(kTestPassphrase.data(), qsizetype(kTestPassphrase.size())));
    click(w, find_item(w, QStringLiteral("unlockButton")));
    QTRY_VERIFY(text_of(w, QStringLiteral("unlockError"))
                    .startsWith(QStringLiteral("This profile was changed outside Sotto:")));
    QVERIFY2(text_of(w, QStringLiteral("unlockError"))
                 .contains(QStringLiteral("the profile's own identity was altered")),
             qPrintable(text_of(w, QStringLiteral("unlockError"))));
    QCOMPARE(session.stage(), ui::SessionController::Stage::Unlock);
}

void TestQmlFlow::wizard_refuses_mismatched_passphrases() {
    QTemporaryDir dir;
    ui::SessionController session(dir.filePath(QStringLiteral("new")), QString());
    QCOMPARE(session.stage(), ui::SessionController::Stage::FirstRun);
    TestWindow w(session);
    QVERIFY(QTest::qWaitForWindowExposed(w.window));
    find_item(w, QStringLiteral("wizardName"))->setProperty("text", QStringLiteral("Eve"));
    find_item(w, QStringLiteral("wizardPassphrase"))
        ->setProperty("text", QStringLiteral("abcdefgh1"));
    find_item(w, QStringLiteral("wizardPassphrase2"))
        ->setProperty("text", QStringLiteral("abcdefgh2"));
    click(w, find_item(w, QStringLiteral("wizardNext")));
    QTRY_VERIFY(text_of(w, QStringLiteral("wizardError")).contains(QStringLiteral("differ")));
    find_item(w, QStringLiteral("wizardPassphrase2"))
        ->setProperty("text", QStringLiteral("abcdefgh1"));
    click(w, find_item(w, QStringLiteral("wizardNext")));
    QTRY_COMPARE(text_of(w, QStringLiteral("wizardError")), QString());
    // Step 2: without --network the Tor network is chosen, and the network
    // file's text is not shown.
    QCOMPARE(find_item(w, QStringLiteral("wizardNetworkTor"))->property("checked").toBool(), true);
    QCOMPARE(find_item(w, QStringLiteral("wizardNetwork"))->isVisible(), false);
    // A network file with garbage in it: its parser says what is wrong.
    click(w, find_item(w, QStringLiteral("wizardNetworkFileChoice")));
    QTRY_VERIFY(find_item(w, QStringLiteral("wizardNetwork"))->isVisible());
    find_item(w, QStringLiteral("wizardNetwork"))->setProperty("text", QStringLiteral("garbage"));
    click(w, find_item(w, QStringLiteral("wizardNext")));
    QTRY_VERIFY(!text_of(w, QStringLiteral("wizardError")).isEmpty());
    QVERIFY(!net::ProfileSession::profile_exists(session.profileDir()));
}

QTEST_MAIN(TestQmlFlow)
#include "tst_qml_flow.moc"
