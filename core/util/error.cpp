#include "core/util/error.hpp"

namespace sotto {

const char* errc_name(Errc c) {
    switch (c) {
        case Errc::Truncated:
            return "truncated";
        case Errc::Malformed:
            return "malformed";
        case Errc::TooLarge:
            return "too large";
        case Errc::BadVersion:
            return "bad version";
        case Errc::BadSignature:
            return "bad signature";
        case Errc::BadIdentity:
            return "bad identity";
        case Errc::Expired:
            return "expired";
        case Errc::NotYetValid:
            return "not yet valid";
        case Errc::Crypto:
            return "crypto failure";
        case Errc::Protocol:
            return "protocol violation";
        case Errc::Limit:
            return "limit reached";
        case Errc::NotFound:
            return "not found";
        case Errc::Io:
            return "i/o error";
        case Errc::Config:
            return "configuration error";
    }
    return "unknown";
}

}  // namespace sotto
