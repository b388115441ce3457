// Reading invite codes from camera frames: what one read costs, per frame
// size, for the steps the camera scanner takes — copying the brightness out
// of an NV12 frame (the GUI thread's share), Qt's full colour conversion for
// comparison, and the worker thread's read (read_camera_image: scaled to
// 1280 px at most, decoded) with and without a code in view. The scanner reads at most five frames
// a second, one at a time, so a read must stay well under 200 ms to keep up.
#include <QGuiApplication>
#include <QPainter>
#include <QRandomGenerator>
#include <cstdio>

#include "bench/bench_util.hpp"
#include "tests/ui/video_frames.hpp"
#include "ui/camera_scanner.hpp"
#include "ui/qr/qr_code.hpp"
#include "ui/video_frame_luma.hpp"

using namespace sotto;

namespace {

// A room with texture (noise) and, if given, a phone showing a code.
QImage scene(QSize size, const QString& code) {
    QImage img(size, QImage::Format_RGB32);
    QRandomGenerator rng(11);
    for (int y = 0; y < img.height(); ++y) {
        auto* row = reinterpret_cast<QRgb*>(img.scanLine(y));
        for (int x = 0; x < img.width(); ++x) {
            const int v = 80 + int(rng.bounded(80));
            row[x] = qRgb(v, v, v);
        }
    }
    if (!code.isEmpty()) {
        const int side = size.height() / 3;
        QPainter p(&img);
        p.drawImage(QRect(size.width() / 2, size.height() / 3, side, side),
                    qr::render_qr(code, 4, 2));
    }
    return img;
}

}  // namespace

int main(int argc, char** argv) {
    QGuiApplication app(argc, argv);
    const QString code = QStringLiteral("sotto:") + QString(150, u'k');
    std::printf("%-10s %-22s %9s %9s\n", "frame", "step", "p50 ms", "p99 ms");
    for (const QSize size : {QSize(640, 480), QSize(1280, 720), QSize(1920, 1080)}) {
        const QString name = QStringLiteral("%1x%2").arg(size.width()).arg(size.height());
        const QVideoFrame with =
            testing::make_frame(scene(size, code), QVideoFrameFormat::Format_NV12);
        const QVideoFrame without =
            testing::make_frame(scene(size, QString()), QVideoFrameFormat::Format_NV12);
        const QImage luma_with = ui::video_frame_luma(with);
        const QImage luma_without = ui::video_frame_luma(without);
        if (ui::read_camera_image(luma_with, false).empty()) {
            std::fprintf(stderr, "the code in the %s frame was not read\n", qPrintable(name));
            return 1;
        }
        const auto row = [&](const char* step, std::pair<double, double> t) {
            std::printf("%-10s %-22s %9.2f %9.2f\n", qPrintable(name), step, t.first, t.second);
        };
        row("luma copy (Y plane)", bench::time_runs(50, [&] { (void)ui::video_frame_luma(with); }));
        // toImage() keeps its result in the frame: convert a fresh one each time.
        std::vector<QVideoFrame> fresh;
        for (int i = 0; i < 20; ++i)
            fresh.push_back(testing::make_frame(scene(size, code), QVideoFrameFormat::Format_NV12));
        std::size_t next = 0;
        row("QVideoFrame::toImage", bench::time_runs(20, [&] { (void)fresh[next++].toImage(); }));
        row("read, code in view",
            bench::time_runs(20, [&] { (void)ui::read_camera_image(luma_with, false); }));
        row("read, no code",
            bench::time_runs(20, [&] { (void)ui::read_camera_image(luma_without, false); }));
    }
    return 0;
}
