// What the UI tests share: profiles in temporary directories (a real
// ProfileStore with cheap scrypt, a MessengerDriver over the in-process
// loopback transport, and the SessionController the views use), a QML
// window per profile, and helpers to find items by objectName, click them
// and wait for conditions.
#pragma once

#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <functional>
#include <memory>

#include "core/crypto/random.hpp"
#include "core/crypto/x25519.hpp"
#include "core/store/profile_store.hpp"
#include "core/store/profile_store_testing.hpp"
#include "net/messenger_driver.hpp"
#include "net/profile_session.hpp"
#include "tests/common/loopback_adapter.hpp"
#include "ui/main_window.hpp"
#include "ui/session_controller.hpp"

namespace sotto::testing {

inline dir::NetworkId test_network() {
    dir::NetworkId id;
    id.bytes.fill(0x5a);
    return id;
}

inline constexpr std::string_view kTestPassphrase = "correct horse battery";

// Creates a profile database in `dir` (profile.db, as ProfileSession does).
inline std::unique_ptr<store::ProfileStore> create_store(const QString& dir,
                                                         const std::string& name, Rng& rng) {
    auto onion = crypto::X25519SecretKey::generate(rng);
    store::ProfileIdentity id{
        .display_name = name,
        .node_identity = crypto::Ed25519SecretKey::generate(rng),
        .node_onion = Secret<32>(onion.secret_bytes()),
        .network_file = "test network",
        .network_id = test_network(),
    };
    auto path = std::filesystem::path(QDir(dir).filePath(net::kProfileDbFile).toStdString());
    auto s = store::ProfileStore::create(path, kTestPassphrase, std::move(id), rng,
                                         crypto::ScryptParams{16, 1, 1});
    if (!s) qFatal("cannot create a test profile: %s", s.error().message.c_str());
    return std::move(*s);
}

// One user: store, transport endpoint, messenger and the UI's controller.
struct TestProfile {
    QTemporaryDir dir;
    SystemRng rng;
    std::unique_ptr<store::ProfileStore> store;
    std::unique_ptr<LoopbackAdapter> endpoint;
    std::unique_ptr<net::MessengerDriver> driver;
    std::unique_ptr<ui::SessionController> session;

    TestProfile(LoopbackNetwork& network, const std::string& name, bool start = true) {
        store = create_store(dir.path(), name, rng);
        endpoint = std::make_unique<LoopbackAdapter>(network);
        session = std::make_unique<ui::SessionController>(dir.path(), QString());
        if (start)
            start_messenger();
        else
            session->attach(store.get(), nullptr);
    }
    void start_messenger() {
        driver = std::make_unique<net::MessengerDriver>(
            *store, rng, std::vector<net::TransportAdapter*>{endpoint.get()});
        session->attach(store.get(), driver.get());
        driver->start();
    }
    ~TestProfile() {
        session.reset();
        driver.reset();
    }
    ui::ContactListModel& contacts() { return *session->contacts(); }
    ui::ChatModel& chat() { return *session->chat(); }
};

// Bob invites, Alice accepts, through the controllers the dialogs use;
// returns (Alice's contact id for Bob, Bob's for Alice) once Bob has the
// contact too.
inline std::pair<quint64, quint64> connect_pair(TestProfile& alice, TestProfile& bob) {
    QString err = bob.session->invites()->create(24);
    if (!err.isEmpty()) qFatal("invite: %s", qPrintable(err));
    QSignalSpy used(bob.session->invites(), &ui::InviteController::inviteAccepted);
    QSignalSpy accepted(alice.session->invites(), &ui::InviteController::contactAccepted);
    err = alice.session->invites()->acceptText(bob.session->invites()->code());
    if (!err.isEmpty()) qFatal("accept: %s", qPrintable(err));
    if (accepted.count() != 1) qFatal("no contactAccepted");
    if (used.isEmpty() && !used.wait(5000)) qFatal("the invite was not used");
    return {accepted.at(0).at(0).value<quint64>(), used.at(0).at(0).value<quint64>()};
}

// Alice with two contacts, Bob and then Carol (the newest, so on top of
// her list): what the contact-list tests start from.
struct AliceBobCarol {
    explicit AliceBobCarol(LoopbackNetwork& net)
        : alice(net, "Alice"), bob(net, "Bob"), carol(net, "Carol") {
        bob_id = connect_pair(alice, bob).first;
        carol_id = connect_pair(alice, carol).first;
    }
    TestProfile alice, bob, carol;
    quint64 bob_id = 0, carol_id = 0;  // Alice's ids for them
};

// The app's main window over a profile's controller.
struct TestWindow {
    QQmlApplicationEngine engine;
    QQuickWindow* window = nullptr;

    explicit TestWindow(ui::SessionController& session, QSize size = {1040, 700}) {
        window = ui::load_main_window(engine, session);
        if (!window) qFatal("cannot load Main.qml");
        window->resize(size);
        window->show();
    }
    QObject* root() { return engine.rootObjects().constFirst(); }
};

// Depth-first over QObject children and visual children (popups live in
// the window's overlay, not under the item that declares them).
inline QObject* find_object(QObject* root, const QString& name) {
    if (!root) return nullptr;
    if (root->objectName() == name) return root;
    for (QObject* c : root->children())
        if (auto* f = find_object(c, name)) return f;
    if (auto* item = qobject_cast<QQuickItem*>(root))
        for (QQuickItem* c : item->childItems())
            if (c->parent() != root)
                if (auto* f = find_object(c, name)) return f;
    if (auto* w = qobject_cast<QQuickWindow*>(root))
        if (auto* f = find_object(w->contentItem(), name)) return f;
    return nullptr;
}

inline QQuickItem* find_item(TestWindow& w, const QString& name) {
    return qobject_cast<QQuickItem*>(find_object(w.window, name));
}

inline void click(TestWindow& w, QQuickItem* item) {
    QVERIFY2(item, "no item to click");
    QVERIFY2(item->isVisible(), qPrintable(item->objectName() + " is not visible"));
    const QPointF p = item->mapToScene(QPointF(item->width() / 2, item->height() / 2));
    QTest::mouseClick(w.window, Qt::LeftButton, {}, p.toPoint());
}

// QTest::keyClicks takes only widgets in Qt 6.4: one click per character
// (ASCII, which is all the tests type).
inline void type_text(QWindow* window, const QString& text) {
    for (const char c : text.toLatin1()) QTest::keyClick(window, c);
}

inline void use_fusion_style() {
    QQuickStyle::setStyle(QStringLiteral("Fusion"));
}

}  // namespace sotto::testing
