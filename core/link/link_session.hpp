// One authenticated, encrypted link between two onion nodes, sans-I/O: bytes
// from the transport go in, cells come out, and cells to send come out as
// bytes for the transport. This is the "TLS link" of tor-spec §2, built as a
// small Noise-like pattern instead of TLS so that it runs deterministically in
// the simulator (all randomness comes from the injected Rng).
//
// Handshake (the initiator knows the responder's Ed25519 identity from the
// consensus or the network file; the responder learns nothing about the
// initiator, who may be an anonymous client):
//   msg1 I->R: "SOTTOLNK" | version(1) | e_i(32)
//   msg2 R->I: e_r(32) | AEAD(k_hs, 0, h, identity(32) | Ed25519-sig(64))
// with ss = X25519(e_i, e_r), h = SHA3-256 transcript, and the signature over
// "sotto-link-v1 responder" | h. The initiator refuses a responder whose
// identity differs from the one it expected. After that, records:
//   length(2) | ChaCha20-Poly1305(k_dir, counter, cells...)
// where the plaintext is 1..32 whole cells. See docs/protocol.md.
#pragma once

#include <deque>
#include <optional>

#include "core/crypto/aead.hpp"
#include "core/crypto/ed25519.hpp"
#include "core/crypto/x25519.hpp"
#include "core/util/error.hpp"
#include "core/util/rng.hpp"
#include "core/util/time.hpp"
#include "core/wire/cell.hpp"

namespace sotto::link {

struct LinkConfig {
    Duration handshake_timeout = Duration::seconds(10);
    // A PADDING cell is sent when nothing was sent for this long.
    Duration keepalive_interval = Duration::seconds(60);
    // The link closes when nothing arrived for this long.
    Duration idle_timeout = Duration::minutes(5);
    std::size_t max_cells_per_record = 32;
};

enum class LinkState { Handshaking, Open, Closed };

class LinkSession {
  public:
    static LinkSession initiator(const crypto::Ed25519PublicKey& expected_identity, Rng& rng,
                                 TimePoint now, LinkConfig config = {});
    // `identity` must outlive the session (it is owned by the node).
    static LinkSession responder(const crypto::Ed25519SecretKey& identity, Rng& rng, TimePoint now,
                                 LinkConfig config = {});

    LinkSession(LinkSession&&) noexcept;
    LinkSession& operator=(LinkSession&&) noexcept;
    ~LinkSession();

    // Bytes read from the transport, in any fragmentation. On an error the
    // session becomes Closed, the error is kept in close_reason(), and the
    // caller drops the transport.
    Status receive(ByteView bytes, TimePoint now);
    // Cells received, in order.
    std::optional<wire::Cell> pop_cell();
    // Queues a cell. Cells queued before the handshake finishes are sent
    // once it does.
    void send(const wire::Cell& cell);
    // Appends everything ready for the transport (handshake messages and
    // records, batching queued cells up to max_cells_per_record per record).
    void take_output(Bytes& out, TimePoint now);
    bool has_output() const;

    // Keepalives, idle and handshake timeouts.
    void on_timer(TimePoint now);
    TimePoint next_deadline() const;

    LinkState state() const;
    const std::optional<Error>& close_reason() const;
    // The verified identity of the responder (on the initiator side, once Open).
    const crypto::Ed25519PublicKey& peer_identity() const;
    bool is_initiator() const;
    // Cells queued but not yet turned into bytes (for back-pressure).
    std::size_t queued_cells() const;

  private:
    struct Impl;
    explicit LinkSession(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace sotto::link
