#include "core/util/log.hpp"

namespace sotto {

namespace {
class NullLog final : public LogSink {
  public:
    void log(LogLevel, std::string_view, std::string_view) override {}
};
}  // namespace

LogSink& null_log() {
    static NullLog sink;
    return sink;
}

std::string short_id(ByteView public_id) {
    return to_hex(public_id.first(std::min<std::size_t>(4, public_id.size())));
}

}  // namespace sotto
