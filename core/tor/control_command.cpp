#include "core/tor/control_command.hpp"

#include <algorithm>

#include "core/tor/encoding.hpp"

namespace sotto::tor {

namespace {

// Builds one command line in wiping memory of a fixed size, so no
// reallocation leaves a copy of a key behind; finish() copies the used part
// into an exact-size SecretBytes and the buffer wipes itself.
class LineBuilder {
  public:
    LineBuilder() : buf_(kMaxCommandBytes) {}

    void put(std::string_view s) {
        if (!reserve(s.size())) return;
        std::copy(s.begin(), s.end(), buf_.mut().begin() + len_);
        len_ += s.size();
    }
    void put(char c) { put(std::string_view(&c, 1)); }
    void put_number(unsigned v) { put(std::to_string(v)); }
    void put_base64(ByteView data) {
        if (reserve(base64_chars(data.size())))
            base64_encode_into(data, next(base64_chars(data.size())));
    }
    void put_base32(ByteView data) {
        if (reserve(base32_chars(data.size())))
            base32_encode_into(data, next(base32_chars(data.size())));
    }
    void put_hex(ByteView data, bool upper) {
        static constexpr char kLower[] = "0123456789abcdef";
        static constexpr char kUpper[] = "0123456789ABCDEF";
        const char* digits = upper ? kUpper : kLower;
        for (auto b : data) {
            put(digits[b >> 4]);
            put(digits[b & 15]);
        }
    }
    bool overflowed() const { return overflow_; }

    Result<ControlCommand> finish(std::string_view verb) {
        put("\r\n");
        if (overflow_) return fail(Errc::TooLarge, std::string(verb) + ": command too long");
        return ControlCommand{verb, SecretBytes(buf_.view().first(len_))};
    }

  private:
    bool reserve(std::size_t n) {
        if (overflow_ || n > buf_.size() - len_) overflow_ = true;
        return !overflow_;
    }
    MutableByteView next(std::size_t n) {
        auto v = buf_.mut().subspan(len_, n);
        len_ += n;
        return v;
    }
    SecretBytes buf_;
    std::size_t len_ = 0;
    bool overflow_ = false;
};

// For commands whose arguments are all typed: their lines are a few hundred
// bytes, far below kMaxCommandBytes, so finishing cannot fail.
ControlCommand finish_typed(LineBuilder& b, std::string_view verb) {
    auto c = b.finish(verb);
    if (!c) __builtin_trap();  // unreachable: typed arguments have bounded size
    return std::move(*c);
}

bool is_alpha(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool all_of(std::string_view s, bool (*ok)(char)) {
    return !s.empty() && std::all_of(s.begin(), s.end(), ok);
}

Result<ControlCommand> conf_command(std::string_view verb,
                                    std::span<const command::ConfSetting> settings) {
    if (settings.empty()) return fail(Errc::Malformed, std::string(verb) + ": no option");
    LineBuilder b;
    b.put(verb);
    for (const auto& s : settings) {
        if (!all_of(s.key, [](char c) { return is_alpha(c) || is_digit(c) || c == '_'; }))
            return fail(Errc::Malformed, std::string(verb) + ": bad option name");
        b.put(' ');
        b.put(s.key);
        if (!s.value) continue;
        b.put("=\"");
        for (char c : *s.value) {
            auto u = static_cast<unsigned char>(c);
            if (u < 0x20 || u == 0x7F)
                return fail(Errc::Malformed,
                            std::string(verb) + ": control character in the value of " + s.key);
            // Escaping both keeps the value one QuotedString whether tor
            // reads it as a QuotedString or as a C string (§2.1.1).
            if (c == '"' || c == '\\') b.put('\\');
            b.put(c);
        }
        b.put('"');
    }
    return b.finish(verb);
}

Status check_unix_path(const std::string& path) {
    if (path.empty() || path.front() != '/')
        return fail(Errc::Malformed, "ADD_ONION: Unix target is not an absolute path");
    if (path.size() > kMaxUnixPathBytes)
        return fail(Errc::TooLarge, "ADD_ONION: Unix target path too long for sun_path");
    for (char c : path) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7F || c == '"' || c == '\\' || c == ',')
            return fail(Errc::Malformed,
                        "ADD_ONION: Unix target path has a space, quote, backslash, comma or "
                        "non-ASCII byte");
    }
    return {};
}

Status check_tcp_target(const command::TcpTarget& t) {
    if (t.port == 0) return fail(Errc::Malformed, "ADD_ONION: TCP target port 0");
    std::string_view h = t.host;
    if (h.size() > 255) return fail(Errc::TooLarge, "ADD_ONION: TCP target host too long");
    bool ok;
    if (h.starts_with('[')) {
        ok =
            h.size() > 2 && h.ends_with(']') && std::all_of(h.begin() + 1, h.end() - 1, [](char c) {
                return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                       c == ':' || c == '.';
            });
    } else {
        ok = all_of(h, [](char c) { return is_alpha(c) || is_digit(c) || c == '.' || c == '-'; });
    }
    if (!ok) return fail(Errc::Malformed, "ADD_ONION: bad TCP target host");
    return {};
}

}  // namespace

