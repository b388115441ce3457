// The circuits this node originates, and whom each one is for. A component
// that launches a circuit (a directory job, the private service's
// introduction-point set or rendezvous responder, a client's connect
// attempt) registers a CircuitHandler for it; the table tells that handler
// when the circuit is built (on_ready), when a relay cell arrives that the
// node's own circuit code does not handle (on_cell: the private-service
// commands of paper Fig. 3, BEGIN from a joined client), and when the
// circuit closes (on_closed). Circuits the application built have the
// application's handler, which reports them as CircuitReady / CircuitClosed
// events. Nothing dispatches on what a circuit is for: its handler knows.
//
// The rendezvous virtual hop (paper Fig. 3, steps 13-14) is added with
// join_end_to_end_hop, the one place besides the build that adds a hop.
// Not a public header.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/node/node.hpp"
#include "core/onion/circuit_keys.hpp"
#include "core/onion/flow_control.hpp"
#include "core/onion/ntor.hpp"
#include "core/onion/relay_crypto.hpp"
#include "core/wire/relay_cell.hpp"

namespace sotto::node {

// Which hop of a circuit a relay cell came from.
struct FromHop {
    std::size_t index = 0;
    bool last = false;  // the circuit's last hop (the end-to-end one, once joined)
};

// `owner` is the registering component's own key for the circuit (an
// introduction slot, a connect attempt, a directory job), given back on
// every call.
class CircuitHandler {
  public:
    virtual void on_ready(CircuitRef circuit, std::uint64_t owner, TimePoint now) = 0;
    virtual void on_cell(CircuitRef circuit, std::uint64_t owner, FromHop from,
                         wire::RelayCell& cell, TimePoint now) = 0;
    // The circuit is gone from the table already.
    virtual void on_closed(CircuitRef circuit, std::uint64_t owner, const std::string& reason,
                           TimePoint now) = 0;

  protected:
    ~CircuitHandler() = default;
};

struct OriginCircuit {
    CircuitRef ref = 0;
    LinkId link = 0;
    wire::CircuitId id = 0;
    std::vector<PathHop> path;
    std::vector<onion::HopCrypto> hops;
    std::vector<crypto::Digest256> bindings;  // per hop, onion::circuit_binding
    std::optional<onion::ClientHandshake> pending;
    enum class State { Connecting, Building, Open } state = State::Connecting;
    TimePoint build_deadline = TimePoint::never();
    onion::Window window = onion::Window::circuit();
    std::map<wire::StreamId, StreamRef> streams;
    wire::StreamId next_stream = 1;
    // Registration (CircuitTable): whom the circuit is for, and whether the
    // application knows of it. Internal circuits are not reported to the
    // application until they become its (a joined rendezvous circuit).
    CircuitHandler* handler = nullptr;
    std::uint64_t owner = 0;
    bool app_visible = true;
};

class CircuitTable {
  public:
    // `application`: the handler of circuits the application built.
    explicit CircuitTable(CircuitHandler& application) : application_(&application) {}

    // `c.handler` null: the application's circuit.
    OriginCircuit& add(OriginCircuit c);
    OriginCircuit* find(CircuitRef ref);
    const OriginCircuit* find(CircuitRef ref) const;
    // Removes the circuit; the caller tells its handler (closed) once the
    // links and streams are cleaned up.
    std::optional<OriginCircuit> take(CircuitRef ref);
    std::size_t size() const { return circuits_.size(); }
    auto begin() { return circuits_.begin(); }
    auto end() { return circuits_.end(); }
    auto begin() const { return circuits_.begin(); }
    auto end() const { return circuits_.end(); }

    // ---- dispatch ----
    void ready(OriginCircuit& c, TimePoint now);
    void cell(OriginCircuit& c, FromHop from, wire::RelayCell& rc, TimePoint now);
    // `c` has been taken out of the table: its handler hears first, then
    // the application if the circuit was shown to it.
    void closed(const OriginCircuit& c, const std::string& reason, TimePoint now);

    // ---- for the components that own a circuit ----
    // Adds the rendezvous virtual hop: the far end's half of the joined path
    // (the service's keys on the client, the client's on the service).
    Status join_end_to_end_hop(CircuitRef ref, const onion::HopKeys& keys);
    // The application hears of the circuit from now on (IncomingStream,
    // CircuitClosed), its handler keeps it (the service's joined circuits).
    void show_to_application(CircuitRef ref);
    // The circuit becomes the application's (the client's joined circuit).
    void give_to_application(CircuitRef ref);

  private:
    CircuitHandler* application_;
    std::map<CircuitRef, OriginCircuit> circuits_;
};

}  // namespace sotto::node
