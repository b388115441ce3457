// QR codes: an invite code rendered with libqrencode reads back with
// zxing-cpp as the same text, also after the things that happen between a
// screen and a camera (scaling, rotation, noise, a busy background), and a
// code made by another tool (the qrencode command line) reads too.
#include <QtTest>

#include <QImage>
#include <QPainter>
#include <QTemporaryDir>
#include <QTransform>
#include <random>

#include "core/contacts/invite_code.hpp"
#include "core/crypto/random.hpp"
#include "core/dir/profile_network.hpp"
#include "core/dir/tor_network_file.hpp"
#include "ui/qr/qr_code.hpp"

using namespace sotto;

namespace {

QString invite_text(std::uint32_t seed) {
    std::mt19937 gen(seed);
    contacts::InviteCode c;
    for (auto& b : c.network.bytes) b = static_cast<std::uint8_t>(gen());
    Bytes secret(contacts::kInviteSecretBytes), cred(64);
    for (auto& b : secret) b = static_cast<std::uint8_t>(gen());
    for (auto& b : cred) b = static_cast<std::uint8_t>(gen());
    c.secret = SecretBytes(secret);
    c.credentials.push_back({transport::TransportKind::SottoOnion, SecretBytes(cred)});
    c.expires_at = TimePoint::from_seconds(1'767'225'600);
    c.name_hint = "Zoë";
    auto text = contacts::format_invite(c);
    if (!text) qFatal("format_invite: %s", text.error().message.c_str());
    return QString::fromStdString(*text);
}

std::vector<QString> one(const QString& s) {
    return {s};
}

// Something like a photo: a gradient, coloured shapes, and sensor noise.
QImage photo_like(int w, int h, std::uint32_t seed) {
    std::mt19937 gen(seed);
    QImage img(w, h, QImage::Format_RGB32);
    QPainter p(&img);
    QLinearGradient g(0, 0, w, h);
    g.setColorAt(0, QColor(200, 180, 150));
    g.setColorAt(1, QColor(60, 80, 110));
    p.fillRect(img.rect(), g);
    p.setPen(Qt::NoPen);
    for (int i = 0; i < 60; ++i) {
        p.setBrush(QColor(gen() % 256, gen() % 256, gen() % 256));
        QRect r(gen() % w, gen() % h, 20 + gen() % (w / 5), 20 + gen() % (h / 5));
        if (i % 2)
            p.drawEllipse(r);
        else
            p.drawRect(r);
    }
    // A checkerboard patch: fine dark/light structure that is not a code.
    for (int y = 0; y < 200; y += 10)
        for (int x = 0; x < 200; x += 10)
            if ((x + y) / 10 % 2) p.fillRect(w - 260 + x, 40 + y, 10, 10, Qt::black);
    p.end();
    return img;
}

void add_noise(QImage& img, int amplitude, std::uint32_t seed) {
    std::mt19937 gen(seed);
    std::uniform_int_distribution<int> d(-amplitude, amplitude);
    img = img.convertToFormat(QImage::Format_RGB32);
    for (int y = 0; y < img.height(); ++y) {
        auto* line = reinterpret_cast<QRgb*>(img.scanLine(y));
        for (int x = 0; x < img.width(); ++x) {
            int n = d(gen);
            auto c = [&](int v) { return std::clamp(v + n, 0, 255); };
            line[x] = qRgb(c(qRed(line[x])), c(qGreen(line[x])), c(qBlue(line[x])));
        }
    }
}

}  // namespace

class TestQrCode : public QObject {
    Q_OBJECT
  private slots:
    void renders_black_on_white_with_a_quiet_zone() {
        auto text = invite_text(1);
        QImage img = qr::render_qr(text, 1, 4);
        QVERIFY(!img.isNull());
        QCOMPARE(img.width(), img.height());
        const int modules = img.width() - 8;
        QCOMPARE((modules - 17) % 4, 0);  // 17 + 4 * version
        // The quiet zone is white, the finder pattern's corner black.
        for (int i = 0; i < img.width(); ++i) {
            QCOMPARE(qGray(img.pixel(i, 0)), 255);
            QCOMPARE(qGray(img.pixel(0, i)), 255);
            QCOMPARE(qGray(img.pixel(i, 3)), 255);
        }
        QCOMPARE(qGray(img.pixel(4, 4)), 0);
        QImage big = qr::render_qr(text, 8, 2);
        QCOMPARE(big.width(), (modules + 4) * 8);
        QCOMPARE(qGray(big.pixel(16, 16)), 0);
        QCOMPARE(qGray(big.pixel(15, 15)), 255);
        QVERIFY(qr::render_qr(text, 0).isNull());
        QVERIFY(qr::render_qr(text, 4, -1).isNull());
    }

