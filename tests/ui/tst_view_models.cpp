// The view-models on their own (no QML): two profiles in one process over
// the loopback transport, driven through the same calls the views make,
// checked through the models' rows and properties.
#include <QPainter>
#include <QSignalSpy>
#include <QtTest>

#include "core/chat/chat_frame.hpp"
#include "tests/common/test_grants.hpp"
#include "tests/ui/ui_harness.hpp"
#include "ui/contact_list_model.hpp"
#include "ui/qr/qr_code.hpp"
#include "ui/time_format.hpp"

using namespace sotto;
using namespace sotto::testing;
using ui::ChatModel;
using ui::ContactListModel;

namespace {

QVariant role(const QAbstractItemModel& m, int row, int role) {
    return m.data(m.index(row, 0), role);
}

}  // namespace

class TestViewModels : public QObject {
    Q_OBJECT
  private slots:
    void contact_list_loads_sorted_from_store();
    void invite_accept_makes_both_contacts_online();
    void chat_sends_delivers_and_counts_unread();
    void chat_pages_history_fifty_at_a_time();
    void rename_safety_number_appear_offline();
    void invisible_hides_and_sending_reveals();
    void revoke_is_silent_and_looks_offline();
    void an_expired_invite_is_shown_and_can_be_removed();
    void invite_errors_each_have_a_message();
    void accept_from_qr_image();
    void filter_and_step_through_contacts();
    void time_texts();
};

