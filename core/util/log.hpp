// Logging without Qt. Core units report through a `LogSink` that the driver
// installs (net/ forwards to QLoggingCategory; tests may capture). Messages
// never contain key material, cookies or message bodies: callers log
// fingerprints (`short_id`) instead.
#pragma once

#include <string>
#include <string_view>

#include "core/util/bytes.hpp"

namespace sotto {

enum class LogLevel { Debug, Info, Warning, Error };

class LogSink {
  public:
    virtual ~LogSink() = default;
    virtual void log(LogLevel level, std::string_view area, std::string_view message) = 0;
};

// Discards everything; the default.
LogSink& null_log();

// First 8 hex digits of a public identifier, for log lines.
std::string short_id(ByteView public_id);

}  // namespace sotto
