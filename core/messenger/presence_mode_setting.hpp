// How the presence mode is kept in the profile's settings table: the
// setting's name and the mode's stored spelling (messenger start() reads
// it, set_presence_mode() writes it). Not a public header.
#pragma once

#include <optional>
#include <string_view>

#include "core/messenger/messenger.hpp"

namespace sotto::messenger {

inline constexpr std::string_view kPresenceModeSetting = "presence_mode";

inline std::string_view mode_name(PresenceMode m) {
    switch (m) {
        case PresenceMode::Visible:
            return "visible";
        case PresenceMode::Away:
            return "away";
        case PresenceMode::Invisible:
            return "invisible";
    }
    return "visible";
}

inline std::optional<PresenceMode> parse_presence_mode(std::string_view s) {
    if (s == "visible") return PresenceMode::Visible;
    if (s == "away") return PresenceMode::Away;
    if (s == "invisible") return PresenceMode::Invisible;
    return std::nullopt;
}

}  // namespace sotto::messenger
