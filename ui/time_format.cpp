#include "ui/time_format.hpp"

#include <QCoreApplication>
#include <QLocale>
#include <QRegularExpression>

namespace sotto::ui {

namespace {

// The locale's short time format without seconds: a chat shows minutes
// (the C locale's short format is "HH:mm:ss").
QString time_text(const QTime& t) {
    const QLocale locale;
    QString format = locale.timeFormat(QLocale::ShortFormat);
    format.remove(QRegularExpression(QStringLiteral("[:.]ss?")));
    return locale.toString(t, format);
}

}  // namespace

QDateTime to_local(TimePoint t) {
    return QDateTime::fromMSecsSinceEpoch(t.us / 1000).toLocalTime();
}

QString list_time_text(const QDateTime& t, const QDateTime& now) {
    const QLocale locale;
    const auto days = t.date().daysTo(now.date());
    if (days <= 0) return time_text(t.time());
    if (days == 1) return QCoreApplication::translate("Sotto", "Yesterday");
    if (days < 7) return locale.dayName(t.date().dayOfWeek(), QLocale::ShortFormat);
    return locale.toString(t.date(), QLocale::ShortFormat);
}

QString bubble_time_text(const QDateTime& t) {
    return time_text(t.time());
}

QString day_text(const QDate& d, const QDate& today) {
    const auto days = d.daysTo(today);
    if (days == 0) return QCoreApplication::translate("Sotto", "Today");
    if (days == 1) return QCoreApplication::translate("Sotto", "Yesterday");
    return QLocale().toString(d, QLocale::LongFormat);
}

}  // namespace sotto::ui
