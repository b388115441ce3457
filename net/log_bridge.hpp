// Forwards the core's LogSink to Qt's categorised logging, so that core
// messages obey QT_LOGGING_RULES and the process's message pattern like every
// other Qt log line. One category per core area (sotto.node, sotto.link,
// sotto.onion, sotto.dir, sotto.exit) plus sotto.net for the socket layer.
// Debug output is off unless enabled (e.g. QT_LOGGING_RULES="sotto.*.debug=true").
// The core promises never to log secrets; this bridge adds nothing of its own.
#pragma once

#include <QLoggingCategory>

#include "core/util/log.hpp"

Q_DECLARE_LOGGING_CATEGORY(lcSottoNode)
Q_DECLARE_LOGGING_CATEGORY(lcSottoLink)
Q_DECLARE_LOGGING_CATEGORY(lcSottoOnion)
Q_DECLARE_LOGGING_CATEGORY(lcSottoDir)
Q_DECLARE_LOGGING_CATEGORY(lcSottoExit)
Q_DECLARE_LOGGING_CATEGORY(lcSottoNet)

namespace sotto::net {

class QtLogSink final : public LogSink {
  public:
    void log(LogLevel level, std::string_view area, std::string_view message) override;
};

// The category a core area logs under: an exact or prefix match of the area
// ("link", "dir.authority", ...), sotto.node otherwise.
const QLoggingCategory& category_for_area(std::string_view area);

}  // namespace sotto::net
