// Private-service descriptors (paper 4.2-4.4, DESIGN §2): one descriptor per
// contact and time period, signed with that contact's client key CK, carrying
// the secret id part S so that a directory can check the descriptor id, and
// the introduction points encrypted under the descriptor cookie DC so that
// only the contact learns them. Also the signed withdrawal that removes a
// descriptor from directories early (DESIGN §2, "withdrawn with a signed
// request"), e.g. after a contact is revoked.
//
// Encoding (big-endian, see docs/protocol-hs-descriptors.md):
//   version=1 (1) | client_key (32) | secret_id (32) | published (8) |
//   lifetime (4) | revision (8) | encrypted string16 | signature (64)
// signed part: "sotto-hs-descriptor-v1" | everything before the signature.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/crypto/aead.hpp"
#include "core/crypto/ed25519.hpp"
#include "core/crypto/x25519.hpp"
#include "core/hs/hs_types.hpp"
#include "core/util/error.hpp"
#include "core/util/rng.hpp"
#include "core/util/time.hpp"

namespace sotto::hs {

inline constexpr std::uint8_t kHsDescriptorVersion = 1;
inline constexpr std::size_t kMaxHsDescriptorLen = 20 * 1024;
inline constexpr std::uint32_t kMinHsDescriptorLifetime = 60;        // seconds
inline constexpr std::uint32_t kMaxHsDescriptorLifetime = 3 * 3600;  // seconds
// Publication times beyond the year 9999 are refused so that converting
// `published + lifetime` to a TimePoint (microseconds) can never overflow.
inline constexpr std::int64_t kMaxHsPublished = 253'402'300'799;

inline constexpr std::size_t kMaxIntroPoints = 10;
inline constexpr std::size_t kMaxIntroHostLen = 255;
// Largest encoded point: identity, onion key, host string16, port, auth key,
// enc key.
inline constexpr std::size_t kMaxIntroPointLen = 32 + 32 + 2 + kMaxIntroHostLen + 2 + 32 + 32;
// Every intro section is padded to this plaintext size (10 points with
// 255-byte hosts), so its length says nothing about the number of points.
inline constexpr std::size_t kIntroSectionPlainLen = 1 + kMaxIntroPoints * kMaxIntroPointLen;
// nonce | ChaCha20-Poly1305 ciphertext | tag
inline constexpr std::size_t kIntroSectionLen =
    crypto::kAeadNonceLen + kIntroSectionPlainLen + crypto::kAeadTagLen;

struct IntroPointInfo {
    crypto::Ed25519PublicKey relay_identity;
    crypto::X25519PublicKey relay_onion_key;
    std::string host;  // 1..255 visible ASCII
    std::uint16_t port = 0;
    // IK_i: what the introduction point knows the service by (paper 4.1).
    crypto::Ed25519PublicKey auth_key;
    // The service's X25519 key for this introduction point; INTRODUCE
    // requests are encrypted to it.
    crypto::X25519PublicKey enc_key;
    friend bool operator==(const IntroPointInfo&, const IntroPointInfo&) = default;
};

struct HsDescriptor {
    crypto::Ed25519PublicKey client_key;  // CK, public part
    SecretIdPart secret_id;               // S
    std::int64_t published = 0;           // unix seconds
    std::uint32_t lifetime_s = 0;         // kMinHsDescriptorLifetime..kMaxHsDescriptorLifetime
    std::uint64_t revision = 0;           // higher replaces lower under the same id
    Bytes encrypted_intro_points;         // seal_intro_points output
    crypto::Ed25519Signature signature;
    friend bool operator==(const HsDescriptor&, const HsDescriptor&) = default;
};

Bytes hs_descriptor_signed_part(const HsDescriptor& d);
// Sets client_key from `ck` and signs.
HsDescriptor sign_hs_descriptor(HsDescriptor d, const crypto::Ed25519SecretKey& ck);
Bytes encode_hs_descriptor(const HsDescriptor& d);
// Structural checks (size, version, field bounds, no trailing bytes) and the
// signature with the included client key. Says nothing about the id or time:
// see check_hs_descriptor.
Result<HsDescriptor> decode_hs_descriptor(ByteView in);
// H(H(CK), S): the id this descriptor belongs under.
DescriptorId id_of(const HsDescriptor& d);
// published + lifetime: the first instant at which it is no longer valid.
TimePoint hs_descriptor_expiry(const HsDescriptor& d);
// What both an HSDir (before storing) and a client (after fetching) check on
// a decoded descriptor: it belongs under `claimed` (BadIdentity), it was not
// published more than `max_clock_skew` in the future (NotYetValid), and it has
// not expired (Expired).
Status check_hs_descriptor(const HsDescriptor& d, const DescriptorId& claimed, TimePoint now,
                           Duration max_clock_skew);

// The intro section key: HKDF-SHA3(ikm = DC, salt = S, info =
// "sotto-hs-intro-points", 32). Fresh for every (contact, period, replica).
Result<crypto::AeadKey> intro_points_key(const DescriptorCookie& dc, const SecretIdPart& s);
// Each point: host 1..255 visible ASCII, port not 0.
Status check_intro_point(const IntroPointInfo& p);
// 1..10 points, padded to kIntroSectionPlainLen, sealed with a random nonce
// from `rng` and AAD = client_key | secret_id | revision (8).
Result<Bytes> seal_intro_points(const std::vector<IntroPointInfo>& points,
                                const DescriptorCookie& dc, const SecretIdPart& s,
                                const crypto::Ed25519PublicKey& ck, std::uint64_t revision,
                                Rng& rng);
// BadSignature when the tag does not verify (wrong cookie, or the section was
// taken from another descriptor); Malformed when the plaintext is not a valid
// point list with zero padding.
Result<std::vector<IntroPointInfo>> open_intro_points(const HsDescriptor& d,
                                                      const DescriptorCookie& dc);

// ---- withdrawal
inline constexpr std::uint8_t kHsWithdrawalVersion = 1;
// version | id | client_key | secret_id | revision | signature
inline constexpr std::size_t kHsWithdrawalLen = 1 + 32 + 32 + 32 + 8 + 64;

// Asks an HSDir to drop the descriptor stored under `id` with a revision up
// to `revision`, and to refuse re-uploads of such revisions until they could
// no longer be valid anyway. Only the holder of CK can sign it.
struct HsWithdrawal {
    DescriptorId id;
    crypto::Ed25519PublicKey client_key;
    SecretIdPart secret_id;
    std::uint64_t revision = 0;
    // over "sotto-hs-withdraw-v1" | id | client_key | secret_id | revision (8)
    crypto::Ed25519Signature sig;
    friend bool operator==(const HsWithdrawal&, const HsWithdrawal&) = default;
};

Bytes hs_withdrawal_signed_part(const HsWithdrawal& w);
// Sets client_key from `ck` and id = H(H(CK), secret_id), then signs.
HsWithdrawal sign_hs_withdrawal(HsWithdrawal w, const crypto::Ed25519SecretKey& ck);
Bytes encode_hs_withdrawal(const HsWithdrawal& w);
// Verifies the signature (BadSignature) and that id = H(H(CK), S) (BadIdentity).
Result<HsWithdrawal> decode_hs_withdrawal(ByteView in);
Status check_hs_withdrawal(const HsWithdrawal& w);

}  // namespace sotto::hs
