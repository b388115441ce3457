// Errors as values. Every fallible core operation returns `Result<T>`;
// exceptions never cross a layer. An `Error` carries a stable code for
// programs and a one-line message for people (never secret material).
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace sotto {

enum class Errc {
    Truncated,     // input ended early
    Malformed,     // input is structurally wrong
    TooLarge,      // a length field exceeds its bound
    BadVersion,    // unknown protocol or format version
    BadSignature,  // a signature or MAC did not verify
    BadIdentity,   // the peer is not who we expected
    Expired,       // outside a validity interval
    NotYetValid,   // timestamp in the future
    Crypto,        // the crypto library failed
    Protocol,      // a message arrived in the wrong state
    Limit,         // a resource limit was reached
    NotFound,
    Io,
    Config,
};

struct Error {
    Errc code;
    std::string message;
};

template <typename T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(Errc c, std::string msg) {
    return std::unexpected<Error>(Error{c, std::move(msg)});
}

const char* errc_name(Errc c);

}  // namespace sotto
