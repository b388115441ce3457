#include "core/dir/profile_network.hpp"

namespace sotto::dir {

std::string ProfileNetwork::description() const {
    if (kind == NetworkKind::Sotto) return "Sotto network " + sotto.name;
    if (tor.is_public()) return "the Tor network";
    return "private Tor network " + tor.name;
}

Result<ProfileNetwork> parse_profile_network(std::string_view text) {
    ProfileNetwork out;
    if (is_tor_network_file(text)) {
        auto nf = parse_tor_network_file(text);
        if (!nf) return std::unexpected(nf.error());
        out.kind = NetworkKind::Tor;
        out.id = network_id(*nf);
        out.tor = std::move(*nf);
        return out;
    }
    auto nf = parse_network_file(text);
    if (!nf) return std::unexpected(nf.error());
    out.kind = NetworkKind::Sotto;
    out.id = network_id(*nf);
    out.sotto = std::move(*nf);
    return out;
}

}  // namespace sotto::dir
