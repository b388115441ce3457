#include "core/link/link_session.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "core/crypto/hash.hpp"
#include "core/crypto/kdf.hpp"
#include "core/util/log.hpp"
#include "core/wire/reader.hpp"

namespace sotto::link {

namespace {

using crypto::kAeadTagLen;
using wire::kCellLen;

constexpr std::string_view kMagic = "SOTTOLNK";
constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kMsg1Len = 8 + 1 + 32;
constexpr std::size_t kMsg2Plain = 32 + 64;
constexpr std::size_t kMsg2Len = 32 + kMsg2Plain + kAeadTagLen;
constexpr std::size_t kHeaderLen = 2;
// A protocol constant, not a setting: the receiver must accept whatever any
// correctly configured sender produces, so local config only lowers the
// sending side.
constexpr std::size_t kMaxCellsPerRecord = 32;
constexpr std::size_t kMaxSealedLen = kMaxCellsPerRecord * kCellLen + kAeadTagLen;
static_assert(kMaxSealedLen <= 0xffff);

constexpr std::string_view kTranscriptLabel = "sotto-link-v1";
constexpr std::string_view kSignLabel = "sotto-link-v1 responder";
constexpr std::string_view kHandshakeInfo = "sotto-link handshake";
constexpr std::string_view kTransportInfo = "sotto-link transport";

struct TransportKeys {
    crypto::AeadKey send;
    crypto::AeadKey recv;
};

crypto::Digest256 transcript_hash(ByteView msg1, const crypto::X25519PublicKey& e_r) {
    return crypto::sha3_256_parts({as_bytes(kTranscriptLabel), msg1, e_r.view()});
}

Result<crypto::AeadKey> handshake_key(const crypto::SharedSecret& ss, const crypto::Digest256& h) {
    auto k = crypto::hkdf(crypto::HkdfHash::Sha3_256, ss.view(), h.view(), as_bytes(kHandshakeInfo),
                          crypto::kAeadKeyLen);
    if (!k) return std::unexpected(k.error());
    return crypto::AeadKey(k->view());
}

Result<TransportKeys> transport_keys(const crypto::SharedSecret& ss, const crypto::Digest256& h,
                                     ByteView msg2, bool initiator) {
    const auto h2 = crypto::sha3_256_parts({h.view(), msg2});
    auto okm = crypto::hkdf(crypto::HkdfHash::Sha3_256, ss.view(), h2.view(),
                            as_bytes(kTransportInfo), 2 * crypto::kAeadKeyLen);
    if (!okm) return std::unexpected(okm.error());
    crypto::AeadKey i_to_r(okm->view().first(crypto::kAeadKeyLen));
    crypto::AeadKey r_to_i(okm->view().subspan(crypto::kAeadKeyLen));
    if (initiator) return TransportKeys{std::move(i_to_r), std::move(r_to_i)};
    return TransportKeys{std::move(r_to_i), std::move(i_to_r)};
}

Bytes signed_message(const crypto::Digest256& h) {
    // Built through Writer: GCC 12 at -O3 reports a false array-bounds
    // error for the equivalent vector inserts inlined here.
    wire::Writer w(kSignLabel.size() + h.size);
    w.bytes(as_bytes(kSignLabel)).bytes(h.view());
    return w.take();
}

}  // namespace

struct LinkSession::Impl {
    bool initiator = false;
    LinkConfig config;
    LinkState state = LinkState::Handshaking;
    std::optional<Error> close_reason;

    // Initiator: the identity the consensus promised. Responder: unused.
    crypto::Ed25519PublicKey expected;
    crypto::Ed25519PublicKey peer;
    const crypto::Ed25519SecretKey* identity = nullptr;

    // Present only until the transport keys exist.
    std::optional<crypto::X25519SecretKey> ephemeral;
    Bytes msg1;  // the initiator's, kept for the transcript

    crypto::AeadKey send_key;
    crypto::AeadKey recv_key;
    std::uint64_t send_counter = 0;
    std::uint64_t recv_counter = 0;

    // Handshake bytes not yet handed to the transport; they always precede
    // records.
    Bytes handshake_out;
    std::deque<wire::Cell> outgoing;
    std::deque<wire::Cell> incoming;
    // At most one frame (handshake message or header + record); a complete
    // frame in the caller's buffer bypasses it.
    Bytes partial;
    Bytes plain_scratch;

