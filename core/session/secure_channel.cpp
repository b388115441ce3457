#include "core/session/secure_channel.hpp"

namespace sotto::session {

namespace {

// Our handshake messages are at most 96 bytes (IK's first); anything longer
// is refused before it is buffered.
constexpr std::size_t kMaxHandshakeLen = 256;

void put_length(Bytes& out, std::size_t n) {
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(n));
}

}  // namespace

template <typename T>
Result<T> SecureChannel::broken(Error e) {
    failed_ = true;
    if (!in_.empty()) secure_wipe(in_.data(), in_.size());
    in_.clear();
    send_.reset();
    receive_.reset();
    hs_.reset();
    return std::unexpected(std::move(e));
}

Result<SecureChannel> SecureChannel::make(std::string_view pattern, bool initiator,
                                          ByteView prologue, noise::HandshakeKeys keys,
                                          PeerCheck check, Rng& rng) {
    auto p = noise::pattern_by_name(pattern);
    if (!p) return std::unexpected(p.error());
    auto hs =
        noise::HandshakeState::initialize(std::move(*p), initiator, prologue, std::move(keys), rng);
    if (!hs) return std::unexpected(hs.error());
    return SecureChannel(std::move(*hs), std::move(check));
}

Result<SecureChannel> SecureChannel::contact_caller(ByteView prologue, crypto::X25519SecretKey ours,
                                                    const crypto::X25519PublicKey& theirs,
                                                    Rng& rng) {
    noise::HandshakeKeys keys;
    keys.s = std::move(ours);
    keys.rs = theirs;
    return make("IK", true, prologue, std::move(keys), nullptr, rng);
}

Result<SecureChannel> SecureChannel::contact_answerer(ByteView prologue,
                                                      crypto::X25519SecretKey ours, PeerCheck check,
                                                      Rng& rng) {
    noise::HandshakeKeys keys;
    keys.s = std::move(ours);
    return make("IK", false, prologue, std::move(keys), std::move(check), rng);
}

Result<SecureChannel> SecureChannel::invite(bool initiator, ByteView prologue,
                                            const Secret<32>& psk, crypto::X25519SecretKey ours,
                                            Rng& rng) {
    noise::HandshakeKeys keys;
    keys.s = std::move(ours);
    keys.psks.push_back(psk.clone());
    return make("XXpsk0", initiator, prologue, std::move(keys), nullptr, rng);
}

Result<SecureChannel> SecureChannel::invite_caller(ByteView prologue, const Secret<32>& psk,
                                                   crypto::X25519SecretKey ours, Rng& rng) {
    return invite(true, prologue, psk, std::move(ours), rng);
}

Result<SecureChannel> SecureChannel::invite_answerer(ByteView prologue, const Secret<32>& psk,
                                                     crypto::X25519SecretKey ours, Rng& rng) {
    return invite(false, prologue, psk, std::move(ours), rng);
}

Status SecureChannel::write_handshake(Bytes& out) {
    auto msg = hs_->write_message(ByteView{});
    if (!msg) return std::unexpected(msg.error());
    put_length(out, msg->size());
    out.insert(out.end(), msg->begin(), msg->end());
    if (hs_->finished()) return finish();
    return {};
}

Status SecureChannel::finish() {
    peer_ = hs_->remote_static();
    hash_ = Secret<32>(hs_->handshake_hash());
    auto split = hs_->split();
    if (!split) return std::unexpected(split.error());
    send_ = std::move(split->send);
    receive_ = std::move(split->receive);
    hs_.reset();
    return {};
}

Status SecureChannel::read_handshake(ByteView message, Output& out) {
    const bool knew_peer = hs_->remote_static().has_value();
    auto payload = hs_->read_message(message);
    if (!payload) return std::unexpected(payload.error());
    // Our handshakes carry nothing: one encoding per message.
    if (!payload->empty()) return fail(Errc::Malformed, "handshake message with a payload");
    if (!knew_peer && hs_->remote_static() && check_ && !check_(*hs_->remote_static()))
        return fail(Errc::BadIdentity, "not the contact this stream is for");
    if (hs_->finished()) {
        if (auto ok = finish(); !ok) return ok;
        out.established = true;
        return {};
    }
    if (hs_->our_turn()) {
        if (auto ok = write_handshake(out.send); !ok) return ok;
        if (established()) out.established = true;
    }
    return {};
}

Result<Bytes> SecureChannel::start() {
    if (failed_) return fail(Errc::Protocol, "the session has failed");
    if (started_) return fail(Errc::Protocol, "the session has started");
    started_ = true;
    Bytes out;
    if (hs_ && hs_->our_turn())
        if (auto ok = write_handshake(out); !ok) return broken<Bytes>(ok.error());
    return out;
}

Result<SecureChannel::Output> SecureChannel::feed(ByteView data) {
    if (failed_) return fail(Errc::Protocol, "the session has failed");
    Output out;
    in_.insert(in_.end(), data.begin(), data.end());
    std::size_t at = 0;
    while (in_.size() - at >= kLengthPrefix) {
        const std::size_t len = std::size_t{in_[at]} << 8 | in_[at + 1];
        const bool handshaking = hs_.has_value();
        if (handshaking ? (len == 0 || len > kMaxHandshakeLen)
                        : (len <= noise::kTagLen || len > kMaxRecordLen))
            return broken<Output>(
                Error{Errc::Malformed, handshaking ? "bad handshake length" : "bad record length"});
        if (in_.size() - at - kLengthPrefix < len) break;
        const ByteView msg = ByteView(in_).subspan(at + kLengthPrefix, len);
        if (handshaking) {
            if (auto ok = read_handshake(msg, out); !ok) return broken<Output>(ok.error());
        } else {
            auto plain = receive_->decrypt_with_ad(ByteView{}, msg);
            if (!plain) return broken<Output>(Error{Errc::BadSignature, "record did not verify"});
            out.records.emplace_back(*plain);
            secure_wipe(plain->data(), plain->size());
        }
        at += kLengthPrefix + len;
    }
    if (at > 0) {
        secure_wipe(in_.data(), at);
        in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(at));
    }
    return out;
}

Result<Bytes> SecureChannel::seal(ByteView plaintext) {
    if (failed_ || !established()) return fail(Errc::Protocol, "the session is not established");
    if (plaintext.empty() || plaintext.size() > kMaxRecordPlaintext)
        return fail(Errc::TooLarge, "a record holds 1 to 16384 bytes");
    Bytes out;
    out.reserve(kLengthPrefix + plaintext.size() + noise::kTagLen);
    put_length(out, plaintext.size() + noise::kTagLen);
    if (auto ok = send_->encrypt_with_ad(ByteView{}, plaintext, out); !ok)
        return broken<Bytes>(ok.error());
    return out;
}

}  // namespace sotto::session
