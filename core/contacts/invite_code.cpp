#include "core/contacts/invite_code.hpp"

#include <limits>
#include <optional>

#include "core/contacts/base32.hpp"
#include "core/crypto/hash.hpp"

namespace sotto::contacts {

namespace {

constexpr std::string_view kPrefix = "sotto:";
constexpr std::size_t kChecksumBytes = 4;
constexpr std::size_t kGroup = 8;
// Version 1: version | network id | H(CK) | DC | expires_at | hint length
constexpr std::size_t kFixedPayloadV1 = 1 + 8 + 32 + 32 + 8 + 1;
// Version 2: version | network id | expires_at | session version | secret |
// hint length (then the hint and the credential list)
constexpr std::size_t kFixedPayload = 1 + 8 + 8 + 1 + kInviteSecretBytes + 1;
constexpr auto kMaxSeconds =
    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / 1'000'000);
// More characters than this outside the alphabet (after look-alikes are
// mapped) and the text is not an attempt at a code but something else.
constexpr std::size_t kMaxStrayCharacters = 2;

// Length of the valid UTF-8 sequence starting at s[i] (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = byte(i);
    if (c < 0x80) return 1;
    std::size_t n;
    unsigned char lo = 0x80, hi = 0xbf;  // bounds of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
    return n;
}

bool is_valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        std::size_t n = utf8_sequence(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

// The longest prefix of `s` that is valid UTF-8, ends on a character
// boundary and has at most `max` bytes.
std::string_view utf8_prefix(std::string_view s, std::size_t max) {
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t n = utf8_sequence(s, i);
        if (n == 0 || i + n > max) break;
        i += n;
    }
    return s.substr(0, i);
}

// Bytes of `text` at `i` that only separate groups: ASCII white space and
// '-', and the Unicode spaces and dashes that word processors and chat apps
// substitute for them. Returns their length, or 0.
std::size_t separator_at(std::string_view text, std::size_t i) {
    switch (text[i]) {
        case ' ':
        case '\t':
        case '\r':
        case '\n':
        case '\f':
        case '\v':
        case '-':
            return 1;
        default:
            break;
    }
    auto is = [&](std::string_view seq) { return text.substr(i).starts_with(seq); };
    if (is("\xc2\xa0")) return 2;  // no-break space
    // U+2009 thin space, U+200B zero-width space, U+2010..U+2015 hyphens and
    // dashes, U+202F narrow no-break space, U+2212 minus, U+FEFF BOM.
    for (std::string_view seq : {"\xe2\x80\x89", "\xe2\x80\x8b", "\xe2\x80\x90", "\xe2\x80\x91",
                                 "\xe2\x80\x92", "\xe2\x80\x93", "\xe2\x80\x94", "\xe2\x80\x95",
                                 "\xe2\x80\xaf", "\xe2\x88\x92", "\xef\xbb\xbf"})
        if (is(seq)) return 3;
    return 0;
}

char normalize(char c) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    switch (c) {
        case '0':
            return 'o';
        case '1':
            return 'l';
        case '8':
            return 'b';
        default:
            return c;
    }
}

void put_u64(Bytes& out, std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8)
        out.push_back(static_cast<std::uint8_t>(v >> shift));
}

std::uint64_t get_u64(ByteView in) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | in[i];
    return v;
}

// Wipes a buffer that held the descriptor cookie when it goes out of scope.
template <typename Buffer>
struct WipeOnExit {
    Buffer& b;
    ~WipeOnExit() {
        if (!b.empty()) secure_wipe(b.data(), b.size());
    }
};

std::array<std::uint8_t, kChecksumBytes> checksum(ByteView payload) {
    auto d = crypto::sha3_256(payload);
    std::array<std::uint8_t, kChecksumBytes> c;
    std::copy_n(d.bytes.begin(), kChecksumBytes, c.begin());
    return c;
}

