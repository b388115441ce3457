#include "core/onion/ntor.hpp"

#include <cstdlib>

#include "core/crypto/kdf.hpp"
#include "core/wire/reader.hpp"

namespace sotto::onion {

namespace {

constexpr std::string_view kProtoId = "sotto-ntor-x25519-sha3-1";
constexpr std::string_view kFastInfo = "sotto-fast-1:key_expand";

Result<HopKeys> expand(ByteView seed, std::string_view info) {
    auto km =
        crypto::hkdf(crypto::HkdfHash::Sha3_256, seed, {}, as_bytes(info), kHopKeyMaterialLen);
    if (!km) return std::unexpected(km.error());
    return split_hop_keys(km->view());
}

std::string label(std::string_view proto_id, std::string_view suffix) {
    return std::string(proto_id) + std::string(suffix);
}

}  // namespace

Result<NtorSecrets> ntor_derive(std::string_view proto_id,
                                std::initializer_list<ByteView> secret_parts,
                                std::initializer_list<ByteView> auth_parts) {
    std::size_t n = proto_id.size();
    for (auto part : secret_parts) n += part.size();
    SecretBytes secret_input(n);
    auto* p = secret_input.data();
    for (auto part : secret_parts) p = std::copy(part.begin(), part.end(), p);
    std::copy(proto_id.begin(), proto_id.end(), p);
    auto seed =
        crypto::hmac_sha3_256(as_bytes(label(proto_id, ":key_extract")), secret_input.view());
    auto verify = crypto::hmac_sha3_256(as_bytes(label(proto_id, ":verify")), secret_input.view());
    if (!seed || !verify) return fail(Errc::Crypto, "ntor HMAC failed");
    wire::Writer auth_input;
    auth_input.bytes(*verify);
    for (auto part : auth_parts) auth_input.bytes(part);
    auth_input.bytes(as_bytes(proto_id)).bytes(as_bytes("Server"));
    auto auth = crypto::hmac_sha3_256(as_bytes(label(proto_id, ":mac")), auth_input.data());
    secure_wipe(verify->data(), verify->size());
    if (!auth) return fail(Errc::Crypto, "ntor HMAC failed");
    NtorSecrets out{SecretBytes(ByteView(*seed)), std::move(*auth)};
    secure_wipe(seed->data(), seed->size());
    return out;
}

Result<HopKeys> ntor_expand(std::string_view proto_id, ByteView key_seed) {
    return expand(key_seed, label(proto_id, ":key_expand"));
}

crypto::Digest256 circuit_binding(const HopKeys& keys) {
    return crypto::sha3_256_parts({as_bytes("sotto-circuit-binding"), keys.forward_digest.view(),
                                   keys.backward_digest.view()});
}

HopKeys split_hop_keys(ByteView m) {
    HopKeys k;
    k.forward_digest = Secret<32>(m.subspan(0, 32));
    k.backward_digest = Secret<32>(m.subspan(32, 32));
    k.forward_key = Secret<16>(m.subspan(64, 16));
    k.backward_key = Secret<16>(m.subspan(80, 16));
    return k;
}

ClientHandshake ClientHandshake::ntor(const crypto::Ed25519PublicKey& relay_id,
                                      const crypto::X25519PublicKey& onion_key, Rng& rng) {
    ClientHandshake h;
    h.type_ = kHandshakeNtor;
    h.id_ = relay_id;
    h.b_ = onion_key;
    h.x_ = crypto::X25519SecretKey::generate(rng);
    wire::Writer w(kNtorRequestLen);
    w.fixed(relay_id).fixed(onion_key).fixed(h.x_->public_key());
    h.request_ = w.take();
    return h;
}

ClientHandshake ClientHandshake::fast(Rng& rng) {
    ClientHandshake h;
    h.type_ = kHandshakeFast;
    rng.fill(h.fast_x_.mut());
    h.request_.assign(h.fast_x_.view().begin(), h.fast_x_.view().end());
    return h;
}

Result<HopKeys> ClientHandshake::finish(ByteView reply) {
    if (type_ == kHandshakeFast) {
        if (reply.size() != kFastLen) return fail(Errc::Malformed, "fast handshake reply size");
        Secret<64> ikm;
        std::copy(fast_x_.view().begin(), fast_x_.view().end(), ikm.data());
        std::copy(reply.begin(), reply.end(), ikm.data() + 32);
        return expand(ikm.view(), kFastInfo);
    }
    if (reply.size() != kNtorReplyLen || !x_)
        return fail(Errc::Malformed, "ntor reply must be 64 bytes");
    auto y = crypto::X25519PublicKey::from(reply.first(32));
    auto xy = x_->agree(y);
    auto xb = x_->agree(b_);
    if (!xy || !xb) return fail(Errc::Crypto, "ntor: relay sent an invalid key");
    const auto x = x_->public_key();
    auto out =
        ntor_derive(kProtoId, {xy->view(), xb->view(), id_.view(), b_.view(), x.view(), y.view()},
                    {id_.view(), b_.view(), y.view(), x.view()});
    x_.reset();  // forward secrecy: the ephemeral key is gone once used
    if (!out) return std::unexpected(out.error());
    if (!ct_equal(out->auth, reply.subspan(32, 32)))
        return fail(Errc::BadSignature, "ntor: relay failed to prove it holds its onion key");
    return ntor_expand(kProtoId, out->key_seed.view());
}

Result<ServerHandshakeResult> server_handshake(std::uint16_t type, ByteView request,
                                               const crypto::Ed25519PublicKey& id,
                                               const crypto::X25519SecretKey& onion, Rng& rng) {
    if (type == kHandshakeFast) {
        if (request.size() != kFastLen) return fail(Errc::Malformed, "fast handshake size");
        ServerHandshakeResult r;
        r.reply = rng.bytes(kFastLen);
        Secret<64> ikm;
        std::copy(request.begin(), request.end(), ikm.data());
        std::copy(r.reply.begin(), r.reply.end(), ikm.data() + 32);
        auto keys = expand(ikm.view(), kFastInfo);
        if (!keys) return std::unexpected(keys.error());
        r.keys = std::move(*keys);
        return r;
    }
    if (type != kHandshakeNtor)
        return fail(Errc::BadVersion, "unknown handshake type " + std::to_string(type));
    if (request.size() != kNtorRequestLen) return fail(Errc::Malformed, "ntor request size");
    auto req_id = crypto::Ed25519PublicKey::from(request.first(32));
    auto req_b = crypto::X25519PublicKey::from(request.subspan(32, 32));
    auto x = crypto::X25519PublicKey::from(request.subspan(64, 32));
    if (req_id != id || req_b != onion.public_key())
        return fail(Errc::BadIdentity, "ntor request is for another relay or an old onion key");
    auto y = crypto::X25519SecretKey::generate(rng);
    auto xy = y.agree(x);
    auto xb = onion.agree(x);
    if (!xy || !xb) return fail(Errc::Crypto, "ntor: client sent an invalid key");
    const auto& b = onion.public_key();
    const auto& yp = y.public_key();
    auto out =
        ntor_derive(kProtoId, {xy->view(), xb->view(), id.view(), b.view(), x.view(), yp.view()},
                    {id.view(), b.view(), yp.view(), x.view()});
    if (!out) return std::unexpected(out.error());
    ServerHandshakeResult r;
    wire::Writer w(kNtorReplyLen);
    w.fixed(y.public_key()).bytes(out->auth);
    r.reply = w.take();
    auto keys = ntor_expand(kProtoId, out->key_seed.view());
    if (!keys) return std::unexpected(keys.error());
    r.keys = std::move(*keys);
    return r;
}

}  // namespace sotto::onion
