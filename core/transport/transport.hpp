// The transport seam (issue 10, item 2): what the messenger needs from a
// network, as a sans-I/O interface. A transport runs a private service
// (grants, revokes and hides contacts, shows or hides itself) and a client
// (connects to a contact's service with the credential they gave us), and
// carries byte streams between the two. Calls take the current time;
// everything that happens later comes back as events from take_events(),
// never from inside the call that caused it. Sotto's own onion network
// implements it in core/transport/onion_transport; a Tor transport will
// (issue 11); tests use an in-process loopback.
//
// The contract every transport keeps, whatever it runs on:
// - A revoked or hidden contact, and every contact while the service is
//   invisible, cannot tell us from an offline service: connect() ends in
//   the same Unreachable, in the same timing class.
// - A stream is one conversation: closing it frees whatever the transport
//   holds for it (the onion transport closes its rendezvous circuit).
// - Bytes arrive in order and unmodified, or the stream closes, but in
//   arbitrary pieces; the messenger's session (core/session) is what
//   authenticates them, so the transport is trusted with nothing else.
// - send() takes all of the bytes or none: when they do not fit the
//   stream's buffer it fails with Errc::Limit and one StreamWritable follows
//   once there is room again (the onion transport: its backlog drained to
//   half its buffer). Anything else that fails a send ends the stream.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/transport/credential.hpp"
#include "core/util/error.hpp"
#include "core/util/time.hpp"

namespace sotto::transport {

// The application's name for a grant (the messenger: a contact row id, or
// an invite tag); it comes back with every stream that grant opens.
using Tag = std::uint64_t;
// One connect() by the client.
using AttemptId = std::uint64_t;
// A stream, numbered by the transport.
using StreamId = std::uint64_t;

// ---- events ----
// A contact reached our service; the stream is theirs to talk on.
struct IncomingStream {
    Tag tag;
    StreamId stream;
};
// A connect() reached the contact's service.
struct Connected {
    AttemptId attempt;
    StreamId stream;
};
// A connect() failed. One result for offline, hidden, revoked and broken:
// `reason` is for logs, and must not tell them apart either.
struct Unreachable {
    AttemptId attempt;
    std::string reason;
};
struct StreamData {
    StreamId stream;
    Bytes data;
};
// The stream's buffer has room again after a send() failed with Errc::Limit.
struct StreamWritable {
    StreamId stream;
};
// The other side or the network closed it (not sent for close()).
struct StreamClosed {
    StreamId stream;
    std::string reason;
};
// A contact went over its introduction rate limit (paper 4.6).
struct ContactFlagged {
    Tag tag;
    std::size_t violations;
};
using Event = std::variant<IncomingStream, Connected, Unreachable, StreamData, StreamWritable,
                           StreamClosed, ContactFlagged>;

class Transport {
  public:
    virtual ~Transport() = default;
    virtual TransportKind kind() const = 0;

    // ---- service ----
    // Starts publishing for the contact (unless hidden). A second grant with
    // the same tag replaces the first.
    virtual Status grant(Tag tag, const Grant& grant, bool hidden, TimePoint now) = 0;
    // Forgets the grant; its credential stops working at once, and the
    // contact's open streams close.
    virtual Status revoke(Tag tag, TimePoint now) = 0;
    // Stops (or resumes) publishing for the contact, keeping the grant.
    virtual Status hide(Tag tag, bool hidden, TimePoint now) = 0;
    // Hides (or shows) the whole service from every contact.
    virtual void set_visible(bool visible, TimePoint now) = 0;

    // ---- client ----
    // Exactly one Connected or Unreachable follows for the attempt, even
    // when the credential is unusable (that is only a failure like any
    // other, reported the same way).
    virtual AttemptId connect(const Credential& credential, TimePoint now) = 0;

    // ---- streams ----
    virtual Status send(StreamId stream, ByteView data, TimePoint now) = 0;
    // Bytes send() took that have not left yet.
    virtual std::size_t pending(StreamId stream) const = 0;
    // Closes the stream; no event follows for it.
    virtual void close(StreamId stream, TimePoint now) = 0;

    // ---- time and output ----
    virtual void tick(TimePoint now) = 0;
    virtual TimePoint next_deadline() const = 0;
    virtual std::vector<Event> take_events() = 0;
};

}  // namespace sotto::transport
