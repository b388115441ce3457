#include "net/log_bridge.hpp"

#include <QString>

// Info and above by default: debug lines are per cell and per circuit, too
// many for a node's log unless someone asks for them.
Q_LOGGING_CATEGORY(lcSottoNode, "sotto.node", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSottoLink, "sotto.link", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSottoOnion, "sotto.onion", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSottoDir, "sotto.dir", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSottoExit, "sotto.exit", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSottoNet, "sotto.net", QtInfoMsg)

namespace sotto::net {

namespace {
struct AreaCategory {
    std::string_view prefix;
    const QLoggingCategory& (*category)();
};

// Areas are free-form strings chosen by the core; these prefixes cover the
// names the core units use, anything else lands in sotto.node.
constexpr AreaCategory kAreas[] = {
    {"link", lcSottoLink},     {"onion", lcSottoOnion},   {"circuit", lcSottoOnion},
    {"relay", lcSottoOnion},   {"stream", lcSottoOnion},  {"dir", lcSottoDir},
    {"authority", lcSottoDir}, {"consensus", lcSottoDir}, {"exit", lcSottoExit},
    {"net", lcSottoNet},       {"node", lcSottoNode},
};
}  // namespace

const QLoggingCategory& category_for_area(std::string_view area) {
    for (const auto& a : kAreas) {
        if (area.starts_with(a.prefix)) return a.category();
    }
    return lcSottoNode();
}

void QtLogSink::log(LogLevel level, std::string_view area, std::string_view message) {
    const QLoggingCategory& cat = category_for_area(area);
    const QString text = QStringLiteral("[%1] %2").arg(
        QString::fromUtf8(area.data(), static_cast<qsizetype>(area.size())),
        QString::fromUtf8(message.data(), static_cast<qsizetype>(message.size())));
    switch (level) {
        case LogLevel::Debug:
            qCDebug(cat).noquote() << text;
            break;
        case LogLevel::Info:
            qCInfo(cat).noquote() << text;
            break;
        case LogLevel::Warning:
            qCWarning(cat).noquote() << text;
            break;
        case LogLevel::Error:
            qCCritical(cat).noquote() << text;
            break;
    }
}

}  // namespace sotto::net
