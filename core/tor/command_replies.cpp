#include "core/tor/command_replies.hpp"

#include "core/tor/control_fields.hpp"
#include "core/tor/encoding.hpp"

namespace sotto::tor {

namespace {

// A reply whose last line is "OK", as every multi-line success ends.
Status expect_ok_end(const ControlReply& reply, std::string_view what) {
    if (auto ok = expect_ok(reply); !ok) return ok;
    if (reply.lines.back().text != "OK" || reply.lines.back().data)
        return fail(Errc::Malformed, std::string(what) + ": reply does not end in OK");
    return {};
}

}  // namespace

Result<ProtocolInfo> parse_protocolinfo(const ControlReply& reply) {
    if (auto ok = expect_ok_end(reply, "PROTOCOLINFO"); !ok) return std::unexpected(ok.error());
    if (reply.lines.size() < 2 || reply.lines.front().text != "PROTOCOLINFO 1")
        return fail(Errc::BadVersion, "PROTOCOLINFO: not version 1");
    ProtocolInfo info;
    bool saw_auth = false;
    for (std::size_t i = 1; i + 1 < reply.lines.size(); ++i) {
        const auto& text = reply.lines[i].text;
        auto fields = split_fields(text);
        if (!fields) return std::unexpected(fields.error());
        if (fields->empty()) return fail(Errc::Malformed, "PROTOCOLINFO: empty line");
        const auto& keyword = fields->front();
        if (keyword.value) return fail(Errc::Malformed, "PROTOCOLINFO: line without a keyword");
        if (keyword.key == "AUTH") {
            if (saw_auth) return fail(Errc::Malformed, "PROTOCOLINFO: two AUTH lines");
            saw_auth = true;
            const std::string* methods = find_value(*fields, "METHODS");
            if (!methods) return fail(Errc::Malformed, "PROTOCOLINFO: AUTH without METHODS");
            std::string_view rest = *methods;
            while (true) {
                auto comma = rest.find(',');
                auto m = rest.substr(0, comma);
                if (m == "NULL")
                    info.auth_null = true;
                else if (m == "HASHEDPASSWORD")
                    info.auth_hashed_password = true;
                else if (m == "COOKIE")
                    info.auth_cookie = true;
                else if (m == "SAFECOOKIE")
                    info.auth_safecookie = true;
                else if (m.empty())
                    return fail(Errc::Malformed, "PROTOCOLINFO: empty method");
                // Other methods are ones Sotto does not speak: ignored.
                if (comma == std::string_view::npos) break;
                rest.remove_prefix(comma + 1);
            }
            // A bare COOKIEFILE would be a path with a space cut in two.
            for (std::size_t k = 1; k < fields->size(); ++k) {
                const auto& f = (*fields)[k];
                if (f.key != "COOKIEFILE") continue;
                if (!f.value || !f.quoted)
                    return fail(Errc::Malformed, "PROTOCOLINFO: COOKIEFILE not quoted");
                // §3.21: every COOKIEFILE holds the same cookie; one suffices.
                if (info.cookie_file.empty()) info.cookie_file = *f.value;
            }
        } else if (keyword.key == "VERSION") {
            const std::string* v = find_value(*fields, "Tor");
            if (!v) return fail(Errc::Malformed, "PROTOCOLINFO: VERSION without Tor=");
            info.tor_version = *v;
        }
        // Other InfoLines: §3.21 says to ignore them.
    }
    if (!saw_auth) return fail(Errc::Malformed, "PROTOCOLINFO: no AUTH line");
    if ((info.auth_cookie || info.auth_safecookie) && info.cookie_file.empty())
        return fail(Errc::Malformed, "PROTOCOLINFO: cookie method without COOKIEFILE");
    if (info.cookie_file.find('\0') != std::string::npos)
        return fail(Errc::Malformed, "PROTOCOLINFO: NUL in COOKIEFILE");
    return info;
}

Result<AuthChallenge> parse_authchallenge(const ControlReply& reply) {
    if (auto ok = expect_ok(reply); !ok) return std::unexpected(ok.error());
    if (reply.lines.size() != 1) return fail(Errc::Malformed, "AUTHCHALLENGE: not one line");
    auto fields = split_fields(reply.head());
    if (!fields) return std::unexpected(fields.error());
    if (fields->empty() || fields->front().key != "AUTHCHALLENGE" || fields->front().value)
        return fail(Errc::Malformed, "AUTHCHALLENGE: wrong reply");
    const std::string* hash = find_value(*fields, "SERVERHASH");
    const std::string* nonce = find_value(*fields, "SERVERNONCE");
    AuthChallenge c;
    if (!hash || !hex_decode_into(*hash, c.server_hash))
        return fail(Errc::Malformed, "AUTHCHALLENGE: SERVERHASH is not 32 bytes of hex");
    if (!nonce || !hex_decode_into(*nonce, c.server_nonce))
        return fail(Errc::Malformed, "AUTHCHALLENGE: SERVERNONCE is not 32 bytes of hex");
    return c;
}

Result<AddOnionResult> parse_add_onion(const ControlReply& reply) {
    if (auto ok = expect_ok_end(reply, "ADD_ONION"); !ok) return std::unexpected(ok.error());
    std::optional<OnionServiceId> id;
    std::optional<OnionServiceKey> key;
    for (std::size_t i = 0; i + 1 < reply.lines.size(); ++i) {
        std::string_view text = reply.lines[i].text;
        if (text.starts_with("ServiceID=")) {
            if (id) return fail(Errc::Malformed, "ADD_ONION: two ServiceID lines");
            auto parsed = OnionServiceId::parse(text.substr(10));
            if (!parsed) return std::unexpected(parsed.error());
            id = std::move(*parsed);
        } else if (text.starts_with("PrivateKey=")) {
            constexpr std::string_view kPrefix = "PrivateKey=ED25519-V3:";
            if (key || !text.starts_with(kPrefix))
                return fail(Errc::Malformed, "ADD_ONION: not one ED25519-V3 private key");
            key.emplace();
            if (!base64_decode_into(text.substr(kPrefix.size()), key->mut()))
                return fail(Errc::Malformed, "ADD_ONION: private key is not 64 bytes of base64");
        }
        // ClientAuthV3= lines echo the keys sent; nothing to learn from them.
    }
    if (!id) return fail(Errc::Malformed, "ADD_ONION: no ServiceID");
    return AddOnionResult{std::move(*id), std::move(key)};
}

Result<std::vector<GetInfoEntry>> parse_getinfo(const ControlReply& reply) {
    if (auto ok = expect_ok_end(reply, "GETINFO"); !ok) return std::unexpected(ok.error());
    std::vector<GetInfoEntry> entries;
    for (std::size_t i = 0; i + 1 < reply.lines.size(); ++i) {
        const auto& line = reply.lines[i];
        auto eq = line.text.find('=');
        if (eq == std::string::npos || eq == 0)
            return fail(Errc::Malformed, "GETINFO: line is not keyword=value");
        GetInfoEntry e{line.text.substr(0, eq), line.text.substr(eq + 1)};
        if (line.data) {
            // "250+key=" CRLF data: the value is the block, nothing on the line.
            if (!e.value.empty()) return fail(Errc::Malformed, "GETINFO: text before a data block");
            e.value = *line.data;
        }
        entries.push_back(std::move(e));
    }
    return entries;
}

const std::string* find_info(const std::vector<GetInfoEntry>& entries, std::string_view key) {
    for (const auto& e : entries)
        if (e.key == key) return &e.value;
    return nullptr;
}

}  // namespace sotto::tor