    TimePoint created;
    TimePoint last_sent;
    TimePoint last_received;

    std::unexpected<Error> close(Error e) {
        state = LinkState::Closed;
        close_reason = e;
        // Nothing may leave a closed link, in either direction: the node tears
        // down every circuit on it, so late cells would only confuse it.
        ephemeral.reset();
        send_key = crypto::AeadKey();
        recv_key = crypto::AeadKey();
        handshake_out.clear();
        outgoing.clear();
        incoming.clear();
        partial.clear();
        return std::unexpected(std::move(e));
    }
    std::unexpected<Error> close(Errc c, std::string msg) {
        return close(Error{c, std::move(msg)});
    }

    std::size_t cells_per_record() const {
        return std::clamp<std::size_t>(config.max_cells_per_record, 1, kMaxCellsPerRecord);
    }

    // Length of the frame that starts with `head`, 0 while its header is
    // incomplete. Record lengths are checked here so a bad header is refused
    // before its body is buffered.
    Result<std::size_t> frame_len(ByteView head) const {
        if (state == LinkState::Handshaking) return initiator ? kMsg2Len : kMsg1Len;
        if (head.size() < kHeaderLen) return 0;
        const std::size_t len = wire::get_u16(head.data());
        if (len > kMaxSealedLen)
            return fail(Errc::TooLarge, "link record of " + std::to_string(len) +
                                            " bytes exceeds " + std::to_string(kMaxSealedLen));
        if (len <= kAeadTagLen) return fail(Errc::Malformed, "link record carries no cells");
        if ((len - kAeadTagLen) % kCellLen != 0)
            return fail(Errc::Malformed, "link record of " + std::to_string(len) +
                                             " bytes is not a whole number of cells");
        return kHeaderLen + len;
    }

    Status process_frame(ByteView frame) {
        if (state == LinkState::Handshaking) return initiator ? on_msg2(frame) : on_msg1(frame);
        return on_record(frame.subspan(kHeaderLen));
    }

    Status on_msg1(ByteView msg1) {
        if (std::memcmp(msg1.data(), kMagic.data(), kMagic.size()) != 0)
            return close(Errc::Malformed, "peer is not speaking the Sotto link protocol");
        if (msg1[8] != kVersion)
            return close(Errc::BadVersion, "peer offered link version " + std::to_string(msg1[8]) +
                                               ", only version 1 is supported");
        const auto e_i = crypto::X25519PublicKey::from(msg1.subspan(9));
        auto ss = ephemeral->agree(e_i);
        if (!ss) return close(ss.error());
        const auto& e_r = ephemeral->public_key();
        const auto h = transcript_hash(msg1, e_r);
        auto k_hs = handshake_key(*ss, h);
        if (!k_hs) return close(k_hs.error());

        Bytes plain;
        plain.reserve(kMsg2Plain);
        const auto& pub = identity->public_key();
        plain.insert(plain.end(), pub.bytes.begin(), pub.bytes.end());
        const auto sig = identity->sign(signed_message(h));
        plain.insert(plain.end(), sig.bytes.begin(), sig.bytes.end());

        Bytes msg2(e_r.bytes.begin(), e_r.bytes.end());
        msg2.reserve(kMsg2Len);
        if (auto s = crypto::aead_seal_append(*k_hs, crypto::nonce_from_counter(0), h.view(), plain,
                                              msg2);
            !s)
            return close(s.error());
        auto keys = transport_keys(*ss, h, msg2, false);
        if (!keys) return close(keys.error());
        open(std::move(*keys));
        handshake_out.insert(handshake_out.end(), msg2.begin(), msg2.end());
        return {};
    }

    Status on_msg2(ByteView msg2) {
        const auto e_r = crypto::X25519PublicKey::from(msg2.first(32));
        auto ss = ephemeral->agree(e_r);
        if (!ss) return close(ss.error());
        const auto h = transcript_hash(msg1, e_r);
        auto k_hs = handshake_key(*ss, h);
        if (!k_hs) return close(k_hs.error());
        auto plain =
            crypto::aead_open(*k_hs, crypto::nonce_from_counter(0), h.view(), msg2.subspan(32));
        if (!plain)
            return close(Errc::BadSignature,
                         "relay " + short_id(expected.view()) +
                             " failed the link handshake (its answer did not authenticate)");
        const auto presented = crypto::Ed25519PublicKey::from(ByteView(*plain).first(32));
        if (presented != expected)
            return close(Errc::BadIdentity,
                         "relay presented identity " + short_id(presented.view()) + "…, expected " +
                             short_id(expected.view()) + "…; check the network file / consensus");
        const auto sig = crypto::Ed25519Signature::from(ByteView(*plain).subspan(32));
        if (!crypto::ed25519_verify(presented, signed_message(h), sig))
            return close(Errc::BadSignature, "relay " + short_id(expected.view()) +
                                                 " sent an invalid link handshake signature");
        auto keys = transport_keys(*ss, h, msg2, true);
        if (!keys) return close(keys.error());
        peer = presented;
        open(std::move(*keys));
        return {};
    }

