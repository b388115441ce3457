// The transport seam (transport.hpp) over the Tor network, one onion
// service per contact (issue 11, item 3; the paper's "approach 2", made
// presence-safe). Sans-I/O like the rest of core: tor itself does the onion
// service protocol, so what this class decides is policy, and what it asks
// for comes out as TorIo actions that a driver (net/tor_transport_driver)
// carries out with tor's control port, its SOCKS port and local sockets.
//
// Service side, for each granted contact that is neither hidden nor behind
// Invisible: a private local socket of its own (Listen), then its service
// published with ADD_ONION (the contact's Ed25519 key from the grant, given
// to tor each time and never written to disk by it; ClientAuthV3 with that
// contact's key alone; the target the contact's socket). So every stream
// that reaches a socket is from the contact it belongs to, and the session
// handshake then proves it. Revoke, hide and Invisible remove the service
// (DEL_ONION) *and* close the contact's connections, which tor would keep.
// ADD_ONION calls for different contacts leave one at a time, spaced and
// jittered (paper 4.5), at start-up too, so the times at which our services
// appear do not line up into one user.
//
// Client side: connect() adds the contact's client-auth key to tor once
// (ONION_CLIENT_AUTH_ADD) and dials the service through SOCKS, isolated per
// contact (a SOCKS user name of its own, so no two contacts share a
// circuit). Every failure — tor's F0 to F7, a timeout, a bad credential — is
// the one Unreachable, in the same timing class.
//
// Rate limit (paper 4.6): stock tor cannot tell who introduces before the
// rendezvous, so the earliest point is the accepted connection: a contact
// over its limit is closed at once and flagged, as on Sotto's own network.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/hs/rate_limiter.hpp"
#include "core/transport/tor_credentials.hpp"
#include "core/transport/transport.hpp"

namespace sotto::transport {

// A local connection the driver holds: an accepted one on a contact's
// socket, or one dialled through SOCKS. Numbered by the transport; a stream
// is its connection.
using ConnId = StreamId;

// ---- what the transport asks the driver to do ----
namespace tor_io {
// Open a private listening socket for the contact's service; answer with
// on_listening(tag, path).
struct Listen {
    Tag tag;
};
// Close the contact's socket (its connections are closed one by one).
struct StopListening {
    Tag tag;
};
// ADD_ONION ED25519-V3:<key> Flags=V3Auth ClientAuthV3=<client>
// Port=<virtual_port>,unix:<target>; answer with on_onion_added(tag,
// service id) or on_onion_failed(tag, reason).
struct AddOnion {
    Tag tag;
    SecretBytes seed;  // the service's Ed25519 seed (tor wants it expanded)
    crypto::X25519PublicKey client;
    std::string target;
    std::uint16_t virtual_port;
};
// DEL_ONION <service id>; no answer needed.
struct DelOnion {
    std::string service_id;
};
// ONION_CLIENT_AUTH_ADD <address> x25519:<key>; no answer needed (a
// failure shows as the dial's F4).
struct AddClientAuth {
    crypto::Ed25519PublicKey service;
    SecretBytes key;  // the X25519 secret
};
struct RemoveClientAuth {
    crypto::Ed25519PublicKey service;
};
// A SOCKS5 CONNECT to <service>.onion:<port> with the user name `isolation`;
// answer with on_dialled(conn) or on_dial_failed(conn, reason).
struct Dial {
    ConnId conn;
    crypto::Ed25519PublicKey service;
    std::uint16_t port;
    std::string isolation;
};
struct Write {
    ConnId conn;
    Bytes data;
};
// Close the connection; no answer.
struct Close {
    ConnId conn;
};
}  // namespace tor_io
using TorIo = std::variant<tor_io::Listen, tor_io::StopListening, tor_io::AddOnion,
                           tor_io::DelOnion, tor_io::AddClientAuth, tor_io::RemoveClientAuth,
                           tor_io::Dial, tor_io::Write, tor_io::Close>;

struct TorTransportConfig {
    // The port the contact dials on their side (any number: tor maps it).
    std::uint16_t virtual_port = 9878;
    // Between two ADD_ONION calls: spacing plus a uniform jitter (4.5).
    Duration publish_spacing = Duration::seconds(2);
    Duration publish_jitter = Duration::seconds(3);
    // A dial that has not connected by then is Unreachable (tor itself
    // gives up on an introduction after about 2 minutes).
    Duration connect_timeout = Duration::seconds(120);
    // Bytes queued on one connection before send() says Errc::Limit.
    std::size_t stream_buffer = 256 * 1024;
    hs::RateLimitConfig rate_limit = {};
};

class TorTransport final : public Transport {
  public:
    TorTransport(TorTransportConfig config, Rng& rng) : config_(config), rng_(rng) {}

