#include "core/session/noise.hpp"

#include <limits>

#include "core/crypto/aead.hpp"
#include "core/crypto/hash.hpp"
#include "core/crypto/kdf.hpp"

namespace sotto::session::noise {

namespace {

using enum Token;

struct BasePattern {
    std::string_view name;
    bool initiator_static_known;
    bool responder_static_known;
    std::vector<std::vector<Token>> messages;
};

// The interactive patterns of the spec's §7.4-§7.5.
const std::vector<BasePattern>& base_patterns() {
    static const std::vector<BasePattern> all = {
        {"NN", false, false, {{E}, {E, EE}}},
        {"NK", false, true, {{E, ES}, {E, EE}}},
        {"NX", false, false, {{E}, {E, EE, S, ES}}},
        {"XN", false, false, {{E}, {E, EE}, {S, SE}}},
        {"XK", false, true, {{E, ES}, {E, EE}, {S, SE}}},
        {"XX", false, false, {{E}, {E, EE, S, ES}, {S, SE}}},
        {"KN", true, false, {{E}, {E, EE, SE}}},
        {"KK", true, true, {{E, ES, SS}, {E, EE, SE}}},
        {"KX", true, false, {{E}, {E, EE, SE, S, ES}}},
        {"IN", false, false, {{E, S}, {E, EE, SE}}},
        {"IK", false, true, {{E, ES, S, SS}, {E, EE, SE}}},
        {"IX", false, false, {{E, S}, {E, EE, SE, S, ES}}},
    };
    return all;
}

// HKDF of the spec's §4.3 with HMAC-SHA-256: output i is
// HMAC(temp_key, output i-1 | i), for two or three outputs.
Status noise_hkdf(ByteView ck, ByteView ikm, Secret<32>& o1, Secret<32>& o2, Secret<32>* o3) {
    auto temp = crypto::hmac_sha256(ck, ikm);
    if (!temp) return std::unexpected(temp.error());
    Secret<32>* outs[] = {&o1, &o2, o3};
    std::array<std::uint8_t, 33> buf{};
    std::size_t len = 0;  // the previous output, then the counter byte
    for (std::uint8_t i = 1; i <= 3 && outs[i - 1] != nullptr; ++i) {
        buf[len] = i;
        auto out = crypto::hmac_sha256(temp->view(), ByteView(buf).first(len + 1));
        if (!out) {
            secure_wipe(buf.data(), buf.size());
            return std::unexpected(out.error());
        }
        std::copy_n(out->data(), 32, buf.data());
        len = 32;
        *outs[i - 1] = std::move(*out);
    }
    secure_wipe(buf.data(), buf.size());
    return {};
}

}  // namespace

bool HandshakePattern::psk_mode() const {
    for (auto& m : messages)
        for (auto t : m)
            if (t == Psk) return true;
    return false;
}

Result<HandshakePattern> pattern_by_name(std::string_view name) {
    for (auto& base : base_patterns()) {
        if (!name.starts_with(base.name)) continue;
        HandshakePattern p{std::string(name), base.initiator_static_known,
                           base.responder_static_known, base.messages};
        std::string_view mods = name.substr(base.name.size());
        bool first = true;
        while (!mods.empty()) {
            if (!first) {
                if (mods.front() != '+') return fail(Errc::Malformed, "bad Noise pattern name");
                mods.remove_prefix(1);
            }
            first = false;
            if (!mods.starts_with("psk") || mods.size() < 4)
                return fail(Errc::Malformed, "unknown Noise pattern modifier");
            const char d = mods[3];
            mods.remove_prefix(4);
            if (d < '0' || d > '9') return fail(Errc::Malformed, "bad psk modifier");
            const std::size_t at = static_cast<std::size_t>(d - '0');
            // psk0 opens the first message; pskN (N >= 1) ends message N.
            if (at == 0) {
                p.messages[0].insert(p.messages[0].begin(), Psk);
            } else {
                if (at > p.messages.size()) return fail(Errc::Malformed, "psk past the pattern");
                p.messages[at - 1].push_back(Psk);
            }
        }
        return p;
    }
    return fail(Errc::Malformed, "unknown Noise pattern");
}

// ---------------------------------------------------------------- CipherState

void CipherState::initialize_key(ByteView key32) {
    k_ = Secret<32>(key32);
    has_key_ = true;
    n_ = 0;
}

Status CipherState::encrypt_with_ad(ByteView ad, ByteView plaintext, Bytes& out) {
    if (!has_key_) {
        out.insert(out.end(), plaintext.begin(), plaintext.end());
        return {};
    }
    // 2^64 - 1 is reserved (§5.1); a stream never gets near it.
    if (n_ == std::numeric_limits<std::uint64_t>::max())
        return fail(Errc::Limit, "session nonce exhausted");
    crypto::AeadKey key(k_.view());
    if (auto ok = crypto::aead_seal_append(key, crypto::nonce_from_counter(n_), ad, plaintext, out);
        !ok)
        return ok;
    ++n_;
    return {};
}

Result<Bytes> CipherState::decrypt_with_ad(ByteView ad, ByteView ciphertext) {
    if (!has_key_) return Bytes(ciphertext.begin(), ciphertext.end());
    if (n_ == std::numeric_limits<std::uint64_t>::max())
        return fail(Errc::Limit, "session nonce exhausted");
    crypto::AeadKey key(k_.view());
    auto plain = crypto::aead_open(key, crypto::nonce_from_counter(n_), ad, ciphertext);
    if (!plain) return plain;
    ++n_;
    return plain;
}

// ---------------------------------------------------------------- HandshakeState

Result<HandshakeState> HandshakeState::initialize(HandshakePattern pattern, bool initiator,
                                                  ByteView prologue, HandshakeKeys keys, Rng& rng) {
    HandshakeState hs(rng);
    hs.initiator_ = initiator;
    hs.s_ = std::move(keys.s);
    hs.rs_ = keys.rs;
    hs.fixed_e_ = std::move(keys.e);
    hs.psks_ = std::move(keys.psks);
    hs.pattern_ = std::move(pattern);
    hs.psk_mode_ = hs.pattern_.psk_mode();

    std::size_t psk_tokens = 0;
    bool needs_s = false;
    for (std::size_t i = 0; i < hs.pattern_.messages.size(); ++i) {
        const bool ours = (i % 2 == 0) == initiator;
        for (auto t : hs.pattern_.messages[i]) {
            if (t == Psk) ++psk_tokens;
            if (t == S && ours) needs_s = true;
        }
    }
    const bool our_pre =
        initiator ? hs.pattern_.initiator_static_known : hs.pattern_.responder_static_known;
    const bool their_pre =
        initiator ? hs.pattern_.responder_static_known : hs.pattern_.initiator_static_known;
    if ((our_pre || needs_s) && !hs.s_)
        return fail(Errc::Config, "this Noise pattern needs our static key");
    if (their_pre && !hs.rs_)
        return fail(Errc::Config, "this Noise pattern needs the peer's static key");
    if (!their_pre && hs.rs_)
        return fail(Errc::Config, "this Noise pattern learns the peer's static key itself");
    if (hs.psks_.size() != psk_tokens)
        return fail(Errc::Config, "wrong number of pre-shared keys for this Noise pattern");

    const std::string protocol = "Noise_" + hs.pattern_.name + "_25519_ChaChaPoly_SHA256";
    if (protocol.size() <= kHashLen) {
        std::array<std::uint8_t, kHashLen> padded{};
        std::copy(protocol.begin(), protocol.end(), padded.begin());
        hs.h_ = Secret<32>(padded);
    } else {
        hs.h_ = Secret<32>(crypto::sha256(as_bytes(protocol)).view());
    }
    hs.ck_ = hs.h_.clone();
    hs.mix_hash(prologue);
    // Pre-messages: the initiator's first, then the responder's (§5.3).
    if (hs.pattern_.initiator_static_known)
        hs.mix_hash(initiator ? hs.s_->public_key().view() : hs.rs_->view());
    if (hs.pattern_.responder_static_known)
        hs.mix_hash(initiator ? hs.rs_->view() : hs.s_->public_key().view());
    return hs;
}

bool HandshakeState::our_turn() const {
    return !failed_ && !finished() && (next_ % 2 == 0) == initiator_;
}

void HandshakeState::mix_hash(ByteView data) {
    Bytes buf;
    buf.reserve(kHashLen + data.size());
    buf.insert(buf.end(), h_.view().begin(), h_.view().end());
    buf.insert(buf.end(), data.begin(), data.end());
    h_ = Secret<32>(crypto::sha256(buf).view());
}

Status HandshakeState::mix_key(ByteView ikm) {
    Secret<32> ck, k;
    if (auto ok = noise_hkdf(ck_.view(), ikm, ck, k, nullptr); !ok) return ok;
    ck_ = std::move(ck);
    cs_.initialize_key(k.view());
    return {};
}

Status HandshakeState::mix_key_and_hash(ByteView ikm) {
    Secret<32> ck, th, k;
    if (auto ok = noise_hkdf(ck_.view(), ikm, ck, th, &k); !ok) return ok;
    ck_ = std::move(ck);
    mix_hash(th.view());
    cs_.initialize_key(k.view());
    return {};
}

Status HandshakeState::encrypt_and_hash(ByteView plaintext, Bytes& out) {
    const std::size_t at = out.size();
    if (auto ok = cs_.encrypt_with_ad(h_.view(), plaintext, out); !ok) return ok;
    mix_hash(ByteView(out).subspan(at));
    return {};
}

Result<Bytes> HandshakeState::decrypt_and_hash(ByteView ciphertext) {
    auto plain = cs_.decrypt_with_ad(h_.view(), ciphertext);
    if (!plain) return plain;
    mix_hash(ciphertext);
    return plain;
}

Status HandshakeState::dh_token(Token t) {
    const crypto::X25519SecretKey* ours = nullptr;
    const crypto::X25519PublicKey* theirs = nullptr;
    // ES is DH(initiator's e, responder's s); SE the other way round.
    switch (t) {
        case EE:
            ours = e_ ? &*e_ : nullptr;
            theirs = re_ ? &*re_ : nullptr;
            break;
        case SS:
            ours = s_ ? &*s_ : nullptr;
            theirs = rs_ ? &*rs_ : nullptr;
            break;
        case ES:
            ours = initiator_ ? (e_ ? &*e_ : nullptr) : (s_ ? &*s_ : nullptr);
            theirs = initiator_ ? (rs_ ? &*rs_ : nullptr) : (re_ ? &*re_ : nullptr);
            break;
        case SE:
            ours = initiator_ ? (s_ ? &*s_ : nullptr) : (e_ ? &*e_ : nullptr);
            theirs = initiator_ ? (re_ ? &*re_ : nullptr) : (rs_ ? &*rs_ : nullptr);
            break;
        default:
            return fail(Errc::Protocol, "not a DH token");
    }
    if (ours == nullptr || theirs == nullptr)
        return fail(Errc::Protocol, "Noise DH before both keys are known");
    auto shared = ours->agree(*theirs);
    if (!shared) return std::unexpected(shared.error());
    return mix_key(shared->view());
}

// The E token, either side: the ephemeral key goes into h, and in a psk
// handshake into ck as well (Noise section 9.2), so a psk message cannot be
// replayed with another ephemeral.
Status HandshakeState::mix_e(ByteView e) {
    mix_hash(e);
    if (psk_mode_) return mix_key(e);
    return {};
}

Result<Bytes> HandshakeState::write_message(ByteView payload) {
    if (!our_turn()) return fail(Errc::Protocol, "not our turn to write a handshake message");
    // Any failure ends the handshake: a half-written message is never retried.
    auto failure = [&](const Error& e) -> Result<Bytes> {
        failed_ = true;
        return std::unexpected(e);
    };
    Bytes out;
    for (auto t : pattern_.messages[next_]) {
        Status ok;
        switch (t) {
            case E: {
                if (fixed_e_) {
                    e_ = std::move(*fixed_e_);
                    fixed_e_.reset();
                } else {
                    e_ = crypto::X25519SecretKey::generate(*rng_);
                }
                const auto pub = e_->public_key();
                out.insert(out.end(), pub.bytes.begin(), pub.bytes.end());
                ok = mix_e(pub.view());
                break;
            }
            case S:
                ok = encrypt_and_hash(s_->public_key().view(), out);
                break;
            case Psk:
                ok = mix_key_and_hash(psks_[next_psk_++].view());
                break;
            default:
                ok = dh_token(t);
        }
        if (!ok) return failure(ok.error());
    }
    if (auto ok = encrypt_and_hash(payload, out); !ok) return failure(ok.error());
    if (out.size() > kMaxMessageLen)
        return failure(Error{Errc::TooLarge, "Noise message over 65535 bytes"});
    ++next_;
    return out;
}

Result<Bytes> HandshakeState::read_message(ByteView message) {
    if (failed_ || finished() || our_turn())
        return fail(Errc::Protocol, "not expecting a handshake message");
    auto failure = [&](Errc c, std::string m) -> Result<Bytes> {
        failed_ = true;
        return fail(c, std::move(m));
    };
    if (message.size() > kMaxMessageLen) return failure(Errc::TooLarge, "Noise message too long");
    ByteView rest = message;
    for (auto t : pattern_.messages[next_]) {
        Status ok;
        switch (t) {
            case E: {
                if (rest.size() < kDhLen)
                    return failure(Errc::Truncated, "handshake message short");
                re_ = crypto::X25519PublicKey::from(rest.first(kDhLen));
                rest = rest.subspan(kDhLen);
                ok = mix_e(re_->view());
                break;
            }
            case S: {
                const std::size_t len = kDhLen + (cs_.has_key() ? kTagLen : 0);
                if (rest.size() < len) return failure(Errc::Truncated, "handshake message short");
                auto key = decrypt_and_hash(rest.first(len));
                if (!key) return failure(Errc::BadSignature, "handshake static key did not verify");
                rs_ = crypto::X25519PublicKey::from(*key);
                rest = rest.subspan(len);
                break;
            }
            case Psk:
                ok = mix_key_and_hash(psks_[next_psk_++].view());
                break;
            default:
                ok = dh_token(t);
        }
        if (!ok) return failure(ok.error().code, ok.error().message);
    }
    if (cs_.has_key() && rest.size() < kTagLen)
        return failure(Errc::Truncated, "handshake message short");
    auto payload = decrypt_and_hash(rest);
    if (!payload) return failure(Errc::BadSignature, "handshake message did not verify");
    ++next_;
    return payload;
}

Result<Split> HandshakeState::split() {
    if (failed_ || !finished()) return fail(Errc::Protocol, "the handshake is not finished");
    Secret<32> k1, k2;
    if (auto ok = noise_hkdf(ck_.view(), ByteView{}, k1, k2, nullptr); !ok)
        return std::unexpected(ok.error());
    Split out;
    // c1 carries initiator-to-responder traffic.
    (initiator_ ? out.send : out.receive).initialize_key(k1.view());
    (initiator_ ? out.receive : out.send).initialize_key(k2.view());
    ck_ = Secret<32>();
    e_.reset();
    return out;
}

}  // namespace sotto::session::noise
