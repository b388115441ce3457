// The contract between a Node (core) and whatever drives it: real sockets in
// net/, in-memory pipes in core/sim. A driver feeds inputs (link bytes, exit
// connection bytes, the time) and takes the node's outputs, each either an
// Action (something the driver must do with its sockets) or an Event
// (something that happened, for the application), as the messenger splits
// its own (core/messenger). All identifiers are assigned by the node.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "core/crypto/ed25519.hpp"
#include "core/util/bytes.hpp"

namespace sotto::node {

using LinkId = std::uint64_t;      // one transport connection
using ExitId = std::uint64_t;      // one connection an exit relay opened for a stream
using CircuitRef = std::uint64_t;  // a circuit this node originated
using StreamRef = std::uint64_t;   // a stream this node originated (or accepted, issue 3)

// ---- actions: things the driver must do ------------------------------------

// Open a transport connection to host:port and report on_link_connected /
// on_link_failed. `expected` is the relay the link must authenticate as (the
// driver may use it for logs; the node checks it).
struct ConnectLink {
    LinkId link;
    std::string host;
    std::uint16_t port;
    crypto::Ed25519PublicKey expected;
};
struct SendLink {
    LinkId link;
    Bytes bytes;
};
struct CloseLink {
    LinkId link;
};
// Exit role: open a plain connection for a stream that asked for host:port.
struct ExitConnect {
    ExitId exit;
    std::string host;
    std::uint16_t port;
};
struct ExitSend {
    ExitId exit;
    Bytes bytes;
};
struct ExitClose {
    ExitId exit;
};
// Stop / resume reading from an exit connection (stream window exhausted).
struct ExitPause {
    ExitId exit;
    bool paused;
};

// ---- events: things that happened, for the application ---------------------

struct CircuitReady {
    CircuitRef circuit;
};
struct CircuitClosed {
    CircuitRef circuit;
    std::string reason;  // one line, for people
};
struct StreamOpened {
    StreamRef stream;
};
struct StreamData {
    StreamRef stream;
    Bytes data;
};
struct StreamClosed {
    StreamRef stream;
    std::string reason;
};
// After stream_send refused bytes with Errc::Limit: the stream's backlog
// has drained to half of Limits::max_stream_buffer, so a writer that waited
// can go on (issue 10, item 3). Only after a refusal, once per refusal.
struct StreamWritable {
    StreamRef stream;
};
// The node accepted a new consensus (clients, relays) or published one
// (authorities).
struct ConsensusChanged {
    std::int64_t valid_after;  // unix seconds
    std::size_t relays;
};
// Private services (core/hs/service_api.hpp). A contact opened a stream to
// this node's service; the stream is used like any other.
struct IncomingStream {
    std::uint64_t contact;
    StreamRef stream;
    CircuitRef circuit;
};
// A client's connection attempt reached the service: open streams on
// `circuit` (any host:port; the service ignores the target).
struct ServiceConnected {
    std::uint64_t attempt;
    CircuitRef circuit;
};
// The attempt failed. The reason is the same whether the service is offline,
// hid its presence, or revoked the contact: nothing else can be told apart.
struct ServiceUnreachable {
    std::uint64_t attempt;
    std::string reason;
};
// A contact exceeded its introduction rate limit (paper 4.6): a rogue
// contact the user may want to revoke.
struct ContactFlagged {
    std::uint64_t contact;
    std::size_t violations;
};

// A one-line diagnostic worth showing to an operator.
struct Notice {
    std::string line;
};

using Action =
    std::variant<ConnectLink, SendLink, CloseLink, ExitConnect, ExitSend, ExitClose, ExitPause>;
using Event = std::variant<CircuitReady, CircuitClosed, StreamOpened, StreamData, StreamClosed,
                           StreamWritable, ConsensusChanged, IncomingStream, ServiceConnected,
                           ServiceUnreachable, ContactFlagged, Notice>;

// One stream of both, in the order the node produced them. Drivers carry
// actions out and hand events on in that order: an event's handler may call
// back into the node, and what it then asks for must come after the actions
// already decided (a CloseLink before the StreamClosed it caused, say), as
// every driver did before the split.
using Output = std::variant<Action, Event>;

}  // namespace sotto::node