void TestViewModels::contact_list_loads_sorted_from_store() {
    LoopbackNetwork net;
    TestProfile p(net, "Carol", /*start=*/false);
    auto& st = *p.store;
    auto add = [&](const std::string& name) {
        store::ContactRecord c{
            .id = 0,
            .state = store::ContactState::Established,
            .name = name,
            .nickname = {},
            .appear_offline = false,
            .our_grants = sotto::testing::onion_grants(p.rng),
            .their_credentials = sotto::testing::onion_credentials(p.rng),
            .our_pairwise = crypto::Ed25519SecretKey::generate(p.rng),
            .their_pairwise = std::nullopt,
            .created_at = TimePoint::from_seconds(1'700'000'000),
        };
        return *st.add_contact(std::move(c));
    };
    const auto dave = add("Dave");
    const auto erin = add("Erin");
    const auto frank = add("Frank");
    auto msg = [&](store::ContactId c, int seconds_ago, bool incoming) {
        store::MessageId id;
        p.rng.fill(id.bytes);
        const auto t = net::MessengerDriver::now() - Duration::seconds(seconds_ago);
        if (incoming)
            QVERIFY(st.add_incoming(c, id, "hi", t, t));
        else
            QVERIFY(st.add_outgoing(c, id, "hi", t));
    };
    msg(dave, 300, true);
    msg(erin, 10, false);
    msg(dave, 200, true);
    // Reload: Erin (10 s ago), Dave (200 s ago, 2 unread), Frank (never).
    p.session->attach(p.store.get(), nullptr);
    auto& m = p.contacts();
    QCOMPARE(m.count(), 3);
    QCOMPARE(m.contactAt(0), erin);
    QCOMPARE(m.contactAt(1), dave);
    QCOMPARE(m.contactAt(2), frank);
    QCOMPARE(role(m, 1, ContactListModel::DisplayRole).toString(), QStringLiteral("Dave"));
    QCOMPARE(role(m, 1, ContactListModel::UnreadRole).toInt(), 2);
    QCOMPARE(role(m, 1, ContactListModel::InitialsRole).toString(), QStringLiteral("D"));
    QCOMPARE(role(m, 1, ContactListModel::PresenceRole).toString(), QStringLiteral("offline"));
    QVERIFY(role(m, 0, ContactListModel::LastActivityRole).toDateTime().isValid());
    QVERIFY(!role(m, 2, ContactListModel::LastActivityRole).toDateTime().isValid());
    QCOMPARE(m.totalUnread(), 2);
    // Reading clears the badge, also in the store.
    p.chat().setViewing(true);
    p.chat().setContactId(dave);
    QCOMPARE(m.totalUnread(), 0);
    QCOMPARE(st.contact_summaries()->at(0).unread + st.contact_summaries()->at(1).unread +
                 st.contact_summaries()->at(2).unread,
             0u);
    QCOMPARE(ui::initials_of(QStringLiteral("ada  lovelace")), QStringLiteral("AL"));
    QCOMPARE(ui::initials_of(QStringLiteral("😀 smile")), QStringLiteral("😀S"));
}

void TestViewModels::invite_accept_makes_both_contacts_online() {
    LoopbackNetwork net;
    TestProfile alice(net, "Alice"), bob(net, "Bob");
    QVERIFY(bob.session->invites()->code().isEmpty());
    QCOMPARE(bob.session->invites()->create(1), QString());
    QVERIFY(bob.session->invites()->code().startsWith(QStringLiteral("sotto:")));
    QVERIFY(bob.session->invites()->qrSource().startsWith(QStringLiteral("image://sotto/qr/")));
    QVERIFY(!bob.session->invites()->expiresText().isEmpty());

    QSignalSpy inserted(&alice.contacts(), &QAbstractItemModel::rowsInserted);
    QCOMPARE(alice.session->invites()->acceptText(bob.session->invites()->code()), QString());
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(alice.contacts().count(), 1);
    // Pending until Bob's Welcome, named by the invite's hint meanwhile.
    QCOMPARE(role(alice.contacts(), 0, ContactListModel::DisplayRole).toString(),
             QStringLiteral("Bob"));

    QTRY_COMPARE(bob.contacts().count(), 1);
    QTRY_COMPARE(role(alice.contacts(), 0, ContactListModel::PendingRole).toBool(), false);
    QTRY_COMPARE(role(alice.contacts(), 0, ContactListModel::PresenceRole).toString(),
                 QStringLiteral("online"));
    QTRY_COMPARE(role(bob.contacts(), 0, ContactListModel::PresenceRole).toString(),
                 QStringLiteral("online"));
    QCOMPARE(role(bob.contacts(), 0, ContactListModel::DisplayRole).toString(),
             QStringLiteral("Alice"));
    // The code was used: the dialog forgot it.
    QVERIFY(bob.session->invites()->code().isEmpty());
}

void TestViewModels::chat_sends_delivers_and_counts_unread() {
    LoopbackNetwork net;
    TestProfile alice(net, "Alice"), bob(net, "Bob");
    auto [bob_id, alice_id] = connect_pair(alice, bob);
    QTRY_COMPARE(alice.contacts().presenceOf(bob_id), QStringLiteral("online"));

    alice.chat().setContactId(bob_id);
    QCOMPARE(alice.chat().title(), QStringLiteral("Bob"));
    QVERIFY(alice.chat().canSend());
    QCOMPARE(alice.chat().count(), 0);
    QCOMPARE(alice.chat().send(QStringLiteral("  Grüße 👋\nzweite Zeile  ")), QString());
    QCOMPARE(alice.chat().count(), 1);
    QCOMPARE(role(alice.chat(), 0, ChatModel::BodyRole).toString(),
             QStringLiteral("Grüße 👋\nzweite Zeile"));
    QCOMPARE(role(alice.chat(), 0, ChatModel::OutgoingRole).toBool(), true);
    QTRY_COMPARE(role(alice.chat(), 0, ChatModel::StateRole).toString(),
                 QStringLiteral("delivered"));
    QVERIFY(!role(alice.chat(), 0, ChatModel::DeliveredTextRole).toString().isEmpty());
    QCOMPARE(role(alice.chat(), 0, ChatModel::FirstOfDayRole).toBool(), true);
    QCOMPARE(role(alice.chat(), 0, ChatModel::DayTextRole).toString(), QStringLiteral("Today"));

    // Bob is not looking: unread counts up and a notification is asked for.
    QCOMPARE(bob.contacts().totalUnread(), 1);
    QSignalSpy notify(bob.session.get(), &ui::SessionController::notify);
    QCOMPARE(alice.chat().send(QStringLiteral("second")), QString());
    QTRY_COMPARE(bob.contacts().totalUnread(), 2);
    QCOMPARE(notify.count(), 1);
    QCOMPARE(notify.at(0).at(1).toString(), QStringLiteral("Alice"));
    QCOMPARE(notify.at(0).at(2).toString(), QStringLiteral("second"));
    // Opening the conversation in the active window reads it.
    bob.chat().setViewing(true);
    bob.chat().setContactId(alice_id);
    QCOMPARE(bob.contacts().totalUnread(), 0);
    QCOMPARE(bob.chat().count(), 2);
    QCOMPARE(role(bob.chat(), 0, ChatModel::BodyRole).toString(), QStringLiteral("second"));
    QCOMPARE(role(bob.chat(), 0, ChatModel::StateRole).toString(), QStringLiteral("received"));
    // While reading, a new message neither counts nor notifies.
    QSignalSpy arrived(&bob.chat(), &ChatModel::messageArrived);
    QCOMPARE(alice.chat().send(QStringLiteral("third")), QString());
    QTRY_COMPARE(bob.chat().count(), 3);
    QCOMPARE(arrived.count(), 1);
    QCOMPARE(bob.contacts().totalUnread(), 0);
    QCOMPARE(notify.count(), 1);

    // Limits come back as messages.
    QVERIFY(!alice.chat().send(QStringLiteral("   ")).isEmpty());
    const QString huge(ChatModel::maxBodyBytes() + 1, u'x');
    QVERIFY(alice.chat().send(huge).contains(QStringLiteral("too long")));
    QCOMPARE(alice.chat().utf8Length(QStringLiteral("é")), 2);
}

void TestViewModels::chat_pages_history_fifty_at_a_time() {
    LoopbackNetwork net;
    TestProfile alice(net, "Alice"), bob(net, "Bob");
    auto [bob_id, alice_id] = connect_pair(alice, bob);
    Q_UNUSED(alice_id);
    for (int i = 0; i < 120; ++i) {
        store::MessageId id;
        alice.rng.fill(id.bytes);
        const auto t = net::MessengerDriver::now() - Duration::hours(120 - i);
        QVERIFY(alice.store->add_incoming(bob_id, id, "m" + std::to_string(i), t, t));
    }
    auto& chat = alice.chat();
    chat.setContactId(bob_id);
    QCOMPARE(chat.count(), 50);
    QVERIFY(chat.canFetchMore());
    QCOMPARE(role(chat, 0, ChatModel::BodyRole).toString(), QStringLiteral("m119"));
    QCOMPARE(role(chat, 49, ChatModel::BodyRole).toString(), QStringLiteral("m70"));
    QSignalSpy inserted(&chat, &QAbstractItemModel::rowsInserted);
    chat.fetchMore();
    QCOMPARE(chat.count(), 100);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), 50);
    QCOMPARE(role(chat, 99, ChatModel::BodyRole).toString(), QStringLiteral("m20"));
    chat.fetchMore();
    QCOMPARE(chat.count(), 120);
    QVERIFY(!chat.canFetchMore());
    QCOMPARE(role(chat, 119, ChatModel::BodyRole).toString(), QStringLiteral("m0"));
    // Hourly messages: exactly the first message of each day starts a day.
    int days = 0;
    for (int i = 0; i < chat.count(); ++i)
        days += role(chat, i, ChatModel::FirstOfDayRole).toBool();
    const QDate first = role(chat, 119, ChatModel::TimeRole).toDateTime().date();
    const QDate last = role(chat, 0, ChatModel::TimeRole).toDateTime().date();
    QCOMPARE(days, static_cast<int>(first.daysTo(last)) + 1);
    // A new message lands at row 0 without reloading.
    QSignalSpy reset(&chat, &QAbstractItemModel::modelReset);
    QCOMPARE(chat.send(QStringLiteral("newest")), QString());
    QCOMPARE(chat.count(), 121);
    QCOMPARE(role(chat, 0, ChatModel::BodyRole).toString(), QStringLiteral("newest"));
    QCOMPARE(reset.count(), 0);
}

