// The desktop app at a realistic worst case: 1,000 contacts and 100,000
// messages (half of them with one contact). Measures start-up to a usable
// window (unlock the profile, load the view-models, start the messenger,
// build the QML main window and render its first frame, offscreen with the
// software renderer), loading a 50-message history page into the ChatModel
// (what opening a conversation or scrolling up costs), and the peak RSS of
// the process. The profile is made once, in a child process (so its memory
// is not counted), with the store API and a cheap scrypt; the production
// scrypt cost (the same for any profile size) is measured on its own.
//
// The messenger runs over the in-process loopback transport with nobody
// else on it, so every contact is offline, as on a cold start. Its start
// is measured twice: the call itself (grants, and connects if they are not
// spread), then the 31 s after it, watched with a 1 ms timer: how many
// connect attempts went out in the first second, and the longest the event
// loop was blocked (what a user would feel as a frozen window).
#include <QtQml/qqmlextensionplugin.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <QApplication>
#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "bench/bench_profile.hpp"
#include "bench/bench_util.hpp"
#include "core/crypto/random.hpp"
#include "core/store/profile_store.hpp"
#include "net/messenger_driver.hpp"
#include "net/profile_session.hpp"
#include "tests/common/loopback_adapter.hpp"
#include "ui/main_window.hpp"
#include "ui/session_controller.hpp"

Q_IMPORT_QML_PLUGIN(Sotto_UiPlugin)

using namespace sotto;
using namespace sotto::store;
using Clock = std::chrono::steady_clock;

namespace {

using bench::die;
// Unlocking is bench_store's business; here it would only add a constant.
const crypto::ScryptParams kCheap{1u << 10, 8, 1};

// Runs the event loop until `done`, and the deleteLater()s it leaves: the
// app runs in exec(), where deferred deletes happen; processEvents() alone
// never runs them, and a benchmark that only calls it would measure every
// released delegate as a leak.
bool settle(const std::function<bool()>& done, int ms) {
    const bool ok = bench::wait_for(done, ms);
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    return ok;
}

// Resident set size now, MiB (peak RSS comes from getrusage at the end).
double rss_mib() {
    long pages = 0, resident = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        std::fclose(f);
    }
    return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

}  // namespace

