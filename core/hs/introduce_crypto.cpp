#include "core/hs/introduce_crypto.hpp"

#include <algorithm>

#include "core/crypto/hash.hpp"
#include "core/crypto/kdf.hpp"
#include "core/dir/relay_descriptor.hpp"
#include "core/onion/ntor.hpp"
#include "core/wire/reader.hpp"

namespace sotto::hs {

namespace {

constexpr std::string_view kIntroduceSaltLabel = "sotto-introduce";
constexpr std::string_view kIntroduceKeyInfo = "sotto-introduce-key";
constexpr std::string_view kProtoId = "sotto-hs-ntor-x25519-sha3-1";

template <typename T>
std::unexpected<Error> pass(const Result<T>& r) {
    return std::unexpected(r.error());
}

// k for the encrypted part; used for exactly one message (fresh X), hence
// the constant nonce.
Result<crypto::AeadKey> introduce_key(ByteView xb, const AuthKeyId& id,
                                      const crypto::X25519PublicKey& x,
                                      const crypto::X25519PublicKey& b) {
    auto salt =
        crypto::sha3_256_parts({as_bytes(kIntroduceSaltLabel), id.view(), x.view(), b.view()});
    auto k = crypto::hkdf(crypto::HkdfHash::Sha3_256, xb, salt.view(), as_bytes(kIntroduceKeyInfo),
                          crypto::kAeadKeyLen);
    if (!k) return pass(k);
    return crypto::AeadKey(k->view());
}

Bytes introduce_aad(const AuthKeyId& id, const crypto::X25519PublicKey& x) {
    wire::Writer w(64);
    w.fixed(id).fixed(x);
    return w.take();
}

// hs-ntor is ntor (core/onion/ntor.hpp) over the introduction key's id, the
// service's per-intro-point key B and the descriptor cookie.
Result<onion::NtorSecrets> hs_ntor_core(ByteView xy, ByteView xb, const AuthKeyId& id,
                                        const crypto::X25519PublicKey& b,
                                        const crypto::X25519PublicKey& x,
                                        const crypto::X25519PublicKey& y, const Secret<32>& dc) {
    return onion::ntor_derive(kProtoId,
                              {xy, xb, id.view(), b.view(), x.view(), y.view(), dc.view()},
                              {id.view(), b.view(), y.view(), x.view()});
}

Result<onion::HopKeys> expand(const SecretBytes& seed) {
    return onion::ntor_expand(kProtoId, seed.view());
}

Status check_payload_fields(const IntroducePayload& p) {
    if (p.version != kIntroducePayloadVersion)
        return fail(Errc::BadVersion, "introduction payload version " + std::to_string(p.version) +
                                          " is not supported (expected " +
                                          std::to_string(kIntroducePayloadVersion) + ")");
    if (!dir::is_valid_host(p.rp_host))
        return fail(Errc::Malformed, "rendezvous point host must be 1.." +
                                         std::to_string(kMaxRpHostLen) +
                                         " visible ASCII characters");
    if (p.rp_port == 0) return fail(Errc::Malformed, "rendezvous point port must not be 0");
    return {};
}

}  // namespace

// --- Payload --------------------------------------------------------------

Result<SecretBytes> encode_introduce_payload(const IntroducePayload& p) {
    if (auto ok = check_payload_fields(p); !ok) return std::unexpected(ok.error());
    SecretBytes out(kIntroducePlaintextLen);  // zero-filled: the padding
    wire::Writer w(kIntroducePlaintextLen);
    w.u8(p.version)
        .fixed(p.rp_identity)
        .fixed(p.rp_onion_key)
        .string16(p.rp_host)
        .u16(p.rp_port)
        .fixed(p.rendezvous_cookie)
        .bytes(p.descriptor_cookie.view())
        .u64(static_cast<std::uint64_t>(p.timestamp));
    Bytes body = w.take();
    // Cannot overflow: the largest encoding (a 255-byte host) is 384 bytes.
    std::copy(body.begin(), body.end(), out.data());
    secure_wipe(body.data(), body.size());
    return out;
}

Result<IntroducePayload> decode_introduce_payload(ByteView in) {
    if (in.size() != kIntroducePlaintextLen)
        return fail(in.size() < kIntroducePlaintextLen ? Errc::Truncated : Errc::Malformed,
                    "introduction payload must be " + std::to_string(kIntroducePlaintextLen) +
                        " bytes, got " + std::to_string(in.size()));
    wire::Reader r(in);
    IntroducePayload p;
    auto version = r.u8();
    if (!version) return pass(version);
    p.version = *version;
    if (p.version != kIntroducePayloadVersion)
        return fail(Errc::BadVersion, "introduction payload version " + std::to_string(p.version) +
                                          " is not supported");
    auto rp_id = r.fixed<crypto::Ed25519PublicKey>();
    if (!rp_id) return pass(rp_id);
    p.rp_identity = *rp_id;
    auto rp_onion = r.fixed<crypto::X25519PublicKey>();
    if (!rp_onion) return pass(rp_onion);
    p.rp_onion_key = *rp_onion;
    auto host = r.string16(kMaxRpHostLen);
    if (!host) return pass(host);
    p.rp_host = std::move(*host);
    auto port = r.u16();
    if (!port) return pass(port);
    p.rp_port = *port;
    auto cookie = r.fixed<RendezvousCookie>();
    if (!cookie) return pass(cookie);
    p.rendezvous_cookie = *cookie;
    auto dc = r.bytes(32);
    if (!dc) return pass(dc);
    p.descriptor_cookie = Secret<32>(*dc);
    auto ts = r.u64();
    if (!ts) return pass(ts);
    p.timestamp = static_cast<std::int64_t>(*ts);
    auto padding = r.rest();
    // Zero padding keeps the encoding canonical: one payload, one plaintext.
    if (!std::all_of(padding.begin(), padding.end(), [](auto b) { return b == 0; }))
        return fail(Errc::Malformed, "introduction payload padding is not zero");
    if (auto ok = check_payload_fields(p); !ok) return std::unexpected(ok.error());
    return p;
}

// --- Client ---------------------------------------------------------------

Result<ClientIntroduce> client_introduce(const IntroducePayload& payload,
                                         const crypto::Ed25519PublicKey& auth_key,
                                         const crypto::X25519PublicKey& enc_key, Rng& rng) {
    auto plain = encode_introduce_payload(payload);
    if (!plain) return pass(plain);
    ClientIntroduce c;
    c.auth_key_id_ = auth_key_id(auth_key);
    c.enc_key_ = enc_key;
    c.x_ = crypto::X25519SecretKey::generate(rng);
    c.descriptor_cookie_ = payload.descriptor_cookie.clone();
    const auto x_pub = c.x_->public_key();
    auto xb = c.x_->agree(enc_key);
    if (!xb)
        return fail(Errc::Crypto, "the descriptor lists an invalid introduction encryption key");
    auto k = introduce_key(xb->view(), c.auth_key_id_, x_pub, enc_key);
    if (!k) return pass(k);
    wire::Writer w(kIntroduce1Len);
    w.fixed(c.auth_key_id_).fixed(x_pub);
    c.introduce1_ = w.take();
    if (auto s = crypto::aead_seal_append(*k, crypto::nonce_from_counter(0),
                                          introduce_aad(c.auth_key_id_, x_pub), plain->view(),
                                          c.introduce1_);
        !s)
        return std::unexpected(s.error());
    return c;
}

Result<onion::HopKeys> ClientIntroduce::finish(ByteView reply) {
    if (!x_) return fail(Errc::Protocol, "this introduction already finished");
    if (reply.size() != HandshakeReply::size)
        return fail(Errc::Malformed, "RENDEZVOUS2 handshake reply must be 64 bytes");
    auto y = crypto::X25519PublicKey::from(reply.first(32));
    auto xy = x_->agree(y);
    auto xb = x_->agree(enc_key_);
    const auto x_pub = x_->public_key();
    // Forward secrecy: the ephemeral key and the cookie copy go after one try,
    // successful or not (a forged reply must not get a second chance).
    x_.reset();
    Secret<32> dc = std::move(descriptor_cookie_);
    if (!xy || !xb) return fail(Errc::Crypto, "hs-ntor: the service sent an invalid key");
    auto out = hs_ntor_core(xy->view(), xb->view(), auth_key_id_, enc_key_, x_pub, y, dc);
    if (!out) return pass(out);
    if (!ct_equal(out->auth, reply.subspan(32, 32)))
        return fail(Errc::BadSignature,
                    "the service failed to prove it holds the introduction key");
    return expand(out->key_seed);
}

// --- Service --------------------------------------------------------------

Result<OpenedIntroduce> service_open_introduce(ByteView body,
                                               const crypto::Ed25519PublicKey& auth_key,
                                               const crypto::X25519SecretKey& enc_key) {
    auto m = decode_introduce(body);
    if (!m) return pass(m);
    const auto id = auth_key_id(auth_key);
    if (m->auth_key_id != id)
        return fail(Errc::BadIdentity, "INTRODUCE2 names another introduction key");
    if (m->encrypted.size() != kIntroducePlaintextLen + crypto::kAeadTagLen)
        return fail(Errc::Malformed,
                    "INTRODUCE2 encrypted part must be " +
                        std::to_string(kIntroducePlaintextLen + crypto::kAeadTagLen) + " bytes");
    auto xb = enc_key.agree(m->client_key);
    if (!xb) return fail(Errc::Crypto, "INTRODUCE2 carries an invalid client key");
    auto k = introduce_key(xb->view(), id, m->client_key, enc_key.public_key());
    if (!k) return pass(k);
    auto plain = crypto::aead_open(*k, crypto::nonce_from_counter(0),
                                   introduce_aad(id, m->client_key), m->encrypted);
    if (!plain)
        return fail(Errc::BadSignature,
                    "INTRODUCE2 does not decrypt with this introduction point's key");
    SecretBytes secret_plain{ByteView(*plain)};  // wiped on every path below
    secure_wipe(plain->data(), plain->size());
    auto payload = decode_introduce_payload(secret_plain.view());
    if (!payload) return pass(payload);
    OpenedIntroduce o{id, m->client_key, std::move(*payload)};
    return o;
}

Result<ServiceRendezvous> service_rendezvous(const OpenedIntroduce& opened,
                                             const crypto::Ed25519PublicKey& auth_key,
                                             const crypto::X25519SecretKey& enc_key, Rng& rng) {
    const auto id = auth_key_id(auth_key);
    if (opened.auth_key_id != id)
        return fail(Errc::BadIdentity, "introduction was opened with another introduction key");
    auto y = crypto::X25519SecretKey::generate(rng);
    auto xy = y.agree(opened.client_key);
    auto xb = enc_key.agree(opened.client_key);
    if (!xy || !xb) return fail(Errc::Crypto, "hs-ntor: the client sent an invalid key");
    auto out = hs_ntor_core(xy->view(), xb->view(), id, enc_key.public_key(), opened.client_key,
                            y.public_key(), opened.payload.descriptor_cookie);
    if (!out) return pass(out);
    auto keys = expand(out->key_seed);
    if (!keys) return pass(keys);
    ServiceRendezvous r;
    std::copy_n(y.public_key().bytes.begin(), 32, r.reply.bytes.begin());
    std::copy_n(out->auth.begin(), 32, r.reply.bytes.begin() + 32);
    r.rendezvous1 = encode_rendezvous1(Rendezvous1{opened.payload.rendezvous_cookie, r.reply});
    r.service_keys = swap_directions(std::move(*keys));
    return r;
}

onion::HopKeys swap_directions(onion::HopKeys k) {
    onion::HopKeys s;
    s.forward_digest = std::move(k.backward_digest);
    s.backward_digest = std::move(k.forward_digest);
    s.forward_key = std::move(k.backward_key);
    s.backward_key = std::move(k.forward_key);
    return s;
}

}  // namespace sotto::hs
