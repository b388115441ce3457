// Scanning invite codes from camera frames: the brightness copied out of
// each pixel format webcams deliver, and the scanner reading the frames a
// video sink shows — newest frame only, one decode at a time, each code
// reported once per session, mirrored pictures read too. No camera exists
// in CI, so frames are pushed into a QVideoSink as a camera would.
#include <QElapsedTimer>
#include <QGuiApplication>
#include <QPainter>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QVideoSink>
#include <QtTest>

#include "tests/ui/video_frames.hpp"
#include "ui/camera_scanner.hpp"
#include "ui/qr/qr_code.hpp"
#include "ui/video_frame_luma.hpp"

using namespace sotto;
using namespace sotto::testing;
using F = QVideoFrameFormat;

namespace {

const QString kCode =
    QStringLiteral("sotto:aeaacaqd-aqcqmbyq-cejbgfav-cyleqm2n-ckzudgu5-aebqgbafgv");

// A QR code on a noisy mid-gray background, as a camera would see a phone
// held up in a room: the code fills a fifth of a 1280×720 picture.
QImage scene(const QString& text, int size = 220, QPoint at = {700, 300}) {
    QImage img(1280, 720, QImage::Format_RGB32);
    QRandomGenerator rng(7);
    for (int y = 0; y < img.height(); ++y) {
        auto* row = reinterpret_cast<QRgb*>(img.scanLine(y));
        for (int x = 0; x < img.width(); ++x) {
            const int v = 90 + int(rng.bounded(60));
            row[x] = qRgb(v, v + 10, v - 10);
        }
    }
    if (!text.isEmpty()) {
        QPainter p(&img);
        p.drawImage(QRect(at, QSize(size, size)), qr::render_qr(text, 4, 2));
    }
    return img;
}

QImage gray(const QImage& img) {
    return img.convertToFormat(QImage::Format_Grayscale8);
}

// A sink ignores a frame equal to the one it shows; a camera's are all new.
QVideoFrame copy_of(const QVideoFrame& f) {
    QVideoFrame in = f;
    QVideoFrame out(in.surfaceFormat());
    if (!in.map(QVideoFrame::ReadOnly) || !out.map(QVideoFrame::WriteOnly)) return {};
    for (int p = 0; p < in.planeCount(); ++p)
        std::memcpy(out.bits(p), in.bits(p), size_t(in.mappedBytes(p)));
    in.unmap();
    out.unmap();
    return out;
}

// A scanner watching a sink, as the camera dialog sets it up.
struct Rig {
    QVideoSink sink;
    ui::CameraScanner scanner;
    QSignalSpy found{&scanner, &ui::CameraScanner::codeFound};
    explicit Rig(int interval_ms = 0, bool active = true) {
        scanner.setInterval(interval_ms);
        scanner.setVideoSink(&sink);
        scanner.setActive(active);
    }
};

}  // namespace

class TestCameraScanner : public QObject {
    Q_OBJECT
  private slots:
    void luma_is_the_y_plane_data();
    void luma_is_the_y_plane();
    void rgb_frames_are_read_too();
    void unreadable_frames_give_nothing();
    void a_full_hd_frame_is_read_scaled_down();
    void a_code_in_a_frame_is_found_once();
    void only_the_newest_frame_is_read();
    void inactive_scanner_reads_nothing_and_restarts_fresh();
    void frames_are_read_no_faster_than_the_interval();
    void a_mirrored_picture_is_read();
};

void TestCameraScanner::luma_is_the_y_plane_data() {
    QTest::addColumn<int>("format");
    for (auto f : {F::Format_NV12, F::Format_YUV420P, F::Format_YUYV, F::Format_UYVY,
                   F::Format_AYUV, F::Format_P010, F::Format_Y8})
        QTest::newRow(qPrintable(F::pixelFormatToString(f))) << int(f);
}

// The picture's gray level comes back exactly (odd sizes check strides).
void TestCameraScanner::luma_is_the_y_plane() {
    QFETCH(int, format);
    const QImage picture = scene(kCode).copy(0, 0, 642, 362);
    const QVideoFrame frame = make_frame(picture, F::PixelFormat(format));
    QVERIFY(frame.isValid());
    const QImage luma = ui::video_frame_luma(frame);
    QCOMPARE(luma.format(), QImage::Format_Grayscale8);
    QCOMPARE(luma.size(), picture.size());
    QCOMPARE(luma, gray(picture));
}

void TestCameraScanner::rgb_frames_are_read_too() {
    const QImage picture = scene(kCode);
    const QImage image = ui::video_frame_luma(make_frame(picture, F::Format_BGRA8888));
    QVERIFY(!image.isNull());
    QCOMPARE(image.size(), picture.size());
    const auto texts = qr::decode_qr(image);
    QCOMPARE(texts.size(), size_t(1));
    QCOMPARE(texts.front(), kCode);
}

void TestCameraScanner::unreadable_frames_give_nothing() {
    QVERIFY(ui::video_frame_luma(QVideoFrame()).isNull());
    // A frame with a format but no memory behind it cannot be mapped.
    QVERIFY(ui::video_frame_luma(QVideoFrame(F(QSize(64, 48), F::Format_Invalid))).isNull());
}

