// The words of one control-port reply or event line: positional words
// ("STATUS_CLIENT", "NOTICE", "BOOTSTRAP") and keyword=value arguments
// (control-spec §4.1: SP KEYWORD ["=" (QuotedString / *NonSpDquote)]).
// Quoted values are unescaped as §2.1.1 tells controllers to, because tor
// writes many of its QuotedStrings as C strings: \n \t \r and octal \0..\377
// are C escapes, a backslash before anything else stands for that character.
// Used by the typed readers of replies (PROTOCOLINFO, ADD_ONION, GETINFO)
// and events (STATUS_CLIENT BOOTSTRAP, HS_DESC, STATUS_GENERAL CLOCK_SKEW).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/error.hpp"

namespace sotto::tor {

struct ControlField {
    std::string key;                   // the word, or the keyword before '='
    std::optional<std::string> value;  // after '=', unquoted; none for a word
    bool quoted = false;               // the value was a QuotedString
};

// Splits on single spaces. A word has no '=' and no '"'; a keyword is
// [A-Za-z0-9_/.-]+; a bare value runs to the next space and has no '"'; a
// quoted value must end with an unescaped '"' followed by a space or the
// end. Malformed otherwise (two spaces in a row included).
Result<std::vector<ControlField>> split_fields(std::string_view line);

// The value of the first argument named `key`, or nullptr.
const std::string* find_value(const std::vector<ControlField>& fields, std::string_view key);

// A whole QuotedString (both quotes included), unescaped as above.
Result<std::string> unquote(std::string_view quoted);

}  // namespace sotto::tor