// A version-1 payload (checksum already checked): one Sotto-onion
// credential, which is also the session secret.
std::expected<InviteCode, InviteError> parse_payload_v1(ByteView payload) {
    if (payload.size() < kFixedPayloadV1 || payload[kFixedPayloadV1 - 1] > kMaxNameHintBytes ||
        payload.size() != kFixedPayloadV1 + payload[kFixedPayloadV1 - 1])
        return std::unexpected(InviteError::Malformed);
    std::uint64_t seconds = get_u64(payload.subspan(1 + 8 + 32 + 32, 8));
    std::string_view hint(reinterpret_cast<const char*>(payload.data()) + kFixedPayloadV1,
                          payload.size() - kFixedPayloadV1);
    if (seconds > kMaxSeconds || !is_valid_utf8(hint))
        return std::unexpected(InviteError::Malformed);
    InviteCode code;
    code.version = 1;
    code.network = dir::NetworkId::from(payload.subspan(1, 8));
    code.session_version = kSessionVersion;
    code.secret = SecretBytes(payload.subspan(9, 64));  // H(CK) | DC
    code.credentials.push_back(
        {transport::TransportKind::SottoOnion, SecretBytes(code.secret.view())});
    code.expires_at = TimePoint::from_seconds(static_cast<std::int64_t>(seconds));
    code.name_hint = std::string(hint);
    return code;
}

}  // namespace

std::string invite_error_message(InviteError e) {
    switch (e) {
        case InviteError::NotAnInvite:
            return "This is not a Sotto invite code (those start with \"sotto:\"): paste the "
                   "whole code, or scan its QR code.";
        case InviteError::Mistyped:
            return "This invite code has a typo or is incomplete: check it against the "
                   "original, or scan the QR code instead.";
        case InviteError::Malformed:
            return "This invite code is damaged although it was copied correctly: ask your "
                   "contact to create a new one.";
        case InviteError::UnknownVersion:
            return "This invite code comes from a different version of Sotto: update Sotto, "
                   "or ask your contact for a code your version understands.";
        case InviteError::Expired:
            return "This invite code has expired: ask your contact for a new one.";
        case InviteError::WrongNetwork:
            return "This invite code is for another Sotto network than the one this profile "
                   "uses: ask your contact which network they are on.";
        case InviteError::AlreadyUsed:
            return "You already added this contact with this code: look for them in your "
                   "contacts (each invite code works only once).";
    }
    return "This invite code cannot be used: ask your contact for a new one.";
}

Result<std::string> format_invite(const InviteCode& code) {
    if (code.secret.size() != kInviteSecretBytes)
        return fail(Errc::Malformed, "an invite's session secret is 32 bytes");
    auto creds = transport::encode_credentials(code.credentials);
    if (!creds) return std::unexpected(creds.error());
    std::string_view hint = utf8_prefix(code.name_hint, kMaxNameHintBytes);
    Bytes payload;
    WipeOnExit<Bytes> wipe_payload{payload};
    payload.reserve(kFixedPayload + hint.size() + creds->size() + kChecksumBytes);
    payload.push_back(kInviteVersion);
    payload.insert(payload.end(), code.network.bytes.begin(), code.network.bytes.end());
    std::int64_t seconds = code.expires_at.unix_seconds();
    put_u64(payload, seconds < 0 ? 0 : static_cast<std::uint64_t>(seconds));
    payload.push_back(code.session_version);
    payload.insert(payload.end(), code.secret.view().begin(), code.secret.view().end());
    payload.push_back(static_cast<std::uint8_t>(hint.size()));
    payload.insert(payload.end(), hint.begin(), hint.end());
    payload.insert(payload.end(), creds->view().begin(), creds->view().end());
    auto sum = checksum(payload);
    payload.insert(payload.end(), sum.begin(), sum.end());

    std::string body = base32_encode(payload);
    WipeOnExit<std::string> wipe_body{body};
    std::string out(kPrefix);
    out.reserve(kPrefix.size() + body.size() + body.size() / kGroup);
    for (std::size_t i = 0; i < body.size(); i += kGroup) {
        if (i > 0) out.push_back('-');
        out.append(body, i, kGroup);
    }
    return out;
}

