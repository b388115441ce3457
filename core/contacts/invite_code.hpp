// Invite codes: how a contact is added. Bob creates a one-time, expiring
// grant (CK, DC) for "whoever holds this code" and gives Alice the code, as
// a QR code or as text. The code carries what the private-service protocol
// needs to reach Bob (H(CK) and DC), the network it belongs to, its expiry
// and a display-name hint. On first contact both sides exchange long-term
// grants over the encrypted channel and Bob stops publishing the invite's
// key, so a photographed code is worthless afterwards (the engine does that;
// this unit is only the code).
//
// Text form: "sotto:" followed by the payload and a 4-byte checksum in
// lower-case RFC 4648 base32 without padding, grouped by '-' every 8
// characters for reading aloud; parse ignores case, spaces, '-' and line
// breaks, and maps the look-alikes 0→o, 1→l, 8→b. The checksum
// (SHA3-256 of the payload, first 4 bytes) catches typos before anything
// else is checked, so a mistyped code is reported as mistyped, not as
// malformed or expired.
//
// Payload, version 2 (what format_invite writes):
//   version u8 (2) | network id (8) | expires_at u64 unix seconds |
//   session version u8 (1) | session secret (32) |
//   name-hint length u8 (≤ 64) | UTF-8 hint | credential list (the rest,
//   core/transport/credential.hpp: one opaque entry per transport the
//   inviter runs)
// The session secret keys the invite's handshake (session::invite_psk); the
// credentials only say how to reach the inviter, and the engine never looks
// inside them. Version 1 (still read): version u8 (1) | network id (8) |
// H(CK) (32) | DC (32) | expires_at u64 | hint length u8 | hint; its
// credential is H(CK) | DC on Sotto's onion network and its session secret
// the same 64 bytes.
#pragma once

#include <string>
#include <string_view>

#include "core/dir/network_file.hpp"
#include "core/transport/credential.hpp"
#include "core/util/error.hpp"
#include "core/util/time.hpp"

namespace sotto::contacts {

inline constexpr std::size_t kMaxNameHintBytes = 64;
inline constexpr std::uint8_t kInviteVersion = 2;
// The session protocol the invite's handshake speaks (docs/messenger.md,
// "Sessions"): Noise XXpsk0 with the secret's psk.
inline constexpr std::uint8_t kSessionVersion = 1;
inline constexpr std::size_t kInviteSecretBytes = 32;

struct InviteCode {
    std::uint8_t version = kInviteVersion;  // of the text it was parsed from
    dir::NetworkId network;
    std::uint8_t session_version = kSessionVersion;
    SecretBytes secret;                     // kInviteSecretBytes; a version-1 code's H(CK) | DC
    transport::CredentialList credentials;  // the invite's, one per transport
    TimePoint expires_at;                   // whole seconds
    std::string name_hint;  // valid UTF-8, ≤ kMaxNameHintBytes (truncated on a boundary)

    InviteCode clone() const {
        return {version,
                network,
                session_version,
                SecretBytes(secret.view()),
                transport::clone_list(credentials),
                expires_at,
                name_hint};
    }
};

// Why a code was refused; each has its own message for the user.
enum class InviteError {
    NotAnInvite,  // doesn't start with "sotto:" / isn't base32 at all
    Mistyped,     // checksum mismatch
    Malformed,    // checksum fine but structure wrong (lengths, bad UTF-8)
    UnknownVersion,
    Expired,
    WrongNetwork,
    AlreadyUsed,  // decided by the engine (we accepted it before)
};
// A one-line message for people, e.g. "This invite code has a typo: check it
// against the original, or scan the QR code instead."
std::string invite_error_message(InviteError e);

// Always version 2; fails (Errc::Malformed / TooLarge) for a code the
// parser would refuse (a secret of the wrong length, no credential).
Result<std::string> format_invite(const InviteCode& code);
// Structure and checksum only (no expiry or network checks): errors are
// NotAnInvite, Mistyped, Malformed or UnknownVersion (a code version or a
// session version this program does not speak).
std::expected<InviteCode, InviteError> parse_invite(std::string_view text);
// parse_invite plus expiry (against now) and network checks.
std::expected<InviteCode, InviteError> check_invite(std::string_view text,
                                                    const dir::NetworkId& ours, TimePoint now);

}  // namespace sotto::contacts