void TestViewModels::rename_safety_number_appear_offline() {
    LoopbackNetwork net;
    TestProfile alice(net, "Alice"), bob(net, "Bob");
    auto [bob_id, alice_id] = connect_pair(alice, bob);
    auto* actions = alice.session->contactActions();
    QVERIFY(actions->available());
    QTRY_COMPARE(alice.contacts().presenceOf(bob_id), QStringLiteral("online"));
    QTRY_COMPARE(role(alice.contacts(), 0, ContactListModel::PendingRole).toBool(), false);

    alice.chat().setContactId(bob_id);
    QCOMPARE(actions->rename(bob_id, QStringLiteral("Bobby")), QString());
    QCOMPARE(alice.contacts().displayOf(bob_id), QStringLiteral("Bobby"));
    QCOMPARE(alice.chat().title(), QStringLiteral("Bobby"));
    QCOMPARE(actions->rename(bob_id, QString()), QString());  // back to his own name
    QCOMPARE(alice.contacts().displayOf(bob_id), QStringLiteral("Bob"));
    QVERIFY(!actions->rename(bob_id, QString(200, u'x')).isEmpty());

    const QString a = actions->safetyNumber(bob_id);
    QVERIFY(!a.isEmpty());
    QCOMPARE(bob.session->contactActions()->safetyNumber(alice_id), a);

    // Alice appears offline to Bob: Bob sees her offline; she still sees him.
    QCOMPARE(actions->setAppearOffline(bob_id, true), QString());
    QVERIFY(actions->appearsOffline(bob_id));
    QCOMPARE(alice.contacts()
                 .data(alice.contacts().index(0), ContactListModel::AppearOfflineRole)
                 .toBool(),
             true);
    QVERIFY(alice.chat().sendingRevealsPresence());
    QTRY_COMPARE(bob.contacts().presenceOf(alice_id), QStringLiteral("offline"));
    QCOMPARE(actions->setAppearOffline(bob_id, false), QString());
    QVERIFY(!alice.chat().sendingRevealsPresence());
    QTRY_COMPARE(bob.contacts().presenceOf(alice_id), QStringLiteral("online"));
}

