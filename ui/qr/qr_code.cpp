#include "ui/qr/qr_code.hpp"

#include <qrencode.h>

#include <QByteArray>
#include <QPainter>
#include <algorithm>
#include <memory>

#define ZX_USE_UTF8 1  // Result::text() as UTF-8 std::string (zxing-cpp 1.4)
#include <ZXing/ReadBarcode.h>

namespace sotto::qr {

namespace {

// Photos larger than this (longest side, pixels) are also read at this size:
// ZXing's detector is tuned for modules a few pixels wide, and a phone photo
// of a screen has modules 20-50 pixels wide with moiré in between.
constexpr int kDownscaledSide = 1024;

struct QrCodeFree {
    void operator()(QRcode* c) const { QRcode_free(c); }
};

void read_into(const QImage& gray, std::vector<QString>& out) {
    ZXing::DecodeHints hints;
    hints.setFormats(ZXing::BarcodeFormat::QRCode);
    hints.setTryHarder(true);
    hints.setTryRotate(true);
    hints.setTryDownscale(true);
    ZXing::ImageView view(gray.constBits(), gray.width(), gray.height(), ZXing::ImageFormat::Lum,
                          static_cast<int>(gray.bytesPerLine()));
    for (const auto& r : ZXing::ReadBarcodes(view, hints)) {
        if (!r.isValid()) continue;
        std::string text = r.text();
        QString q = QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size()));
        if (std::find(out.begin(), out.end(), q) == out.end()) out.push_back(std::move(q));
    }
}

}  // namespace

QImage render_qr(const QString& text, int module_px, int quiet_zone_modules) {
    if (module_px <= 0 || quiet_zone_modules < 0) return {};
    QByteArray utf8 = text.toUtf8();
    // QR_MODE_8 as the hint with case sensitivity: libqrencode splits the
    // text into numeric, alphanumeric and 8-bit segments as is most compact.
    std::unique_ptr<QRcode, QrCodeFree> code(
        QRcode_encodeString(utf8.constData(), 0, QR_ECLEVEL_M, QR_MODE_8, 1));
    if (!code) return {};
    const int modules = code->width + 2 * quiet_zone_modules;
    const int side = modules * module_px;
    QImage image(side, side, QImage::Format_Grayscale8);
    image.fill(255);
    for (int y = 0; y < code->width; ++y) {
        for (int x = 0; x < code->width; ++x) {
            if (!(code->data[y * code->width + x] & 1)) continue;  // bit 0: dark module
            const int px = (x + quiet_zone_modules) * module_px;
            const int py = (y + quiet_zone_modules) * module_px;
            for (int row = py; row < py + module_px; ++row)
                std::fill_n(image.scanLine(row) + px, module_px, std::uint8_t{0});
        }
    }
    return image;
}

Result<QString> write_qr_png(const QString& text, const QString& path) {
    QImage image = render_qr(text);
    if (image.isNull())
        return fail(Errc::TooLarge, "the text is too long for a QR code (" +
                                        std::to_string(text.toUtf8().size()) + " bytes)");
    if (!image.save(path, "PNG"))
        return fail(Errc::Io, "cannot write the QR code to " + path.toStdString());
    return path;
}

std::vector<QString> decode_qr(const QImage& image) {
    std::vector<QString> out;
    if (image.isNull()) return out;
    QImage gray;
    if (image.hasAlphaChannel()) {
        // Transparent pixels would turn black: put the picture on white first.
        QImage flat(image.size(), QImage::Format_RGB32);
        flat.fill(Qt::white);
        QPainter painter(&flat);
        painter.drawImage(0, 0, image);
        painter.end();
        gray = flat.convertToFormat(QImage::Format_Grayscale8);
    } else {
        gray = image.convertToFormat(QImage::Format_Grayscale8);
    }
    read_into(gray, out);
    QImage small;
    if (std::max(gray.width(), gray.height()) > kDownscaledSide + kDownscaledSide / 2) {
        small = gray.scaled(kDownscaledSide, kDownscaledSide, Qt::KeepAspectRatio,
                            Qt::SmoothTransformation);
        read_into(small, out);
    }
    if (out.empty()) {
        // Light modules on dark: QR codes shown in a dark theme.
        gray.invertPixels();
        read_into(gray, out);
        if (!small.isNull()) {
            small.invertPixels();
            read_into(small, out);
        }
    }
    return out;
}

}  // namespace sotto::qr
