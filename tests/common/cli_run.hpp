// One sotto-cli command (SOTTO_CLI_BIN, which the test target defines) the
// way the CLI integration tests run it: with --json, offscreen, the test's
// own runtime directory (so app.sock and the daemon socket are the test's),
// and a time limit.
#pragma once

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStringList>

namespace sotto::testing {

struct CliRun {
    int code = -1;
    QJsonObject json;
    QString err;
};

// `sotto-cli --profile <profile> --json <args>` under `env`, for at most
// `timeout_ms`. `err` is the JSON's error where there is one (--json puts it
// there; stderr holds only diagnostics), stderr otherwise.
inline CliRun run_cli(const QString& profile, const QStringList& args, QProcessEnvironment env,
                      const QString& runtime_dir, int timeout_ms) {
    QProcess p;
    env.insert("QT_QPA_PLATFORM", "offscreen");
    env.insert("XDG_RUNTIME_DIR", runtime_dir);
    p.setProcessEnvironment(env);
    const QStringList all = QStringList{"--profile", profile, "--json"} + args;
    p.start(QStringLiteral(SOTTO_CLI_BIN), all);
    CliRun r;
    if (!p.waitForFinished(timeout_ms)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out: sotto-cli " + all.join(' ');
        return r;
    }
    r.code = p.exitCode();
    const auto out = p.readAllStandardOutput();
    r.err = QString::fromUtf8(p.readAllStandardError());
    r.json = QJsonDocument::fromJson(out.trimmed().split('\n').last()).object();
    if (r.json.contains("error")) r.err = r.json["error"].toString();
    return r;
}

}  // namespace sotto::testing