void TestViewModels::invisible_hides_and_sending_reveals() {
    LoopbackNetwork net;
    TestProfile alice(net, "Alice"), bob(net, "Bob");
    auto [bob_id, alice_id] = connect_pair(alice, bob);
    QTRY_COMPARE(alice.contacts().presenceOf(bob_id), QStringLiteral("online"));
    using P = ui::SessionController::Presence;

    QSignalSpy mode(bob.session.get(), &ui::SessionController::presenceModeChanged);
    bob.session->setPresenceMode(P::Away);
    QCOMPARE(bob.session->presenceMode(), P::Away);
    QVERIFY(mode.count() >= 1);
    QTRY_COMPARE(alice.contacts().presenceOf(bob_id), QStringLiteral("away"));

    bob.session->setPresenceMode(P::Invisible);
    QTRY_COMPARE(alice.contacts().presenceOf(bob_id), QStringLiteral("offline"));
    bob.chat().setContactId(alice_id);
    QVERIFY(bob.chat().sendingRevealsPresence());
    QVERIFY(bob.session->contactActions()->sendingRevealsPresence(alice_id));
    // Bob sends anyway (the view asked): Alice, only Alice, sees him again.
    QCOMPARE(bob.chat().send(QStringLiteral("psst")), QString());
    QTRY_COMPARE(alice.contacts().presenceOf(bob_id), QStringLiteral("online"));
    QTRY_COMPARE(role(bob.chat(), 0, ChatModel::StateRole).toString(), QStringLiteral("delivered"));
    QVERIFY(!bob.chat().sendingRevealsPresence());

    bob.session->setPresenceMode(P::Visible);
    QCOMPARE(bob.session->presenceMode(), P::Visible);
}

void TestViewModels::revoke_is_silent_and_looks_offline() {
    LoopbackNetwork net;
    TestProfile alice(net, "Alice"), bob(net, "Bob");
    auto [bob_id, alice_id] = connect_pair(alice, bob);
    QTRY_COMPARE(alice.contacts().presenceOf(bob_id), QStringLiteral("online"));
    bob.chat().setContactId(alice_id);
    QSignalSpy gone(&bob.chat(), &ChatModel::contactRemoved);
    QCOMPARE(bob.session->contactActions()->revoke(alice_id), QString());
    QCOMPARE(bob.contacts().count(), 0);
    QCOMPARE(gone.count(), 1);
    QCOMPARE(bob.chat().contactId(), 0u);
    QVERIFY(!bob.chat().hasContact());
    // Alice keeps Bob, who now looks offline, and she cannot reach him.
    QTRY_COMPARE(alice.contacts().presenceOf(bob_id), QStringLiteral("offline"));
    QCOMPARE(alice.contacts().count(), 1);
    alice.chat().setContactId(bob_id);
    QCOMPARE(alice.chat().send(QStringLiteral("hello?")), QString());
    QTest::qWait(300);
    QCOMPARE(role(alice.chat(), 0, ChatModel::StateRole).toString(), QStringLiteral("queued"));
    QCOMPARE(bob.endpoint->loopback().grant_count(), 0u);
    QVERIFY(!bob.session->contactActions()->revoke(alice_id).isEmpty());
}

