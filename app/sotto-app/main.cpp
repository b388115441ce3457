// sotto: the desktop messenger. Opens (or, on first start, creates) a
// profile and shows the Qt Quick interface of ui/: first-run wizard or
// unlock screen, then contacts and chat; a tray icon carries the unread
// count and desktop notifications.
//
//   sotto [--profile DIR] [--network FILE] [--passphrase-file FILE]
//         [--fast-publication] [--screenshot FILE]
//
// --profile selects another profile directory (default
// $XDG_DATA_HOME/sotto/default), so several users can run on one machine;
// --network is the network file the first-run wizard offers; with
// --passphrase-file the profile is unlocked at start (scripts, the README's
// two-window demo) instead of asking; --fast-publication shortens the
// publication delays for a local test network (as sotto-cli's flag does);
// --screenshot saves a PNG of the window once the network is up (or after
// a minute) and exits, for scripted checks of a real start.
//
// One app per profile (ui/app_instance.hpp): a second `sotto` on a profile
// the first has open hands it its sotto: link (or just brings its window to
// the front) and exits 0. If another program has the profile (the sotto-cli
// daemon), the unlock screen says so; with --passphrase-file the app prints
// it and exits 1.
#include <QtQml/qqmlextensionplugin.h>
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QQmlApplicationEngine>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QTimer>
#include <cstdio>

#include "net/profile_session.hpp"
#include "net/unix_signals.hpp"
#include "ui/app_icon.hpp"
#include "ui/app_instance.hpp"
#include "ui/main_window.hpp"
#include "ui/session_controller.hpp"
#include "ui/tray_icon.hpp"

Q_IMPORT_QML_PLUGIN(Sotto_UiPlugin)

using namespace sotto;

namespace {

int fail_with(int code, const QString& message) {
    std::fprintf(stderr, "sotto: %s\n", qPrintable(message));
    return code;
}

}  // namespace

