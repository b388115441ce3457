// sotto-localnet command line: start | stop | status (see localnet.hpp and
// docs/sotto-node.md). Exit codes: 0 success, 1 failure, 2 bad command line.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <cstdio>

#include "localnet.hpp"

namespace {

int usage_error(const QString& message) {
    std::fprintf(stderr, "sotto-localnet: %s (see --help)\n", qPrintable(message));
    return 2;
}

bool read_int(const QCommandLineParser& p, const QString& name, int min, int max, int& out,
              QString& error) {
    if (!p.isSet(name)) return true;
    bool ok = false;
    const int v = p.value(name).toInt(&ok);
    if (!ok || v < min || v > max) {
        error =
            QStringLiteral("--%1 must be a whole number from %2 to %3").arg(name).arg(min).arg(max);
        return false;
    }
    out = v;
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication qapp(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("sotto-localnet"));

    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Runs a local Sotto onion network on 127.0.0.1.\n\n"
        "  sotto-localnet start --dir DIR [--relays N] [--authorities K] [--base-port P]\n"
        "  sotto-localnet stop --dir DIR\n"
        "  sotto-localnet status --dir DIR"));
    p.addHelpOption();
    p.addPositionalArgument(QStringLiteral("command"), QStringLiteral("start, stop or status"));
    p.addOptions({
        {QStringLiteral("dir"), QStringLiteral("Directory of the network (created by start)."),
         QStringLiteral("DIR")},
        {QStringLiteral("relays"), QStringLiteral("Relays besides the authorities (default 5)."),
         QStringLiteral("N")},
        {QStringLiteral("authorities"), QStringLiteral("Directory authorities (default 3)."),
         QStringLiteral("K")},
        {QStringLiteral("base-port"),
         QStringLiteral("First TCP port; nodes use K+N consecutive ports (default 5001)."),
         QStringLiteral("P")},
        {QStringLiteral("timeout"),
         QStringLiteral("Seconds to wait for the first full consensus (default 60)."),
         QStringLiteral("SECONDS")},
        {QStringLiteral("vote-interval"),
         QStringLiteral("Authority voting round in seconds (default 5)."),
         QStringLiteral("SECONDS")},
        {QStringLiteral("vote-delay"),
         QStringLiteral("Seconds from vote to consensus (default 2)."), QStringLiteral("SECONDS")},
        {QStringLiteral("verbose"), QStringLiteral("Nodes log debug messages.")},
    });
    if (!p.parse(QCoreApplication::arguments())) return usage_error(p.errorText());
    if (p.isSet(QStringLiteral("help"))) {
        std::fputs(qPrintable(p.helpText()), stdout);
        return 0;
    }
    const QStringList args = p.positionalArguments();
    if (args.size() != 1)
        return usage_error(QStringLiteral("give one command: start, stop or status"));
    if (!p.isSet(QStringLiteral("dir"))) return usage_error(QStringLiteral("missing --dir DIR"));
    const QString dir = p.value(QStringLiteral("dir"));
    const QString command = args.first();

    if (command == QLatin1String("stop")) return sotto::app::localnet_stop(dir);
    if (command == QLatin1String("status")) return sotto::app::localnet_status(dir);
    if (command != QLatin1String("start"))
        return usage_error(QStringLiteral("unknown command '%1'").arg(command));

    sotto::app::StartOptions o;
    o.dir = dir;
    o.verbose = p.isSet(QStringLiteral("verbose"));
    QString error;
    int base_port = o.base_port;
    if (!read_int(p, QStringLiteral("relays"), 0, 200, o.relays, error) ||
        !read_int(p, QStringLiteral("authorities"), 1, 9, o.authorities, error) ||
        !read_int(p, QStringLiteral("base-port"), 1024, 65535, base_port, error) ||
        !read_int(p, QStringLiteral("timeout"), 1, 3600, o.timeout_seconds, error) ||
        !read_int(p, QStringLiteral("vote-interval"), 2, 3600, o.vote_interval, error) ||
        !read_int(p, QStringLiteral("vote-delay"), 1, 1800, o.vote_delay, error))
        return usage_error(error);
    if (base_port + o.authorities + o.relays - 1 > 65535)
        return usage_error(
            QStringLiteral("--base-port too high for %1 nodes").arg(o.authorities + o.relays));
    if (o.vote_delay * 2 >= o.vote_interval)
        return usage_error(
            QStringLiteral("--vote-delay must be less than half of --vote-interval"));
    o.base_port = static_cast<std::uint16_t>(base_port);
    return sotto::app::localnet_start(o);
}