namespace command {

ControlCommand protocolinfo() {
    LineBuilder b;
    b.put("PROTOCOLINFO 1");
    return finish_typed(b, "PROTOCOLINFO");
}

ControlCommand authchallenge(const SafeCookieNonce& client_nonce) {
    LineBuilder b;
    b.put("AUTHCHALLENGE SAFECOOKIE ");
    b.put_hex(client_nonce.view(), false);
    return finish_typed(b, "AUTHCHALLENGE");
}

ControlCommand authenticate(const Secret<32>& client_hash) {
    LineBuilder b;
    b.put("AUTHENTICATE ");
    b.put_hex(client_hash.view(), true);
    return finish_typed(b, "AUTHENTICATE");
}

ControlCommand takeownership() {
    LineBuilder b;
    b.put("TAKEOWNERSHIP");
    return finish_typed(b, "TAKEOWNERSHIP");
}

Result<ControlCommand> setconf(std::span<const ConfSetting> settings) {
    return conf_command("SETCONF", settings);
}

Result<ControlCommand> resetconf(std::span<const ConfSetting> settings) {
    return conf_command("RESETCONF", settings);
}

Result<ControlCommand> setevents(std::span<const std::string_view> events) {
    LineBuilder b;
    b.put("SETEVENTS");
    for (auto e : events) {
        if (!all_of(e, [](char c) { return is_alpha(c) || c == '_'; }))
            return fail(Errc::Malformed, "SETEVENTS: bad event name");
        b.put(' ');
        b.put(e);
    }
    return b.finish("SETEVENTS");
}

Result<ControlCommand> getinfo(std::span<const std::string_view> keys) {
    if (keys.empty()) return fail(Errc::Malformed, "GETINFO: no key");
    LineBuilder b;
    b.put("GETINFO");
    for (auto k : keys) {
        if (!all_of(k, [](char c) {
                return is_alpha(c) || is_digit(c) || c == '/' || c == '_' || c == '.' || c == '$' ||
                       c == ':' || c == '-';
            }))
            return fail(Errc::Malformed, "GETINFO: bad key");
        b.put(' ');
        b.put(k);
    }
    return b.finish("GETINFO");
}

Result<ControlCommand> add_onion(const AddOnionRequest& r) {
    if (r.ports.empty()) return fail(Errc::Malformed, "ADD_ONION: no port");
    if (r.discard_pk && r.key == nullptr) {
        // Allowed by tor, but then nobody holds the key: a service that can
        // never be published again. Sotto keeps its keys, so this is a bug.
        return fail(Errc::Malformed, "ADD_ONION: a new key that would be discarded");
    }
    LineBuilder b;
    b.put("ADD_ONION ");
    if (r.key) {
        b.put("ED25519-V3:");
        b.put_base64(r.key->view());
    } else {
        b.put("NEW:ED25519-V3");
    }
    std::vector<std::string_view> flags;
    if (r.discard_pk) flags.push_back("DiscardPK");
    if (r.detach) flags.push_back("Detach");
    if (!r.authorized_clients.empty()) flags.push_back("V3Auth");
    for (std::size_t i = 0; i < flags.size(); ++i) {
        b.put(i == 0 ? " Flags=" : ",");
        b.put(flags[i]);
    }
    for (const auto& p : r.ports) {
        if (p.virtual_port == 0) return fail(Errc::Malformed, "ADD_ONION: virtual port 0");
        b.put(" Port=");
        b.put_number(p.virtual_port);
        b.put(',');
        if (const auto* u = std::get_if<UnixTarget>(&p.target)) {
            if (auto ok = check_unix_path(u->path); !ok) return std::unexpected(ok.error());
            b.put("unix:");
            b.put(u->path);
        } else {
            const auto& t = std::get<TcpTarget>(p.target);
            if (auto ok = check_tcp_target(t); !ok) return std::unexpected(ok.error());
            b.put(t.host);
            b.put(':');
            b.put_number(t.port);
        }
    }
    for (const auto& k : r.authorized_clients) {
        b.put(" ClientAuthV3=");
        b.put_base32(k.view());
    }
    return b.finish("ADD_ONION");
}

ControlCommand del_onion(const OnionServiceId& service) {
    LineBuilder b;
    b.put("DEL_ONION ");
    b.put(service.str());
    return finish_typed(b, "DEL_ONION");
}

ControlCommand onion_client_auth_add(const OnionServiceId& service,
                                     const crypto::X25519SecretKey& key, bool permanent) {
    LineBuilder b;
    b.put("ONION_CLIENT_AUTH_ADD ");
    b.put(service.str());
    b.put(" x25519:");
    b.put_base64(key.secret_bytes());
    if (permanent) b.put(" Flags=Permanent");
    return finish_typed(b, "ONION_CLIENT_AUTH_ADD");
}

ControlCommand onion_client_auth_remove(const OnionServiceId& service) {
    LineBuilder b;
    b.put("ONION_CLIENT_AUTH_REMOVE ");
    b.put(service.str());
    return finish_typed(b, "ONION_CLIENT_AUTH_REMOVE");
}

ControlCommand signal(Signal s) {
    static constexpr std::string_view kNames[] = {"RELOAD",  "SHUTDOWN",      "DUMP",   "DEBUG",
                                                  "HALT",    "CLEARDNSCACHE", "NEWNYM", "HEARTBEAT",
                                                  "DORMANT", "ACTIVE"};
    LineBuilder b;
    b.put("SIGNAL ");
    b.put(kNames[static_cast<std::size_t>(s)]);
    return finish_typed(b, "SIGNAL");
}

}  // namespace command

}  // namespace sotto::tor
