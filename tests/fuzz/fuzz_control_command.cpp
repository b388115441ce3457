// Fuzzes the control-port command encoder with arbitrary argument bytes:
// each command is refused or is exactly one line (its only CR LF at the
// end, no NUL), and a SETCONF value that is accepted reads back, through
// the reply reader's unquoting, as the value given.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/tor/control_command.hpp"
#include "core/tor/control_fields.hpp"

namespace {

using namespace sotto;
using namespace sotto::tor;

void check_line(const ControlCommand& c) {
    std::string_view t = c.text();
    if (t.size() < 3 || !t.ends_with("\r\n") || t.find('\r') != t.size() - 2 ||
        t.find('\n') != t.size() - 1 || t.find('\0') != std::string_view::npos ||
        !t.starts_with(c.verb))
        __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    // Split the input at '|' into the arguments.
    std::vector<std::string_view> args;
    for (std::size_t pos = 0;;) {
        auto bar = in.find('|', pos);
        args.push_back(in.substr(pos, bar == std::string_view::npos ? bar : bar - pos));
        if (bar == std::string_view::npos) break;
        pos = bar + 1;
    }
    std::string key(args[0]);
    std::string value(args.size() > 1 ? args[1] : std::string_view());
    std::vector<command::ConfSetting> s = {{key, value}};
    if (auto c = command::setconf(s)) {
        check_line(*c);
        // "SETCONF <key>=" then the quoted value, then CRLF.
        std::string_view t = c->text();
        auto quoted = t.substr(8 + key.size() + 1, t.size() - (8 + key.size() + 1) - 2);
        auto back = unquote(quoted);
        if (!back || *back != value) __builtin_trap();
    }
    if (auto c = command::resetconf(s)) check_line(*c);
    if (auto c = command::getinfo(args)) check_line(*c);
    if (auto c = command::setevents(args)) check_line(*c);
    command::AddOnionRequest r;
    std::uint16_t port = size >= 2 ? std::uint16_t(data[0] << 8 | data[1]) : 80;
    r.ports.push_back({port, command::UnixTarget{std::string(args[0])}});
    if (args.size() > 1) r.ports.push_back({80, command::TcpTarget{std::string(args[1]), port}});
    if (auto c = command::add_onion(r)) check_line(*c);
    return 0;
}
