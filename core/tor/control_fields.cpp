#include "core/tor/control_fields.hpp"

namespace sotto::tor {

namespace {

bool keyword_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '/' || c == '.' || c == '-';
}

// Reads a QuotedString starting at text[pos] == '"'; on success pos is just
// past the closing quote.
Result<std::string> read_quoted(std::string_view text, std::size_t& pos) {
    std::string out;
    std::size_t i = pos + 1;
    while (true) {
        if (i >= text.size()) return fail(Errc::Malformed, "control field: unterminated quote");
        char c = text[i++];
        if (c == '"') break;
        if (c != '\\') {
            out.push_back(c);
            continue;
        }
        if (i >= text.size()) return fail(Errc::Malformed, "control field: unterminated escape");
        char e = text[i++];
        if (e == 'n') {
            out.push_back('\n');
        } else if (e == 't') {
            out.push_back('\t');
        } else if (e == 'r') {
            out.push_back('\r');
        } else if (e >= '0' && e <= '7') {
            unsigned v = static_cast<unsigned>(e - '0');
            for (int k = 0; k < 2 && i < text.size() && text[i] >= '0' && text[i] <= '7'; ++k)
                v = v * 8 + static_cast<unsigned>(text[i++] - '0');
            if (v > 0377) return fail(Errc::Malformed, "control field: octal escape above \\377");
            out.push_back(static_cast<char>(v));
        } else {
            out.push_back(e);
        }
    }
    pos = i;
    return out;
}

}  // namespace

Result<std::string> unquote(std::string_view quoted) {
    if (quoted.empty() || quoted.front() != '"')
        return fail(Errc::Malformed, "control field: not a quoted string");
    std::size_t pos = 0;
    auto s = read_quoted(quoted, pos);
    if (!s) return s;
    if (pos != quoted.size()) return fail(Errc::Malformed, "control field: text after the quote");
    return s;
}

Result<std::vector<ControlField>> split_fields(std::string_view line) {
    std::vector<ControlField> fields;
    std::size_t pos = 0;
    while (pos < line.size()) {
        std::size_t start = pos;
        while (pos < line.size() && line[pos] != ' ' && line[pos] != '=' && line[pos] != '"') ++pos;
        if (pos == start) return fail(Errc::Malformed, "control field: empty word");
        ControlField f{std::string(line.substr(start, pos - start)), std::nullopt};
        if (pos < line.size() && line[pos] == '"')
            return fail(Errc::Malformed, "control field: quote inside a word");
        if (pos < line.size() && line[pos] == '=') {
            for (char c : f.key)
                if (!keyword_char(c)) return fail(Errc::Malformed, "control field: bad keyword");
            ++pos;
            if (pos < line.size() && line[pos] == '"') {
                auto v = read_quoted(line, pos);
                if (!v) return std::unexpected(v.error());
                f.value = std::move(*v);
                f.quoted = true;
            } else {
                std::size_t vstart = pos;
                while (pos < line.size() && line[pos] != ' ') {
                    if (line[pos] == '"')
                        return fail(Errc::Malformed, "control field: quote in a bare value");
                    ++pos;
                }
                f.value = std::string(line.substr(vstart, pos - vstart));
            }
        }
        fields.push_back(std::move(f));
        if (pos < line.size()) {
            if (line[pos] != ' ') return fail(Errc::Malformed, "control field: no space after");
            ++pos;
            if (pos == line.size()) return fail(Errc::Malformed, "control field: trailing space");
        }
    }
    return fields;
}

const std::string* find_value(const std::vector<ControlField>& fields, std::string_view key) {
    for (const auto& f : fields)
        if (f.value && f.key == key) return &*f.value;
    return nullptr;
}

}  // namespace sotto::tor
