// QR codes for invite codes (and any other short text): render one as an
// image or PNG file, and find every QR code in a picture, be it a clean
// screenshot or a photo of a screen or of paper.
#pragma once

#include <QImage>
#include <QString>
#include <vector>

#include "core/util/error.hpp"

namespace sotto::qr {

// Black modules on white, error correction M, the text as UTF-8 without an
// ECI header (split by libqrencode into the most compact segments). Each module is `module_px`
// square pixels, with a white border of `quiet_zone_modules` modules (the standard asks for 4). A
// null image if the text does not fit in a QR code (2331 bytes of 8-bit data at level M), if
// module_px < 1 or quiet_zone_modules < 0.
QImage render_qr(const QString& text, int module_px = 8, int quiet_zone_modules = 4);

// render_qr with the defaults, saved as PNG; returns `path`. TooLarge if the
// text does not fit, Io if the file cannot be written.
Result<QString> write_qr_png(const QString& text, const QString& path);

// The texts of all QR codes found in `image`, each once, in the order found;
// empty if there is none. Works on an 8-bit grayscale copy (transparent
// pixels count as white) with ZXing trying harder (rotations, its own
// downscaling); also reads a copy of large photos scaled down to 1024 px and,
// if nothing was found, the inverted picture (light codes on dark themes).
std::vector<QString> decode_qr(const QImage& image);

}  // namespace sotto::qr
