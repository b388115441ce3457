// The steps of the two-user sotto-cli story that the CLI tests run on each
// network (tst_cli_localnet on Sotto's own network, tst_cli_tor on a private
// Tor network): Alice and Bob are contacts, each with a daemon. `Cli` is a
// callable (who, args) -> CliRun. Each step fails the current test with
// QtTest's macros; call it as a slot's last statement.
#pragma once

#include <signal.h>

#include <QFile>
#include <QJsonArray>
#include <QtTest>

#include "net/profile_lock.hpp"
#include "tests/common/cli_run.hpp"

namespace sotto::testing {

template <typename Cli>
QStringList cli_bodies(Cli& cli, const QString& who, const QString& contact) {
    auto h = cli(who, {"history", contact, "--limit", "200"});
    QStringList out;
    for (const auto& m : h.json["messages"].toArray()) out << m.toObject()["text"].toString();
    return out;
}

// Alice queues five messages, her daemon dies by SIGKILL, she unlocks again
// (`unlock_args`); Bob gets each exactly once.
template <typename Cli>
void kill_9_while_sending_delivers_each_once(Cli& cli, const QString& alice_profile,
                                             const QStringList& unlock_args,
                                             const QString& timeout_s) {
    QStringList sent;
    for (int i = 0; i < 5; ++i) {
        sent << QStringLiteral("crash-test %1").arg(i);
        auto r = cli("alice", {"send", "Bob", sent.last()});
        QVERIFY2(r.code == 0, qPrintable(r.err));
    }
    QFile pidf(alice_profile + "/daemon.pid");
    QVERIFY(pidf.open(QIODevice::ReadOnly));
    const auto pid = pidf.readAll().trimmed().toInt();
    QVERIFY(pid > 0);
    QCOMPARE(::kill(pid, SIGKILL), 0);
    // The kernel drops a killed process's lock as it exits (kill only
    // sends the signal): the profile opens again.
    QTRY_VERIFY_WITH_TIMEOUT(bool(sotto::net::ProfileLock::acquire(alice_profile)), 10000);
    // The dead daemon's socket file remains; unlock must cope with it.
    auto r = cli("alice", unlock_args);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    // Delivery is in order, so once this one is delivered the five are too.
    auto marker = cli("alice", {"send", "Bob", "after restart", "--wait", "--timeout", timeout_s});
    QVERIFY2(marker.code == 0, qPrintable(marker.err));
    const auto got = cli_bodies(cli, "bob", "Alice");
    for (const auto& s : sent) QCOMPARE(got.count(s), 1);
    QCOMPARE(got.count(QStringLiteral("after restart")), 1);
}

// Bob goes Invisible: Alice sees him offline; visible again: online.
template <typename Cli>
void invisible_looks_offline_and_visible_comes_back(Cli& cli, const QString& timeout_s) {
    QVERIFY(cli("bob", {"presence", "invisible"}).code == 0);
    auto off = cli("alice", {"wait-offline", "Bob", "--timeout", "120"});
    QVERIFY2(off.code == 0, qPrintable(off.err));
    QVERIFY(cli("bob", {"presence", "visible"}).code == 0);
    auto on = cli("alice", {"wait-online", "Bob", "--timeout", timeout_s});
    QVERIFY2(on.code == 0, qPrintable(on.err));
}

// Bob silently revokes Alice: to her he is offline, and stays so.
template <typename Cli>
void silent_revoke_looks_offline(Cli& cli) {
    auto r = cli("bob", {"revoke", "Alice", "--yes"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(cli("bob", {"contacts"}).json["contacts"].toArray().isEmpty());
    auto off = cli("alice", {"wait-offline", "Bob", "--timeout", "120"});
    QVERIFY2(off.code == 0, qPrintable(off.err));
    auto late = cli("alice", {"send", "Bob", "are you there?", "--wait", "--timeout", "20"});
    QCOMPARE(late.code, 1);
    QVERIFY2(late.err.contains("timed out"), qPrintable(late.err));
    auto list = cli("alice", {"contacts"}).json["contacts"].toArray();
    QCOMPARE(list.size(), 1);
    QCOMPARE(list[0].toObject()["presence"].toString(), QStringLiteral("offline"));
}

}  // namespace sotto::testing
