// SAFECOOKIE authentication to tor's control port (control-spec §3.24,
// §5.1): instead of sending the cookie file's 32 bytes, which anything
// listening where Sotto thinks tor is would then hold, the controller
// proves it knows them. It sends a client nonce (AUTHCHALLENGE), checks
// tor's server hash, which proves the other end knows the cookie too, and
// only then answers with the client hash (AUTHENTICATE):
//   server hash = HMAC-SHA256("Tor safe cookie authentication server-to-controller hash",
//                             cookie | client nonce | server nonce)
//   client hash = HMAC-SHA256("Tor safe cookie authentication controller-to-server hash",
//                             cookie | client nonce | server nonce)
// with the constant string as the HMAC key.
#pragma once

#include "core/tor/command_replies.hpp"
#include "core/util/bytes.hpp"
#include "core/util/error.hpp"

namespace sotto::tor {

inline constexpr std::size_t kAuthCookieBytes = 32;
using AuthCookie = Secret<kAuthCookieBytes>;

struct SafeCookieNonceTag {};
using SafeCookieNonce = FixedBytes<32, SafeCookieNonceTag>;

// §3.21: a cookie file of any other length is not a cookie.
Result<AuthCookie> auth_cookie_from_file(ByteView contents);

// Ok if tor's SERVERHASH is the one the cookie gives (compared in constant
// time); Errc::BadSignature if not: the other end does not know the cookie,
// so it is not our tor and must not get the client hash.
Status verify_safecookie_server_hash(const AuthCookie& cookie, const SafeCookieNonce& client_nonce,
                                     const AuthChallenge& challenge);
// What AUTHENTICATE sends, after verify_safecookie_server_hash passed.
Result<Secret<32>> safecookie_client_hash(const AuthCookie& cookie,
                                          const SafeCookieNonce& client_nonce,
                                          const AuthChallenge& challenge);

}  // namespace sotto::tor
