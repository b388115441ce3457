#include "tests/common/tor_test_network.hpp"

#include <QCoreApplication>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileSystemWatcher>
#include <QTimer>

#include "tests/common/free_ports.hpp"

namespace sotto::testing {
namespace {

const QString kLocal = QStringLiteral("127.0.0.1");

// Runs a helper program (tor-gencert, tor --list-fingerprint) to its end.
Result<QByteArray> run_tool(const QString& program, const QStringList& args,
                            const QByteArray& input = {}) {
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    if (!p.waitForStarted(10'000))
        return fail(Errc::Io, (program + " did not start: " + p.errorString()).toStdString());
    if (!input.isEmpty()) p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(60'000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
        return fail(
            Errc::Io,
            (program + " failed: " + QString::fromUtf8(p.readAll()).trimmed()).toStdString());
    return p.readAll();
}

QStringList as_arguments(const std::vector<TorOption>& options) {
    QStringList args;
    for (const auto& [key, value] : options) args << QStringLiteral("--") + key << value;
    return args;
}

}  // namespace

Result<std::unique_ptr<TorTestNetwork>> TorTestNetwork::start(const QString& dir,
                                                              TorTestNetworkOptions options) {
    std::unique_ptr<TorTestNetwork> net(new TorTestNetwork(dir, std::move(options)));
    if (!QDir().mkpath(dir)) return fail(Errc::Io, "cannot make " + dir.toStdString());
    net->port_base_ = free_port_block(2 + net->options_.relays);
    if (net->port_base_ == 0) return fail(Errc::Io, "no free ports for a test Tor network");
    if (auto s = net->make_authority_keys(); !s) return std::unexpected(s.error());

    const auto port = [&](int i) { return QString::number(net->port_base_ + i); };
    // The authority votes every 10 s (the fastest schedule tor allows) and
    // calls every relay a guard and an HSDir, so a network of five has both.
    auto auth = net->common_options(QStringLiteral("a0"));
    auth.insert(auth.end(), {
                                {"ORPort", kLocal + ":" + port(0)},
                                {"DirPort", kLocal + ":" + port(1)},
                                {"AuthoritativeDirectory", "1"},
                                {"V3AuthoritativeDirectory", "1"},
                                {"TestingV3AuthInitialVotingInterval", "5"},
                                {"TestingV3AuthInitialVoteDelay", "2"},
                                {"TestingV3AuthInitialDistDelay", "2"},
                                {"V3AuthVotingInterval", "10"},
                                {"V3AuthVoteDelay", "2"},
                                {"V3AuthDistDelay", "2"},
                                {"V3AuthNIntervalsValid", "2"},
                                {"TestingDirAuthVoteGuard", "*"},
                                {"TestingDirAuthVoteHSDir", "*"},
                            });
    if (auto s = net->start_node(QStringLiteral("a0"), auth); !s) return std::unexpected(s.error());
    for (int i = 0; i < net->options_.relays; ++i) {
        const QString name = QStringLiteral("r%1").arg(i);
        auto relay = net->common_options(name);
        relay.push_back({"ORPort", kLocal + ":" + port(2 + i)});
        if (auto s = net->start_node(name, relay); !s) return std::unexpected(s.error());
    }
    if (auto s = net->wait_for_consensus(); !s) return std::unexpected(s.error());
    return net;
}

TorTestNetwork::~TorTestNetwork() {
    for (auto& n : nodes_) n.process->terminate();
    for (auto& n : nodes_) {
        if (!n.process->waitForFinished(10'000)) {
            n.process->kill();
            n.process->waitForFinished(5'000);
        }
    }
}

// The authority's identity and signing keys (tor-gencert), and its relay
// fingerprint, which together make the DirAuthority line every tor of the
// network is given.
Status TorTestNetwork::make_authority_keys() {
    const QString d = dir_ + QStringLiteral("/a0");
    if (!QDir().mkpath(d + QStringLiteral("/keys")))
        return fail(Errc::Io, "cannot make the authority's folder");
    QFile::setPermissions(d,
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    const QString dir_port = kLocal + ":" + QString::number(port_base_ + 1);
    auto cert =
        run_tool(options_.tor_gencert,
                 {"--create-identity-key", "--passphrase-fd", "0", "-m", "12", "-a", dir_port, "-i",
                  d + "/keys/authority_identity_key", "-s", d + "/keys/authority_signing_key", "-c",
                  d + "/keys/authority_certificate"},
                 "\n");
    if (!cert) return std::unexpected(cert.error());
    QFile certificate(d + "/keys/authority_certificate");
    if (!certificate.open(QIODevice::ReadOnly))
        return fail(Errc::Io, "tor-gencert wrote no certificate");
    QString v3ident;
    for (const auto& line : certificate.readAll().split('\n'))
        if (line.startsWith("fingerprint ")) v3ident = QString::fromLatin1(line.mid(12)).trimmed();
    if (v3ident.isEmpty()) return fail(Errc::Malformed, "authority certificate has no fingerprint");
    // A dummy DirAuthority keeps tor from reaching for the real network's.
    auto listed = run_tool(options_.tor, {"--quiet", "--ignore-missing-torrc", "-f", "/dev/null",
                                          "--list-fingerprint", "--orport", "1", "--dirserver",
                                          "x 127.0.0.1:1 ffffffffffffffffffffffffffffffffffffffff",
                                          "--datadirectory", d});
    if (!listed) return std::unexpected(listed.error());
    const auto words = QString::fromLatin1(listed->trimmed().split('\n').last()).split(' ');
    if (words.size() < 2) return fail(Errc::Malformed, "tor --list-fingerprint said nothing");
    const QString fingerprint = QStringList(words.mid(1)).join(QString());
    dir_authority_ = QStringLiteral("a0 orport=%1 no-v2 v3ident=%2 %3 %4")
                         .arg(port_base_)
                         .arg(v3ident, dir_port, fingerprint);
    return {};
}

std::vector<TorOption> TorTestNetwork::common_options(const QString& name) const {
    const QString d = dir_ + "/" + name;
    auto options = client_options();
    options.insert(options.end(), {
                                      {"DataDirectory", d},
                                      {"Nickname", name},
                                      {"Log", "notice file " + d + "/notice.log"},
                                      {"SocksPort", "0"},
                                      {"Address", kLocal},
                                      {"AssumeReachable", "1"},
                                      {"ExitRelay", "0"},
                                      {"ExitPolicy", "reject *:*"},
                                      {"ContactInfo", "test@example.invalid"},
                                      {"__OwningControllerProcess",
                                       QString::number(QCoreApplication::applicationPid())},
                                  });
    return options;
}

std::vector<TorOption> TorTestNetwork::client_options() const {
    return {
        {"TestingTorNetwork", "1"},
        {"DirAuthority", dir_authority_},
        {"ClientUseIPv6", "0"},
        // A consensus of five relays is a quarter of what tor asks for.
        {"PathsNeededToBuildCircuits", "0.25"},
        // No GeoIP tables: ~1.5 s of CPU and ~50 MB a process.
        {"GeoIPFile", "/nonexistent"},
        {"GeoIPv6File", "/nonexistent"},
        {"TestingClientMaxIntervalWithoutRequest", "1"},
        {"FetchDirInfoEarly", "1"},
        {"FetchDirInfoExtraEarly", "1"},
        {"ShutdownWaitLength", "0"},
        {"SafeLogging", "1"},
    };
}

QString TorTestNetwork::network_file_text(const QString& name) const {
    QString text = "# a private Tor network of the tests\ntor-network " + name + "\n";
    for (const auto& [key, value] : client_options())
        if (key != "SafeLogging")  // Sotto's tor sets it itself
            text += "tor-option " + key + " " + value + "\n";
    return text;
}

Status TorTestNetwork::start_node(const QString& name, const std::vector<TorOption>& options) {
    const QString d = dir_ + "/" + name;
    if (!QDir().mkpath(d)) return fail(Errc::Io, "cannot make " + d.toStdString());
    QFile::setPermissions(d,
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    Node node{d, std::make_unique<QProcess>()};
    node.process->setProcessChannelMode(QProcess::MergedChannels);
    node.process->setStandardOutputFile(d + "/stdout.log");
    QStringList args{"--ignore-missing-torrc", "-f", "/dev/null"};
    args << as_arguments(options);
    node.process->start(options_.tor, args);
    if (!node.process->waitForStarted(10'000))
        return fail(Errc::Io, ("tor did not start: " + node.process->errorString()).toStdString());
    nodes_.push_back(std::move(node));
    return {};
}

int TorTestNetwork::relays_in_consensus() const {
    QFile f(dir_ + "/a0/cached-microdesc-consensus");
    if (!f.open(QIODevice::ReadOnly)) return 0;
    int n = 0;
    for (const auto& line : f.readAll().split('\n'))
        if (line.startsWith("r ")) ++n;
    return n;
}

// The authority writes each new consensus into its data folder: the watcher
// wakes the wait, no polling. A tor that exits fails the wait at once.
Status TorTestNetwork::wait_for_consensus() {
    const int want = 1 + options_.relays;
    QEventLoop loop;
    QFileSystemWatcher watcher;
    const QString auth_dir = dir_ + "/a0";
    const QString consensus = auth_dir + "/cached-microdesc-consensus";
    watcher.addPath(auth_dir);
    std::optional<Error> failure;
    auto check = [&] {
        if (QFile::exists(consensus) && !watcher.files().contains(consensus))
            watcher.addPath(consensus);
        if (relays_in_consensus() >= want) loop.quit();
    };
    connect(&watcher, &QFileSystemWatcher::directoryChanged, &loop, check);
    connect(&watcher, &QFileSystemWatcher::fileChanged, &loop, check);
    for (const auto& n : nodes_) {
        connect(n.process.get(), &QProcess::finished, &loop, [&, d = n.dir] {
            failure = Error{
                Errc::Io,
                ("a tor of the test network exited: " + log_tail(Node{d, nullptr})).toStdString()};
            loop.quit();
        });
    }
    QTimer timeout;
    timeout.setSingleShot(true);
    connect(&timeout, &QTimer::timeout, &loop, [&] {
        failure = Error{Errc::Io, QStringLiteral("test Tor network: %1 of %2 relays in the "
                                                 "consensus after %3 s")
                                      .arg(relays_in_consensus())
                                      .arg(want)
                                      .arg(options_.ready_timeout.count() / 1000)
                                      .toStdString()};
        loop.quit();
    });
    timeout.start(options_.ready_timeout);
    check();
    if (relays_in_consensus() < want && !failure) loop.exec();
    if (failure) return std::unexpected(*failure);
    return {};
}

QString TorTestNetwork::log_tail(const Node& node) const {
    QFile f(node.dir + "/notice.log");
    if (!f.open(QIODevice::ReadOnly)) {
        QFile out(node.dir + "/stdout.log");
        if (!out.open(QIODevice::ReadOnly)) return QStringLiteral("(no log)");
        return QString::fromUtf8(out.readAll().right(400)).trimmed();
    }
    const auto lines = QString::fromUtf8(f.readAll()).trimmed().split('\n');
    return QStringList(lines.mid(std::max<qsizetype>(0, lines.size() - 3))).join(" | ");
}

}  // namespace sotto::testing
