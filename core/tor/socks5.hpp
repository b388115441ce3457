// The client side of a SOCKS5 handshake with tor's SocksPort (RFC 1928),
// sans-I/O: bytes to write come out of take_output(), bytes read go into
// feed(). One request: CONNECT to a host name (ATYP 3, so the .onion name
// reaches tor unresolved) and port. With credentials it offers only
// username/password (RFC 1929), which tor's IsolateSOCKSAuth uses to keep
// streams with different credentials on different circuits (one per
// contact); without, only "no authentication". Offering one method means a
// server cannot silently drop the isolation by choosing the other.
//
// Failures are typed (SocksError): RFC 1928's reply codes, tor's extended
// onion-service codes F0..F7 (proposal 304, with SocksPort ExtendedErrors)
// and the handshake's own failures. Strict and bounded: every byte the
// server sends is checked against the one message expected, and at most a
// reply's 262 bytes are held. feed() never takes a byte past the CONNECT
// reply: those are the stream's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/bytes.hpp"
#include "core/util/error.hpp"

namespace sotto::tor {

enum class SocksError : std::uint16_t {
    // RFC 1928 §6 reply codes.
    GeneralFailure = 0x01,
    NotAllowed = 0x02,
    NetworkUnreachable = 0x03,
    HostUnreachable = 0x04,
    ConnectionRefused = 0x05,
    TtlExpired = 0x06,
    CommandNotSupported = 0x07,
    AddressTypeNotSupported = 0x08,
    // Tor's extended codes for onion services (proposal 304).
    OnionDescriptorNotFound = 0xF0,  // no HSDir has it: service gone, or never published
    OnionDescriptorInvalid = 0xF1,   // unparsable, or its signature failed
    OnionIntroFailed = 0xF2,         // no introduction point took the introduction
    OnionRendezvousFailed = 0xF3,    // introduced, but the rendezvous did not complete
    OnionClientAuthMissing = 0xF4,   // the descriptor needs a client-auth key tor lacks
    OnionClientAuthWrong = 0xF5,     // tor's client-auth key does not decrypt it
    OnionBadAddress = 0xF6,          // not a valid onion address
    OnionIntroTimedOut = 0xF7,       // the introduction took too long
    // Not codes on the wire: the handshake itself failed.
    UnknownReplyCode = 0x100,  // a reply code neither RFC 1928 nor tor defines
    NoAcceptableMethod,        // the server refused our one method (0xFF)
    AuthRejected,              // RFC 1929 status not 0
    ProtocolViolation,         // a byte that is not what the protocol allows here
};

// "onion service descriptor not found", ...: for logs and error text.
const char* socks_error_name(SocksError e);
// F0..F7. Sotto maps every one of them to its single "offline or
// unreachable" result.
bool is_onion_service_error(SocksError e);

struct SocksCredentials {
    std::string username;  // 1..255 bytes each (RFC 1929)
    std::string password;
};

struct SocksRequest {
    std::string host;  // 1..255 bytes of printable ASCII, e.g. "<id>.onion"
    std::uint16_t port = 0;
    std::optional<SocksCredentials> isolation;
};

class Socks5Client {
  public:
    enum class State { AwaitMethod, AwaitAuth, AwaitReply, Connected, Failed };

    // Checks the request and queues the greeting.
    static Result<Socks5Client> start(SocksRequest request);

    // What to write now (the greeting at first, then the auth request or
    // CONNECT as the handshake reaches them); empty when nothing is due.
    Bytes take_output();
    // Reads server bytes; returns how many belong to the handshake (the rest
    // is stream data). Once Connected, consumes nothing. A failure moves to
    // Failed and is returned; after that, feed returns it again.
    Result<std::size_t> feed(ByteView bytes);

    State state() const { return state_; }
    bool connected() const { return state_ == State::Connected; }
    std::optional<SocksError> error() const { return error_; }
    // The raw reply byte of a CONNECT failure (for UnknownReplyCode).
    std::uint8_t reply_code() const { return reply_code_; }

  private:
    explicit Socks5Client(SocksRequest r) : request_(std::move(r)) {}
    Error fail_with(SocksError e);
    // The length the buffered message will have once its header is in, or 0
    // while that is not known yet.
    std::size_t expected_length() const;
    Status on_message();
    void queue_connect();

    SocksRequest request_;
    State state_ = State::AwaitMethod;
    Bytes out_;
    Bytes in_;  // the message being read; ≤ 262 bytes
    std::optional<SocksError> error_;
    std::uint8_t reply_code_ = 0;
};

}  // namespace sotto::tor
