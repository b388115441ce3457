#include "ui/app_icon.hpp"

#include <QFont>
#include <QPainter>
#include <QPainterPath>

namespace sotto::ui {

QImage app_icon_image(int size, int badge) {
    QImage img(size, size, QImage::Format_ARGB32_Premultiplied);
    img.fill(Qt::transparent);
    QPainter p(&img);
    p.setRenderHint(QPainter::Antialiasing);
    const qreal s = size;

    // The bubble: a rounded square with a tail at the bottom left.
    QPainterPath bubble;
    const QRectF body(s * 0.06, s * 0.08, s * 0.88, s * 0.70);
    bubble.addRoundedRect(body, s * 0.20, s * 0.20);
    QPainterPath tail;
    tail.moveTo(s * 0.22, s * 0.70);
    tail.lineTo(s * 0.14, s * 0.94);
    tail.lineTo(s * 0.44, s * 0.74);
    tail.closeSubpath();
    bubble = bubble.united(tail);
    QLinearGradient g(0, 0, 0, s);
    g.setColorAt(0, QColor(0x4c, 0x8d, 0xf6));
    g.setColorAt(1, QColor(0x2f, 0x5f, 0xd0));
    p.fillPath(bubble, g);

    // The keyhole.
    p.setBrush(Qt::white);
    p.setPen(Qt::NoPen);
    const QPointF c(s * 0.5, s * 0.36);
    p.drawEllipse(c, s * 0.11, s * 0.11);
    QPainterPath stem;
    stem.moveTo(c.x() - s * 0.06, c.y() + s * 0.04);
    stem.lineTo(c.x() + s * 0.06, c.y() + s * 0.04);
    stem.lineTo(c.x() + s * 0.09, s * 0.64);
    stem.lineTo(c.x() - s * 0.09, s * 0.64);
    stem.closeSubpath();
    p.drawPath(stem);

    if (badge > 0) {
        const QString text = badge > 99 ? QStringLiteral("99+") : QString::number(badge);
        const qreal d = s * 0.52;
        const QRectF r(s - d - s * 0.02, s * 0.0, d, d);
        p.setBrush(QColor(0xe0, 0x3e, 0x3e));
        p.setPen(QPen(Qt::white, std::max(1.0, s * 0.04)));
        p.drawEllipse(r);
        QFont f;
        f.setBold(true);
        f.setPixelSize(static_cast<int>(d * (text.size() > 2   ? 0.36
                                             : text.size() > 1 ? 0.48
                                                               : 0.62)));
        p.setFont(f);
        p.setPen(Qt::white);
        p.drawText(r, Qt::AlignCenter, text);
    }
    return img;
}

QIcon app_icon(int badge) {
    QIcon icon;
    for (int size : {16, 22, 24, 32, 48, 64, 128, 256})
        icon.addPixmap(QPixmap::fromImage(app_icon_image(size, badge)));
    return icon;
}

}  // namespace sotto::ui
