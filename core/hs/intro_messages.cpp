#include "core/hs/intro_messages.hpp"

#include "core/crypto/hash.hpp"
#include "core/wire/reader.hpp"

namespace sotto::hs {

namespace {

constexpr std::string_view kAuthKeyIdLabel = "sotto-auth-key-id";
constexpr std::string_view kEstablishIntroPrefix = "sotto-establish-intro-v1";

template <typename T>
std::unexpected<Error> pass(const Result<T>& r) {
    return std::unexpected(r.error());
}

// For bodies that are exactly one fixed-size value.
template <typename Fixed>
Result<Fixed> decode_exact(ByteView in, const char* what) {
    if (in.size() != Fixed::size)
        return fail(in.size() < Fixed::size ? Errc::Truncated : Errc::Malformed,
                    std::string(what) + " body must be " + std::to_string(Fixed::size) +
                        " bytes, got " + std::to_string(in.size()));
    return Fixed::from(in);
}

}  // namespace

AuthKeyId auth_key_id(const crypto::Ed25519PublicKey& auth_key) {
    return AuthKeyId::from(
        crypto::sha3_256_parts({as_bytes(kAuthKeyIdLabel), auth_key.view()}).view());
}

// --- ESTABLISH_INTRO ------------------------------------------------------

Bytes establish_intro_signed_part(const EstablishIntro& e) {
    wire::Writer w(kEstablishIntroPrefix.size() + 96);
    w.bytes(as_bytes(kEstablishIntroPrefix))
        .fixed(e.auth_key)
        .fixed(e.nonce)
        .fixed(e.circuit_binding);
    return w.take();
}

EstablishIntro make_establish_intro(const crypto::Ed25519SecretKey& auth_key,
                                    const CircuitBinding& binding, Rng& rng) {
    EstablishIntro e;
    e.auth_key = auth_key.public_key();
    rng.fill(e.nonce.bytes);
    e.circuit_binding = binding;
    e.signature = auth_key.sign(establish_intro_signed_part(e));
    return e;
}

Bytes encode_establish_intro(const EstablishIntro& e) {
    wire::Writer w(kEstablishIntroLen);
    w.fixed(e.auth_key).fixed(e.nonce).fixed(e.circuit_binding).fixed(e.signature);
    return w.take();
}

Result<EstablishIntro> decode_establish_intro(ByteView in) {
    if (in.size() > kEstablishIntroLen)
        return fail(Errc::Malformed, "ESTABLISH_INTRO body of " + std::to_string(in.size()) +
                                         " bytes, expected " + std::to_string(kEstablishIntroLen));
    wire::Reader r(in);
    EstablishIntro e;
    auto key = r.fixed<crypto::Ed25519PublicKey>();
    if (!key) return pass(key);
    e.auth_key = *key;
    auto nonce = r.fixed<IntroNonce>();
    if (!nonce) return pass(nonce);
    e.nonce = *nonce;
    auto binding = r.fixed<CircuitBinding>();
    if (!binding) return pass(binding);
    e.circuit_binding = *binding;
    auto sig = r.fixed<crypto::Ed25519Signature>();
    if (!sig) return pass(sig);
    e.signature = *sig;
    if (auto end = r.expect_end("ESTABLISH_INTRO"); !end) return std::unexpected(end.error());
    if (!crypto::ed25519_verify(e.auth_key, establish_intro_signed_part(e), e.signature))
        return fail(Errc::BadSignature,
                    "ESTABLISH_INTRO signature does not verify with its introduction key");
    return e;
}

Status check_establish_intro_binding(const EstablishIntro& e, const CircuitBinding& this_circuit) {
    // Public values for the introduction point, which knows both; no need
    // for a constant-time comparison.
    if (e.circuit_binding != this_circuit)
        return fail(Errc::BadIdentity, "ESTABLISH_INTRO was made for another circuit");
    return {};
}

// --- INTRO_ESTABLISHED ----------------------------------------------------

Bytes encode_intro_established() {
    return Bytes{0};
}

Status decode_intro_established(ByteView in) {
    if (in.empty()) return fail(Errc::Truncated, "INTRO_ESTABLISHED has no status byte");
    if (in.size() != 1)
        return fail(Errc::Malformed,
                    "INTRO_ESTABLISHED body must be 1 byte, got " + std::to_string(in.size()));
    if (in[0] != 0)
        return fail(Errc::Malformed,
                    "INTRO_ESTABLISHED status " + std::to_string(in[0]) + " is not defined");
    return {};
}

// --- INTRODUCE1 / INTRODUCE2 ----------------------------------------------

Result<Bytes> encode_introduce(const Introduce& m) {
    if (m.encrypted.size() < kMinIntroduceEncryptedLen ||
        m.encrypted.size() > kMaxIntroduceEncryptedLen)
        return fail(Errc::TooLarge, "INTRODUCE encrypted part must be " +
                                        std::to_string(kMinIntroduceEncryptedLen) + ".." +
                                        std::to_string(kMaxIntroduceEncryptedLen) + " bytes, got " +
                                        std::to_string(m.encrypted.size()));
    wire::Writer w(kIntroduceHeaderLen + m.encrypted.size());
    w.fixed(m.auth_key_id).fixed(m.client_key).bytes(m.encrypted);
    return w.take();
}

Result<Introduce> decode_introduce(ByteView in) {
    if (in.size() > kMaxIntroBodyLen)
        return fail(Errc::TooLarge, "INTRODUCE body of " + std::to_string(in.size()) +
                                        " bytes exceeds a relay cell");
    wire::Reader r(in);
    Introduce m;
    auto id = r.fixed<AuthKeyId>();
    if (!id) return pass(id);
    m.auth_key_id = *id;
    auto x = r.fixed<crypto::X25519PublicKey>();
    if (!x) return pass(x);
    m.client_key = *x;
    auto rest = r.rest();
    if (rest.size() < kMinIntroduceEncryptedLen)
        return fail(Errc::Truncated, "INTRODUCE encrypted part of " + std::to_string(rest.size()) +
                                         " bytes is shorter than its tag");
    m.encrypted.assign(rest.begin(), rest.end());
    return m;
}

// --- INTRODUCE_ACK --------------------------------------------------------

Bytes encode_introduce_ack(IntroduceAckStatus s) {
    return Bytes{static_cast<std::uint8_t>(s)};
}

Result<IntroduceAckStatus> decode_introduce_ack(ByteView in) {
    if (in.empty()) return fail(Errc::Truncated, "INTRODUCE_ACK has no status byte");
    if (in.size() != 1)
        return fail(Errc::Malformed,
                    "INTRODUCE_ACK body must be 1 byte, got " + std::to_string(in.size()));
    switch (static_cast<IntroduceAckStatus>(in[0])) {
        case IntroduceAckStatus::Forwarded:
        case IntroduceAckStatus::UnknownAuthKey:
            return static_cast<IntroduceAckStatus>(in[0]);
    }
    return fail(Errc::Malformed,
                "INTRODUCE_ACK status " + std::to_string(in[0]) + " is not defined");
}

// --- Rendezvous -----------------------------------------------------------

Bytes encode_establish_rendezvous(const RendezvousCookie& cookie) {
    return Bytes(cookie.bytes.begin(), cookie.bytes.end());
}

Result<RendezvousCookie> decode_establish_rendezvous(ByteView in) {
    return decode_exact<RendezvousCookie>(in, "ESTABLISH_RENDEZVOUS");
}

Bytes encode_rendezvous_established() {
    return {};
}

Status decode_rendezvous_established(ByteView in) {
    if (!in.empty())
        return fail(Errc::Malformed, "RENDEZVOUS_ESTABLISHED must be empty, got " +
                                         std::to_string(in.size()) + " bytes");
    return {};
}

Bytes encode_rendezvous1(const Rendezvous1& m) {
    wire::Writer w(kRendezvous1Len);
    w.fixed(m.cookie).fixed(m.reply);
    return w.take();
}

Result<Rendezvous1> decode_rendezvous1(ByteView in) {
    if (in.size() > kRendezvous1Len)
        return fail(Errc::Malformed, "RENDEZVOUS1 body of " + std::to_string(in.size()) +
                                         " bytes, expected " + std::to_string(kRendezvous1Len));
    wire::Reader r(in);
    Rendezvous1 m;
    auto cookie = r.fixed<RendezvousCookie>();
    if (!cookie) return pass(cookie);
    m.cookie = *cookie;
    auto reply = r.fixed<HandshakeReply>();
    if (!reply) return pass(reply);
    m.reply = *reply;
    return m;
}

Bytes encode_rendezvous2(const HandshakeReply& reply) {
    return Bytes(reply.bytes.begin(), reply.bytes.end());
}

Result<HandshakeReply> decode_rendezvous2(ByteView in) {
    return decode_exact<HandshakeReply>(in, "RENDEZVOUS2");
}

}  // namespace sotto::hs
