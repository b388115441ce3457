#include "core/onion/relay_crypto.hpp"

#include <algorithm>

#include "core/wire/relay_cell.hpp"

namespace sotto::onion {

namespace {
constexpr std::size_t kDigestLen = 4;
constexpr std::size_t kDig = wire::kRelayDigestOffset;
constexpr std::size_t kRec = wire::kRelayRecognizedOffset;
}  // namespace

Result<HopCrypto> HopCrypto::create(const HopKeys& keys) {
    auto f = crypto::AesCtr::create(keys.forward_key.view());
    auto b = crypto::AesCtr::create(keys.backward_key.view());
    if (!f || !b) return fail(Errc::Crypto, "relay cipher setup failed");
    HopCrypto h(std::move(*f), std::move(*b));
    h.forward_digest_.update(keys.forward_digest.view());
    h.backward_digest_.update(keys.backward_digest.view());
    return h;
}

void HopCrypto::seal(crypto::RunningDigest& d, CellPayload& p) {
    std::fill_n(p.begin() + kDig, kDigestLen, 0);
    d.update(p);
    auto dig = d.peek();
    std::copy_n(dig.bytes.begin(), kDigestLen, p.begin() + kDig);
}

bool HopCrypto::check(crypto::RunningDigest& d, crypto::RunningDigest& scratch, CellPayload& p) {
    if (p[kRec] != 0 || p[kRec + 1] != 0) return false;
    std::array<std::uint8_t, kDigestLen> received;
    std::copy_n(p.begin() + kDig, kDigestLen, received.begin());
    std::fill_n(p.begin() + kDig, kDigestLen, 0);
    // Try on a copy: a cell that only looks recognised (2^-16 chance) must
    // not advance the running digest.
    d.copy_to(scratch);
    scratch.update(p);
    auto dig = scratch.peek();
    if (!std::equal(received.begin(), received.end(), dig.bytes.begin())) {
        std::copy(received.begin(), received.end(), p.begin() + kDig);
        return false;
    }
    std::swap(d, scratch);
    std::copy(received.begin(), received.end(), p.begin() + kDig);
    return true;
}

bool HopCrypto::relay_unwrap_forward(CellPayload& p) {
    forward_.apply(p);
    return check(forward_digest_, scratch_, p);
}

void HopCrypto::relay_originate_backward(CellPayload& p) {
    seal(backward_digest_, p);
    backward_.apply(p);
}

void HopCrypto::client_seal_forward(CellPayload& p) {
    seal(forward_digest_, p);
}

bool HopCrypto::client_unwrap_backward(CellPayload& p) {
    backward_.apply(p);
    return check(backward_digest_, scratch_, p);
}

void client_encrypt_forward(std::span<HopCrypto> hops, std::size_t target, CellPayload& p) {
    hops[target].client_seal_forward(p);
    for (std::size_t i = target + 1; i-- > 0;) hops[i].client_wrap_forward(p);
}

std::optional<std::size_t> client_decrypt_backward(std::span<HopCrypto> hops, CellPayload& p) {
    for (std::size_t i = 0; i < hops.size(); ++i)
        if (hops[i].client_unwrap_backward(p)) return i;
    return std::nullopt;
}

}  // namespace sotto::onion
