#include "ui/video_frame_luma.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

namespace sotto::ui {
namespace {

// Where the Y samples of one row sit: every `step` bytes from `offset`,
// each 1 or 2 bytes wide; 16-bit samples are little-endian and scaled to 8
// bits by `shift` (8 for MSB-aligned formats, 2 for 10 bits in the low bits).
struct LumaLayout {
    int offset = 0;
    int step = 1;
    int bytes = 1;
    int shift = 0;
};

std::optional<LumaLayout> luma_layout(QVideoFrameFormat::PixelFormat f) {
    using F = QVideoFrameFormat;
    switch (f) {
        // Planar and semi-planar: plane 0 is Y, one byte per pixel.
        case F::Format_YUV420P:
        case F::Format_YUV422P:
        case F::Format_YV12:
        case F::Format_NV12:
        case F::Format_NV21:
        case F::Format_IMC1:
        case F::Format_IMC2:
        case F::Format_IMC3:
        case F::Format_IMC4:
        case F::Format_Y8:
            return LumaLayout{0, 1, 1};
        case F::Format_Y16:
        case F::Format_P010:
        case F::Format_P016:
            return LumaLayout{0, 2, 2, 8};
        case F::Format_YUV420P10:
            return LumaLayout{0, 2, 2, 2};
        // Packed 4:2:2: Y0 U Y1 V and U Y0 V Y1.
        case F::Format_YUYV:
            return LumaLayout{0, 2, 1};
        case F::Format_UYVY:
            return LumaLayout{1, 2, 1};
        // Packed 4:4:4 with alpha: A Y U V.
        case F::Format_AYUV:
        case F::Format_AYUV_Premultiplied:
            return LumaLayout{1, 4, 1};
        default:
            return std::nullopt;
    }
}

QImage copy_luma(QVideoFrame& frame, const LumaLayout& layout) {
    if (!frame.map(QVideoFrame::ReadOnly)) return {};
    const int w = frame.width();
    const int h = frame.height();
    const int stride = frame.bytesPerLine(0);
    const uchar* src = frame.bits(0);
    QImage out;
    // A plane shorter than its rows claim is a broken frame: read nothing.
    const qint64 needed = qint64(stride) * (h - 1) + qint64(layout.offset) +
                          qint64(layout.step) * (w - 1) + layout.bytes;
    if (src && w > 0 && h > 0 && stride > 0 && frame.mappedBytes(0) >= needed) {
        out = QImage(w, h, QImage::Format_Grayscale8);
        for (int y = 0; y < h; ++y) {
            const uchar* row = src + qint64(stride) * y + layout.offset;
            uchar* dst = out.scanLine(y);
            if (layout.step == 1) {
                std::memcpy(dst, row, size_t(w));
            } else if (layout.bytes == 1) {
                for (int x = 0; x < w; ++x) dst[x] = row[x * layout.step];
            } else {
                for (int x = 0; x < w; ++x) {
                    const uchar* p = row + x * layout.step;
                    const unsigned v = unsigned(p[0]) | unsigned(p[1]) << 8;
                    dst[x] = uchar(std::min(255u, v >> layout.shift));
                }
            }
        }
    }
    frame.unmap();
    return out;
}

}  // namespace

QImage video_frame_luma(const QVideoFrame& frame_in) {
    if (!frame_in.isValid()) return {};
    QVideoFrame frame = frame_in;  // shallow; map() is not const
    QImage image;
    if (const auto layout = luma_layout(frame.pixelFormat())) image = copy_luma(frame, *layout);
    // Formats without a Y plane, and frames in GPU memory that cannot be
    // mapped: Qt converts them (downloading the texture if it has to).
    if (image.isNull()) image = frame.toImage();
    return image;
}

}  // namespace sotto::ui