// 1920×1080 is scaled to 1280×720 before it is read; a code a sixth of
// the picture high still reads.
void TestCameraScanner::a_full_hd_frame_is_read_scaled_down() {
    QImage picture(1920, 1080, QImage::Format_RGB32);
    picture.fill(QColor(110, 110, 110));
    QPainter(&picture).drawImage(QRect(1200, 500, 180, 180), qr::render_qr(kCode, 4, 2));
    const QImage luma = ui::video_frame_luma(make_frame(picture, F::Format_NV12));
    QCOMPARE(luma.size(), QSize(1920, 1080));
    const auto texts = ui::read_camera_image(luma, false);
    QCOMPARE(texts.size(), size_t(1));
    QCOMPARE(texts.front(), kCode);
}

void TestCameraScanner::a_code_in_a_frame_is_found_once() {
    Rig rig;
    auto& [sink, scanner, found] = rig;
    const QVideoFrame frame = make_frame(scene(kCode), F::Format_NV12);
    sink.setVideoFrame(frame);
    QVERIFY(found.wait(10000));
    QCOMPARE(found.at(0).at(0).toString(), kCode);
    // The code stays in view: read again and again, reported once.
    for (int i = 0; i < 3; ++i) {
        const int before = scanner.framesRead();
        sink.setVideoFrame(copy_of(frame));
        QTRY_VERIFY_WITH_TIMEOUT(scanner.framesRead() > before, 10000);
    }
    // framesRead counts a decode when it starts; let the last one end.
    QTRY_VERIFY_WITH_TIMEOUT(!scanner.busy(), 10000);
    QCOMPARE(found.count(), 1);
}

// Fifty frames arrive while the first is being read: the next read is the
// fiftieth, and the ones between are never looked at.
void TestCameraScanner::only_the_newest_frame_is_read() {
    Rig rig;
    auto& [sink, scanner, found] = rig;
    std::vector<QVideoFrame> frames;
    for (int i = 0; i < 50; ++i)
        frames.push_back(
            make_frame(scene(QStringLiteral("frame %1").arg(i), 300, {400, 200}), F::Format_YUYV));
    // No event loop runs between these: the first read is still going on.
    for (const auto& f : frames) sink.setVideoFrame(f);
    QTRY_COMPARE_WITH_TIMEOUT(found.count(), 2, 10000);
    QCOMPARE(found.at(0).at(0).toString(), QStringLiteral("frame 0"));
    QCOMPARE(found.at(1).at(0).toString(), QStringLiteral("frame 49"));
    QCOMPARE(scanner.framesRead(), 2);
}

void TestCameraScanner::inactive_scanner_reads_nothing_and_restarts_fresh() {
    Rig rig(0, /*active=*/false);
    auto& [sink, scanner, found] = rig;
    const QVideoFrame frame = make_frame(scene(kCode), F::Format_YUV420P);
    sink.setVideoFrame(frame);  // not active yet
    QCOMPARE(scanner.framesRead(), 0);
    scanner.setActive(true);
    sink.setVideoFrame(copy_of(frame));
    QVERIFY(found.wait(10000));
    // Stopped and started again (the dialog was closed and reopened): the
    // same code counts as new, so a refused code can be offered again.
    scanner.setActive(false);
    QCOMPARE(scanner.framesRead(), 0);
    sink.setVideoFrame(copy_of(frame));
    QCOMPARE(scanner.framesRead(), 0);
    scanner.setActive(true);
    sink.setVideoFrame(copy_of(frame));
    QTRY_COMPARE_WITH_TIMEOUT(found.count(), 2, 10000);
    QCOMPARE(found.at(1).at(0).toString(), kCode);
}

void TestCameraScanner::frames_are_read_no_faster_than_the_interval() {
    Rig rig(300);
    auto& [sink, scanner, found] = rig;
    const QVideoFrame blank = make_frame(scene(QString()), F::Format_NV12);
    QElapsedTimer since;
    since.start();
    sink.setVideoFrame(blank);
    QCOMPARE(scanner.framesRead(), 1);  // the first one at once
    // A camera keeps delivering; the second read waits for the interval.
    QTimer feed;
    QObject::connect(&feed, &QTimer::timeout, [&] { sink.setVideoFrame(copy_of(blank)); });
    feed.start(20);
    QTRY_COMPARE_WITH_TIMEOUT(scanner.framesRead(), 2, 10000);
    QVERIFY2(since.elapsed() >= 300, qPrintable(QString::number(since.elapsed())));
}

// Some webcam drivers mirror the picture. ZXing reads most mirrored codes
// itself but not all; after a read that finds nothing the scanner reads
// the next frame flipped.
void TestCameraScanner::a_mirrored_picture_is_read() {
    QString text = QStringLiteral("sotto:") + QString(140, u'a');
    for (int i = 6; i < text.size(); ++i) text[i] = QChar(u'a' + (i * 7) % 26);
    QImage picture(900, 700, QImage::Format_RGB32);
    picture.fill(QColor(120, 120, 120));
    QPainter(&picture).drawImage(QPoint(200, 100), qr::render_qr(text).mirrored(true, false));
    if (!qr::decode_qr(picture).empty()) QSKIP("this ZXing reads the mirrored code by itself");
    Rig rig;
    auto& [sink, scanner, found] = rig;
    const QVideoFrame frame = make_frame(picture, F::Format_NV12);
    // The first read (as delivered) finds nothing, the second (flipped) does.
    for (int i = 0; i < 2; ++i) {
        sink.setVideoFrame(copy_of(frame));
        QCOMPARE(scanner.framesRead(), i + 1);
        QTRY_VERIFY_WITH_TIMEOUT(!scanner.busy(), 10000);
        QCOMPARE(found.count(), i);
    }
    QCOMPARE(found.at(0).at(0).toString(), text);
}

QTEST_MAIN(TestCameraScanner)
#include "tst_camera_scanner.moc"
