// How the UI writes times: the contact list's "last activity" column, the
// time under a chat bubble and the day separators of a conversation. Local
// time, the user's locale; the words ("Today", "Yesterday") go through the
// translator like every other string.
#pragma once

#include <QDate>
#include <QDateTime>
#include <QString>

#include "core/util/time.hpp"

namespace sotto::ui {

QDateTime to_local(TimePoint t);
// Today: "14:05"; yesterday: "Yesterday"; this week: "Mon"; older: a short date.
QString list_time_text(const QDateTime& t, const QDateTime& now);
// "14:05" in the locale's short time format.
QString bubble_time_text(const QDateTime& t);
// "Today", "Yesterday", else the locale's long date ("Monday, 3 June 2024").
QString day_text(const QDate& d, const QDate& today);

}  // namespace sotto::ui
