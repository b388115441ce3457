#include "core/session/session_keys.hpp"

#include <cstdlib>

#include "core/crypto/kdf.hpp"

namespace sotto::session {

namespace {

constexpr std::string_view kPrologueLabel = "sotto-session-v1";
constexpr std::string_view kPskLabel = "sotto-invite-psk-v1";
constexpr std::string_view kInvitePairwiseLabel = "sotto-invite-pairwise-v1";

// HKDF-SHA-256 with an empty salt; 32 bytes.
Secret<32> derive(ByteView ikm, std::string_view label) {
    auto out = crypto::hkdf(crypto::HkdfHash::Sha256, ikm, ByteView{}, as_bytes(label), 32);
    // HKDF of 32 bytes fails only when OpenSSL itself is broken.
    if (!out) std::abort();
    return Secret<32>(out->view());
}

}  // namespace

Bytes session_prologue(ByteView network_id) {
    const ByteView label = as_bytes(kPrologueLabel);
    Bytes p;
    p.reserve(label.size() + network_id.size());
    p.insert(p.end(), label.begin(), label.end());
    p.insert(p.end(), network_id.begin(), network_id.end());
    return p;
}

Secret<32> invite_psk(ByteView invite_secret) {
    return derive(invite_secret, kPskLabel);
}

crypto::Ed25519SecretKey invite_pairwise_key(ByteView pairwise_seed) {
    auto seed = derive(pairwise_seed, kInvitePairwiseLabel);
    auto key = crypto::Ed25519SecretKey::from_seed(seed.view());
    if (!key) std::abort();  // any 32 bytes are a seed
    return std::move(*key);
}

}  // namespace sotto::session
