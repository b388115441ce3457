#include "core/onion/ntor.hpp"

#include <cstdlib>

#include "core/crypto/kdf.hpp"
#include "core/wire/reader.hpp"

namespace sotto::onion {

namespace {

constexpr std::string_view kProtoId = "sotto-ntor-x25519-sha3-1";
constexpr std::string_view kTMac = "sotto-ntor-x25519-sha3-1:mac";
constexpr std::string_view kTKey = "sotto-ntor-x25519-sha3-1:key_extract";
constexpr std::string_view kTVerify = "sotto-ntor-x25519-sha3-1:verify";
constexpr std::string_view kMExpand = "sotto-ntor-x25519-sha3-1:key_expand";
constexpr std::string_view kFastInfo = "sotto-fast-1:key_expand";

struct NtorOutput {
    SecretBytes key_seed;
    Bytes auth;
};

// The part both sides compute identically once they hold the two DH results.
Result<NtorOutput> ntor_core(ByteView xy, ByteView xb, const crypto::Ed25519PublicKey& id,
                             const crypto::X25519PublicKey& b, const crypto::X25519PublicKey& x,
                             const crypto::X25519PublicKey& y) {
    SecretBytes secret_input(xy.size() + xb.size() + 32 * 4 + kProtoId.size());
    auto* p = secret_input.data();
    for (ByteView part : {xy, xb, id.view(), b.view(), x.view(), y.view(), as_bytes(kProtoId)}) {
        std::copy(part.begin(), part.end(), p);
        p += part.size();
    }
    auto seed = crypto::hmac_sha3_256(as_bytes(kTKey), secret_input.view());
    auto verify = crypto::hmac_sha3_256(as_bytes(kTVerify), secret_input.view());
    if (!seed || !verify) return fail(Errc::Crypto, "ntor HMAC failed");
    wire::Writer auth_input;
    auth_input.bytes(*verify)
        .fixed(id)
        .fixed(b)
        .fixed(y)
        .fixed(x)
        .bytes(as_bytes(kProtoId))
        .bytes(as_bytes("Server"));
    auto auth = crypto::hmac_sha3_256(as_bytes(kTMac), auth_input.data());
    secure_wipe(verify->data(), verify->size());
    if (!auth) return fail(Errc::Crypto, "ntor HMAC failed");
    NtorOutput out{SecretBytes(ByteView(*seed)), std::move(*auth)};
    secure_wipe(seed->data(), seed->size());
    return out;
}

Result<HopKeys> expand(ByteView seed, std::string_view info) {
    auto km =
        crypto::hkdf(crypto::HkdfHash::Sha3_256, seed, {}, as_bytes(info), kHopKeyMaterialLen);
    if (!km) return std::unexpected(km.error());
    return split_hop_keys(km->view());
}

}  // namespace

crypto::Digest256 circuit_binding(const HopKeys& keys) {
    return crypto::sha3_256_parts(
        {as_bytes("sotto-circuit-binding"), keys.forward_digest.view(), keys.backward_digest.view()});
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
    auto out = ntor_core(xy->view(), xb->view(), id_, b_, x_->public_key(), y);
    x_.reset();  // forward secrecy: the ephemeral key is gone once used
    if (!out) return std::unexpected(out.error());
    if (!ct_equal(out->auth, reply.subspan(32, 32)))
        return fail(Errc::BadSignature, "ntor: relay failed to prove it holds its onion key");
    return expand(out->key_seed.view(), kMExpand);
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
    auto out = ntor_core(xy->view(), xb->view(), id, onion.public_key(), x, y.public_key());
    if (!out) return std::unexpected(out.error());
    ServerHandshakeResult r;
    wire::Writer w(kNtorReplyLen);
    w.fixed(y.public_key()).bytes(out->auth);
    r.reply = w.take();
    auto keys = expand(out->key_seed.view(), kMExpand);
    if (!keys) return std::unexpected(keys.error());
    r.keys = std::move(*keys);
    return r;
}

}  // namespace sotto::onion
