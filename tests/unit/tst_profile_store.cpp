// The profile store: every field survives a close and reopen; a wrong
// passphrase, a foreign or corrupt file and a tampered field give clear
// errors and never a crash; a wrong passphrase leaves the file untouched;
// migrations run forward; outbox, acks, dedup, paging, unread counts,
// settings and invites behave as the engine expects; a full disk fails with
// Errc::Io and keeps what was committed.
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>

#include <openssl/evp.h>

#include <filesystem>

#include "core/crypto/random.hpp"
#include "core/hs/hs_types.hpp"
#include "core/session/session_keys.hpp"
#include "core/store/profile_store.hpp"
#include "core/store/profile_store_testing.hpp"
#include "core/store/row_integrity.hpp"
#include "core/store/schema.hpp"
#include "core/store/sqlite_db.hpp"
#include "core/transport/onion_credentials.hpp"
#include "tests/common/store_samples.hpp"
#include "tests/common/test_grants.hpp"

using namespace sotto;
using namespace sotto::store;
using namespace sotto::testing;  // store_samples.hpp

namespace {

// Cheap scrypt so the tests stay fast; production uses kProfileScrypt (2^17).
const crypto::ScryptParams kParams{1u << 10};
constexpr std::string_view kPass = "correct horse battery staple";

QByteArray file_bytes(const std::filesystem::path& p) {
    QFile f(QString::fromStdString(p.string()));
    if (!f.open(QIODevice::ReadOnly)) return {};
    return f.readAll();
}

void write_file(const std::filesystem::path& p, const QByteArray& bytes) {
    QFile f(QString::fromStdString(p.string()));
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(bytes), bytes.size());
}

// A raw connection to poke at the file the way an attacker or a disk would.
SqliteDb raw(const std::filesystem::path& p) {
    auto db = SqliteDb::open(p, SqliteDb::Mode::ReadWrite);
    if (!db) qFatal("cannot open %s: %s", p.string().c_str(), db.error().message.c_str());
    return std::move(*db);
}

// Flips one byte of a sealed BLOB in place.
void flip_byte(const std::filesystem::path& p, const char* select, const char* update,
               std::int64_t row) {
    auto db = raw(p);
    auto st = db.prepare(select);
    QVERIFY(st);
    st->bind(1, row);
    auto r = st->step();
    QVERIFY(r && *r);
    ByteView v = st->column_blob(0);
    Bytes b(v.begin(), v.end());
    QVERIFY(b.size() > 20);
    b[b.size() / 2] ^= 0x01;
    auto up = db.prepare(update);
    QVERIFY(up);
    QVERIFY(up->bind(1, b).bind(2, row).run());
}

struct Fixture {
    QTemporaryDir dir;
    DeterministicRng rng{42};
    std::filesystem::path path() const {
        return std::filesystem::path(dir.path().toStdString()) / "profile.sotto";
    }
    std::unique_ptr<ProfileStore> create() {
        auto s = ProfileStore::create(path(), kPass, make_identity(rng), rng, kParams);
        if (!s) qFatal("create failed: %s", s.error().message.c_str());
        return std::move(*s);
    }
    Result<std::unique_ptr<ProfileStore>> open(std::string_view pass = kPass) {
        return ProfileStore::open(path(), pass, rng);
    }
};

bool contains(const std::string& s, std::string_view part) {
    return s.find(part) != std::string::npos;
}

// Puts tests/data/`name`, a profile an older store made, where the
// fixture's profile goes, and checks it is at schema `version`. The caller
// returns if QTest::currentTestFailed().
void install_old_profile(Fixture& fx, const char* name, int version) {
    std::filesystem::copy_file(std::filesystem::path(SOTTO_SOURCE_DIR) / "tests/data" / name,
                               fx.path());
    auto db = raw(fx.path());
    QCOMPARE(*schema::user_version(db), version);
}

// Opens the installed old profile into `out` and checks what every upgrade
// keeps: it is at the current schema and still Alice's. The caller returns
// if QTest::currentTestFailed().
void open_upgraded(Fixture& fx, std::unique_ptr<ProfileStore>& out) {
    auto opened = fx.open();
    QVERIFY2(opened, opened ? "" : opened.error().message.c_str());
    QCOMPARE((*opened)->schema_version(), ProfileStore::kSchemaVersion);
    QCOMPARE((*opened)->identity().display_name, std::string("Alice"));
    out = std::move(*opened);
}

}  // namespace

class TestProfileStore : public QObject {
    Q_OBJECT
  private slots:
    void create_open_roundtrip_of_every_field() {
        Fixture fx;
        QVERIFY(fx.dir.isValid());
        DeterministicRng idrng(7);
        ProfileIdentity expected = make_identity(idrng);
        ContactId established = 0, requested = 0;
        InviteId inv = 0;
        ContactRecord c1 = make_contact(fx.rng, "Bob");
        c1.nickname = "Bobby";
        c1.appear_offline = true;
        ContactRecord c2 = make_contact(fx.rng, "Carol \xF0\x9F\x90\xA6", false);
        MessageRecord out_msg, in_msg;
        {
            DeterministicRng again(7);
            auto s = ProfileStore::create(fx.path(), kPass, make_identity(again), fx.rng, kParams);
            QVERIFY2(s, s ? "" : s.error().message.c_str());
            auto& store = **s;
            QCOMPARE(store.schema_version(), ProfileStore::kSchemaVersion);
            auto id1 = store.add_contact(clone(c1));
            QVERIFY(id1);
            established = *id1;
            auto id2 = store.add_contact(clone(c2));
            QVERIFY(id2);
            requested = *id2;
            QVERIFY(established != requested);
            auto i = store.add_invite(make_invite(fx.rng, "for Dave"));
            QVERIFY(i);
            inv = *i;
            auto o = store.add_outgoing(established, msg_id(fx.rng), "hello \xC3\xA9", t0);
            QVERIFY(o);
            out_msg = *o;
            auto in = store.add_incoming(established, msg_id(fx.rng), "hi",
                                         t0 + Duration::seconds(1), t0 + Duration::seconds(2));
            QVERIFY(in && *in);
            in_msg = **in;
            QVERIFY(store.set_setting("presence", "away"));
        }
        c1.id = established;
        c2.id = requested;
        auto s = fx.open();
        QVERIFY2(s, s ? "" : s.error().message.c_str());
        auto& store = **s;
        const auto& id = store.identity();
        QCOMPARE(id.display_name, expected.display_name);
        QVERIFY(ct_equal(id.node_identity.seed(), expected.node_identity.seed()));
        QVERIFY(id.node_identity.public_key() == expected.node_identity.public_key());
        QVERIFY(ct_equal(id.node_onion.view(), expected.node_onion.view()));
        QCOMPARE(id.network_file, expected.network_file);
        QVERIFY(id.network_id == expected.network_id);

        auto r1 = store.contact(established);
        QVERIFY(r1);
        QVERIFY(same(*r1, c1));
        auto r2 = store.contact(requested);
        QVERIFY(r2);
        QVERIFY(same(*r2, c2));
        QVERIFY(!r2->their_pairwise);
        auto all = store.contacts();
        QVERIFY(all);
        QCOMPARE(all->size(), std::size_t(2));
        QVERIFY(same((*all)[0], c1));

        auto ir = store.invite(inv);
        QVERIFY(ir);
        QCOMPARE(ir->name_hint, std::string("for Dave"));
        QCOMPARE(ir->expires_at, t0 + Duration::hours(48));
        QCOMPARE(ir->status, InviteStatus::Open);

        auto h = store.history(established, std::nullopt, 10);
        QVERIFY(h);
        QCOMPARE(h->size(), std::size_t(2));
        QVERIFY(same((*h)[0], out_msg));
        QVERIFY(same((*h)[1], in_msg));
        QCOMPARE((*h)[1].delivered_at, std::optional(t0 + Duration::seconds(2)));
        QVERIFY(!(*h)[1].read);
        QCOMPARE(*store.setting("presence"), std::optional<std::string>("away"));

        // display name survives too
        QVERIFY(store.set_display_name("Alice B."));
        s->reset();
        auto again = fx.open();
        QVERIFY(again);
        QCOMPARE((*again)->identity().display_name, std::string("Alice B."));
    }

    void secrets_are_not_in_the_file_in_clear() {
        Fixture fx;
        DeterministicRng idrng(9);
        auto ident = make_identity(idrng);
        Bytes seed(ident.node_identity.seed().begin(), ident.node_identity.seed().end());
        {
            DeterministicRng again(9);
            auto s = ProfileStore::create(fx.path(), kPass, make_identity(again), fx.rng, kParams);
            QVERIFY(s);
            auto c = (*s)->add_contact(make_contact(fx.rng, "Zebediah-Unique-Name"));
            QVERIFY(c);
            QVERIFY((*s)->add_outgoing(*c, msg_id(fx.rng), "the-secret-body-text", t0));
        }
        const QByteArray bytes = file_bytes(fx.path());
        QVERIFY(!bytes.isEmpty());
        QVERIFY(!bytes.contains("Zebediah-Unique-Name"));
        QVERIFY(!bytes.contains("the-secret-body-text"));
        QVERIFY(!bytes.contains("Alice"));
        QVERIFY(!bytes.contains("sotto-test"));
        QVERIFY(!bytes.contains(QByteArray(reinterpret_cast<const char*>(seed.data()), 32)));
        QVERIFY(QFileInfo(QString::fromStdString(fx.path().string())).permissions() ==
                (QFile::ReadOwner | QFile::WriteOwner | QFile::ReadUser | QFile::WriteUser));
    }