    // ---- Transport ----
    TransportKind kind() const override { return TransportKind::TorOnion; }
    Status grant(Tag tag, const Grant& grant, bool hidden, TimePoint now) override;
    Status revoke(Tag tag, TimePoint now) override;
    Status hide(Tag tag, bool hidden, TimePoint now) override;
    void set_visible(bool visible, TimePoint now) override;
    AttemptId connect(const Credential& credential, TimePoint now) override;
    Status send(StreamId stream, ByteView data, TimePoint now) override;
    std::size_t pending(StreamId stream) const override;
    void close(StreamId stream, TimePoint now) override;
    void tick(TimePoint now) override;
    TimePoint next_deadline() const override;
    std::vector<Event> take_events() override;

    // ---- the driver's side ----
    std::vector<TorIo> take_io();
    void on_listening(Tag tag, std::string path, TimePoint now);
    void on_onion_added(Tag tag, std::string service_id, TimePoint now);
    void on_onion_failed(Tag tag, const std::string& reason, TimePoint now);
    // A connection accepted on the contact's socket.
    void on_accepted(Tag tag, ConnId conn, TimePoint now);
    void on_dialled(ConnId conn, TimePoint now);
    void on_dial_failed(ConnId conn, const std::string& reason, TimePoint now);
    void on_data(ConnId conn, ByteView data, TimePoint now);
    void on_written(ConnId conn, std::size_t bytes, TimePoint now);
    void on_closed(ConnId conn, const std::string& reason, TimePoint now);
    // tor was restarted: nothing it held survives (services, client-auth
    // keys, connections); everything is published and added again.
    void on_tor_restarted(TimePoint now);
    // Connection numbers for the driver's accepted connections.
    ConnId next_conn() { return ++conns_; }

    // Published services (for the UI's "your services are published").
    std::size_t published() const;
    std::size_t granted() const { return services_.size(); }

  private:
    // Down -> Listening (socket asked for) -> Queued (waits its turn) ->
    // Adding (ADD_ONION sent) -> Up. Cancelling: taken down while its
    // ADD_ONION was in flight; the answer's service is deleted at once.
    enum class Publication { Down, Listening, Queued, Adding, Up, Cancelling };
    struct Service {
        TorGrant grant;
        bool hidden = false;
        Publication state = Publication::Down;
        std::string socket;      // the contact's socket, once listening
        std::string service_id;  // once tor added it
    };
    struct Attempt {
        ConnId conn;
        TimePoint deadline;
    };
    struct Conn {
        std::optional<Tag> tag;            // accepted on a contact's socket
        std::optional<AttemptId> attempt;  // dialled, until it connects
        std::size_t pending = 0;           // written, not confirmed
        bool want_writable = false;
    };

    bool should_publish(const Service& s) const { return visible_ && !s.hidden; }
    // Brings one contact's service to what should_publish says.
    void reconcile(Tag tag, Service& s, TimePoint now);
    void take_down(Tag tag, Service& s);
    void close_streams_of(Tag tag, const char* reason);
    void publish_next(TimePoint now);
    void fail_attempt(AttemptId attempt, const std::string& reason);
    hs::ContactKey rate_key(Tag tag) const;
    template <typename E>
    void report(E e) {
        events_.emplace_back(std::in_place_type<E>, std::move(e));
    }
    template <typename A>
    void ask(A a) {
        io_.emplace_back(std::in_place_type<A>, std::move(a));
    }

    TorTransportConfig config_;
    Rng& rng_;
    bool visible_ = true;
    std::map<Tag, Service> services_;
    std::deque<Tag> publish_queue_;
    TimePoint next_publish_ = TimePoint{};
    std::unordered_map<AttemptId, Attempt> attempts_;
    std::unordered_map<ConnId, Conn> conns_of_;
    // Client-auth keys given to this tor, by service key (hex): each once.
    std::set<std::string> client_auth_;
    hs::RateLimiter limiter_{config_.rate_limit};
    AttemptId attempts_made_ = 0;
    ConnId conns_ = 0;
    std::vector<Event> events_;
    std::vector<TorIo> io_;
};

}  // namespace sotto::transport
