// Camera frames made from a picture, in the pixel formats webcams deliver,
// for the camera-scanning tests: there is no camera in CI, so frames are
// pushed into the same video sink a camera would feed.
#pragma once

#include <QImage>
#include <QVideoFrame>
#include <QVideoFrameFormat>
#include <cstring>

namespace sotto::testing {

// `picture` as a frame of `format`: its gray level becomes Y; chroma is
// neutral (128), alpha opaque. Formats other than the YUV and gray ones
// get the RGB picture (BGRA byte order, as QImage's ARGB32 on x86).
inline QVideoFrame make_frame(const QImage& picture, QVideoFrameFormat::PixelFormat format) {
    using F = QVideoFrameFormat;
    const QImage gray = picture.convertToFormat(QImage::Format_Grayscale8);
    const int w = gray.width(), h = gray.height();
    QVideoFrame frame(F(QSize(w, h), format));
    if (!frame.map(QVideoFrame::WriteOnly)) return {};
    for (int p = 0; p < frame.planeCount(); ++p)
        std::memset(frame.bits(p), format == F::Format_P010 && p == 1 ? 0 : 128,
                    size_t(frame.mappedBytes(p)));
    for (int y = 0; y < h; ++y) {
        const uchar* g = gray.constScanLine(y);
        uchar* row = frame.bits(0) + qint64(frame.bytesPerLine(0)) * y;
        for (int x = 0; x < w; ++x) {
            switch (format) {
                case F::Format_YUYV:
                    row[2 * x] = g[x];
                    break;
                case F::Format_UYVY:
                    row[2 * x + 1] = g[x];
                    break;
                case F::Format_AYUV:
                    row[4 * x] = 255;
                    row[4 * x + 1] = g[x];
                    break;
                case F::Format_P010:  // 10 bits in the high bits of 16
                    row[2 * x] = 0;
                    row[2 * x + 1] = g[x];
                    break;
                case F::Format_NV12:
                case F::Format_YUV420P:
                case F::Format_Y8:
                    row[x] = g[x];
                    break;
                default: {
                    const QRgb c = picture.pixel(x, y);
                    row[4 * x] = uchar(qBlue(c));
                    row[4 * x + 1] = uchar(qGreen(c));
                    row[4 * x + 2] = uchar(qRed(c));
                    row[4 * x + 3] = 255;
                }
            }
        }
    }
    if (format == F::Format_P010) {  // neutral chroma is 0x8000 per sample
        uchar* uv = frame.bits(1);
        for (qint64 i = 0; i + 1 < frame.mappedBytes(1); i += 2) uv[i + 1] = 0x80;
    }
    frame.unmap();
    return frame;
}

}  // namespace sotto::testing
