#include "ui/time_format.hpp"

#include <QCoreApplication>
#include <QLocale>

namespace sotto::ui {

QDateTime to_local(TimePoint t) {
    return QDateTime::fromMSecsSinceEpoch(t.us / 1000).toLocalTime();
}

QString list_time_text(const QDateTime& t, const QDateTime& now) {
    const QLocale locale;
    const auto days = t.date().daysTo(now.date());
    if (days <= 0) return locale.toString(t.time(), QLocale::ShortFormat);
    if (days == 1) return QCoreApplication::translate("Sotto", "Yesterday");
    if (days < 7) return locale.dayName(t.date().dayOfWeek(), QLocale::ShortFormat);
    return locale.toString(t.date(), QLocale::ShortFormat);
}

QString bubble_time_text(const QDateTime& t) {
    return QLocale().toString(t.time(), QLocale::ShortFormat);
}

QString day_text(const QDate& d, const QDate& today) {
    const auto days = d.daysTo(today);
    if (days == 0) return QCoreApplication::translate("Sotto", "Today");
    if (days == 1) return QCoreApplication::translate("Sotto", "Yesterday");
    return QLocale().toString(d, QLocale::LongFormat);
}

}  // namespace sotto::ui