int main(int argc, char** argv) {
    // Before Qt starts threads: Ctrl+C and SIGTERM then end the event loop,
    // so the profile database is closed properly.
    if (auto s = net::TerminationSignals::block(); !s)
        return fail_with(1, QString::fromStdString(s.error().message));

    // QApplication rather than QGuiApplication: the tray icon and its menu
    // are widgets.
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("sotto"));
    QApplication::setApplicationDisplayName(QStringLiteral("Sotto"));
    QApplication::setApplicationVersion(QStringLiteral(PROJECT_VERSION));
    // Matches resources/org.sotto.Sotto.desktop, so Wayland pairs windows and
    // notifications with the desktop entry.
    QApplication::setDesktopFileName(QStringLiteral("org.sotto.Sotto"));
    QApplication::setWindowIcon(ui::app_icon());
    // Fusion looks the same everywhere and draws with the system palette
    // (light or dark); a user or platform can still pick another style.
    if (qEnvironmentVariableIsEmpty("QT_QUICK_CONTROLS_STYLE"))
        QQuickStyle::setStyle(QStringLiteral("Fusion"));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Private presence and messaging over onion services."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption profile_opt(
        QStringLiteral("profile"), QStringLiteral("Use the profile in DIR."), QStringLiteral("DIR"),
        net::ProfileSession::default_profile_dir());
    const QCommandLineOption network_opt(
        QStringLiteral("network"), QStringLiteral("The network file the first-run wizard offers."),
        QStringLiteral("FILE"));
    const QCommandLineOption passphrase_opt(
        QStringLiteral("passphrase-file"),
        QStringLiteral("Unlock the profile with the passphrase in FILE (first line)."),
        QStringLiteral("FILE"));
    const QCommandLineOption fast_opt(
        QStringLiteral("fast-publication"),
        QStringLiteral("Local test networks only: publish without the privacy delays."));
    const QCommandLineOption shot_opt(
        QStringLiteral("screenshot"),
        QStringLiteral("Save the window as a PNG once online (or after 60 s), then exit."),
        QStringLiteral("FILE"));
    parser.addOptions({profile_opt, network_opt, passphrase_opt, fast_opt, shot_opt});
    parser.addPositionalArgument(QStringLiteral("invite"),
                                 QStringLiteral("A sotto: invite link to offer in Add contact."),
                                 QStringLiteral("[sotto:...]"));
    parser.process(app);

    auto term = net::TerminationSignals::install();
    if (!term) return fail_with(1, QString::fromStdString(term.error().message));
    QObject::connect(term->get(), &net::TerminationSignals::terminationRequested, &app,
                     [] { QApplication::quit(); });

    const QString profile_dir = QDir(parser.value(profile_opt)).absolutePath();
    const QStringList positional = parser.positionalArguments();
    const QString link = ui::invite_link_from(positional);
    if (link.isEmpty() && !positional.isEmpty())
        std::fprintf(stderr, "sotto: ignoring arguments that are not sotto: invite links\n");
    // Before anything else touches the profile: either this is its app, or
    // the one already running gets the link.
    ui::AppInstance instance(profile_dir);
    const auto role = instance.start({link});
    if (role == ui::AppInstance::Role::Forwarded) {
        std::fprintf(stderr, "sotto: handed over to the Sotto already open on %s (process %lld)\n",
                     qPrintable(profile_dir), static_cast<long long>(instance.running_pid()));
        return 0;
    }
    if (role == ui::AppInstance::Role::Refused && parser.isSet(passphrase_opt))
        return fail_with(1, instance.error());

    net::SessionOptions options;
    if (parser.isSet(fast_opt)) options.use_fast_publication();
    ui::SessionController session(profile_dir, parser.value(network_opt), options);
    session.setLockSource([&instance] { return instance.lock(); });
    if (role == ui::AppInstance::Role::Refused) session.setProfileBusy(instance.error());

    if (parser.isSet(passphrase_opt)) {
        QFile f(parser.value(passphrase_opt));
        if (!f.open(QIODevice::ReadOnly))
            return fail_with(2, QStringLiteral("cannot read %1").arg(f.fileName()));
        QString pass = QString::fromUtf8(f.readLine());
        while (pass.endsWith(u'\n') || pass.endsWith(u'\r')) pass.chop(1);
        if (session.stage() != ui::SessionController::Stage::Unlock)
            return fail_with(2, QStringLiteral("no profile in %1: start without "
                                               "--passphrase-file to create one")
                                    .arg(session.profileDir()));
        if (const QString e = session.unlock(pass); !e.isEmpty()) return fail_with(1, e);
    }

    if (!link.isEmpty()) session.setPendingInvite(link);

    QQmlApplicationEngine engine;
    auto* window = ui::load_main_window(engine, session);
    if (!window) return fail_with(1, QStringLiteral("cannot load the interface"));

    ui::route_instance_requests(instance, session, window);

    ui::TrayIcon tray(session);
    auto show = [window] {
        window->show();
        window->raise();
        window->requestActivate();
    };
    QObject::connect(&tray, &ui::TrayIcon::showRequested, window, show);
    QObject::connect(&tray, &ui::TrayIcon::openContact, window, [window](quint64 contact) {
        QMetaObject::invokeMethod(window, "openContact",
                                  Q_ARG(QVariant, QVariant::fromValue(contact)));
    });
    QObject::connect(&tray, &ui::TrayIcon::quitRequested, &app, &QApplication::quit);

    if (parser.isSet(shot_opt)) {
        const QString file = parser.value(shot_opt);
        auto shoot = [window, file] {
            // A moment for the list and the indicator to repaint.
            QTimer::singleShot(500, window, [window, file] {
                const bool ok = window->grabWindow().save(file);
                QApplication::exit(ok ? 0 : 1);
            });
        };
        if (session.online())
            shoot();
        else
            QObject::connect(&session, &ui::SessionController::networkChanged, window, [&] {
                if (session.online()) shoot();
            });
        QTimer::singleShot(60000, window, shoot);
    }

    return QApplication::exec();
}