    void create_refuses_an_existing_file_and_open_a_missing_one() {
        Fixture fx;
        fx.create();
        auto again = ProfileStore::create(fx.path(), kPass, make_identity(fx.rng), fx.rng, kParams);
        QVERIFY(!again);
        QCOMPARE(again.error().code, Errc::Io);
        QVERIFY(fx.open());  // the existing profile was not damaged

        auto missing = ProfileStore::open(fx.path().parent_path() / "nope.sotto", kPass, fx.rng);
        QVERIFY(!missing);
        QCOMPARE(missing.error().code, Errc::NotFound);
        // A missing directory: Io, and nothing left behind.
        auto nodir = ProfileStore::create(fx.path().parent_path() / "no" / "dir.sotto", kPass,
                                          make_identity(fx.rng), fx.rng, kParams);
        QVERIFY(!nodir);
        QCOMPARE(nodir.error().code, Errc::Io);
    }

    void wrong_passphrase_leaves_the_file_untouched() {
        Fixture fx;
        {
            auto s = fx.create();
            auto c = s->add_contact(make_contact(fx.rng, "Bob"));
            QVERIFY(c);
            QVERIFY(s->add_outgoing(*c, msg_id(fx.rng), "hello", t0));
        }
        const QString file = QString::fromStdString(fx.path().string());
        const QByteArray before = file_bytes(fx.path());
        const QDateTime mtime = QFileInfo(file).lastModified();
        QTest::qWait(20);  // a rewrite would show in the mtime
        auto wrong = fx.open("Correct horse battery staple");
        QVERIFY(!wrong);
        QCOMPARE(wrong.error().code, Errc::BadSignature);
        QCOMPARE(wrong.error().message, std::string(kWrongPassphrase));
        QCOMPARE(file_bytes(fx.path()), before);
        QCOMPARE(QFileInfo(file).lastModified(), mtime);
        auto empty = fx.open("");
        QVERIFY(!empty);
        QCOMPARE(empty.error().message, std::string(kWrongPassphrase));
        QCOMPARE(file_bytes(fx.path()), before);
        QCOMPARE(QFileInfo(file).lastModified(), mtime);

        // Also while another connection has uncheckpointed data in the WAL.
        auto s = fx.open();
        QVERIFY(s);
        QVERIFY((*s)->set_setting("k", "v"));
        const QByteArray live = file_bytes(fx.path());
        const QDateTime live_mtime = QFileInfo(file).lastModified();
        QTest::qWait(20);
        auto wrong2 = fx.open("nope");
        QVERIFY(!wrong2);
        QCOMPARE(wrong2.error().message, std::string(kWrongPassphrase));
        QCOMPARE(file_bytes(fx.path()), live);
        QCOMPARE(QFileInfo(file).lastModified(), live_mtime);
        QCOMPARE(*(*s)->setting("k"), std::optional<std::string>("v"));
    }

    void change_passphrase_rewraps_the_data_key() {
        Fixture fx;
        ContactId c = 0;
        {
            auto s = fx.create();
            auto id = s->add_contact(make_contact(fx.rng, "Bob"));
            QVERIFY(id);
            c = *id;
            QVERIFY(s->add_outgoing(c, msg_id(fx.rng), "before the change", t0));
            auto bad = s->change_passphrase("not the passphrase", "new one", kParams);
            QVERIFY(!bad);
            QCOMPARE(bad.error().code, Errc::BadSignature);
            QCOMPARE(bad.error().message, std::string(kWrongPassphrase));
            QVERIFY(s->change_passphrase(kPass, "new one", crypto::ScryptParams{1u << 11}));
            // The open store keeps working with the same data key.
            QVERIFY(s->add_outgoing(c, msg_id(fx.rng), "after the change", t0));
        }
        auto old = fx.open();
        QVERIFY(!old);
        QCOMPARE(old.error().message, std::string(kWrongPassphrase));
        auto s = fx.open("new one");
        QVERIFY2(s, s ? "" : s.error().message.c_str());
        auto h = (*s)->history(c, std::nullopt, 10);
        QVERIFY(h);
        QCOMPARE(h->size(), std::size_t(2));
        QCOMPARE((*h)[0].body, std::string("before the change"));
        QCOMPARE((*h)[1].body, std::string("after the change"));
        QCOMPARE((*s)->contact(c)->name, std::string("Bob"));
        // The new parameters are in the meta table.
        s->reset();
        auto db = raw(fx.path());
        QCOMPARE(*db.query_int("SELECT value FROM meta WHERE key = 'scrypt_n'"), 2048);
    }

