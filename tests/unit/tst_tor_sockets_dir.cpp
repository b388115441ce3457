// Where the Tor adapter puts the contacts' sockets (net/tor_adapter's
// contact_sockets_dir): in the profile when tor can be given paths there,
// else in a private folder of the runtime directory, one per profile.
// ADD_ONION's Port= is read unquoted, so a profile under "My Files" would
// otherwise have no contact services at all.
#include <QtTest>

#include "net/tor_adapter.hpp"

using sotto::net::contact_sockets_dir;

class TestTorSocketsDir : public QObject {
    Q_OBJECT
  private slots:
    void a_plain_profile_path_is_kept() {
        QCOMPARE(contact_sockets_dir("/home/ann/.local/share/sotto/p1/tor-services"),
                 QString("/home/ann/.local/share/sotto/p1/tor-services"));
    }
    void paths_tor_cannot_take_move_to_the_runtime_folder() {
        // Qt takes a runtime folder only if it exists, is ours and is 0700.
        QTemporaryDir runtime;
        QVERIFY(runtime.isValid());
        qputenv("XDG_RUNTIME_DIR", runtime.path().toUtf8());
        const QStringList bad_paths{"/home/ann/My Files/sotto/tor-services",
                                    "/home/ann/a,b/tor-services", "/home/ann/\"q\"/tor-services",
                                    QString::fromUtf8("/home/ann/\xc3\xbc/tor-services"),
                                    "/home/ann/" + QString(100, 'x')};
        for (const QString& bad : bad_paths) {
            const QString dir = contact_sockets_dir(bad);
            QVERIFY2(dir.startsWith(runtime.path() + "/sotto-"), qPrintable(dir));
            // The same profile always gets the same folder, another another.
            QCOMPARE(contact_sockets_dir(bad), dir);
            QVERIFY(contact_sockets_dir(bad + "2") != dir);
        }
    }
    void nothing_when_even_the_runtime_folder_is_too_long() {
        // A real, private runtime folder, too deep for a socket name.
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString deep = tmp.path() + "/" + QString(100, 'r');
        QVERIFY(QDir().mkpath(deep));
        QVERIFY(QFile::setPermissions(
            deep, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner));
        qputenv("XDG_RUNTIME_DIR", deep.toUtf8());
        QCOMPARE(contact_sockets_dir("/home/ann/My Files/tor-services"), QString());
    }
};

QTEST_GUILESS_MAIN(TestTorSocketsDir)
#include "tst_tor_sockets_dir.moc"
