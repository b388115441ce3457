// Drives one sotto::node::Node (the sans-I/O onion node) with real sockets
// and a real clock inside a Qt event loop. It carries out the node's outputs
// (link connections over TCP, exit connections, socket writes and closes),
// feeds socket events and timer expiry back as inputs, and turns the node's
// events into Qt signals. It listens for incoming links when the node has a
// relay role. Single-threaded: every method and signal runs on the thread the
// driver lives in.
//
// Outputs are executed strictly in the order the node produced them, even
// when a slot connected to one of the signals calls back into the driver
// (its outputs queue behind the ones still being carried out).
#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/crypto/random.hpp"
#include "core/node/node.hpp"
#include "net/engine_driver.hpp"
#include "net/log_bridge.hpp"

class QTcpServer;
class QTcpSocket;

namespace sotto::net {

struct DriverOptions {
    // Address the relay listener binds to; empty means the relay's
    // advertised host (which then must be an IP address).
    QString listen_host;
};

class NodeDriver : public QObject {
    Q_OBJECT
  public:
    // Creates the node and, for a relay, starts listening. The node's first
    // outputs (descriptor upload, consensus fetch) run from the event loop,
    // so connect to the signals right after create(). Listening problems
    // come back as one-line errors, e.g. "cannot listen on 127.0.0.1:5001:
    // address already in use — ...".
    static Result<std::unique_ptr<NodeDriver>> create(node::NodeConfig config, node::NodeKeys keys,
                                                      DriverOptions options = {});
    // Closes every socket. Do not delete a driver from inside one of its
    // signals; use deleteLater().
    ~NodeDriver() override;

    // ---- client API (see Node) ----
    Result<node::CircuitRef> build_circuit(std::size_t hops = 3);
    Result<node::CircuitRef> build_circuit(std::vector<node::PathHop> path);
    Result<node::StreamRef> open_stream(node::CircuitRef circuit, const std::string& host,
                                        std::uint16_t port);
    Status stream_send(node::StreamRef stream, ByteView data);
    void close_stream(node::StreamRef stream);
    void close_circuit(node::CircuitRef circuit);
    std::size_t stream_backlog(node::StreamRef stream) const;

    // ---- private services (see Node) ----
    Status service_start(hs::ServiceConfig config);
    Status service_add_contact(hs::ContactId id, hs::ContactGrant grant, bool hidden = false);
    Status service_revoke(hs::ContactId id);
    Status service_hide(hs::ContactId id, bool hidden);
    void service_set_visible(bool visible);
    hs::ServiceStats service_stats() const { return node_->service_stats(); }
    Result<hs::ConnectId> connect_service(const hs::ContactCredentials& creds);
    void set_client_config(hs::ClientConfig config, Duration time_period);

    // ---- state ----
    const dir::Consensus* consensus() const;
    const crypto::Ed25519PublicKey& identity() const;
    node::NodeStats stats() const;
    const node::Node& node() const { return *node_; }
    // Test-only, see Node::set_misbehaviour.
    void set_misbehaviour(node::Misbehaviour m);
    // Sockets the driver currently holds (links, exits), for tests and stats.
    std::size_t open_link_sockets() const { return links_.size(); }
    std::size_t open_exit_sockets() const { return exits_.size(); }

    // Wall-clock microseconds since the Unix epoch: the node's clock.
    static TimePoint now() { return EngineDriver::now(); }

    // ---- for a sans-I/O transport over the node (core/transport) ----
    // The node's events (streams, circuits, service events) are
    // offered to `sink` first, in order; what it takes (returns true for) is
    // not signalled. One sink at a time; an empty one removes it.
    using ApplicationSink = std::function<bool(node::Event&)>;
    void set_application_sink(ApplicationSink sink) { sink_ = std::move(sink); }
    // The node itself, for a transport that calls it directly; call flush()
    // after such calls so their outputs are carried out.
    node::Node& node_for_transport() { return *node_; }
    void flush() { pump(); }

  signals:
    void circuitReady(quint64 circuit);
    void circuitClosed(quint64 circuit, const QString& reason);
    void streamOpened(quint64 stream);
    void streamData(quint64 stream, const QByteArray& data);
    void streamClosed(quint64 stream, const QString& reason);
    // After stream_send was refused for a full buffer: there is room again.
    void streamWritable(quint64 stream);
    void consensusChanged(qint64 validAfter, qsizetype relays);
    void notice(const QString& line);
    // Private services (see node_io.hpp).
    void incomingStream(quint64 contact, quint64 stream, quint64 circuit);
    void serviceConnected(quint64 attempt, quint64 circuit);
    void serviceUnreachable(quint64 attempt, const QString& reason);
    void contactFlagged(quint64 contact, qsizetype violations);

  private:
    struct LinkSocket {
        QTcpSocket* socket = nullptr;
        bool connected = false;  // outgoing links: until connected(), errors are failures
    };
    struct ExitSocket {
        QTcpSocket* socket = nullptr;
        bool connected = false;
        bool paused = false;
        bool remote_closed = false;  // closed while paused: report after draining
        Bytes staged;                // this pump's ExitSends, not yet written
    };

    NodeDriver();
    template <typename F>
    auto input(F&& f);
    Status listen(const QString& host, std::uint16_t port);

    // Carries out the node's outputs and re-arms the timer (EngineDriver:
    // a call from inside, e.g. a slot of one of the signals, only makes the
    // running one go round again).
    void pump() { engine_.pump(); }
    // One round of pump(): the outputs the node has now, in order.
    void run();
    void execute(node::Output& out);
    void execute(node::Action& action);
    void deliver(node::Event& event);  // as signals

    // links
    void connect_link(const node::ConnectLink& c);
    void watch_link(node::LinkId id, QTcpSocket* socket);
    void on_new_connection();
    void on_link_readable(node::LinkId id);
    void on_link_connected(node::LinkId id);
    void on_link_gone(node::LinkId id);  // error or disconnect
    void send_link(node::SendLink& s);
    void close_link(node::LinkId id);

    // exits
    void connect_exit(const node::ExitConnect& c);
    void on_exit_readable(node::ExitId id);
    void on_exit_connected(node::ExitId id);
    void on_exit_gone(node::ExitId id);
    void drain_exit(node::ExitId id);
    void send_exit(node::ExitSend& s);
    void write_staged_exits();           // at the end of each pump
    qint64 write_staged(ExitSocket& e);  // returns the bytes sent directly
    void close_exit(node::ExitId id);
    void pause_exit(const node::ExitPause& p);

    // Stops watching a socket and lets it flush and delete itself.
    void retire(QTcpSocket* socket, bool flush);

    // Declared before node_: the node holds references to both.
    SystemRng rng_;
    QtLogSink log_;
    std::unique_ptr<node::Node> node_;
    QTcpServer* server_ = nullptr;
    // After node_: its hooks call the node, so it goes first.
    EngineDriver engine_;
    std::unordered_map<node::LinkId, LinkSocket> links_;
    std::unordered_map<node::ExitId, ExitSocket> exits_;
    ApplicationSink sink_;
    std::vector<node::ExitId> staged_exits_;  // exits send_exit() staged bytes for
};

}  // namespace sotto::net