std::expected<InviteCode, InviteError> parse_invite(std::string_view text) {
    // Normalise: drop separators, fold case, map look-alikes.
    std::string norm;
    WipeOnExit<std::string> wipe_norm{norm};
    norm.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        if (std::size_t n = separator_at(text, i)) {
            i += n;
            continue;
        }
        norm.push_back(normalize(text[i]));
        ++i;
    }
    if (!norm.starts_with(kPrefix)) return std::unexpected(InviteError::NotAnInvite);
    std::string_view body = std::string_view(norm).substr(kPrefix.size());

    std::size_t stray = 0;
    for (char c : body)
        if (base32_value(c) < 0 && (static_cast<unsigned char>(c) & 0xc0) != 0x80) ++stray;
    if (stray > kMaxStrayCharacters) return std::unexpected(InviteError::NotAnInvite);

    // Anything that fails the checksum, including a wrong length, a stray
    // character and a code cut short, is reported as a typo.
    auto raw = base32_decode(body);
    if (!raw || raw->size() < 1 + kChecksumBytes) return std::unexpected(InviteError::Mistyped);
    Bytes& bytes = *raw;
    WipeOnExit<Bytes> wipe_bytes{bytes};
    ByteView payload(bytes.data(), bytes.size() - kChecksumBytes);
    auto sum = checksum(payload);
    bool sum_ok = ct_equal(sum, ByteView(bytes).subspan(payload.size()));
    if (!sum_ok) return std::unexpected(InviteError::Mistyped);
    // The version first: another version lays the payload out otherwise.
    if (payload[0] == 1) return parse_payload_v1(payload);
    if (payload[0] != kInviteVersion) return std::unexpected(InviteError::UnknownVersion);
    if (payload.size() < kFixedPayload) return std::unexpected(InviteError::Malformed);
    if (payload[1 + 8 + 8] != kSessionVersion) return std::unexpected(InviteError::UnknownVersion);
    const std::size_t hint_len = payload[kFixedPayload - 1];
    if (hint_len > kMaxNameHintBytes || payload.size() < kFixedPayload + hint_len)
        return std::unexpected(InviteError::Malformed);
    std::uint64_t seconds = get_u64(payload.subspan(1 + 8, 8));
    std::string_view hint(reinterpret_cast<const char*>(payload.data()) + kFixedPayload, hint_len);
    if (seconds > kMaxSeconds || !is_valid_utf8(hint))
        return std::unexpected(InviteError::Malformed);
    auto creds = transport::decode_credentials(payload.subspan(kFixedPayload + hint_len));
    if (!creds) return std::unexpected(InviteError::Malformed);

    InviteCode code;
    code.version = kInviteVersion;
    code.network = dir::NetworkId::from(payload.subspan(1, 8));
    code.expires_at = TimePoint::from_seconds(static_cast<std::int64_t>(seconds));
    code.session_version = kSessionVersion;
    code.secret = SecretBytes(payload.subspan(1 + 8 + 8 + 1, kInviteSecretBytes));
    code.name_hint = std::string(hint);
    code.credentials = std::move(*creds);
    return code;
}

std::expected<InviteCode, InviteError> check_invite(std::string_view text,
                                                    const dir::NetworkId& ours, TimePoint now) {
    auto code = parse_invite(text);
    if (!code) return code;
    // The network first: a fresh code from the same contact would still be
    // for their network, so "expired" would send the user the wrong way.
    if (code->network != ours) return std::unexpected(InviteError::WrongNetwork);
    if (now >= code->expires_at) return std::unexpected(InviteError::Expired);
    return code;
}

}  // namespace sotto::contacts