    void garbage_files_are_malformed_not_crashes() {
        Fixture fx;
        DeterministicRng noise(3);
        for (std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(100), std::size_t(4096),
                              std::size_t(65536)}) {
            write_file(fx.path(), QByteArray::fromStdString(std::string(
                                      reinterpret_cast<const char*>(noise.bytes(n).data()), n)));
            auto s = fx.open();
            QVERIFY(!s);
            QCOMPARE(s.error().code, Errc::Malformed);
            QVERIFY2(contains(s.error().message, "not a Sotto profile"), s.error().message.c_str());
        }
        // SQLite's magic followed by garbage.
        QByteArray fake("SQLite format 3\0", 16);
        fake += QByteArray::fromStdString(
            std::string(reinterpret_cast<const char*>(noise.bytes(8192).data()), 8192));
        write_file(fx.path(), fake);
        auto s = fx.open();
        QVERIFY(!s);
        QCOMPARE(s.error().code, Errc::Malformed);
    }

    void a_foreign_sqlite_database_is_not_a_profile() {
        Fixture fx;
        {
            auto db = SqliteDb::open(fx.path(), SqliteDb::Mode::Create);
            QVERIFY(db);
            QVERIFY(
                db->exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);"
                         "INSERT INTO notes (text) VALUES ('hello');"));
        }
        const QByteArray before = file_bytes(fx.path());
        auto s = fx.open();
        QVERIFY(!s);
        QCOMPARE(s.error().code, Errc::Malformed);
        QVERIFY(contains(s.error().message, "not a Sotto profile"));
        QCOMPARE(file_bytes(fx.path()), before);

        // Our application id but no meta table (e.g. hand-made): still not a profile.
        {
            auto db = raw(fx.path());
            QVERIFY(db.exec("PRAGMA application_id = 1399813236; PRAGMA user_version = 1;"));
        }
        s = fx.open();
        QVERIFY(!s);
        QCOMPARE(s.error().code, Errc::Malformed);
    }

    void a_newer_schema_is_refused() {
        Fixture fx;
        fx.create();
        {
            auto db = raw(fx.path());
            QVERIFY(db.exec("PRAGMA user_version = 7"));
        }
        auto s = fx.open();
        QVERIFY(!s);
        QCOMPARE(s.error().code, Errc::BadVersion);
    }

    void truncated_database_is_an_error_not_a_crash() {
        Fixture fx;
        ContactId c = 0;
        {
            auto s = fx.create();
            c = *s->add_contact(make_contact(fx.rng, "Bob"));
            auto& db = ProfileStoreTesting::db(*s);
            QVERIFY(db.exec("PRAGMA synchronous = OFF"));
            for (int i = 0; i < 400; ++i)
                QVERIFY(s->add_outgoing(c, msg_id(fx.rng), std::string(200, 'x'), t0));
        }
        const QByteArray full = file_bytes(fx.path());
        QVERIFY(full.size() > 64 * 1024);
        for (double frac : {0.9, 0.5, 0.2, 0.01}) {
            write_file(fx.path(), full.left(static_cast<qsizetype>(full.size() * frac)));
            auto s = fx.open();
            if (!s) {
                QVERIFY2(s.error().code == Errc::Malformed, s.error().message.c_str());
                continue;
            }
            // Opened (the cut hit only message pages): reading them must fail cleanly.
            auto h = (*s)->history(c, std::nullopt, 1000);
            QVERIFY(!h);
            QVERIFY2(h.error().code == Errc::Malformed, h.error().message.c_str());
        }
    }

    // A sealed field that does not open is named (table, column, row) when
    // it is read. With row MACs a tampered row is refused at unlock already,
    // so the field errors are reached here by re-sealing the row MACs over
    // the tampered file (as a buggy migration might leave it).
    void a_tampered_field_is_named_and_never_crashes() {
        Fixture fx;
        ContactId bob = 0, carol = 0;
        MessageRowId m1 = 0, m2 = 0;
        {
            auto s = fx.create();
            bob = *s->add_contact(make_contact(fx.rng, "Bob"));
            carol = *s->add_contact(make_contact(fx.rng, "Carol"));
            m1 = s->add_outgoing(bob, msg_id(fx.rng), "one", t0)->row;
            m2 = s->add_outgoing(bob, msg_id(fx.rng), "two", t0)->row;
        }
        // Re-MACs every row of the file as it is now (test only).
        auto remac = [&] {
            auto s = ProfileStoreTesting::open_with_migrations(
                fx.path(), kPass, fx.rng, schema::profile_migrations(), /*remac=*/true);
            QVERIFY2(s, s ? "" : s.error().message.c_str());
        };
        flip_byte(fx.path(), "SELECT name FROM contacts WHERE id = ?",
                  "UPDATE contacts SET name = ? WHERE id = ?", static_cast<std::int64_t>(bob));
        {
            auto s = fx.open();
            QVERIFY(!s);
            QCOMPARE(s.error().code, Errc::BadSignature);
            QVERIFY2(contains(s.error().message,
                              "a contact was altered (contacts, row " + std::to_string(bob) + ")"),
                     s.error().message.c_str());
        }
        remac();
        {
            auto s = fx.open();
            QVERIFY(s);  // the identity is intact
            auto c = (*s)->contact(bob);
            QVERIFY(!c);
            QCOMPARE(c.error().code, Errc::BadSignature);
            QVERIFY2(contains(c.error().message, "contacts.name"), c.error().message.c_str());
            QVERIFY((*s)->contact(carol));
            QVERIFY(!(*s)->contacts());
            auto sum = (*s)->contact_summaries();
            QVERIFY(!sum);
            QVERIFY(contains(sum.error().message, "contacts.name"));
        }
        // Swap two message bodies: each is bound to its own row.
        {
            auto db = raw(fx.path());
            QVERIFY(
                db.exec("UPDATE messages SET body = (SELECT body FROM messages m2 WHERE "
                        "m2.id != messages.id)"));
        }
        {
            auto s = fx.open();
            QVERIFY(!s);
            QVERIFY2(contains(s.error().message, "a message was altered (messages, row"),
                     s.error().message.c_str());
        }
        // After remac() the row MACs match and open() succeeds; the altered
        // message is still refused when `who`'s history decrypts it (`why`).
        auto history_fails = [&](ContactId who, std::string& why) {
            remac();
            auto s = fx.open();
            QVERIFY(s);
            auto h = (*s)->history(who, std::nullopt, 10);
            QVERIFY(!h);
            QCOMPARE(h.error().code, Errc::BadSignature);
            why = h.error().message;
        };
        std::string why;
        history_fails(bob, why);
        QVERIFY2(contains(why, "messages.body"), why.c_str());
        QVERIFY(contains(why, "row " + std::to_string(m2)) ||
                contains(why, "row " + std::to_string(m1)));
        // Move a message to another conversation: its fields bind the contact.
        {
            auto db = raw(fx.path());
            auto st = db.prepare("UPDATE messages SET contact = ? WHERE id = ?");
            QVERIFY(st->bind(1, static_cast<std::int64_t>(carol)).bind(2, m1).run());
        }
        QVERIFY(!fx.open());
        history_fails(carol, why);
        // A tampered identity field stops open() and says which.
        flip_byte(fx.path(), "SELECT node_onion FROM identity WHERE id = ?",
                  "UPDATE identity SET node_onion = ? WHERE id = ?", 1);
        auto s = fx.open();
        QVERIFY(!s);
        QCOMPARE(s.error().code, Errc::BadSignature);
        QVERIFY2(contains(s.error().message, "the profile's own identity was altered"),
                 s.error().message.c_str());
        {
            auto r = ProfileStoreTesting::open_with_migrations(
                fx.path(), kPass, fx.rng, schema::profile_migrations(), /*remac=*/true);
            QVERIFY(!r);
            QVERIFY2(contains(r.error().message, "identity.node_onion"), r.error().message.c_str());
        }
        s = fx.open();
        QVERIFY(!s);
        QCOMPARE(s.error().code, Errc::BadSignature);
        QVERIFY2(contains(s.error().message, "identity.node_onion"), s.error().message.c_str());
        // A tampered wrapped key looks like a wrong passphrase (nothing else can tell).
        flip_byte(fx.path(), "SELECT value FROM meta WHERE key = 'data_key' AND ? = 1",
                  "UPDATE meta SET value = ? WHERE key = 'data_key' AND ? = 1", 1);
        s = fx.open();
        QVERIFY(!s);
        QCOMPARE(s.error().message, std::string(kWrongPassphrase));
    }

    // The row MAC is plain HMAC-SHA-256 (RFC 2104) under a key HKDF derives
    // from the data key, whatever the length of the row (one block, several,
    // none), computed from cached keyed states.
    void the_row_mac_is_hmac_sha256_under_the_row_key() {
        DeterministicRng rng(5);
        DataKey data_key;
        rng.fill(data_key.mut());
        auto box = SealedBox::from_data_key(data_key, rng);
        QVERIFY(box);
        auto key = crypto::hkdf(crypto::HkdfHash::Sha3_256, data_key.view(), {},
                                as_bytes("sotto/profile/v1/row-mac-key"), 32);
        QVERIFY(key);
        for (std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(55), std::size_t(64),
                              std::size_t(65), std::size_t(1000)}) {
            const Bytes msg = rng.bytes(n);
            std::uint8_t expected[32];
            std::size_t len = 0;
            QVERIFY(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key->data(), 32,
                              msg.data(), msg.size(), expected, sizeof expected, &len) != nullptr);
            QCOMPARE(len, std::size_t(32));
            const auto got = box->row_mac(msg);
            QVERIFY2(ct_equal(got.view(), ByteView(expected, 32)), qPrintable(QString::number(n)));
            QVERIFY(box->row_mac(msg) == got);  // the cached states are not consumed
        }
    }

    // ---- finding 10: rows rolled back, flipped or resurrected ----

    // A Used invite flipped back to Open in the clear `status` column, and
    // the same invite's whole row put back from an older copy of the file:
    // both refused at unlock with a sentence, the file left as it was, and
    // once the row is as Sotto wrote it everything is there.
    void a_used_invite_flipped_back_to_open_is_refused() {
        Fixture fx;
        ContactId bob = 0;
        InviteId inv = 0;
        {
            auto s = fx.create();
            bob = *s->add_contact(make_contact(fx.rng, "Bob"));
            inv = *s->add_invite(make_invite(fx.rng, "for Bob"));
            QVERIFY(s->add_outgoing(bob, msg_id(fx.rng), "kept", t0));
            // An old copy of the row while the invite was still open.
            auto& db = ProfileStoreTesting::db(*s);
            const std::string attach =
                "ATTACH DATABASE '" + (fx.path().parent_path() / "old.db").string() + "' AS old";
            QVERIFY(db.exec(attach.c_str()));
            QVERIFY(db.exec("CREATE TABLE old.invites AS SELECT * FROM main.invites"));
            QVERIFY(db.exec("DETACH DATABASE old"));
            auto rec = *s->invite(inv);
            rec.status = InviteStatus::Used;
            rec.used_by = bob;
            QVERIFY(s->update_invite(rec));
        }
        {
            auto db = raw(fx.path());
            auto st = db.prepare("UPDATE invites SET status = 1, used_by = NULL WHERE id = ?");
            QVERIFY(st->bind(1, static_cast<std::int64_t>(inv)).run());
        }
        const QByteArray flipped = file_bytes(fx.path());
        auto s = fx.open();
        QVERIFY(!s);
        QCOMPARE(s.error().code, Errc::BadSignature);
        QVERIFY2(s.error().message.starts_with(integrity::kChangedOutside),
                 s.error().message.c_str());
        QVERIFY2(contains(s.error().message,
                          "an invite was altered (invites, row " + std::to_string(inv) + ")"),
                 s.error().message.c_str());
        QCOMPARE(file_bytes(fx.path()), flipped);  // refused without writing
        // Nothing was lost: with the flip undone it opens as before.
        {
            auto db = raw(fx.path());
            auto st = db.prepare("UPDATE invites SET status = 2, used_by = ? WHERE id = ?");
            QVERIFY(st);
            QVERIFY(st->bind(1, static_cast<std::int64_t>(bob))
                        .bind(2, static_cast<std::int64_t>(inv))
                        .run());
        }
        {
            auto ok = fx.open();
            QVERIFY2(ok, ok ? "" : ok.error().message.c_str());
            QCOMPARE((*ok)->invite(inv)->status, InviteStatus::Used);
            QCOMPARE((*ok)->history(bob, std::nullopt, 10)->size(), std::size_t(1));
        }
        const QByteArray current = file_bytes(fx.path());

        // The whole row from the old copy, MAC and version included: the row
        // is consistent in itself, the digest is not.
        {
            auto db = raw(fx.path());
            const std::string attach =
                "ATTACH DATABASE '" + (fx.path().parent_path() / "old.db").string() + "' AS old";
            QVERIFY(db.exec(attach.c_str()));
            QVERIFY(
                db.exec("DELETE FROM main.invites; "
                        "INSERT INTO main.invites SELECT * FROM old.invites;"));
        }
        s = fx.open();
        QVERIFY(!s);
        QCOMPARE(s.error().code, Errc::BadSignature);
        QVERIFY2(contains(s.error().message, "an invite was put back to an earlier version"),
                 s.error().message.c_str());
        write_file(fx.path(), current);
        s = fx.open();
        QVERIFY2(s, s ? "" : s.error().message.c_str());
        QCOMPARE((*s)->invite(inv)->status, InviteStatus::Used);
    }

    // A revoked contact (its row and its history) put back from an old copy
    // of the profile: refused, "a contact that was removed is back"; the
    // other contact and everything else untouched.
    void a_revoked_contact_put_back_is_refused() {
        Fixture fx;
        ContactId bob = 0, carol = 0;
        const auto old_db = (fx.path().parent_path() / "old.db").string();
        const std::string attach = "ATTACH DATABASE '" + old_db + "' AS old";
        {
            auto s = fx.create();
            bob = *s->add_contact(make_contact(fx.rng, "Bob"));
            carol = *s->add_contact(make_contact(fx.rng, "Carol"));
            for (int i = 0; i < 3; ++i) {
                QVERIFY(s->add_outgoing(bob, msg_id(fx.rng), "to bob", t0));
                QVERIFY(s->add_incoming(carol, msg_id(fx.rng), "from carol", t0, t0));
            }
            auto& db = ProfileStoreTesting::db(*s);
            QVERIFY(db.exec(attach.c_str()));
            QVERIFY(
                db.exec("CREATE TABLE old.contacts AS SELECT * FROM main.contacts "
                        "WHERE id = 1; "
                        "CREATE TABLE old.messages AS SELECT * FROM main.messages "
                        "WHERE contact = 1;"));
            QVERIFY(db.exec("DETACH DATABASE old"));
            QCOMPARE(bob, ContactId(1));
            QVERIFY(s->remove_contact(bob));
        }
        const QByteArray revoked = file_bytes(fx.path());
        {
            auto db = raw(fx.path());
            QVERIFY(db.exec(attach.c_str()));
            QVERIFY(
                db.exec("INSERT INTO main.contacts SELECT * FROM old.contacts; "
                        "INSERT INTO main.messages SELECT * FROM old.messages;"));
        }
        const QByteArray resurrected = file_bytes(fx.path());
        auto s = fx.open();
        QVERIFY(!s);
        QCOMPARE(s.error().code, Errc::BadSignature);
        QCOMPARE(s.error().message, std::string(integrity::kChangedOutside) +
                                        "a contact that was removed is back. Sotto has not "
                                        "opened it and left the file as it is.");
        QCOMPARE(file_bytes(fx.path()), resurrected);
        // Only the messages back: caught too.
        {
            auto db = raw(fx.path());
            QVERIFY(db.exec("DELETE FROM contacts WHERE id = 1"));
            // (the foreign key is not enforced on this raw connection)
        }
        s = fx.open();
        QVERIFY(!s);
        QVERIFY2(contains(s.error().message, "a message that was removed is back"),
                 s.error().message.c_str());
        // A row deleted behind our back.
        write_file(fx.path(), revoked);
        {
            auto db = raw(fx.path());
            auto st = db.prepare("DELETE FROM messages WHERE id = (SELECT max(id) FROM messages)");
            QVERIFY(st && st->run());
        }
        s = fx.open();
        QVERIFY(!s);
        QVERIFY2(contains(s.error().message, "a message was deleted"), s.error().message.c_str());
        // The file as Sotto left it opens with Carol and her messages.
        write_file(fx.path(), revoked);
        s = fx.open();
        QVERIFY2(s, s ? "" : s.error().message.c_str());
        QCOMPARE((*s)->contacts()->size(), std::size_t(1));
        QCOMPARE((*s)->contact(bob).error().code, Errc::NotFound);
        QCOMPARE((*s)->history(carol, std::nullopt, 10)->size(), std::size_t(3));
    }

    // The digest cannot be dodged by making the file look older: without
    // the MAC columns, the digest and the flag the data key is bound to,
    // the passphrase still finds the binding and unlock refuses.
    void stripping_the_macs_to_look_like_an_old_profile_is_refused() {
        Fixture fx;
        {
            auto s = fx.create();
            QVERIFY(s->add_contact(make_contact(fx.rng, "Bob")));
        }
        {
            auto db = raw(fx.path());
            QVERIFY(
                db.exec("DELETE FROM meta WHERE key IN ('row_macs', 'integrity'); "
                        "PRAGMA user_version = 3;"));
            for (const char* t :
                 {"identity", "settings", "contacts", "invites", "accepted_invites", "messages"})
                for (const char* c : {"mac", "row_version"})
                    QVERIFY(
                        db.exec(("ALTER TABLE " + std::string(t) + " DROP COLUMN " + c).c_str()));
            QVERIFY(db.exec("UPDATE contacts SET state = 1"));
        }
        auto s = fx.open();
        QVERIFY(!s);
        QCOMPARE(s.error().code, Errc::BadSignature);
        QVERIFY2(contains(s.error().message, "its protection against changes was removed"),
                 s.error().message.c_str());
        // The wrong passphrase is still just that.
        auto wrong = fx.open("nope");
        QVERIFY(!wrong);
        QCOMPARE(wrong.error().message, std::string(kWrongPassphrase));
    }

    // Every write keeps the digest: after a day's worth of every kind of
    // write the profile still opens (and keeps doing so after each).
    void every_write_keeps_the_digest() {
        Fixture fx;
        hs::ClientKeyId key;
        fx.rng.fill(key.bytes);
        auto s = fx.create();
        auto reopen = [&] {
            s.reset();
            auto again = fx.open();
            QVERIFY2(again, again ? "" : again.error().message.c_str());
            s = std::move(*again);
        };
        auto bob = *s->add_contact(make_contact(fx.rng, "Bob"));
        auto carol = *s->add_contact(make_contact(fx.rng, "Carol", false));
        reopen();
        QVERIFY(s->set_display_name("Alice 2"));
        QVERIFY(s->set_setting("presence", "away"));
        QVERIFY(s->set_setting("presence", "visible"));
        reopen();
        auto inv = *s->add_invite(make_invite(fx.rng, "x"));
        auto rec = *s->invite(inv);
        rec.probes = 3;
        QVERIFY(s->update_invite(rec));
        QVERIFY(s->remember_accepted_invite(key.view(), t0 + Duration::hours(1)));
        QVERIFY(s->remember_accepted_invite(key.view(), t0 + Duration::hours(2)));
        reopen();
        QCOMPARE(s->invite(inv)->probes, 3u);
        const MessageId out = msg_id(fx.rng);
        QVERIFY(s->add_outgoing(carol, out, "q", t0));
        QVERIFY(s->add_outgoing(carol, msg_id(fx.rng), "q2", t0));
        QVERIFY(s->add_incoming(bob, msg_id(fx.rng), "i", t0, t0));
        QVERIFY(s->set_message_state(carol, out, MessageState::Sent));
        reopen();
        QVERIFY(s->mark_invite_expired(carol));
        reopen();
        QCOMPARE(*s->requeue_failed(carol), std::size_t(2));
        QVERIFY(s->mark_read(bob));
        QVERIFY(s->mark_read(bob));  // nothing left to mark
        reopen();
        auto c = *s->contact(bob);
        c.nickname = "B";
        QVERIFY(s->update_contact(c));
        rec = *s->invite(inv);
        rec.status = InviteStatus::Used;
        rec.used_by = bob;
        QVERIFY(s->update_invite(rec));
        reopen();
        QVERIFY(s->remove_contact(bob));
        QCOMPARE(*s->purge_accepted_invites(t0 + Duration::hours(3)), std::size_t(1));
        reopen();
        QVERIFY(s->change_passphrase(kPass, kPass, kParams));
        reopen();
        QCOMPARE(s->identity().display_name, std::string("Alice 2"));
        QCOMPARE(s->contacts()->size(), std::size_t(1));
        QVERIFY(!s->invite(inv)->used_by);
        // A write that fails leaves the digest as it was (its transaction
        // rolled back, and the state in memory with it).
        QCOMPARE(s->update_contact(c).error().code, Errc::NotFound);
        QCOMPARE(s->add_outgoing(bob, msg_id(fx.rng), "x", t0).error().code, Errc::NotFound);
        reopen();
    }

    // New profiles get N = 2^17; one made with the old 2^15 still opens as
    // it is; changing the passphrase rewraps it at 2^17.
    void scrypt_cost_new_old_and_rewrapped() {
        QCOMPARE(kProfileScrypt.n, std::uint64_t(1) << 17);
        QCOMPARE(kProfileScrypt.r, 8u);
        Fixture fx;
        {
            auto s = ProfileStore::create(fx.path(), kPass, make_identity(fx.rng), fx.rng,
                                          crypto::ScryptParams{1u << 15, 8, 1});
            QVERIFY(s);
            QVERIFY((*s)->add_contact(make_contact(fx.rng, "Bob")));
        }
        auto n = [&] {
            return *raw(fx.path()).query_int("SELECT value FROM meta WHERE key = 'scrypt_n'");
        };
        QCOMPARE(n(), std::int64_t(1) << 15);
        {
            auto s = fx.open();
            QVERIFY2(s, s ? "" : s.error().message.c_str());
            QCOMPARE((*s)->contacts()->size(), std::size_t(1));
            QCOMPARE(n(), std::int64_t(1) << 15);                  // opening does not rewrap
            QVERIFY((*s)->change_passphrase(kPass, "a new one"));  // the default cost
        }
        QCOMPARE(n(), std::int64_t(1) << 17);
        auto s = fx.open("a new one");
        QVERIFY2(s, s ? "" : s.error().message.c_str());
        QCOMPARE((*s)->contacts()->size(), std::size_t(1));
    }

    void migration_to_a_test_version_after_the_latest() {
        // The program's steps plus one more made up here.
        const int latest = ProfileStore::kSchemaVersion;
        const int next = latest + 1;
        Fixture fx;
        ContactId c = 0;
        {
            auto s = fx.create();
            c = *s->add_contact(make_contact(fx.rng, "Bob"));
            QVERIFY(s->add_outgoing(c, msg_id(fx.rng), "kept", t0));
        }
        // A step that fails half way: nothing of it may stay.
        static constexpr schema::Migration kBroken{
            "broken step", [](SqliteDb& db, const SealedBox&) -> Status {
                if (auto s = db.exec("ALTER TABLE messages ADD COLUMN pinned INTEGER"); !s)
                    return s;
                return fail(Errc::Io, "simulated failure");
            }};
        std::vector<schema::Migration> broken(schema::profile_migrations().begin(),
                                              schema::profile_migrations().end());
        broken.push_back(kBroken);
        auto b = ProfileStoreTesting::open_with_migrations(fx.path(), kPass, fx.rng, broken);
        QVERIFY(!b);
        QVERIFY2(contains(b.error().message, "version " + std::to_string(next)),
                 b.error().message.c_str());
        {
            auto db = raw(fx.path());
            QCOMPARE(*schema::user_version(db), latest);
            QVERIFY(!db.prepare("SELECT pinned FROM messages"));
        }

        // A real next step: a new column and a sealed value written with the box.
        static constexpr schema::Migration kV2{
            "pinned messages and a welcome note", [](SqliteDb& db, const SealedBox& box) -> Status {
                if (auto s = db.exec(
                        "ALTER TABLE messages ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0");
                    !s)
                    return s;
                auto tag = box.index_tag("setting", as_bytes("migrated"));
                auto sealed = box.seal_text(FieldRef{"settings", "value", 0, *tag}, "v2");
                auto st = db.prepare("INSERT INTO settings (tag, value) VALUES (?, ?)");
                if (!st) return std::unexpected(st.error());
                return st->bind(1, *tag).bind(2, *sealed).run();
            }};
        std::vector<schema::Migration> v2(schema::profile_migrations().begin(),
                                          schema::profile_migrations().end());
        v2.push_back(kV2);
        {
            auto s = ProfileStoreTesting::open_with_migrations(fx.path(), kPass, fx.rng, v2);
            QVERIFY2(s, s ? "" : s.error().message.c_str());
            QCOMPARE((*s)->schema_version(), next);
            QCOMPARE(*(*s)->setting("migrated"), std::optional<std::string>("v2"));
            auto h = (*s)->history(c, std::nullopt, 10);
            QVERIFY(h);
            QCOMPARE(h->size(), std::size_t(1));
            QCOMPARE((*h)[0].body, std::string("kept"));
            // The new column is there, and covered by the rows' MACs.
            QVERIFY(ProfileStoreTesting::db(**s).prepare("SELECT pinned FROM messages"));
        }
        {
            auto db = raw(fx.path());
            QVERIFY(db.exec("UPDATE messages SET pinned = 1"));
        }
        auto flipped = ProfileStoreTesting::open_with_migrations(fx.path(), kPass, fx.rng, v2);
        QVERIFY(!flipped);
        QVERIFY2(contains(flipped.error().message, "a message was altered"),
                 flipped.error().message.c_str());
        {
            auto db = raw(fx.path());
            QVERIFY(db.exec("UPDATE messages SET pinned = 0"));
        }
        // Opening again with the same steps is a no-op.
        {
            auto s = ProfileStoreTesting::open_with_migrations(fx.path(), kPass, fx.rng, v2);
            QVERIFY(s);
            QCOMPARE((*s)->schema_version(), next);
        }
        // This program only knows `latest`: the migrated file is too new for it.
        auto old = fx.open();
        QVERIFY(!old);
        QCOMPARE(old.error().code, Errc::BadVersion);
    }

    // tests/data/profile_v1.db was made by the version 1 store (commit
    // 585889a) through its API, with DeterministicRng(20260101), kParams and
    // kPass: identity "Alice" on network 11…11; Bob (1) Established,
    // nickname "Bobby", appear offline, messages "hello Bob" (Delivered),
    // "hi Alice" (incoming, unread), "queued for Bob" (Queued); Carol (2)
    // Requested from a code valid until t0 + 7 days, remembered as
    // accepted, with "waiting for Carol" (Queued); Dave (3) Requested whose
    // code was never remembered (a crash in between); an accepted code that
    // expired at t0 - 1 day; our invites: one Open, one Used by Bob; the
    // setting presence_mode = away.
    void a_version_1_profile_file_upgrades_with_everything_in_it() {
        Fixture fx;
        install_old_profile(fx, "profile_v1.db", 1);
        if (QTest::currentTestFailed()) return;
        const ContactId bob = 1, carol = 2, dave = 3;
        Bytes carol_ck, old_ck;
        QVERIFY(
            from_hex("72a7a126e79938cb386d4d259e259ede44fa53ca744686923584fee90245804b", carol_ck));
        QVERIFY(
            from_hex("311e490f9092405174766ca5a801fb54f51fd28cc513cbe44bfc4664c6fd49b8", old_ck));
        for (int round = 0; round < 2; ++round) {  // migrated, then opened as it is
            std::unique_ptr<ProfileStore> upgraded;
            open_upgraded(fx, upgraded);
            if (QTest::currentTestFailed()) return;
            auto& s = *upgraded;
            QCOMPARE(s.identity().network_file, std::string("network sotto-test\n"));
            dir::NetworkId nid;
            nid.bytes.fill(0x11);
            QVERIFY(s.identity().network_id == nid);

            auto all = s.contacts();
            QVERIFY2(all, all ? "" : all.error().message.c_str());
            QCOMPARE(all->size(), std::size_t(3));
            auto b = *s.contact(bob);
            QCOMPARE(b.state, ContactState::Established);
            QCOMPARE(b.name, std::string("Bob"));
            QCOMPARE(b.nickname, std::string("Bobby"));
            QVERIFY(b.appear_offline);
            QVERIFY(b.their_pairwise);
            QVERIFY(!b.invite_expires_at);
            // The new field, filled from the record of the accepted code.
            auto c = *s.contact(carol);
            QCOMPARE(c.state, ContactState::Requested);
            QVERIFY(ct_equal(c.their_credentials.at(0).bytes.view().first(32), carol_ck));
            QVERIFY(ct_equal(c.invite_secret.view().first(32), carol_ck));
            QCOMPARE(c.invite_expires_at, std::optional(t0 + Duration::hours(24 * 7)));
            auto d = *s.contact(dave);
            QCOMPARE(d.state, ContactState::Requested);
            QVERIFY(!d.invite_expires_at);

            auto hb = *s.history(bob, std::nullopt, 10);
            QCOMPARE(hb.size(), std::size_t(3));
            QCOMPARE(hb[0].body, std::string("hello Bob"));
            QCOMPARE(hb[0].state, MessageState::Delivered);
            QCOMPARE(hb[0].delivered_at, std::optional(t0 + Duration::seconds(2)));
            QCOMPARE(hb[1].body, std::string("hi Alice"));
            QCOMPARE(hb[1].state, MessageState::Received);
            QCOMPARE(hb[2].body, std::string("queued for Bob"));
            QCOMPARE(s.outbox(bob)->size(), std::size_t(1));
            auto hc = *s.outbox(carol);
            QCOMPARE(hc.size(), std::size_t(1));
            QCOMPARE(hc[0].body, std::string("waiting for Carol"));
            auto sums = *s.contact_summaries();
            QCOMPARE(sums[0].display, std::string("Bobby"));
            QCOMPARE(sums[0].unread, std::uint32_t(1));

            auto invites = *s.invites();
            QCOMPARE(invites.size(), std::size_t(2));
            QCOMPARE(invites[0].status, InviteStatus::Open);
            QCOMPARE(invites[1].status, InviteStatus::Used);
            QCOMPARE(invites[1].used_by, std::optional(bob));
            QCOMPARE(invites[0].probes, 0u);  // version 3: none counted before
            QCOMPARE(*s.setting("presence_mode"), std::optional<std::string>("away"));
            QVERIFY(*s.accepted_invite_seen(ByteView(carol_ck)));
            if (round == 0) {
                QVERIFY(*s.accepted_invite_seen(ByteView(old_ck)));
                // The old expired code is forgotten, Carol's (still valid at t0) kept.
                QCOMPARE(*s.purge_accepted_invites(t0), std::size_t(1));
            }
            QVERIFY(!*s.accepted_invite_seen(ByteView(old_ck)));
        }
    }

    // tests/data/profile_v4.db was made by the version 4 store (main at
    // 4190d16, the last before transport-tagged credentials) through its API
    // with DeterministicRng(20261202), kParams and kPass: identity "Alice" on
    // network 22…22; Bob (1) Established with "hello Bob" (Delivered) and
    // "hi Alice" (incoming); Carol (2) Requested from a code valid until t0 +
    // 7 days and remembered as accepted; our invites: one Open ("for Dave"),
    // one Used by Bob; presence_mode = away. The hex values are what the
    // generator printed.
    void a_version_4_profile_file_gets_transport_tagged_credentials() {
        Fixture fx;
        install_old_profile(fx, "profile_v4.db", 4);
        if (QTest::currentTestFailed()) return;
        auto hex = [](const char* h) {
            Bytes b;
            if (!from_hex(h, b)) qFatal("bad hex");
            return b;
        };
        const Bytes bob_grant =
            hex("8dba49623f9dbb2b83735438b25c6ed63157abf9a29796511bd0910de684bc2d"
                "52d080382c203346e918b7975b0047b727c3319e2a3ab507b387b3c38c4de573");
        const Bytes bob_creds =
            hex("119ce54ffaa355b2255307b5cad4271dd8b3dfe70d0060fea7ee6400d9426801"
                "fdeff31e4cc5cdbfc6cc2182f6f7b93c0d1a2e3787962a7c7d7b4e1a2eea996c");
        const Bytes carol_creds =
            hex("5e33d2c07d90beacb14e55b48b63aabaa6d593468dd952a17dcf9b727a2d4834"
                "48748d4d48ac91c6e5ee92331d5ec703705eae08bc6906267c560d531aa51a95");
        const Bytes invite_grant =
            hex("f18501590d74aa60e85586bef7515f9e56d8832a2cfc0be416a577d3b4b05e9a"
                "811572989a3e9872d2c7e8a6a21bfdcfa970b41b01e7efdbac1633a79a890919");
        const Bytes invite_creds =
            hex("82528c691b9b30b4dae52fad3a796bc8bbc66017664bbec0e8ed2a8201410872"
                "811572989a3e9872d2c7e8a6a21bfdcfa970b41b01e7efdbac1633a79a890919");
        const std::string invite_pairwise =
            "4e965dbb04b5c542178938f30c08801ad7add8aef6c85f945b4d57820df8f0d9";
        auto one = [](const auto& list, const Bytes& bytes) {
            return list.size() == 1 && list[0].transport == transport::TransportKind::SottoOnion &&
                   ct_equal(list[0].bytes.view(), bytes);
        };
        for (int round = 0; round < 2; ++round) {  // migrated, then opened as it is
            std::unique_ptr<ProfileStore> upgraded;
            open_upgraded(fx, upgraded);
            if (QTest::currentTestFailed()) return;
            auto& s = *upgraded;
            auto bob = *s.contact(1);
            QCOMPARE(bob.state, ContactState::Established);
            QVERIFY(one(bob.our_grants, bob_grant));
            QVERIFY(one(bob.their_credentials, bob_creds));
            QCOMPARE(bob.invite_secret.size(), std::size_t(0));
            // The grant still opens as the same onion grant, with the same credential.
            auto ours = transport::credentials_for(bob.our_grants);
            QVERIFY(ours);
            auto onion = transport::open_onion_grant(bob.our_grants[0]);
            QVERIFY(onion);
            QVERIFY(ct_equal(onion->client_key.seed(), ByteView(bob_grant).first(32)));
            QVERIFY(transport::same_credentials(
                *ours,
                transport::list_of(transport::onion_credential(hs::credentials_for(*onion)))));
            auto carol = *s.contact(2);
            QCOMPARE(carol.state, ContactState::Requested);
            QVERIFY(one(carol.their_credentials, carol_creds));
            // The code's H(CK) | DC is the session secret of her handshake,
            // which is what it always keyed.
            QVERIFY(ct_equal(carol.invite_secret.view(), carol_creds));
            QVERIFY(ct_equal(session::invite_psk(carol.invite_secret.view()).view(),
                             session::invite_psk(carol_creds).view()));
            QCOMPARE(carol.invite_expires_at, std::optional(t0 + Duration::hours(24 * 7)));
            QVERIFY(*s.accepted_invite_seen(carol.invite_secret.view()));

            auto invites = *s.invites();
            QCOMPARE(invites.size(), std::size_t(2));
            QCOMPARE(invites[0].status, InviteStatus::Open);
            QCOMPARE(invites[0].name_hint, std::string("for Dave"));
            QVERIFY(one(invites[0].grants, invite_grant));
            // What its version-1 code carries, and the pairwise key it always had.
            QVERIFY(ct_equal(invites[0].secret.view(), invite_creds));
            QVERIFY(ct_equal(invites[0].pairwise_seed.view(), ByteView(invite_grant).first(32)));
            QCOMPARE(
                session::invite_pairwise_key(invites[0].pairwise_seed.view()).public_key().hex(),
                invite_pairwise);
            QCOMPARE(invites[1].status, InviteStatus::Used);
            QCOMPARE(invites[1].used_by, std::optional<ContactId>(1));

            auto hb = *s.history(1, std::nullopt, 10);
            QCOMPARE(hb.size(), std::size_t(2));
            QCOMPARE(hb[0].body, std::string("hello Bob"));
            QCOMPARE(hb[0].state, MessageState::Delivered);
            QCOMPARE(hb[1].body, std::string("hi Alice"));
            QCOMPARE(*s.setting("presence_mode"), std::optional<std::string>("away"));
        }
    }

    void invite_expiry_of_a_requested_contact() {
        Fixture fx;
        ContactId req = 0, est = 0;
        MessageId queued, sent, done, in;
        {
            auto s = fx.create();
            req = *s->add_contact(make_contact(fx.rng, "Carol", false));
            est = *s->add_contact(make_contact(fx.rng, "Bob"));
            queued = msg_id(fx.rng);
            sent = msg_id(fx.rng);
            done = msg_id(fx.rng);
            in = msg_id(fx.rng);
            QVERIFY(s->add_outgoing(req, done, "delivered", t0));
            QVERIFY(s->set_message_state(req, done, MessageState::Delivered, t0));
            QVERIFY(s->add_outgoing(req, sent, "sent", t0));
            QVERIFY(s->set_message_state(req, sent, MessageState::Sent));
            QVERIFY(s->add_outgoing(req, queued, "queued", t0));
            QVERIFY(s->add_incoming(req, in, "incoming", t0, t0));
            QVERIFY(s->add_outgoing(est, msg_id(fx.rng), "other contact", t0));
        }
        auto opened = fx.open();
        QVERIFY(opened);
        auto& s = **opened;
        QCOMPARE(s.contact(req)->invite_expires_at, std::optional(t0 + Duration::hours(1)));
        QVERIFY(s.mark_invite_expired(req));
        QCOMPARE(s.contact(req)->state, ContactState::InviteExpired);
        QCOMPARE(s.contact(req)->invite_expires_at, std::optional(t0 + Duration::hours(1)));
        QCOMPARE(s.contact_summaries()->at(0).state, ContactState::InviteExpired);
        // Unsent messages are kept as Failed and leave the outbox; the rest stays.
        QVERIFY(s.outbox(req)->empty());
        auto h = *s.history(req, std::nullopt, 10);
        QCOMPARE(h.size(), std::size_t(4));
        QCOMPARE(h[0].state, MessageState::Delivered);
        QCOMPARE(h[1].state, MessageState::Failed);
        QCOMPARE(h[2].state, MessageState::Failed);
        QCOMPARE(h[3].state, MessageState::Received);
        QCOMPARE(s.outbox(est)->size(), std::size_t(1));
        // Only a Requested contact expires.
        QCOMPARE(s.mark_invite_expired(req).error().code, Errc::Protocol);
        QCOMPARE(s.mark_invite_expired(est).error().code, Errc::Protocol);
        QCOMPARE(s.mark_invite_expired(999).error().code, Errc::NotFound);
        // Their Welcome after all: the Failed ones are queued again, in order.
        QCOMPARE(*s.requeue_failed(req), std::size_t(2));
        auto out = *s.outbox(req);
        QCOMPARE(out.size(), std::size_t(2));
        QCOMPARE(out[0].body, std::string("sent"));
        QCOMPARE(out[1].body, std::string("queued"));
        QCOMPARE(out[0].state, MessageState::Queued);
        QCOMPARE(*s.requeue_failed(req), std::size_t(0));
        QCOMPARE(*s.requeue_failed(est), std::size_t(0));
    }

    void accepted_invites_are_purged_once_expired() {
        Fixture fx;
        hs::ClientKeyId gone, edge, kept;
        fx.rng.fill(gone.bytes);
        fx.rng.fill(edge.bytes);
        fx.rng.fill(kept.bytes);
        {
            auto s = fx.create();
            QVERIFY(s->remember_accepted_invite(gone.view(), t0 - Duration::hours(1)));
            QVERIFY(s->remember_accepted_invite(edge.view(), t0));  // the expiry second is expired
            QVERIFY(s->remember_accepted_invite(kept.view(), t0 + Duration::hours(1)));
            QCOMPARE(*s->purge_accepted_invites(t0 - Duration::hours(2)), std::size_t(0));
            QCOMPARE(*s->purge_accepted_invites(t0), std::size_t(2));
            QCOMPARE(*s->purge_accepted_invites(t0), std::size_t(0));
        }
        auto s = fx.open();
        QVERIFY(s);
        QVERIFY(!*(*s)->accepted_invite_seen(gone.view()));
        QVERIFY(!*(*s)->accepted_invite_seen(edge.view()));
        QVERIFY(*(*s)->accepted_invite_seen(kept.view()));
        QCOMPARE(*(*s)->purge_accepted_invites(t0 + Duration::hours(1)), std::size_t(1));
        QVERIFY(!*(*s)->accepted_invite_seen(kept.view()));
    }

    void outbox_and_ack_states() {
        Fixture fx;
        auto s = fx.create();
        auto c = *s->add_contact(make_contact(fx.rng, "Bob"));
        auto other = *s->add_contact(make_contact(fx.rng, "Carol"));
        std::vector<MessageId> ids;
        for (int i = 0; i < 3; ++i) {
            ids.push_back(msg_id(fx.rng));
            auto m = s->add_outgoing(c, ids.back(), "m" + std::to_string(i), t0);
            QVERIFY(m);
            QCOMPARE(m->state, MessageState::Queued);
            QCOMPARE(m->direction, Direction::Outgoing);
        }
        QVERIFY(s->add_incoming(c, msg_id(fx.rng), "in", t0, t0));
        QVERIFY(s->add_outgoing(other, msg_id(fx.rng), "to carol", t0));
        auto ob = s->outbox(c);
        QVERIFY(ob);
        QCOMPARE(ob->size(), std::size_t(3));
        QCOMPARE((*ob)[0].body, std::string("m0"));
        QCOMPARE((*ob)[2].body, std::string("m2"));

        QVERIFY(s->set_message_state(c, ids[0], MessageState::Sent));
        QVERIFY(
            s->set_message_state(c, ids[1], MessageState::Delivered, t0 + Duration::seconds(5)));
        ob = s->outbox(c);
        QCOMPARE(ob->size(), std::size_t(2));
        QCOMPARE((*ob)[0].state, MessageState::Sent);
        QCOMPARE((*ob)[1].body, std::string("m2"));
        // Delivered is final: a late "Sent" is ignored, the ack time kept.
        QVERIFY(s->set_message_state(c, ids[1], MessageState::Sent));
        auto h = s->history(c, std::nullopt, 10);
        QCOMPARE((*h)[1].state, MessageState::Delivered);
        QCOMPARE((*h)[1].delivered_at, std::optional(t0 + Duration::seconds(5)));
        // Unknown message or contact: NotFound; incoming states are not settable.
        auto nf = s->set_message_state(c, msg_id(fx.rng), MessageState::Delivered);
        QVERIFY(!nf);
        QCOMPARE(nf.error().code, Errc::NotFound);
        QCOMPARE(s->set_message_state(other, ids[2], MessageState::Sent).error().code,
                 Errc::NotFound);
        QCOMPARE(s->set_message_state(c, ids[2], MessageState::Received).error().code,
                 Errc::Protocol);
        QCOMPARE(s->add_outgoing(9999, msg_id(fx.rng), "x", t0).error().code, Errc::NotFound);
        // The outbox survives a restart.
        s.reset();
        auto again = fx.open();
        QVERIFY(again);
        ob = (*again)->outbox(c);
        QCOMPARE(ob->size(), std::size_t(2));
        QVERIFY((*ob)[0].id == ids[0]);
        QVERIFY((*ob)[1].id == ids[2]);
    }

    void add_incoming_deduplicates() {
        Fixture fx;
        auto s = fx.create();
        auto c = *s->add_contact(make_contact(fx.rng, "Bob"));
        auto other = *s->add_contact(make_contact(fx.rng, "Carol"));
        const MessageId id = msg_id(fx.rng);
        auto first = s->add_incoming(c, id, "hello", t0, t0 + Duration::seconds(1));
        QVERIFY(first && *first);
        QCOMPARE((*first)->state, MessageState::Received);
        QCOMPARE((*first)->direction, Direction::Incoming);
        auto resend = s->add_incoming(c, id, "hello", t0, t0 + Duration::seconds(9));
        QVERIFY(resend);
        QVERIFY(!*resend);
        // The same id from another contact is a different message.
        auto elsewhere = s->add_incoming(other, id, "hello", t0, t0);
        QVERIFY(elsewhere && *elsewhere);
        QCOMPARE(s->history(c, std::nullopt, 10)->size(), std::size_t(1));
        QCOMPARE(s->add_incoming(4242, id, "x", t0, t0).error().code, Errc::NotFound);
        // Still deduplicated after a restart.
        s.reset();
        auto again = fx.open();
        QVERIFY(!*(*again)->add_incoming(c, id, "hello", t0, t0));
    }

    void history_pages_in_order_with_boundaries() {
        Fixture fx;
        auto s = fx.create();
        auto c = *s->add_contact(make_contact(fx.rng, "Bob"));
        auto other = *s->add_contact(make_contact(fx.rng, "Carol"));
        QVERIFY(ProfileStoreTesting::db(*s).exec("PRAGMA synchronous = OFF"));
        std::vector<MessageRowId> rows;
        for (int i = 0; i < 25; ++i) {
            // Interleave another conversation so row ids have gaps.
            QVERIFY(s->add_outgoing(other, msg_id(fx.rng), "noise", t0));
            MessageRecord m;
            if (i % 2 == 0) {
                auto r = s->add_outgoing(c, msg_id(fx.rng), std::to_string(i), t0);
                QVERIFY(r);
                m = *r;
            } else {
                auto r = s->add_incoming(c, msg_id(fx.rng), std::to_string(i), t0, t0);
                QVERIFY(r && *r);
                m = **r;
            }
            rows.push_back(m.row);
        }
        auto newest = s->history(c, std::nullopt, 10);
        QVERIFY(newest);
        QCOMPARE(newest->size(), std::size_t(10));
        QCOMPARE(newest->front().body, std::string("15"));
        QCOMPARE(newest->back().body, std::string("24"));
        for (std::size_t i = 1; i < newest->size(); ++i)
            QVERIFY((*newest)[i - 1].row < (*newest)[i].row);
        auto next = s->history(c, newest->front().row, 10);
        QCOMPARE(next->front().body, std::string("5"));
        QCOMPARE(next->back().body, std::string("14"));
        auto last = s->history(c, next->front().row, 10);
        QCOMPARE(last->size(), std::size_t(5));
        QCOMPARE(last->front().body, std::string("0"));
        QCOMPARE(last->back().body, std::string("4"));
        QCOMPARE(s->history(c, last->front().row, 10)->size(), std::size_t(0));
        QCOMPARE(s->history(c, rows[0], 10)->size(), std::size_t(0));
        // `before` is exclusive; limit 0 and huge limits work.
        auto one = s->history(c, rows[3], 1);
        QCOMPARE(one->size(), std::size_t(1));
        QCOMPARE(one->front().row, rows[2]);
        QCOMPARE(s->history(c, std::nullopt, 0)->size(), std::size_t(0));
        QCOMPARE(s->history(c, std::nullopt, std::size_t(-1))->size(), std::size_t(25));
        QCOMPARE(s->history(9999, std::nullopt, 10)->size(), std::size_t(0));
    }

    void remove_contact_deletes_its_history() {
        Fixture fx;
        auto s = fx.create();
        auto bob = *s->add_contact(make_contact(fx.rng, "Bob"));
        auto carol = *s->add_contact(make_contact(fx.rng, "Carol"));
        for (int i = 0; i < 5; ++i) {
            QVERIFY(s->add_outgoing(bob, msg_id(fx.rng), "to bob", t0));
            QVERIFY(s->add_incoming(carol, msg_id(fx.rng), "from carol", t0, t0));
        }
        auto inv = make_invite(fx.rng, "bob's invite");
        inv.status = InviteStatus::Used;
        inv.used_by = bob;
        auto inv_id = *s->add_invite(std::move(inv));
        QVERIFY(s->remove_contact(bob));
        QCOMPARE(s->contact(bob).error().code, Errc::NotFound);
        QCOMPARE(s->history(bob, std::nullopt, 100)->size(), std::size_t(0));
        QCOMPARE(s->outbox(bob)->size(), std::size_t(0));
        QCOMPARE(s->history(carol, std::nullopt, 100)->size(), std::size_t(5));
        QCOMPARE(
            *ProfileStoreTesting::db(*s).query_int(
                "SELECT count(*) FROM messages WHERE contact NOT IN (SELECT id FROM contacts)"),
            0);
        QVERIFY(!s->invite(inv_id)->used_by);
        QCOMPARE(s->contacts()->size(), std::size_t(1));
        QCOMPARE(s->remove_contact(bob).error().code, Errc::NotFound);
        // Ids are never reused.
        auto dave = *s->add_contact(make_contact(fx.rng, "Dave"));
        QVERIFY(dave > carol);
    }

    void contact_summaries_count_unread_and_last_message() {
        Fixture fx;
        auto s = fx.create();
        auto bob = *s->add_contact(make_contact(fx.rng, "Bob"));
        auto cr = make_contact(fx.rng, "Carol");
        cr.nickname = "C.";
        cr.appear_offline = true;
        auto carol = *s->add_contact(std::move(cr));
        auto dave = *s->add_contact(make_contact(fx.rng, "Dave", false));
        QVERIFY(s->add_incoming(bob, msg_id(fx.rng), "1", t0, t0 + Duration::seconds(10)));
        QVERIFY(s->add_incoming(bob, msg_id(fx.rng), "2", t0, t0 + Duration::seconds(20)));
        QVERIFY(s->add_outgoing(bob, msg_id(fx.rng), "3", t0 + Duration::seconds(30)));
        QVERIFY(s->add_incoming(carol, msg_id(fx.rng), "x", t0 + Duration::seconds(1),
                                t0 + Duration::seconds(40)));
        auto sum = s->contact_summaries();
        QVERIFY(sum);
        QCOMPARE(sum->size(), std::size_t(3));
        QCOMPARE((*sum)[0].id, bob);
        QCOMPARE((*sum)[0].display, std::string("Bob"));
        QCOMPARE((*sum)[0].unread, 2u);
        QCOMPARE((*sum)[0].last_message_at, std::optional(t0 + Duration::seconds(30)));
        QCOMPARE((*sum)[0].state, ContactState::Established);
        QCOMPARE((*sum)[1].display, std::string("C."));
        QVERIFY((*sum)[1].appear_offline);
        QCOMPARE((*sum)[1].unread, 1u);
        // Incoming: our receive time, not the sender's clock.
        QCOMPARE((*sum)[1].last_message_at, std::optional(t0 + Duration::seconds(40)));
        QCOMPARE((*sum)[2].id, dave);
        QCOMPARE((*sum)[2].unread, 0u);
        QVERIFY(!(*sum)[2].last_message_at);
        QCOMPARE((*sum)[2].state, ContactState::Requested);

        QVERIFY(s->mark_read(bob));
        sum = s->contact_summaries();
        QCOMPARE((*sum)[0].unread, 0u);
        QCOMPARE((*sum)[1].unread, 1u);
        auto h = s->history(bob, std::nullopt, 10);
        for (const auto& m : *h) QVERIFY(m.read);

        // Renames show up; update_contact keeps everything else.
        auto rec = *s->contact(bob);
        rec.nickname = "Robert";
        rec.state = ContactState::Established;
        QVERIFY(s->update_contact(rec));
        QCOMPARE((*s->contact_summaries())[0].display, std::string("Robert"));
        QVERIFY(same(*s->contact(bob), rec));
        rec.id = 777;
        QCOMPARE(s->update_contact(rec).error().code, Errc::NotFound);
    }

    void settings_roundtrip() {
        Fixture fx;
        {
            auto s = fx.create();
            QCOMPARE(*s->setting("presence"), std::optional<std::string>());
            QVERIFY(s->set_setting("presence", "online"));
            QVERIFY(s->set_setting("presence", "away"));
            QVERIFY(s->set_setting("geometry", std::string(1000, 'g')));
            QVERIFY(s->set_setting("empty", ""));
            QCOMPARE(*s->setting("presence"), std::optional<std::string>("away"));
        }
        auto s = fx.open();
        QCOMPARE(*(*s)->setting("presence"), std::optional<std::string>("away"));
        QCOMPARE(*(*s)->setting("geometry"), std::optional(std::string(1000, 'g')));
        QCOMPARE(*(*s)->setting("empty"), std::optional<std::string>(""));
        QCOMPARE(*(*s)->setting("Presence"), std::optional<std::string>());
        // Setting names are not stored in clear.
        s->reset();
        QVERIFY(!file_bytes(fx.path()).contains("geometry"));
    }

    void invites_and_accepted_invites() {
        Fixture fx;
        hs::ClientKeyId seen_key, other_key;
        fx.rng.fill(seen_key.bytes);
        fx.rng.fill(other_key.bytes);
        InviteId a = 0, b = 0;
        ContactId bob = 0;
        Bytes grant_seed, invite_secret, pairwise_seed;
        {
            auto s = fx.create();
            auto ia = make_invite(fx.rng, "Bob");
            grant_seed.assign(ia.grants[0].bytes.view().begin(), ia.grants[0].bytes.view().end());
            invite_secret.assign(ia.secret.view().begin(), ia.secret.view().end());
            pairwise_seed.assign(ia.pairwise_seed.view().begin(), ia.pairwise_seed.view().end());
            a = *s->add_invite(std::move(ia));
            b = *s->add_invite(make_invite(fx.rng, ""));
            QVERIFY(a != b);
            bob = *s->add_contact(make_contact(fx.rng, "Bob"));
            auto rec = *s->invite(a);
            rec.status = InviteStatus::Used;
            rec.used_by = bob;
            QVERIFY(s->update_invite(rec));
            auto rb = *s->invite(b);
            rb.status = InviteStatus::Withdrawn;
            QVERIFY(s->update_invite(rb));
            rb.used_by = 5555;  // no such contact
            QCOMPARE(s->update_invite(rb).error().code, Errc::NotFound);
            rb.id = 999;
            rb.used_by.reset();
            QCOMPARE(s->update_invite(rb).error().code, Errc::NotFound);
            QCOMPARE(s->invite(999).error().code, Errc::NotFound);

            QVERIFY(!*s->accepted_invite_seen(seen_key.view()));
            QVERIFY(s->remember_accepted_invite(seen_key.view(), t0 + Duration::hours(1)));
            QVERIFY(s->remember_accepted_invite(seen_key.view(), t0 + Duration::hours(2)));
            QVERIFY(*s->accepted_invite_seen(seen_key.view()));
            QVERIFY(!*s->accepted_invite_seen(other_key.view()));
        }
        auto s = fx.open();
        QVERIFY(s);
        auto all = (*s)->invites();
        QVERIFY(all);
        QCOMPARE(all->size(), std::size_t(2));
        QCOMPARE((*all)[0].id, a);
        QCOMPARE((*all)[0].status, InviteStatus::Used);
        QCOMPARE((*all)[0].used_by, std::optional(bob));
        QCOMPARE((*all)[0].name_hint, std::string("Bob"));
        QVERIFY(ct_equal((*all)[0].grants[0].bytes.view(), grant_seed));
        QVERIFY(ct_equal((*all)[0].secret.view(), invite_secret));
        QVERIFY(ct_equal((*all)[0].pairwise_seed.view(), pairwise_seed));
        QCOMPARE((*all)[0].created_at, t0);
        QCOMPARE((*all)[1].status, InviteStatus::Withdrawn);
        QVERIFY(!(*all)[1].used_by);
        QVERIFY(*(*s)->accepted_invite_seen(seen_key.view()));
        QVERIFY(!*(*s)->accepted_invite_seen(other_key.view()));
        // H(CK) itself is not in the file.
        s->reset();
        QVERIFY(!file_bytes(fx.path()).contains(
            QByteArray(reinterpret_cast<const char*>(seen_key.data()), 32)));
    }

    void disk_full_is_an_io_error_and_committed_rows_survive() {
        Fixture fx;
        ContactId c = 0;
        std::size_t committed = 0;
        {
            auto s = fx.create();
            c = *s->add_contact(make_contact(fx.rng, "Bob"));
            for (int i = 0; i < 10; ++i)
                QVERIFY(s->add_outgoing(c, msg_id(fx.rng), "kept " + std::to_string(i), t0));
            committed = 10;
            // The database may not grow past its current size: a full disk.
            auto& db = ProfileStoreTesting::db(*s);
            const auto pages = *db.query_int("PRAGMA page_count");
            QVERIFY(db.exec(("PRAGMA max_page_count = " + std::to_string(pages)).c_str()));
            std::optional<Error> failure;
            for (int i = 0; i < 200 && !failure; ++i) {
                auto m = s->add_outgoing(c, msg_id(fx.rng), std::string(3000, 'f'), t0);
                if (m)
                    ++committed;
                else
                    failure = m.error();
            }
            QVERIFY(failure);
            QCOMPARE(failure->code, Errc::Io);
            QVERIFY2(contains(failure->message, "full"), failure->message.c_str());
            // Other writes fail the same way, reads still work.
            auto big = s->add_contact(make_contact(fx.rng, std::string(20000, 'n')));
            QVERIFY(!big);
            QCOMPARE(big.error().code, Errc::Io);
            auto h = s->history(c, std::nullopt, 1000);
            QVERIFY(h);
            QCOMPARE(h->size(), committed);
            QCOMPARE(s->contacts()->size(), std::size_t(1));
        }
        auto s = fx.open();
        QVERIFY2(s, s ? "" : s.error().message.c_str());
        auto h = (*s)->history(c, std::nullopt, 1000);
        QVERIFY(h);
        QCOMPARE(h->size(), committed);
        QCOMPARE(h->front().body, std::string("kept 0"));
        QCOMPARE((*s)->contacts()->size(), std::size_t(1));
        // And the disk has room again.
        QVERIFY((*s)->add_outgoing(c, msg_id(fx.rng), "after", t0));
    }
};

QTEST_APPLESS_MAIN(TestProfileStore)
#include "tst_profile_store.moc"
