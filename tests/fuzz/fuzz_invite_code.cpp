// Fuzzes the invite-code parser: any text gives a code or an error, and a
// parsed code formats to text that parses to the same code (and formats to
// the same text again).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/contacts/invite_code.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace sotto;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto code = contacts::parse_invite(text);
    if (!code) return 0;
    if (code->name_hint.size() > contacts::kMaxNameHintBytes) __builtin_trap();
    auto formatted = contacts::format_invite(*code);
    // A version-1 code (its 64-byte secret) is read, never written.
    if (code->version == 1) {
        if (formatted || code->credentials.size() != 1) __builtin_trap();
        return 0;
    }
    if (!formatted) __builtin_trap();
    auto again = contacts::parse_invite(*formatted);
    if (!again) __builtin_trap();
    if (again->network != code->network || !ct_equal(again->secret.view(), code->secret.view()) ||
        !transport::same_credentials(again->credentials, code->credentials) ||
        again->expires_at != code->expires_at || again->name_hint != code->name_hint)
        __builtin_trap();
    auto twice = contacts::format_invite(*again);
    if (!twice || *twice != *formatted) __builtin_trap();
    (void)contacts::check_invite(text, code->network, code->expires_at);
    return 0;
}
