#include "ui/image_provider.hpp"

#include <QUrl>
#include <algorithm>

#include "ui/app_icon.hpp"
#include "ui/qr/qr_code.hpp"

namespace sotto::ui {

QString ScreenGrab::set(QImage image) {
    QMutexLocker lock(&mutex_);
    image_ = std::move(image);
    return QStringLiteral("image://%1/screen/%2")
        .arg(QLatin1String(ImageProvider::kId))
        .arg(++serial_);
}

QImage ScreenGrab::image() const {
    QMutexLocker lock(&mutex_);
    return image_;
}

void ScreenGrab::clear() {
    QMutexLocker lock(&mutex_);
    image_ = QImage();
}

ImageProvider::ImageProvider(std::shared_ptr<ScreenGrab> screen)
    : QQuickImageProvider(QQuickImageProvider::Image), screen_(std::move(screen)) {}

QString ImageProvider::qr_url(const QString& text) {
    return QStringLiteral("image://%1/qr/%2")
        .arg(QLatin1String(kId), QString::fromLatin1(QUrl::toPercentEncoding(text)));
}

QImage ImageProvider::requestImage(const QString& id, QSize* size, const QSize& requested) {
    QImage out;
    if (id.startsWith(QLatin1String("qr/"))) {
        const QString text = QUrl::fromPercentEncoding(id.mid(3).toLatin1());
        // One pixel per module first, then a whole-number scale-up: nearest
        // neighbour keeps every module square and the edges crisp.
        const QImage base = qr::render_qr(text, 1, 4);
        if (!base.isNull()) {
            const int want = std::max(requested.width(), requested.height());
            const int scale = std::max(1, want > 0 ? want / base.width() : 8);
            out = base.scaled(base.size() * scale, Qt::IgnoreAspectRatio, Qt::FastTransformation);
        }
    } else if (id.startsWith(QLatin1String("icon/"))) {
        const int px = std::clamp(id.mid(5).toInt(), 16, 512);
        out = app_icon_image(px);
    } else if (id.startsWith(QLatin1String("screen/")) && screen_) {
        out = screen_->image();
    }
    if (size) *size = out.size();
    return out;
}

}  // namespace sotto::ui