    void invite_code_roundtrip() {
        for (std::uint32_t seed = 0; seed < 5; ++seed) {
            auto text = invite_text(seed);
            QCOMPARE(qr::decode_qr(qr::render_qr(text)), one(text));
            auto parsed =
                contacts::parse_invite(qr::decode_qr(qr::render_qr(text))[0].toStdString());
            QVERIFY(parsed.has_value());
        }
        // Non-ASCII text (UTF-8 without ECI) and a short one.
        for (QString t : {QStringLiteral("Zoë ✓ Ünïcödé 日本"), QStringLiteral("x")})
            QCOMPARE(qr::decode_qr(qr::render_qr(t)), one(t));
    }

    // Issue 11, item 4: an invite on the Tor network carries a one-time
    // onion service (its Ed25519 key and the client-auth secret, 64 bytes
    // like the onion network's credential) and stays a symbol phones and
    // zxing read from a screen: version 12 or below at level M (65 modules
    // a side; at 8 px a module 584 px with the quiet zone), with the
    // longest name hint. Measured: a 3-byte hint gives version 9 (233 characters), the
    // 64-byte hint version 11 (343).
    void a_tor_invite_fits_a_small_version() {
        SystemRng rng;
        auto grant = transport::issue_grant(transport::TransportKind::TorOnion, rng);
        QVERIFY(grant.has_value());
        contacts::InviteCode c;
        c.network = dir::parse_profile_network(dir::kPublicTorNetworkFile)->id;
        c.secret = SecretBytes(Bytes(contacts::kInviteSecretBytes, 7));
        c.credentials.push_back(std::move(grant->credential));
        c.expires_at = TimePoint::from_seconds(1'767'225'600);
        QString shown;
        const std::string hints[] = {"Bob", std::string(contacts::kMaxNameHintBytes, 'x')};
        for (const auto& hint : hints) {
            c.name_hint = hint;
            auto text = contacts::format_invite(c);
            QVERIFY(text.has_value());
            shown = QString::fromStdString(*text).toUpper();
            const QImage img = qr::render_qr(shown, 1, 0);
            const int version = (img.width() - 17) / 4;
            qInfo("Tor invite, %d-byte hint: %d characters, QR version %d (%d modules)",
                  int(hint.size()), int(shown.size()), version, img.width());
            QVERIFY2(version <= 12, qPrintable(QString::number(version)));
        }
        auto read = qr::decode_qr(qr::render_qr(shown));
        QCOMPARE(read.size(), std::size_t(1));
        auto parsed = contacts::parse_invite(read[0].toStdString());
        QVERIFY(parsed.has_value());
        QCOMPARE(parsed->credentials.size(), std::size_t(1));
        QCOMPARE(parsed->credentials[0].transport, transport::TransportKind::TorOnion);
    }

    void upper_case_invite_codes_make_smaller_symbols() {
        // Upper case puts every character in the QR alphanumeric set; parse
        // ignores case, so the UI may show the code that way.
        auto text = invite_text(2);
        QImage lower = qr::render_qr(text, 1, 0), upper = qr::render_qr(text.toUpper(), 1, 0);
        QVERIFY2(upper.width() < lower.width(),
                 qPrintable(QString("%1 vs %2").arg(upper.width()).arg(lower.width())));
        auto read = qr::decode_qr(qr::render_qr(text.toUpper()));
        QCOMPARE(read.size(), std::size_t(1));
        auto a = contacts::parse_invite(read[0].toStdString());
        QVERIFY(a && contacts::format_invite(*a) == text.toStdString());
    }

    void survives_scaling_and_rotation() {
        auto text = invite_text(3);
        QImage img = qr::render_qr(text);
        QCOMPARE(qr::decode_qr(
                     img.scaled(img.size() / 2, Qt::IgnoreAspectRatio, Qt::SmoothTransformation)),
                 one(text));
        QCOMPARE(qr::decode_qr(img.scaled(img.size() * 3)), one(text));
        QCOMPARE(qr::decode_qr(img.transformed(QTransform().rotate(90))), one(text));
        QCOMPARE(qr::decode_qr(img.transformed(QTransform().rotate(180))), one(text));
        // A tilted phone: 12° with smoothing, the corners filled white.
        QImage tilted(img.size() * 3 / 2, QImage::Format_RGB32);
        tilted.fill(Qt::white);
        {
            QPainter p(&tilted);
            p.setRenderHint(QPainter::SmoothPixmapTransform);
            p.translate(tilted.width() / 2.0, tilted.height() / 2.0);
            p.rotate(12);
            p.drawImage(-img.width() / 2, -img.height() / 2, img);
        }
        QCOMPARE(qr::decode_qr(tilted), one(text));
    }

    void found_in_a_noisy_photo() {
        auto text = invite_text(4);
        // A large photo (downscaled copy path) with the code somewhere in it,
        // blurred a little and noisy.
        QImage photo = photo_like(2400, 1800, 7);
        {
            QPainter p(&photo);
            p.setRenderHint(QPainter::SmoothPixmapTransform);
            QImage code = qr::render_qr(text, 13);
            p.drawImage(QRect(900, 500, code.width(), code.height()), code);
        }
        photo = photo.scaled(photo.size() / 3, Qt::IgnoreAspectRatio, Qt::SmoothTransformation)
                    .scaled(photo.size(), Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
        add_noise(photo, 40, 8);
        QCOMPARE(qr::decode_qr(photo), one(text));
        // The same at a smaller size, next to the photo's other content.
        QImage small =
            photo.scaled(photo.size() / 2, Qt::KeepAspectRatio, Qt::SmoothTransformation);
        QCOMPARE(qr::decode_qr(small), one(text));
    }

    void found_in_a_low_contrast_photo_at_an_angle() {
        // A phone photo of a screen: grey on grey, seen from the side
        // (perspective), in a 12-megapixel frame.
        auto text = invite_text(10);
        QImage code = qr::render_qr(text, 20);
        QImage photo = photo_like(4000, 3000, 11);
        {
            QPainter p(&photo);
            p.setRenderHint(QPainter::SmoothPixmapTransform);
            p.setRenderHint(QPainter::Antialiasing);
            const double side = code.width();
            QPolygonF from(
                {QPointF(0, 0), QPointF(side, 0), QPointF(side, side), QPointF(0, side)});
            QPolygonF to(
                {QPointF(1200, 700), QPointF(2500, 800), QPointF(2450, 2200), QPointF(1150, 2000)});
            QTransform t;
            QVERIFY(QTransform::quadToQuad(from, to, t));
            p.setTransform(t);
            QImage grey = code.convertToFormat(QImage::Format_RGB32);
            for (int y = 0; y < grey.height(); ++y) {
                auto* line = reinterpret_cast<QRgb*>(grey.scanLine(y));
                for (int x = 0; x < grey.width(); ++x)
                    line[x] = qGray(line[x]) ? qRgb(185, 190, 180) : qRgb(80, 85, 90);
            }
            p.drawImage(0, 0, grey);
        }
        add_noise(photo, 25, 12);
        QCOMPARE(qr::decode_qr(photo), one(text));
    }

    void finds_every_code_once() {
        auto a = invite_text(5), b = invite_text(6);
        QImage qa = qr::render_qr(a, 4), qb = qr::render_qr(b, 4);
        QImage both(qa.width() + qb.width() + 40, std::max(qa.height(), qb.height()) + 40,
                    QImage::Format_RGB32);
        both.fill(Qt::white);
        {
            QPainter p(&both);
            p.drawImage(10, 20, qa);
            p.drawImage(30 + qa.width(), 20, qb);
        }
        auto found = qr::decode_qr(both);
        std::sort(found.begin(), found.end());
        std::vector<QString> want{a, b};
        std::sort(want.begin(), want.end());
        QCOMPARE(found, want);
    }

    void light_on_dark_and_transparent_backgrounds() {
        auto text = invite_text(7);
        QImage img = qr::render_qr(text, 6);
        QImage inverted = img;
        inverted.invertPixels();
        QCOMPARE(qr::decode_qr(inverted), one(text));
        // Black modules on a transparent background (a PNG of a code).
        QImage clear(img.size(), QImage::Format_ARGB32);
        for (int y = 0; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x)
                clear.setPixel(x, y,
                               qGray(img.pixel(x, y)) ? qRgba(0, 0, 0, 0) : qRgba(0, 0, 0, 255));
        QCOMPARE(qr::decode_qr(clear), one(text));
    }

    void nothing_to_find() {
        QVERIFY(qr::decode_qr(QImage()).empty());
        QImage white(640, 480, QImage::Format_RGB32);
        white.fill(Qt::white);
        QVERIFY(qr::decode_qr(white).empty());
        QImage photo = photo_like(1600, 1200, 9);
        add_noise(photo, 30, 10);
        QVERIFY(qr::decode_qr(photo).empty());
        // Half a code (torn off) is no code.
        QImage img = qr::render_qr(invite_text(8));
        QVERIFY(qr::decode_qr(img.copy(0, 0, img.width() / 2, img.height())).empty());
    }

    void writes_png_files() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto text = invite_text(9);
        auto path = dir.filePath("invite.png");
        auto written = qr::write_qr_png(text, path);
        QVERIFY(written.has_value());
        QCOMPARE(*written, path);
        QImage back(path);
        QVERIFY(!back.isNull());
        QCOMPARE(qr::decode_qr(back), one(text));

        auto too_long = qr::write_qr_png(QString(3000, 'x'), dir.filePath("long.png"));
        QVERIFY(!too_long && too_long.error().code == Errc::TooLarge);
        QVERIFY(qr::render_qr(QString(3000, 'x')).isNull());
        auto bad_path = qr::write_qr_png(text, dir.filePath("no/such/dir/x.png"));
        QVERIFY(!bad_path && bad_path.error().code == Errc::Io);
    }

    void reads_a_code_made_by_another_tool() {
        // tests/data/qr_invite_qrencode_cli.png: the docs/messenger.md test
        // vector (version 2) in upper case, made with the qrencode command-line tool
        // (level L, 3 px modules, 2-module margin, alphanumeric mode).
        QImage fixture(QStringLiteral(SOTTO_SOURCE_DIR "/tests/data/qr_invite_qrencode_cli.png"));
        QVERIFY(!fixture.isNull());
        auto found = qr::decode_qr(fixture);
        QCOMPARE(found.size(), std::size_t(1));
        auto code = contacts::parse_invite(found[0].toStdString());
        QVERIFY(code.has_value());
        QCOMPARE(code->name_hint, std::string("Zoë"));
        QCOMPARE(code->expires_at, TimePoint::from_seconds(1'767'225'600));
        QCOMPARE(QString::fromStdString(*contacts::format_invite(*code)).toUpper(), found[0]);
    }
};

QTEST_GUILESS_MAIN(TestQrCode)
#include "tst_qr_code.moc"
