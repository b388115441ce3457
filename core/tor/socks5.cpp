#include "core/tor/socks5.hpp"

#include <algorithm>

namespace sotto::tor {

namespace {

constexpr std::uint8_t kVersion = 0x05;
constexpr std::uint8_t kAuthVersion = 0x01;  // RFC 1929's sub-negotiation version
constexpr std::uint8_t kMethodNone = 0x00;
constexpr std::uint8_t kMethodUserPass = 0x02;
constexpr std::uint8_t kNoAcceptable = 0xFF;
constexpr std::uint8_t kCmdConnect = 0x01;
constexpr std::uint8_t kAtypIpv4 = 0x01;
constexpr std::uint8_t kAtypDomain = 0x03;
constexpr std::uint8_t kAtypIpv6 = 0x04;

}  // namespace

const char* socks_error_name(SocksError e) {
    switch (e) {
        case SocksError::GeneralFailure:
            return "general SOCKS server failure";
        case SocksError::NotAllowed:
            return "connection not allowed by ruleset";
        case SocksError::NetworkUnreachable:
            return "network unreachable";
        case SocksError::HostUnreachable:
            return "host unreachable";
        case SocksError::ConnectionRefused:
            return "connection refused";
        case SocksError::TtlExpired:
            return "TTL expired";
        case SocksError::CommandNotSupported:
            return "command not supported";
        case SocksError::AddressTypeNotSupported:
            return "address type not supported";
        case SocksError::OnionDescriptorNotFound:
            return "onion service descriptor not found";
        case SocksError::OnionDescriptorInvalid:
            return "onion service descriptor invalid";
        case SocksError::OnionIntroFailed:
            return "onion service introduction failed";
        case SocksError::OnionRendezvousFailed:
            return "onion service rendezvous failed";
        case SocksError::OnionClientAuthMissing:
            return "onion service client authorization missing";
        case SocksError::OnionClientAuthWrong:
            return "onion service client authorization wrong";
        case SocksError::OnionBadAddress:
            return "onion service address invalid";
        case SocksError::OnionIntroTimedOut:
            return "onion service introduction timed out";
        case SocksError::UnknownReplyCode:
            return "unknown SOCKS reply code";
        case SocksError::NoAcceptableMethod:
            return "SOCKS server accepts none of our methods";
        case SocksError::AuthRejected:
            return "SOCKS username/password rejected";
        case SocksError::ProtocolViolation:
            return "SOCKS protocol violation";
    }
    return "unknown SOCKS error";
}

bool is_onion_service_error(SocksError e) {
    auto v = static_cast<std::uint16_t>(e);
    return v >= 0xF0 && v <= 0xF7;
}

Result<Socks5Client> Socks5Client::start(SocksRequest r) {
    const auto& h = r.host;
    if (h.empty() || h.size() > 255)
        return fail(Errc::Malformed, "SOCKS: host is not 1..255 bytes");
    if (!std::all_of(h.begin(), h.end(), [](char c) { return c > 0x20 && c < 0x7F; }))
        return fail(Errc::Malformed, "SOCKS: host is not printable ASCII");
    if (r.port == 0) return fail(Errc::Malformed, "SOCKS: port 0");
    if (r.isolation) {
        auto bad = [](const std::string& s) { return s.empty() || s.size() > 255; };
        if (bad(r.isolation->username) || bad(r.isolation->password))
            return fail(Errc::Malformed, "SOCKS: username or password is not 1..255 bytes");
    }
    Socks5Client c(std::move(r));
    c.out_ = {kVersion, 1, c.request_.isolation ? kMethodUserPass : kMethodNone};
    return c;
}

Bytes Socks5Client::take_output() {
    return std::exchange(out_, {});
}

void Socks5Client::queue_connect() {
    const auto& h = request_.host;
    out_.insert(out_.end(),
                {kVersion, kCmdConnect, 0x00, kAtypDomain, static_cast<std::uint8_t>(h.size())});
    out_.insert(out_.end(), h.begin(), h.end());
    out_.push_back(static_cast<std::uint8_t>(request_.port >> 8));
    out_.push_back(static_cast<std::uint8_t>(request_.port));
    state_ = State::AwaitReply;
}

Error Socks5Client::fail_with(SocksError e) {
    error_ = e;
    state_ = State::Failed;
    in_.clear();
    // A refused CONNECT is the destination's answer; the rest are the
    // handshake going wrong.
    bool reply = static_cast<std::uint16_t>(e) < 0x100 || e == SocksError::UnknownReplyCode;
    return Error{reply ? Errc::Io : Errc::Protocol, std::string("SOCKS: ") + socks_error_name(e)};
}

std::size_t Socks5Client::expected_length() const {
    if (state_ != State::AwaitReply) return 2;
    if (in_.size() < 4) return 0;
    switch (in_[3]) {
        case kAtypIpv4:
            return 4 + 4 + 2;
        case kAtypIpv6:
            return 4 + 16 + 2;
        default:
            return in_.size() < 5 ? 0 : 4 + 1 + std::size_t{in_[4]} + 2;
    }
}

Result<std::size_t> Socks5Client::feed(ByteView bytes) {
    if (state_ == State::Failed)
        return fail(Errc::Protocol, std::string("SOCKS: ") + socks_error_name(*error_));
    std::size_t used = 0;
    while (used < bytes.size() && state_ != State::Connected) {
        in_.push_back(bytes[used++]);
        // Each byte is checked as it arrives, so a violation is reported at
        // once rather than after waiting for bytes that may never come.
        std::size_t n = in_.size();
        std::uint8_t b = in_.back();
        bool ok = true;
        if (state_ == State::AwaitMethod) {
            ok = n != 1 || b == kVersion;
        } else if (state_ == State::AwaitAuth) {
            ok = n != 1 || b == kAuthVersion;
        } else {
            if (n == 1) ok = b == kVersion;
            if (n == 3) ok = b == 0x00;  // RSV
            if (n == 4) ok = b == kAtypIpv4 || b == kAtypDomain || b == kAtypIpv6;
            if (n == 5 && in_[3] == kAtypDomain) ok = b != 0;
        }
        if (!ok) return std::unexpected(fail_with(SocksError::ProtocolViolation));
        if (n != expected_length()) continue;
        if (auto done = on_message(); !done) return std::unexpected(done.error());
        in_.clear();
    }
    return used;
}

Status Socks5Client::on_message() {
    auto failed = [&](SocksError e) { return std::unexpected(fail_with(e)); };
    switch (state_) {
        case State::AwaitMethod: {
            std::uint8_t offered = request_.isolation ? kMethodUserPass : kMethodNone;
            if (in_[1] == kNoAcceptable) return failed(SocksError::NoAcceptableMethod);
            if (in_[1] != offered) return failed(SocksError::ProtocolViolation);
            if (!request_.isolation) {
                queue_connect();
                return {};
            }
            const auto& u = request_.isolation->username;
            const auto& p = request_.isolation->password;
            out_.push_back(kAuthVersion);
            out_.push_back(static_cast<std::uint8_t>(u.size()));
            out_.insert(out_.end(), u.begin(), u.end());
            out_.push_back(static_cast<std::uint8_t>(p.size()));
            out_.insert(out_.end(), p.begin(), p.end());
            state_ = State::AwaitAuth;
            return {};
        }
        case State::AwaitAuth:
            if (in_[1] != 0x00) return failed(SocksError::AuthRejected);
            queue_connect();
            return {};
        case State::AwaitReply: {
            reply_code_ = in_[1];
            if (reply_code_ == 0x00) {
                state_ = State::Connected;
                return {};
            }
            bool known = (reply_code_ >= 0x01 && reply_code_ <= 0x08) ||
                         (reply_code_ >= 0xF0 && reply_code_ <= 0xF7);
            return failed(known ? static_cast<SocksError>(reply_code_)
                                : SocksError::UnknownReplyCode);
        }
        case State::Connected:
        case State::Failed:
            break;
    }
    return {};
}

}  // namespace sotto::tor
