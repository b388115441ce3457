#include "core/tor/safecookie.hpp"

#include <algorithm>

#include "core/crypto/kdf.hpp"

namespace sotto::tor {

namespace {

constexpr std::string_view kServerKey = "Tor safe cookie authentication server-to-controller hash";
constexpr std::string_view kClientKey = "Tor safe cookie authentication controller-to-server hash";

Result<Secret<32>> safecookie_hmac(std::string_view key, const AuthCookie& cookie,
                                   const SafeCookieNonce& client_nonce,
                                   const AuthChallenge& challenge) {
    // The message starts with the cookie, so it lives in wiping memory.
    SecretBytes message(kAuthCookieBytes + 64);
    auto out = message.mut();
    std::copy_n(cookie.data(), kAuthCookieBytes, out.begin());
    std::copy_n(client_nonce.data(), 32, out.begin() + 32);
    std::copy_n(challenge.server_nonce.data(), 32, out.begin() + 64);
    return crypto::hmac_sha256(as_bytes(key), message.view());
}

}  // namespace

Result<AuthCookie> auth_cookie_from_file(ByteView contents) {
    if (contents.size() != kAuthCookieBytes)
        return fail(Errc::Malformed, "tor auth cookie: the file is not 32 bytes");
    return AuthCookie(contents);
}

Status verify_safecookie_server_hash(const AuthCookie& cookie, const SafeCookieNonce& client_nonce,
                                     const AuthChallenge& challenge) {
    auto expected = safecookie_hmac(kServerKey, cookie, client_nonce, challenge);
    if (!expected) return std::unexpected(expected.error());
    if (!ct_equal(expected->view(), challenge.server_hash))
        return fail(Errc::BadSignature, "tor SAFECOOKIE: the server hash is wrong");
    return {};
}

Result<Secret<32>> safecookie_client_hash(const AuthCookie& cookie,
                                          const SafeCookieNonce& client_nonce,
                                          const AuthChallenge& challenge) {
    return safecookie_hmac(kClientKey, cookie, client_nonce, challenge);
}

}  // namespace sotto::tor
