// What the node's components need from the node, and nothing more: the
// private service's parts (core/node/private_service.hpp), the client's
// connect attempts (service_client.hpp) and the relay roles (hsdir_role.hpp,
// intro_point_role.hpp, rendezvous_point_role.hpp) talk to the node only
// through this interface, so none of them reaches into Node::Impl or edits a
// circuit's internals. Node::Impl implements it. Not a public header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/crypto/hash.hpp"
#include "core/dir/consensus.hpp"
#include "core/hs/hsdir_ring.hpp"
#include "core/node/circuit_table.hpp"
#include "core/node/node.hpp"
#include "core/onion/ntor.hpp"
#include "core/util/log.hpp"
#include "core/util/rng.hpp"
#include "core/wire/relay_cell.hpp"

namespace sotto::node {

// A relay circuit passing through or ending at this node (the relay roles'
// handle on one), as Node::Impl keys them.
using RelayCircuitKey = std::uint64_t;

// A private-service request to an HSDir, run as a directory job over a
// three-hop circuit ending at that HSDir.
enum class HsJobKind { Upload, Fetch };

// Told how an HsJob ended. `answer`: the HSDir's response (encoded
// hs::HsDirResponse), none if the request never got one.
class HsJobHandler {
  public:
    virtual void on_hs_job_done(HsJobKind kind, std::uint64_t owner, std::optional<Bytes> answer,
                                TimePoint now) = 0;

  protected:
    ~HsJobHandler() = default;
};

class NodeContext {
  public:
    // ---- the node ----
    virtual Rng& rng() = 0;
    virtual LogSink& log() = 0;
    virtual const NodeConfig& config() const = 0;
    virtual const crypto::Ed25519PublicKey& identity() const = 0;
    virtual const dir::Consensus* consensus() const = 0;
    virtual const hs::HsDirRing* hsdir_ring() const = 0;
    virtual std::uint64_t new_id() = 0;
    // The time of the input being handled (for paths that have none).
    virtual TimePoint now() const = 0;
    virtual void emit(Event event) = 0;
    // Per-object timeouts are swept at most a second after this.
    virtual void wake_housekeeping(TimePoint now) = 0;

    // ---- origin circuits (the circuit table) ----
    // A path of `hops` Running relays ending at `last`; empty if the
    // consensus lists too few.
    virtual std::vector<PathHop> path_to(const PathHop& last, std::size_t hops) = 0;
    // Builds an internal circuit along `path`, registered with `handler`
    // under the handler's own key `owner`; not shown to the application.
    virtual Result<CircuitRef> launch_circuit(std::vector<PathHop> path, CircuitHandler& handler,
                                              std::uint64_t owner, TimePoint now) = 0;
    virtual void close_circuit(CircuitRef circuit, const std::string& reason, TimePoint now) = 0;
    // Sends a relay cell to the circuit's last hop (the virtual end-to-end
    // hop once one is joined).
    virtual void send_to_last_hop(CircuitRef circuit, const wire::RelayCell& cell) = 0;
    // onion::circuit_binding of the circuit's last hop (ESTABLISH_INTRO).
    virtual std::optional<crypto::Digest256> last_hop_binding(CircuitRef circuit) const = 0;
    // A stream the far end opened (BEGIN on a joined rendezvous circuit):
    // answered with CONNECTED; only hop `from` may speak for it.
    virtual StreamRef accept_stream(CircuitRef circuit, wire::StreamId id, std::size_t from) = 0;
    virtual bool stream_id_in_use(CircuitRef circuit, wire::StreamId id) const = 0;
    virtual CircuitTable& circuits() = 0;

    // ---- private-service directory requests ----
    virtual void start_hs_job(HsJobKind kind, const PathHop& hsdir, Bytes request,
                              HsJobHandler& handler, std::uint64_t owner, TimePoint now) = 0;
    // Drops `handler`'s uploads for `owner` still under way (their circuits close).
    virtual void abandon_hs_uploads(HsJobHandler& handler, std::uint64_t owner, TimePoint now) = 0;

    // ---- relay circuits (the relay roles) ----
    virtual bool relay_circuit_exists(RelayCircuitKey key) const = 0;
    // Whether the circuit goes on to a next hop (it does not end here).
    virtual bool relay_circuit_extended(RelayCircuitKey key) const = 0;
    virtual bool relay_circuit_joined(RelayCircuitKey key) const = 0;
    virtual crypto::Digest256 relay_circuit_binding(RelayCircuitKey key) const = 0;
    // A relay cell originated here, towards the circuit's origin.
    virtual void relay_send_back(RelayCircuitKey key, const wire::RelayCell& cell) = 0;
    // Tears the circuit down in both directions.
    virtual void relay_tear_down(RelayCircuitKey key, wire::DestroyReason reason) = 0;
    // Rendezvous: cells neither end's hop recognises cross from one circuit
    // to the other from now on.
    virtual void relay_join(RelayCircuitKey a, RelayCircuitKey b) = 0;

  protected:
    ~NodeContext() = default;
};

}  // namespace sotto::node
