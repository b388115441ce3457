// sotto-node: a headless onion relay, optionally a directory authority.
// Reads its settings (docs/sotto-node.md), loads or creates its keys in the
// data directory, and runs the node until SIGTERM or SIGINT, then exits 0
// after closing its sockets. Startup problems are one line on stderr and a
// non-zero exit code (2: bad command line, 1: anything else).
#include <QCoreApplication>
#include <QLoggingCategory>
#include <cstdio>

#include "core/crypto/random.hpp"
#include "core/util/rng.hpp"
#include "net/key_store.hpp"
#include "net/log_bridge.hpp"
#include "net/node_driver.hpp"
#include "net/unix_signals.hpp"
#include "node_options.hpp"

using namespace sotto;

namespace {

int fail_with(int code, const std::string& message) {
    std::fprintf(stderr, "sotto-node: %s\n", message.c_str());
    return code;
}

}  // namespace

int main(int argc, char** argv) {
    // Before anything can start a thread: every thread must block the
    // termination signals so that only the signalfd sees them.
    if (auto s = net::TerminationSignals::block(); !s) return fail_with(1, s.error().message);

    QCoreApplication qapp(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("sotto-node"));
    qSetMessagePattern(QStringLiteral(
        "%{time yyyy-MM-dd hh:mm:ss.zzz} "
        "%{if-debug}D%{endif}%{if-info}I%{endif}%{if-warning}W%{endif}%{if-critical}E%{endif}"
        "%{if-fatal}F%{endif} %{category}: %{message}"));

    auto parsed = app::parse_command_line(QCoreApplication::arguments());
    if (!parsed) return fail_with(2, parsed.error().message);
    if (parsed->help) {
        std::fputs(parsed->help_text.c_str(), stdout);
        return 0;
    }
    app::NodeOptions& options = parsed->options;
    if (options.verbose) QLoggingCategory::setFilterRules(QStringLiteral("sotto.*.debug=true"));
    if (options.data_dir.empty())
        return fail_with(2, "missing --data-dir DIR: the directory that keeps this node's keys");

    SystemRng rng;
    auto keys = net::load_or_create_keys(options.data_dir, rng);
    if (!keys) return fail_with(1, keys.error().message);
    const crypto::Ed25519PublicKey identity = keys->identity.public_key();
    if (options.print_identity) {
        std::printf("%s\n", identity.hex().c_str());
        return 0;
    }

    auto config = app::build_node_config(options, identity);
    if (!config) return fail_with(1, config.error().message);

    auto term = net::TerminationSignals::install();
    if (!term) return fail_with(1, term.error().message);

    net::DriverOptions driver_options;
    driver_options.listen_host = QString::fromStdString(options.listen_host);
    auto driver = net::NodeDriver::create(std::move(*config), std::move(*keys), driver_options);
    if (!driver) return fail_with(1, driver.error().message);

    qCInfo(lcSottoNode).noquote()
        << QStringLiteral("%1 (%2) relay on %3:%4%5, network '%6'")
               .arg(QString::fromStdString(options.nickname),
                    QString::fromStdString(identity.hex()), QString::fromStdString(options.host))
               .arg(*options.port)
               .arg(options.authority ? QStringLiteral(", directory authority") : QString(),
                    QString::fromStdString((*driver)->node().config().network.name));

    QObject::connect(driver->get(), &net::NodeDriver::consensusChanged,
                     [](qint64 valid_after, qsizetype relays) {
                         qCInfo(lcSottoDir) << "consensus valid-after" << valid_after << "lists"
                                            << relays << "relays";
                     });
    QObject::connect(term->get(), &net::TerminationSignals::terminationRequested, &qapp,
                     [](int signo) {
                         qCInfo(lcSottoNode) << "signal" << signo << "received, shutting down";
                         QCoreApplication::quit();
                     });

    QCoreApplication::exec();
    driver->reset();  // closes every socket; the keys stay on disk
    qCInfo(lcSottoNode) << "stopped";
    return 0;
}