// bench_ui [profile-dir]: with a directory, fills it once and reuses it.
int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    qputenv("QT_QUICK_BACKEND", "software");
    QTemporaryDir tmp;
    const QString dir = argc > 1 ? QString::fromLocal8Bit(argv[1]) : tmp.path();
    std::filesystem::create_directories(dir.toStdString());
    const auto path = std::filesystem::path(dir.toStdString()) / net::kProfileDbFile;

    const double fill_s = bench::fill_profile_once(
        path, {.seed = 12,
               .scrypt = kCheap,
               .first_message =
                   net::MessengerDriver::now() - Duration::seconds(bench::kProfileMessages + 60)});
    if (fill_s < 0) return 1;

    // ---- start-up, in the app's order: unlock, the window (contacts and
    // history come from the store), then the messenger once the network is
    // up (here at once: the loopback needs no bootstrap).
    std::vector<std::pair<const char*, double>> rss;
    const auto t_start = Clock::now();
    QApplication app(argc, argv);
    QQuickStyle::setStyle(QStringLiteral("Fusion"));
    const double app_ms = bench::ms_since(t_start);
    rss.emplace_back("QApplication", rss_mib());

    SystemRng rng;
    auto t = Clock::now();
    auto opened = ProfileStore::open(path, bench::kProfilePass, rng);
    if (!opened) die("open", opened.error().message);
    auto store = std::move(*opened);
    const double open_ms = bench::ms_since(t);
    rss.emplace_back("profile store open", rss_mib());

    t = Clock::now();
    ui::SessionController session(dir, QString());
    session.attach(store.get(), nullptr);
    const double models_ms = bench::ms_since(t);
    rss.emplace_back("view-models loaded", rss_mib());

    t = Clock::now();
    QQmlApplicationEngine engine;
    auto* window = ui::load_main_window(engine, session);
    if (!window) die("qml", "cannot load Main.qml");
    const double qml_ms = bench::ms_since(t);
    bool framed = false;
    QObject::connect(window, &QQuickWindow::frameSwapped, [&] { framed = true; });
    QObject::connect(window, &QQuickWindow::afterRendering, [&] { framed = true; });
    t = Clock::now();
    if (!settle([&] { return framed; }, 10000)) die("frame", "no frame in 10 s");
    const double frame_ms = bench::ms_since(t);
    const double startup_ms = bench::ms_since(t_start);
    rss.emplace_back("window shown", rss_mib());

    t = Clock::now();
    testing::LoopbackNetwork network;
    auto endpoint = std::make_unique<testing::LoopbackAdapter>(network);
    net::MessengerDriver driver(*store, rng, std::vector<net::TransportAdapter*>{endpoint.get()});
    session.attach_messenger(&driver);
    driver.start();  // grants 1,000 contacts, starts connecting
    const double messenger_ms = bench::ms_since(t);
    double longest_block_ms = 0;
    std::uint64_t first_second_attempts = 0;
    {
        QTimer beat;
        beat.setTimerType(Qt::PreciseTimer);
        beat.setInterval(1);
        auto last = Clock::now();
        QObject::connect(&beat, &QTimer::timeout, [&] {
            const auto now = Clock::now();
            longest_block_ms = std::max(
                longest_block_ms, std::chrono::duration<double, std::milli>(now - last).count());
            last = now;
        });
        beat.start();
        // 31 s: the engine spreads its start-up connects over 30 s.
        settle(
            [&] {
                if (bench::ms_since(t) <= 1000)
                    first_second_attempts = endpoint->loopback().attempts();
                return bench::ms_since(t) > 31000;
            },
            32000);
    }
    rss.emplace_back("messenger started", rss_mib());

    // The production unlock adds scrypt N=2^17, r=8 (independent of size).
    t = Clock::now();
    (void)crypto::scrypt(as_bytes(bench::kProfilePass), Bytes(16), store::kProfileScrypt, 32);
    const double kdf_ms = bench::ms_since(t);

    // ---- a history page of 50 into a ChatModel (no view attached)
    auto& contacts = *session.contacts();
    // The first contact made holds the long conversation (its messages are
    // the oldest, so it sorts last); any other has about 50.
    quint64 heavy = contacts.contactAt(0);
    for (int i = 0; i < contacts.count(); ++i) heavy = std::min(heavy, contacts.contactAt(i));
    const quint64 light =
        contacts.contactAt(500) == heavy ? contacts.contactAt(501) : contacts.contactAt(500);
    ui::ChatModel model;
    model.set_store(store.get());
    std::vector<double> v_heavy, v_light;
    for (int i = 0; i < 100; ++i) {
        auto t1 = Clock::now();
        model.setContactId(heavy);
        v_heavy.push_back(bench::ms_since(t1));
        t1 = Clock::now();
        model.setContactId(light);
        v_light.push_back(bench::ms_since(t1));
    }
    auto open_heavy = bench::p50_p99(v_heavy);
    auto open_light = bench::p50_p99(v_light);
    std::vector<double> older;
    model.setContactId(heavy);
    for (int i = 0; i < 200 && model.canFetchMore(); ++i) {
        auto t1 = Clock::now();
        model.fetchMore();
        older.push_back(bench::ms_since(t1));
    }
    if (older.empty()) die("fetchMore", "nothing older to load");
    auto older_t = bench::p50_p99(older);
    model.setContactId(0);

    // Opening a conversation in the window: the shared ChatModel, its
    // delegates and a frame.
    auto& chat = *session.chat();
    std::vector<double> shown;
    for (int i = 0; i < 40; ++i) {
        framed = false;
        auto t1 = Clock::now();
        chat.setContactId(i % 2 ? light : heavy);
        window->requestUpdate();
        settle([&] { return framed; }, 5000);
        shown.push_back(bench::ms_since(t1));
    }
    auto shown_t = bench::p50_p99(shown);
    rss.emplace_back("history benchmarks done", rss_mib());
    // Scrolling back through 10,000 messages in the window.
    chat.setContactId(heavy);
    for (int i = 0; i < 200 && chat.canFetchMore(); ++i) {
        chat.fetchMore();
        window->requestUpdate();
        framed = false;
        settle([&] { return framed; }, 5000);
    }
    rss.emplace_back("10,000 messages in the chat view", rss_mib());
    // Going through 300 conversations, a frame each.
    for (int i = 0; i < 300; ++i) {
        framed = false;
        chat.setContactId(contacts.contactAt(i));
        window->requestUpdate();
        settle([&] { return framed; }, 5000);
    }
    rss.emplace_back("300 conversations opened", rss_mib());

    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(path, ec);

    std::printf("profile: %d contacts, %d messages (%d with one contact), %.1f MiB",
                bench::kProfileContacts, bench::kProfileMessages, bench::kProfileHeavy,
                double(bytes) / (1 << 20));
    if (fill_s > 0) std::printf(", filled in %.1f s", fill_s);
    std::printf("\nstart-up (offscreen, software renderer; cheap scrypt in the profile):\n\n");
    std::printf("| %-52s | %9s |\n", "step", "ms");
    std::printf("|------------------------------------------------------|-----------|\n");
    auto row = [](const char* what, double ms) { std::printf("| %-52s | %9.1f |\n", what, ms); };
    row("QApplication", app_ms);
    row("open the profile store (cheap scrypt, row MACs)", open_ms);
    row("view-models: contact list (1,000) + chat", models_ms);
    row("QML: load Main.qml (main view, contact delegates)", qml_ms);
    row("first frame", frame_ms);
    row("total: start to usable window", startup_ms);
    row("+ production scrypt (N=2^17, r=8) at unlock", kdf_ms);
    row("= total with the production unlock", startup_ms + kdf_ms);
    row("messenger start() once online (1,000 contacts)", messenger_ms);
    row("  connect attempts in the first second (count)", double(first_second_attempts));
    row("  longest event-loop block in the 31 s after start()", longest_block_ms);
    std::printf("\nhistory pages of 50 into the ChatModel:\n\n");
    std::printf("| %-52s | %9s | %9s |\n", "operation", "p50 (ms)", "p99 (ms)");
    std::printf(
        "|------------------------------------------------------|-----------|-----------|\n");
    auto row2 = [](const char* what, std::pair<double, double> v) {
        std::printf("| %-52s | %9.3f | %9.3f |\n", what, v.first, v.second);
    };
    row2("open a conversation: newest 50 of 50,000", open_heavy);
    row2("open a conversation: newest 50 of ~50", open_light);
    row2("scroll up: fetchMore, next 50 of 50,000", older_t);
    row2("open a conversation in the window, to the frame", shown_t);
    std::printf("\nresident memory:\n\n");
    for (auto& [what, mib] : rss) std::printf("  %-32s %7.1f MiB\n", what, mib);
    std::printf("\npeak RSS: %.1f MiB\n", double(ru.ru_maxrss) / 1024);
    return 0;
}