    void open(TransportKeys keys) {
        send_key = std::move(keys.send);
        recv_key = std::move(keys.recv);
        ephemeral.reset();
        secure_wipe(msg1.data(), msg1.size());
        msg1.clear();
        state = LinkState::Open;
    }

    Status on_record(ByteView sealed) {
        auto plain =
            crypto::aead_open(recv_key, crypto::nonce_from_counter(recv_counter), {}, sealed);
        if (!plain)
            return close(Errc::BadSignature,
                         "link record " + std::to_string(recv_counter) + " did not authenticate");
        ++recv_counter;
        const std::size_t n = plain->size() / kCellLen;
        for (std::size_t i = 0; i < n; ++i) {
            auto cell = wire::decode_cell(ByteView(*plain).subspan(i * kCellLen, kCellLen));
            if (!cell) return close(cell.error());
            if (cell->command == wire::CellCommand::Padding && cell->circ_id == 0) continue;
            incoming.push_back(*cell);
        }
        return {};
    }

    void seal_records(Bytes& out) {
        const std::size_t per = cells_per_record();
        const std::size_t records = (outgoing.size() + per - 1) / per;
        out.reserve(out.size() + records * (kHeaderLen + kAeadTagLen) + outgoing.size() * kCellLen);
        while (!outgoing.empty()) {
            const std::size_t n = std::min(per, outgoing.size());
            plain_scratch.clear();
            for (std::size_t i = 0; i < n; ++i) wire::encode_cell(outgoing[i], plain_scratch);
            const std::size_t base = out.size();
            out.resize(base + kHeaderLen);
            wire::put_u16(out.data() + base,
                          static_cast<std::uint16_t>(plain_scratch.size() + kAeadTagLen));
            if (auto s = crypto::aead_seal_append(
                    send_key, crypto::nonce_from_counter(send_counter), {}, plain_scratch, out);
                !s) {
                out.resize(base);
                (void)close(s.error());
                return;
            }
            ++send_counter;
            outgoing.erase(outgoing.begin(), outgoing.begin() + static_cast<long>(n));
        }
    }