void TestViewModels::an_expired_invite_is_shown_and_can_be_removed() {
    // Alice accepted a code from someone who never answered; it expires a
    // second after her messenger starts.
    LoopbackNetwork net;
    TestProfile alice(net, "Alice", /*start=*/false);
    const auto expires = net::MessengerDriver::now() + Duration::seconds(1);
    auto id = alice.store->add_contact(store::ContactRecord{
        .id = 0,
        .state = store::ContactState::Requested,
        .name = "Dana",
        .nickname = {},
        .appear_offline = false,
        .our_grants = sotto::testing::onion_grants(alice.rng),
        .their_credentials = sotto::testing::onion_credentials(alice.rng),
        .our_pairwise = crypto::Ed25519SecretKey::generate(alice.rng),
        .their_pairwise = std::nullopt,
        .created_at = TimePoint::from_seconds(1'700'000'000),
        .invite_expires_at = expires,
    });
    QVERIFY(id);
    alice.start_messenger();
    auto& m = alice.contacts();
    QCOMPARE(m.count(), 1);
    QVERIFY(role(m, 0, ContactListModel::PendingRole).toBool());
    QVERIFY(!role(m, 0, ContactListModel::InviteExpiredRole).toBool());
    alice.chat().setContactId(*id);
    QCOMPARE(alice.chat().send(QStringLiteral("hello?")), QString());
    QVERIFY(alice.chat().pending());
    QVERIFY(!alice.chat().inviteExpired());

    QVERIFY(!m.inviteExpiredOf(*id));
    QTRY_VERIFY(role(m, 0, ContactListModel::InviteExpiredRole).toBool());
    QVERIFY(m.inviteExpiredOf(*id));  // the contact menu offers "Remove…"
    QVERIFY(!role(m, 0, ContactListModel::PendingRole).toBool());
    QTRY_VERIFY(alice.chat().inviteExpired());
    QVERIFY(!alice.chat().pending());
    QTRY_COMPARE(role(alice.chat(), 0, ChatModel::StateRole).toString(), QStringLiteral("failed"));
    const QString refused = alice.chat().send(QStringLiteral("still there?"));
    QVERIFY2(refused.contains(QStringLiteral("new code")), qPrintable(refused));
    QCOMPARE(alice.chat().count(), 1);

    // Removed like any contact.
    QCOMPARE(alice.session->contactActions()->revoke(*id), QString());
    QCOMPARE(m.count(), 0);
    QCOMPARE(alice.endpoint->loopback().grant_count(), 0u);
}

void TestViewModels::invite_errors_each_have_a_message() {
    LoopbackNetwork net;
    TestProfile alice(net, "Alice"), bob(net, "Bob");
    auto* inv = alice.session->invites();
    QCOMPARE(bob.session->invites()->create(24), QString());
    const QString code = bob.session->invites()->code();

    QStringList messages;
    messages << inv->acceptText(QString());
    messages << inv->acceptText(QStringLiteral("hello there"));
    QString typo = code;
    const int at = typo.size() / 2;
    typo[at] = typo[at] == u'a' ? u'c' : u'a';
    messages << inv->acceptText(typo);
    // Alice accepting her own code.
    QCOMPARE(inv->create(24), QString());
    messages << inv->acceptText(inv->code());
    for (const auto& m : messages) QVERIFY2(!m.isEmpty(), "every refusal says why");
    messages.removeDuplicates();
    QCOMPARE(messages.size(), 4);

    QCOMPARE(inv->acceptText(code), QString());
    const QString again = inv->acceptText(code);
    QVERIFY(!again.isEmpty());
    QVERIFY(!messages.contains(again));
    QCOMPARE(
        inv->acceptImageFile(QUrl::fromLocalFile(QStringLiteral("/nonexistent.png"))).isEmpty(),
        false);
    QImage blank(200, 200, QImage::Format_RGB32);
    blank.fill(Qt::white);
    QVERIFY(inv->accept_image(blank).contains(QStringLiteral("No QR code")));
    // The offscreen platform cannot grab the screen: the controller says
    // what to do instead.
    if (!inv->grabScreen()) QVERIFY(!inv->screenError().isEmpty());
    QVERIFY(!inv->cameraAvailable());
}

void TestViewModels::accept_from_qr_image() {
    LoopbackNetwork net;
    TestProfile alice(net, "Alice"), bob(net, "Bob");
    QCOMPARE(bob.session->invites()->create(24 * 7), QString());
    // What the invite dialog shows, through the image provider, then
    // "photographed" onto a bigger grey background.
    ui::ImageProvider provider(std::make_shared<ui::ScreenGrab>());
    const QString url = bob.session->invites()->qrSource();
    QSize size;
    const QImage qr = provider.requestImage(url.mid(QStringLiteral("image://sotto/").size()), &size,
                                            QSize(300, 300));
    QVERIFY(!qr.isNull());
    QCOMPARE(size, qr.size());
    QVERIFY(qr.width() <= 300 && qr.width() >= 150);
    QImage scene(800, 600, QImage::Format_RGB32);
    scene.fill(QColor(0x80, 0x80, 0x80));
    {
        QPainter p(&scene);
        p.drawImage(250, 120, qr);
    }
    // Through the screen-region path: the region around the code.
    auto shared = alice.session->screen_grab();
    shared->set(scene);
    QString e = alice.session->invites()->acceptScreenRegion(0.0, 0.0, 0.01, 0.01);
    QVERIFY(e.contains(QStringLiteral("rectangle")));
    QSignalSpy accepted(alice.session->invites(), &ui::InviteController::contactAccepted);
    e = alice.session->invites()->acceptScreenRegion(200.0 / 800, 100.0 / 600, 400.0 / 800,
                                                     400.0 / 600);
    QCOMPARE(e, QString());
    QCOMPARE(accepted.count(), 1);
    QCOMPARE(accepted.at(0).at(1).toString(), QStringLiteral("Bob"));
    QTRY_COMPARE(bob.contacts().count(), 1);
    // The icon is served too.
    QVERIFY(!provider.requestImage(QStringLiteral("icon/64"), &size, {}).isNull());
}

void TestViewModels::filter_and_step_through_contacts() {
    LoopbackNetwork net;
    AliceBobCarol three(net);
    auto& [alice, bob, carol, bob_id, carol_id] = three;
    auto& s = *alice.session;
    QCOMPARE(s.contactsView()->rowCount(), 2);
    // Carol was added last: on top.
    QCOMPARE(s.stepContact(0, 0), carol_id);
    QCOMPARE(s.stepContact(carol_id, 1), bob_id);
    QCOMPARE(s.stepContact(bob_id, 1), bob_id);  // clamped
    QCOMPARE(s.stepContact(bob_id, -1), carol_id);
    s.setContactFilter(QStringLiteral("bo"));
    QCOMPARE(s.contactsView()->rowCount(), 1);
    QCOMPARE(s.viewRowOf(carol_id), -1);
    QCOMPARE(s.stepContact(carol_id, 1), bob_id);
    s.setContactFilter(QStringLiteral("zz"));
    QCOMPARE(s.stepContact(carol_id, 1), 0u);
    s.setContactFilter(QString());
    // A message moves its contact to the top.
    alice.chat().setContactId(bob_id);
    QSignalSpy moved(&alice.contacts(), &QAbstractItemModel::rowsMoved);
    QCOMPARE(alice.chat().send(QStringLiteral("hi")), QString());
    QCOMPARE(moved.count(), 1);
    QCOMPARE(alice.contacts().contactAt(0), bob_id);
}

void TestViewModels::time_texts() {
    const QDateTime now(QDate(2025, 6, 4), QTime(15, 0));
    const QString morning = ui::list_time_text(QDateTime(QDate(2025, 6, 4), QTime(9, 5, 7)), now);
    QVERIFY(morning.contains(QStringLiteral("05")));
    QVERIFY2(!morning.contains(QStringLiteral("07")), "no seconds");
    QCOMPARE(ui::list_time_text(QDateTime(QDate(2025, 6, 3), QTime(9, 5)), now),
             QStringLiteral("Yesterday"));
    QCOMPARE(ui::day_text(QDate(2025, 6, 4), QDate(2025, 6, 4)), QStringLiteral("Today"));
    QVERIFY(ui::day_text(QDate(2025, 1, 2), QDate(2025, 6, 4)).contains(QStringLiteral("2025")));
}

QTEST_MAIN(TestViewModels)
#include "tst_view_models.moc"
