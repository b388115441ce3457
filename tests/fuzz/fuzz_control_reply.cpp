// Fuzzes tor's control-port reply parser and the typed readers behind it:
// any bytes, fed in pieces the input chooses, give replies or one final
// error; the pieces never change the outcome (the same replies as feeding
// everything at once); every reply has a status code tor could send and
// lines within the bounds; every typed reader gives a value or an error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/tor/command_replies.hpp"
#include "core/tor/control_events.hpp"
#include "core/tor/control_fields.hpp"
#include "core/tor/control_reply.hpp"

namespace {

using namespace sotto;
using namespace sotto::tor;

// Small bounds so the fuzzer reaches them. The bound on bytes not yet
// taken depends on when next() is called, so the runs compared with each
// other leave it out of reach and a third run fuzzes it.
ControlLimits limits(bool small_buffer = false) {
    ControlLimits l;
    l.max_line = 512;
    l.max_lines = 16;
    l.max_data = 1024;
    l.max_buffered = small_buffer ? 600 : std::size_t{1} << 30;
    return l;
}

std::string describe(const ControlReply& r) {
    std::string out = std::to_string(r.code);
    for (const auto& l : r.lines) {
        out += "|" + l.text;
        if (l.data) out += "{" + *l.data + "}";
    }
    return out;
}

struct Outcome {
    std::vector<std::string> replies;
    bool failed = false;
};

Outcome parse(ByteView input, std::size_t step, bool check, bool small_buffer = false) {
    ControlReplyParser p(limits(small_buffer));
    Outcome o;
    for (std::size_t i = 0; i < input.size() && !o.failed; i += step) {
        auto s = p.feed(input.subspan(i, std::min(step, input.size() - i)));
        while (auto r = p.next()) {
            if (check) {
                if (r->code < 200 || r->code > 699 || r->lines.empty() ||
                    r->lines.size() > limits().max_lines)
                    __builtin_trap();
                for (const auto& l : r->lines) {
                    if (l.text.size() + 6 > limits().max_line) __builtin_trap();
                    if (l.data && l.data->size() > limits().max_data) __builtin_trap();
                    (void)split_fields(l.text);
                }
                (void)expect_ok(*r);
                (void)parse_protocolinfo(*r);
                (void)parse_authchallenge(*r);
                (void)parse_add_onion(*r);
                if (auto info = parse_getinfo(*r)) {
                    for (const auto& e : *info) (void)parse_bootstrap_phase(e.value);
                }
                (void)event_name(*r);
                (void)parse_bootstrap_event(*r);
                (void)parse_hs_desc(*r);
                (void)parse_clock_skew(*r);
            }
            o.replies.push_back(describe(*r));
        }
        if (!s) {
            o.failed = true;
            if (!p.failed() || p.feed(as_bytes("250 OK\r\n"))) __builtin_trap();
        }
    }
    return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::size_t step = data[0] % 17 + 1;
    ByteView input(data + 1, size - 1);
    auto pieces = parse(input, step, true);
    auto whole = parse(input, input.size() ? input.size() : 1, false);
    if (pieces.failed != whole.failed || pieces.replies != whole.replies) __builtin_trap();
    // With the small buffer bound, every reply it lets through is one of them.
    auto bounded = parse(input, step, false, true);
    if (bounded.replies.size() > pieces.replies.size()) __builtin_trap();
    for (std::size_t i = 0; i < bounded.replies.size(); ++i)
        if (bounded.replies[i] != pieces.replies[i]) __builtin_trap();
    return 0;
}
