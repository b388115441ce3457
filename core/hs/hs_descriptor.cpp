#include "core/hs/hs_descriptor.hpp"

#include <algorithm>

#include "core/crypto/kdf.hpp"
#include "core/dir/relay_descriptor.hpp"
#include "core/hs/descriptor_id.hpp"
#include "core/wire/reader.hpp"

namespace sotto::hs {

namespace {

constexpr std::string_view kSignaturePrefix = "sotto-hs-descriptor-v1";
constexpr std::string_view kWithdrawPrefix = "sotto-hs-withdraw-v1";
constexpr std::string_view kIntroKeyInfo = "sotto-hs-intro-points";
constexpr std::size_t kFixedBodyLen = 1 + 32 + 32 + 8 + 4 + 8 + 2;

void write_body(const HsDescriptor& d, wire::Writer& w) {
    w.u8(kHsDescriptorVersion)
        .fixed(d.client_key)
        .fixed(d.secret_id)
        .u64(static_cast<std::uint64_t>(d.published))
        .u32(d.lifetime_s)
        .u64(d.revision)
        .var16(d.encrypted_intro_points);
}

Bytes intro_aad(const crypto::Ed25519PublicKey& ck, const SecretIdPart& s, std::uint64_t rev) {
    wire::Writer w(32 + 32 + 8);
    w.fixed(ck).fixed(s).u64(rev);
    return w.take();
}

Result<IntroPointInfo> read_intro_point(wire::Reader& r) {
    IntroPointInfo p;
    auto identity = r.fixed<crypto::Ed25519PublicKey>();
    if (!identity) return std::unexpected(identity.error());
    p.relay_identity = *identity;
    auto onion = r.fixed<crypto::X25519PublicKey>();
    if (!onion) return std::unexpected(onion.error());
    p.relay_onion_key = *onion;
    auto host = r.string16(kMaxIntroHostLen);
    if (!host) return std::unexpected(host.error());
    p.host = std::move(*host);
    auto port = r.u16();
    if (!port) return std::unexpected(port.error());
    p.port = *port;
    auto auth = r.fixed<crypto::Ed25519PublicKey>();
    if (!auth) return std::unexpected(auth.error());
    p.auth_key = *auth;
    auto enc = r.fixed<crypto::X25519PublicKey>();
    if (!enc) return std::unexpected(enc.error());
    p.enc_key = *enc;
    if (auto ok = check_intro_point(p); !ok) return std::unexpected(ok.error());
    return p;
}

Status check_fields(const HsDescriptor& d) {
    if (d.lifetime_s < kMinHsDescriptorLifetime || d.lifetime_s > kMaxHsDescriptorLifetime)
        return fail(Errc::Malformed, "descriptor lifetime of " + std::to_string(d.lifetime_s) +
                                         " s is outside " +
                                         std::to_string(kMinHsDescriptorLifetime) + ".." +
                                         std::to_string(kMaxHsDescriptorLifetime) + " s");
    if (d.published < 0 || d.published > kMaxHsPublished)
        return fail(Errc::Malformed, "descriptor publication time " + std::to_string(d.published) +
                                         " is out of range");
    if (d.encrypted_intro_points.size() < crypto::kAeadNonceLen + crypto::kAeadTagLen)
        return fail(Errc::Malformed,
                    "descriptor introduction-point section is shorter than a nonce and a tag");
    return {};
}

}  // namespace

// ---- descriptor

Bytes hs_descriptor_signed_part(const HsDescriptor& d) {
    wire::Writer w(kSignaturePrefix.size() + kFixedBodyLen + d.encrypted_intro_points.size());
    w.bytes(as_bytes(kSignaturePrefix));
    write_body(d, w);
    return w.take();
}

HsDescriptor sign_hs_descriptor(HsDescriptor d, const crypto::Ed25519SecretKey& ck) {
    d.client_key = ck.public_key();
    d.signature = ck.sign(hs_descriptor_signed_part(d));
    return d;
}

Bytes encode_hs_descriptor(const HsDescriptor& d) {
    wire::Writer w(kFixedBodyLen + d.encrypted_intro_points.size() + d.signature.size);
    write_body(d, w);
    w.fixed(d.signature);
    return w.take();
}

Result<HsDescriptor> decode_hs_descriptor(ByteView in) {
    if (in.size() > kMaxHsDescriptorLen)
        return fail(Errc::TooLarge, "descriptor of " + std::to_string(in.size()) +
                                        " bytes exceeds the limit of " +
                                        std::to_string(kMaxHsDescriptorLen));
    wire::Reader r(in);
    auto version = r.u8();
    if (!version) return std::unexpected(version.error());
    if (*version != kHsDescriptorVersion)
        return fail(Errc::BadVersion, "descriptor version " + std::to_string(*version) +
                                          " is not supported (expected " +
                                          std::to_string(kHsDescriptorVersion) + ")");
    HsDescriptor d;
    auto ck = r.fixed<crypto::Ed25519PublicKey>();
    if (!ck) return std::unexpected(ck.error());
    d.client_key = *ck;
    auto s = r.fixed<SecretIdPart>();
    if (!s) return std::unexpected(s.error());
    d.secret_id = *s;
    auto published = r.u64();
    if (!published) return std::unexpected(published.error());
    d.published = static_cast<std::int64_t>(*published);
    auto lifetime = r.u32();
    if (!lifetime) return std::unexpected(lifetime.error());
    d.lifetime_s = *lifetime;
    auto revision = r.u64();
    if (!revision) return std::unexpected(revision.error());
    d.revision = *revision;
    auto encrypted = r.var16();
    if (!encrypted) return std::unexpected(encrypted.error());
    d.encrypted_intro_points.assign(encrypted->begin(), encrypted->end());
    auto signature = r.fixed<crypto::Ed25519Signature>();
    if (!signature) return std::unexpected(signature.error());
    d.signature = *signature;
    if (auto end = r.expect_end("descriptor"); !end) return std::unexpected(end.error());
    if (auto ok = check_fields(d); !ok) return std::unexpected(ok.error());
    if (!crypto::ed25519_verify(d.client_key, hs_descriptor_signed_part(d), d.signature))
        return fail(Errc::BadSignature, "descriptor signature does not verify with its client key");
    return d;
}

DescriptorId id_of(const HsDescriptor& d) {
    return descriptor_id(client_key_id(d.client_key), d.secret_id);
}

TimePoint hs_descriptor_expiry(const HsDescriptor& d) {
    // Bounded: decode keeps published within 0..kMaxHsPublished.
    const std::int64_t published = std::clamp<std::int64_t>(d.published, 0, kMaxHsPublished);
    return TimePoint::from_seconds(published + d.lifetime_s);
}

Status check_hs_descriptor(const HsDescriptor& d, const DescriptorId& claimed, TimePoint now,
                           Duration max_clock_skew) {
    if (id_of(d) != claimed)
        return fail(Errc::BadIdentity, "descriptor does not belong under the claimed id");
    if (TimePoint::from_seconds(std::clamp<std::int64_t>(d.published, 0, kMaxHsPublished)) >
        now + max_clock_skew)
        return fail(Errc::NotYetValid, "descriptor published " +
                                           std::to_string(d.published - now.unix_seconds()) +
                                           " s in the future; clocks disagree too much");
    if (hs_descriptor_expiry(d) <= now)
        return fail(Errc::Expired,
                    "descriptor expired " +
                        std::to_string((now - hs_descriptor_expiry(d)).seconds_count()) + " s ago");
    return {};
}

// ---- introduction points

Result<crypto::AeadKey> intro_points_key(const DescriptorCookie& dc, const SecretIdPart& s) {
    auto k = crypto::hkdf(crypto::HkdfHash::Sha3_256, dc.view(), s.view(), as_bytes(kIntroKeyInfo),
                          crypto::kAeadKeyLen);
    if (!k) return std::unexpected(k.error());
    return crypto::AeadKey(k->view());
}

Status check_intro_point(const IntroPointInfo& p) {
    if (!dir::is_valid_host(p.host) || p.host.size() > kMaxIntroHostLen)
        return fail(Errc::Malformed, "introduction point host must be 1.." +
                                         std::to_string(kMaxIntroHostLen) +
                                         " visible ASCII characters");
    if (p.port == 0) return fail(Errc::Malformed, "introduction point port must not be 0");
    return {};
}

Result<Bytes> seal_intro_points(const std::vector<IntroPointInfo>& points,
                                const DescriptorCookie& dc, const SecretIdPart& s,
                                const crypto::Ed25519PublicKey& ck, std::uint64_t revision,
                                Rng& rng) {
    if (points.empty() || points.size() > kMaxIntroPoints)
        return fail(Errc::Malformed, "a descriptor needs 1.." + std::to_string(kMaxIntroPoints) +
                                         " introduction points, not " +
                                         std::to_string(points.size()));
    wire::Writer w(kIntroSectionPlainLen);
    w.u8(static_cast<std::uint8_t>(points.size()));
    for (const auto& p : points) {
        if (auto ok = check_intro_point(p); !ok) return std::unexpected(ok.error());
        w.fixed(p.relay_identity)
            .fixed(p.relay_onion_key)
            .string16(p.host)
            .u16(p.port)
            .fixed(p.auth_key)
            .fixed(p.enc_key);
    }
    Bytes plain = w.take();
    plain.resize(kIntroSectionPlainLen, 0);
    auto key = intro_points_key(dc, s);
    if (!key) return std::unexpected(key.error());
    crypto::AeadNonce nonce;
    rng.fill(nonce.bytes);
    Bytes out(nonce.bytes.begin(), nonce.bytes.end());
    out.reserve(kIntroSectionLen);
    auto sealed = crypto::aead_seal_append(*key, nonce, intro_aad(ck, s, revision), plain, out);
    // The plaintext names the introduction points; do not leave it in freed memory.
    secure_wipe(plain.data(), plain.size());
    if (!sealed) return std::unexpected(sealed.error());
    return out;
}

Result<std::vector<IntroPointInfo>> open_intro_points(const HsDescriptor& d,
                                                      const DescriptorCookie& dc) {
    const Bytes& sealed = d.encrypted_intro_points;
    if (sealed.size() != kIntroSectionLen)
        return fail(Errc::Malformed, "introduction-point section of " +
                                         std::to_string(sealed.size()) + " bytes, expected " +
                                         std::to_string(kIntroSectionLen));
    auto key = intro_points_key(dc, d.secret_id);
    if (!key) return std::unexpected(key.error());
    auto nonce = crypto::AeadNonce::from(ByteView(sealed).first(crypto::kAeadNonceLen));
    auto plain = crypto::aead_open(*key, nonce, intro_aad(d.client_key, d.secret_id, d.revision),
                                   ByteView(sealed).subspan(crypto::kAeadNonceLen));
    if (!plain)
        return fail(Errc::BadSignature,
                    "cannot decrypt the introduction points: wrong descriptor cookie");
    struct Wipe {
        Bytes& b;
        ~Wipe() { secure_wipe(b.data(), b.size()); }
    } wipe{*plain};
    wire::Reader r(*plain);
    auto count = r.u8();
    if (!count) return std::unexpected(count.error());
    if (*count == 0 || *count > kMaxIntroPoints)
        return fail(Errc::Malformed, "introduction-point count " + std::to_string(*count) +
                                         " is outside 1.." + std::to_string(kMaxIntroPoints));
    std::vector<IntroPointInfo> points;
    points.reserve(*count);
    for (std::size_t i = 0; i < *count; ++i) {
        auto p = read_intro_point(r);
        if (!p) return std::unexpected(p.error());
        points.push_back(std::move(*p));
    }
    auto padding = r.rest();
    if (!std::all_of(padding.begin(), padding.end(), [](std::uint8_t b) { return b == 0; }))
        return fail(Errc::Malformed, "introduction-point section padding is not zero");
    return points;
}

// ---- withdrawal

Bytes hs_withdrawal_signed_part(const HsWithdrawal& w) {
    wire::Writer out(kWithdrawPrefix.size() + 32 * 3 + 8);
    out.bytes(as_bytes(kWithdrawPrefix))
        .fixed(w.id)
        .fixed(w.client_key)
        .fixed(w.secret_id)
        .u64(w.revision);
    return out.take();
}

HsWithdrawal sign_hs_withdrawal(HsWithdrawal w, const crypto::Ed25519SecretKey& ck) {
    w.client_key = ck.public_key();
    w.id = descriptor_id(client_key_id(w.client_key), w.secret_id);
    w.sig = ck.sign(hs_withdrawal_signed_part(w));
    return w;
}

Bytes encode_hs_withdrawal(const HsWithdrawal& w) {
    wire::Writer out(kHsWithdrawalLen);
    out.u8(kHsWithdrawalVersion)
        .fixed(w.id)
        .fixed(w.client_key)
        .fixed(w.secret_id)
        .u64(w.revision)
        .fixed(w.sig);
    return out.take();
}

Status check_hs_withdrawal(const HsWithdrawal& w) {
    if (!crypto::ed25519_verify(w.client_key, hs_withdrawal_signed_part(w), w.sig))
        return fail(Errc::BadSignature, "withdrawal signature does not verify with its client key");
    if (descriptor_id(client_key_id(w.client_key), w.secret_id) != w.id)
        return fail(Errc::BadIdentity,
                    "withdrawal names an id that its client key and secret id "
                    "part do not produce");
    return {};
}

Result<HsWithdrawal> decode_hs_withdrawal(ByteView in) {
    if (in.size() > kHsWithdrawalLen)
        return fail(Errc::TooLarge, "withdrawal of " + std::to_string(in.size()) +
                                        " bytes exceeds its size of " +
                                        std::to_string(kHsWithdrawalLen));
    wire::Reader r(in);
    auto version = r.u8();
    if (!version) return std::unexpected(version.error());
    if (*version != kHsWithdrawalVersion)
        return fail(Errc::BadVersion, "withdrawal version " + std::to_string(*version) +
                                          " is not supported (expected " +
                                          std::to_string(kHsWithdrawalVersion) + ")");
    HsWithdrawal w;
    auto id = r.fixed<DescriptorId>();
    if (!id) return std::unexpected(id.error());
    w.id = *id;
    auto ck = r.fixed<crypto::Ed25519PublicKey>();
    if (!ck) return std::unexpected(ck.error());
    w.client_key = *ck;
    auto s = r.fixed<SecretIdPart>();
    if (!s) return std::unexpected(s.error());
    w.secret_id = *s;
    auto revision = r.u64();
    if (!revision) return std::unexpected(revision.error());
    w.revision = *revision;
    auto sig = r.fixed<crypto::Ed25519Signature>();
    if (!sig) return std::unexpected(sig.error());
    w.sig = *sig;
    if (auto end = r.expect_end("withdrawal"); !end) return std::unexpected(end.error());
    if (auto ok = check_hs_withdrawal(w); !ok) return std::unexpected(ok.error());
    return w;
}

}  // namespace sotto::hs
