// Layered relay-cell encryption and integrity (tor-spec §6.1, "tor1"
// relay crypto, with SHA-256 running digests and AES-128-CTR).
//
// Each hop shares with the client one AES-CTR stream and one running digest
// per direction. The client encrypts a forward cell once per hop, innermost
// layer for the target hop; each relay strips one layer and checks whether
// the cell is for it: `recognized` is zero and the 4-byte digest matches its
// running digest over the cell (digest field zeroed). Backward cells get one
// layer per hop on the way and the client peels until a hop recognises it.
//
// Known weaknesses, accepted as in Tor's tor1 design and documented in
// docs/protocol.md: CTR mode is malleable and integrity is only checked by
// the recognising hop, so a malicious first and last hop can tag cells
// (the tagging attack); the 4-byte digest allows a 2^-32 forgery chance per
// cell, after which the circuit is torn down anyway.
#pragma once

#include <array>
#include <optional>
#include <span>

#include "core/crypto/aes_ctr.hpp"
#include "core/crypto/hash.hpp"
#include "core/onion/circuit_keys.hpp"
#include "core/wire/cell.hpp"

namespace sotto::onion {

using CellPayload = std::array<std::uint8_t, wire::kCellPayloadLen>;

class HopCrypto {
  public:
    static Result<HopCrypto> create(const HopKeys& keys);

    // Relay side, forward direction: removes this hop's layer; true when the
    // cell is addressed to this hop (recognized and digest match; the
    // running digest then includes it).
    bool relay_unwrap_forward(CellPayload& p);
    // Relay side, backward: adds this hop's layer to a cell from further out.
    void relay_wrap_backward(CellPayload& p) { backward_.apply(p); }
    // Relay side: seals a cell this hop originates towards the client.
    void relay_originate_backward(CellPayload& p);

    // Client side, forward: sets the digest for this (target) hop.
    void client_seal_forward(CellPayload& p);
    // Client side: one layer on (forward) or off (backward).
    void client_wrap_forward(CellPayload& p) { forward_.apply(p); }
    // Client side, backward: removes this hop's layer; true when recognised.
    bool client_unwrap_backward(CellPayload& p);

    HopCrypto(HopCrypto&&) noexcept = default;
    HopCrypto& operator=(HopCrypto&&) noexcept = default;

  private:
    HopCrypto(crypto::AesCtr f, crypto::AesCtr b)
        : forward_(std::move(f)), backward_(std::move(b)) {}
    static void seal(crypto::RunningDigest& d, CellPayload& p);
    static bool check(crypto::RunningDigest& d, crypto::RunningDigest& scratch, CellPayload& p);

    crypto::AesCtr forward_;
    crypto::AesCtr backward_;
    crypto::RunningDigest forward_digest_;
    crypto::RunningDigest backward_digest_;
    crypto::RunningDigest scratch_;
};

// Client side over a whole path (hops[0] is the first relay).
// Encrypts a cell for hop `target`: digest for the target, then a layer for
// each hop from the target back to the first.
void client_encrypt_forward(std::span<HopCrypto> hops, std::size_t target, CellPayload& p);
// Peels layers until a hop recognises the cell; returns its index, or
// nothing when no hop does (a corrupt or forged cell: tear the circuit down).
std::optional<std::size_t> client_decrypt_backward(std::span<HopCrypto> hops, CellPayload& p);

}  // namespace sotto::onion