    bool output_pending() const {
        return state != LinkState::Closed &&
               (!handshake_out.empty() || (state == LinkState::Open && !outgoing.empty()));
    }
};

LinkSession::LinkSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LinkSession::LinkSession(LinkSession&&) noexcept = default;
LinkSession& LinkSession::operator=(LinkSession&&) noexcept = default;
LinkSession::~LinkSession() = default;

LinkSession LinkSession::initiator(const crypto::Ed25519PublicKey& expected_identity, Rng& rng,
                                   TimePoint now, LinkConfig config) {
    auto impl = std::make_unique<Impl>();
    impl->initiator = true;
    impl->config = config;
    impl->expected = expected_identity;
    impl->ephemeral.emplace(crypto::X25519SecretKey::generate(rng));
    impl->created = impl->last_sent = impl->last_received = now;
    impl->msg1.reserve(kMsg1Len);
    impl->msg1.insert(impl->msg1.end(), kMagic.begin(), kMagic.end());
    impl->msg1.push_back(kVersion);
    const auto& e_i = impl->ephemeral->public_key();
    impl->msg1.insert(impl->msg1.end(), e_i.bytes.begin(), e_i.bytes.end());
    impl->handshake_out = impl->msg1;
    return LinkSession(std::move(impl));
}

LinkSession LinkSession::responder(const crypto::Ed25519SecretKey& identity, Rng& rng,
                                   TimePoint now, LinkConfig config) {
    auto impl = std::make_unique<Impl>();
    impl->initiator = false;
    impl->config = config;
    impl->identity = &identity;
    // Drawn now rather than on msg1 so the session keeps no reference to the
    // Rng.
    impl->ephemeral.emplace(crypto::X25519SecretKey::generate(rng));
    impl->created = impl->last_sent = impl->last_received = now;
    return LinkSession(std::move(impl));
}

Status LinkSession::receive(ByteView bytes, TimePoint now) {
    Impl& s = *impl_;
    while (s.state != LinkState::Closed) {
        if (s.partial.empty()) {
            auto n = s.frame_len(bytes);
            if (!n) return s.close(n.error());
            if (*n != 0 && bytes.size() >= *n) {
                if (auto st = s.process_frame(bytes.first(*n)); !st) return st;
                // Only whole frames count as life: a peer trickling bytes
                // must not keep a link open forever.
                s.last_received = now;
                bytes = bytes.subspan(*n);
                continue;
            }
            if (bytes.empty()) break;
        }
        auto n = s.frame_len(s.partial);
        if (!n) return s.close(n.error());
        const std::size_t target = *n != 0 ? *n : kHeaderLen;
        const std::size_t take = std::min(target - s.partial.size(), bytes.size());
        if (take == 0) break;
        s.partial.insert(s.partial.end(), bytes.begin(), bytes.begin() + static_cast<long>(take));
        bytes = bytes.subspan(take);
        if (*n != 0 && s.partial.size() == *n) {
            if (auto st = s.process_frame(s.partial); !st) return st;
            s.partial.clear();
            s.last_received = now;
        }
    }
    if (s.state == LinkState::Closed) return std::unexpected(*s.close_reason);
    return {};
}

std::optional<wire::Cell> LinkSession::pop_cell() {
    if (impl_->incoming.empty()) return std::nullopt;
    wire::Cell c = impl_->incoming.front();
    impl_->incoming.pop_front();
    return c;
}

void LinkSession::send(const wire::Cell& cell) {
    if (impl_->state == LinkState::Closed) return;
    impl_->outgoing.push_back(cell);
}

void LinkSession::take_output(Bytes& out, TimePoint now) {
    Impl& s = *impl_;
    if (s.state == LinkState::Closed) return;
    const std::size_t before = out.size();
    out.insert(out.end(), s.handshake_out.begin(), s.handshake_out.end());
    s.handshake_out.clear();
    if (s.state == LinkState::Open) s.seal_records(out);
    if (out.size() != before) s.last_sent = now;
}

bool LinkSession::has_output() const {
    return impl_->output_pending();
}

void LinkSession::on_timer(TimePoint now) {
    Impl& s = *impl_;
    switch (s.state) {
        case LinkState::Closed:
            return;
        case LinkState::Handshaking:
            if (now >= s.created + s.config.handshake_timeout)
                (void)s.close(Errc::Io,
                              "link handshake did not finish within " +
                                  std::to_string(s.config.handshake_timeout.seconds_count()) +
                                  " s");
            return;
        case LinkState::Open:
            if (now >= s.last_received + s.config.idle_timeout) {
                (void)s.close(Errc::Io,
                              "link idle for " +
                                  std::to_string((now - s.last_received).seconds_count()) + " s");
                return;
            }
            if (!s.output_pending() && now >= s.last_sent + s.config.keepalive_interval)
                s.outgoing.push_back(wire::Cell::make(0, wire::CellCommand::Padding));
            return;
    }
}

TimePoint LinkSession::next_deadline() const {
    const Impl& s = *impl_;
    switch (s.state) {
        case LinkState::Closed:
            return TimePoint::never();
        case LinkState::Handshaking:
            return s.created + s.config.handshake_timeout;
        case LinkState::Open: {
            TimePoint t = s.last_received + s.config.idle_timeout;
            // With output waiting the driver is about to write anyway, and a
            // keepalive deadline in the past would make it spin.
            if (!s.output_pending()) t = earliest(t, s.last_sent + s.config.keepalive_interval);
            return t;
        }
    }
    return TimePoint::never();
}

LinkState LinkSession::state() const {
    return impl_->state;
}
const std::optional<Error>& LinkSession::close_reason() const {
    return impl_->close_reason;
}
const crypto::Ed25519PublicKey& LinkSession::peer_identity() const {
    return impl_->peer;
}
bool LinkSession::is_initiator() const {
    return impl_->initiator;
}
std::size_t LinkSession::queued_cells() const {
    return impl_->outgoing.size();
}

}  // namespace sotto::link
