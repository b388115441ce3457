#include "net/node_driver.hpp"

#include <QHostAddress>
#include <QNetworkProxy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <algorithm>
#include <optional>
#include <utility>

#include "net/socket_write.hpp"

namespace sotto::net {

namespace {

// An exit connection reads at most this far ahead of its stream window, so a
// paused exit pushes back on its server through TCP instead of buffering.
constexpr qint64 kExitReadBuffer = 256 * 1024;
// How much of a link's or an exit's input the node takes in one call.
constexpr qint64 kLinkReadSlice = 32 * 1024;
// A closing socket gets this long to flush its last bytes (e.g. a DESTROY).
constexpr int kCloseFlushMs = 10000;
// Bytes a socket may hold unsent before the driver gives up on it. The node
// has no input for "the transport is slow", so a peer that stops reading
// would otherwise grow this buffer without bound.
constexpr qint64 kMaxLinkWriteBacklog = 64 * 1024 * 1024;
constexpr qint64 kMaxExitWriteBacklog = 16 * 1024 * 1024;
// After an accept error (e.g. out of file descriptors) Qt stops accepting;
// try again after this long.
constexpr int kAcceptRetryMs = 1000;

template <class... Fs>
struct Overloaded : Fs... {
    using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

ByteView view_of(const QByteArray& a) {
    return {reinterpret_cast<const std::uint8_t*>(a.constData()),
            static_cast<std::size_t>(a.size())};
}

QString q(const std::string& s) {
    return QString::fromStdString(s);
}

// A relay's connections must go where the node says, never through a proxy
// picked up from the environment or application settings.
QTcpSocket* new_socket(QObject* parent) {
    auto* s = new QTcpSocket(parent);
    s->setProxy(QNetworkProxy::NoProxy);
    return s;
}

}  // namespace

NodeDriver::NodeDriver()
    : engine_(this, "node",
              {
                  .run = [this] { run(); },
                  .tick = [this](TimePoint t) { node_->tick(t); },
                  .next_deadline = [this] { return node_->next_deadline(); },
              }) {}

Result<std::unique_ptr<NodeDriver>> NodeDriver::create(node::NodeConfig config, node::NodeKeys keys,
                                                       DriverOptions options) {
    std::unique_ptr<NodeDriver> d(new NodeDriver());
    std::optional<std::pair<QString, std::uint16_t>> listen_at;
    if (config.relay) {
        listen_at.emplace(
            options.listen_host.isEmpty() ? q(config.relay->host) : options.listen_host,
            config.relay->port);
    }
    auto n = node::Node::create(std::move(config), std::move(keys), d->rng_, d->log_, now());
    if (!n) return std::unexpected(n.error());
    d->node_ = std::move(*n);
    if (listen_at) {
        if (auto s = d->listen(listen_at->first, listen_at->second); !s)
            return std::unexpected(s.error());
    }
    // The first outputs run from the event loop, after the caller had a
    // chance to connect to the signals.
    NodeDriver* raw = d.get();
    QTimer::singleShot(0, raw, [raw] { raw->pump(); });
    return d;
}

NodeDriver::~NodeDriver() {
    engine_.stop();
    // Sockets go before the node: their last signals must not reach it.
    auto drop = [this](QTcpSocket* s) {
        s->disconnect(this);
        s->abort();
        delete s;
    };
    for (auto& [id, l] : links_) drop(l.socket);
    for (auto& [id, e] : exits_) drop(e.socket);
    links_.clear();
    exits_.clear();
    if (server_) server_->close();
}

Status NodeDriver::listen(const QString& host, std::uint16_t port) {
    const std::string where = QStringLiteral("%1:%2").arg(host).arg(port).toStdString();
    QHostAddress address;
    if (!address.setAddress(host))
        return fail(Errc::Config, "cannot listen on " + where +
                                      ": the listen host must be an IP address, not a name");
    server_ = new QTcpServer(this);
    server_->setProxy(QNetworkProxy::NoProxy);
    connect(server_, &QTcpServer::newConnection, this, &NodeDriver::on_new_connection);
    connect(server_, &QTcpServer::acceptError, this, [this](QAbstractSocket::SocketError) {
        qCWarning(lcSottoNet).noquote()
            << "accepting a connection failed:" << server_->errorString() << "- retrying in"
            << kAcceptRetryMs << "ms";
        server_->pauseAccepting();
        QTimer::singleShot(kAcceptRetryMs, server_, [this] { server_->resumeAccepting(); });
    });
    if (!server_->listen(address, port)) {
        if (server_->serverError() == QAbstractSocket::AddressInUseError)
            return fail(Errc::Io, "cannot listen on " + where +
                                      ": address already in use — choose another --port or "
                                      "stop the other process");
        return fail(Errc::Io,
                    "cannot listen on " + where + ": " + server_->errorString().toStdString());
    }
    qCInfo(lcSottoNet).noquote() << "listening on" << q(where);
    return {};
}

// ---- client API -------------------------------------------------------------

// Each call is one input to the node followed by carrying out its outputs.
template <typename F>
auto NodeDriver::input(F&& f) {
    if constexpr (std::is_void_v<decltype(f(*node_, now()))>) {
        f(*node_, now());
        pump();
    } else {
        auto r = f(*node_, now());
        pump();
        return r;
    }
}

Status NodeDriver::service_start(hs::ServiceConfig config) {
    return input([&](node::Node& n, TimePoint t) { return n.service_start(config, t); });
}

Status NodeDriver::service_add_contact(hs::ContactId id, hs::ContactGrant grant, bool hidden) {
    return input([&](node::Node& n, TimePoint t) {
        return n.service_add_contact(id, std::move(grant), hidden, t);
    });
}

Status NodeDriver::service_revoke(hs::ContactId id) {
    return input([&](node::Node& n, TimePoint t) { return n.service_revoke(id, t); });
}

Status NodeDriver::service_hide(hs::ContactId id, bool hidden) {
    return input([&](node::Node& n, TimePoint t) { return n.service_hide(id, hidden, t); });
}

void NodeDriver::service_set_visible(bool visible) {
    input([&](node::Node& n, TimePoint t) { n.service_set_visible(visible, t); });
}

Result<hs::ConnectId> NodeDriver::connect_service(const hs::ContactCredentials& creds) {
    return input([&](node::Node& n, TimePoint t) { return n.connect_service(creds, t); });
}

void NodeDriver::set_client_config(hs::ClientConfig config, Duration time_period) {
    node_->set_client_config(config, time_period);
}

Result<node::CircuitRef> NodeDriver::build_circuit(std::size_t hops) {
    auto r = node_->build_circuit(now(), hops);
    pump();
    return r;
}

Result<node::CircuitRef> NodeDriver::build_circuit(std::vector<node::PathHop> path) {
    auto r = node_->build_circuit(std::move(path), now());
    pump();
    return r;
}

Result<node::StreamRef> NodeDriver::open_stream(node::CircuitRef circuit, const std::string& host,
                                                std::uint16_t port) {
    auto r = node_->open_stream(circuit, host, port, now());
    pump();
    return r;
}

Status NodeDriver::stream_send(node::StreamRef stream, ByteView data) {
    auto r = node_->stream_send(stream, data, now());
    pump();
    return r;
}

void NodeDriver::close_stream(node::StreamRef stream) {
    node_->close_stream(stream, now());
    pump();
}

void NodeDriver::close_circuit(node::CircuitRef circuit) {
    node_->close_circuit(circuit, now());
    pump();
}

std::size_t NodeDriver::stream_backlog(node::StreamRef stream) const {
    return node_->stream_backlog(stream);
}

const dir::Consensus* NodeDriver::consensus() const {
    return node_->consensus();
}
const crypto::Ed25519PublicKey& NodeDriver::identity() const {
    return node_->identity();
}
node::NodeStats NodeDriver::stats() const {
    return node_->stats();
}
void NodeDriver::set_misbehaviour(node::Misbehaviour m) {
    node_->set_misbehaviour(m);
}

// ---- outputs ----------------------------------------------------------------

void NodeDriver::run() {
    // What a slot or socket asks of the node meanwhile queues in the node
    // behind these and pumps, which makes EngineDriver run this again once
    // these are done: the outputs go out strictly in the order produced.
    auto outputs = node_->take_outputs();
    for (auto& out : outputs) execute(out);
    write_staged_exits();
}

void NodeDriver::execute(node::Output& out) {
    if (auto* action = std::get_if<node::Action>(&out)) {
        execute(*action);
        return;
    }
    auto& event = std::get<node::Event>(out);
    if (sink_ && sink_(event)) {
        pump();  // whatever the sink asked of the node queues behind what is pending
        return;
    }
    deliver(event);
}

void NodeDriver::execute(node::Action& action) {
    std::visit(Overloaded{
                   [this](node::ConnectLink& c) { connect_link(c); },
                   [this](node::SendLink& s) { send_link(s); },
                   [this](node::CloseLink& c) { close_link(c.link); },
                   [this](node::ExitConnect& c) { connect_exit(c); },
                   [this](node::ExitSend& s) { send_exit(s); },
                   [this](node::ExitClose& c) { close_exit(c.exit); },
                   [this](node::ExitPause& p) { pause_exit(p); },
               },
               action);
}

void NodeDriver::deliver(node::Event& event) {
    std::visit(
        Overloaded{
            [this](node::CircuitReady& e) { emit circuitReady(e.circuit); },
            [this](node::CircuitClosed& e) { emit circuitClosed(e.circuit, q(e.reason)); },
            [this](node::StreamOpened& e) { emit streamOpened(e.stream); },
            [this](node::StreamData& e) {
                emit streamData(e.stream, QByteArray(reinterpret_cast<const char*>(e.data.data()),
                                                     static_cast<qsizetype>(e.data.size())));
            },
            [this](node::StreamClosed& e) { emit streamClosed(e.stream, q(e.reason)); },
            [this](node::StreamWritable& e) { emit streamWritable(e.stream); },
            [this](node::ConsensusChanged& e) {
                emit consensusChanged(e.valid_after, static_cast<qsizetype>(e.relays));
            },
            [this](node::IncomingStream& e) {
                emit incomingStream(e.contact, e.stream, e.circuit);
            },
            [this](node::ServiceConnected& e) { emit serviceConnected(e.attempt, e.circuit); },
            [this](node::ServiceUnreachable& e) {
                emit serviceUnreachable(e.attempt, q(e.reason));
            },
            [this](node::ContactFlagged& e) {
                emit contactFlagged(e.contact, static_cast<qsizetype>(e.violations));
            },
            // The node has already logged the line; this is for people.
            [this](node::Notice& e) { emit notice(q(e.line)); },
        },
        event);
}

void NodeDriver::retire(QTcpSocket* socket, bool flush) {
    socket->disconnect(this);
    if (flush && socket->state() == QAbstractSocket::ConnectedState) {
        connect(socket, &QAbstractSocket::disconnected, socket, &QObject::deleteLater);
        // A peer that never reads must not keep the socket forever.
        QTimer::singleShot(kCloseFlushMs, socket, [socket] {
            socket->abort();
            socket->deleteLater();
        });
        socket->disconnectFromHost();
        return;
    }
    socket->abort();
    socket->deleteLater();
}

// ---- links ------------------------------------------------------------------

void NodeDriver::watch_link(node::LinkId id, QTcpSocket* s) {
    connect(s, &QTcpSocket::readyRead, this, [this, id] { on_link_readable(id); });
    connect(s, &QTcpSocket::errorOccurred, this, [this, id] { on_link_gone(id); });
    connect(s, &QTcpSocket::disconnected, this, [this, id] { on_link_gone(id); });
}

void NodeDriver::connect_link(const node::ConnectLink& c) {
    auto* s = new_socket(this);
    links_[c.link] = LinkSocket{s, false};
    watch_link(c.link, s);
    const node::LinkId id = c.link;
    connect(s, &QTcpSocket::connected, this, [this, id] { on_link_connected(id); });
    qCDebug(lcSottoNet).noquote() << "link" << id << "connecting to" << q(c.host) << c.port
                                  << "for relay" << q(short_id(c.expected.view()));
    s->connectToHost(q(c.host), c.port);
}

void NodeDriver::on_new_connection() {
    while (QTcpSocket* s = server_->nextPendingConnection()) {
        s->setParent(this);
        s->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        const node::LinkId id = node_->accept_link(now());
        links_[id] = LinkSocket{s, true};
        watch_link(id, s);
        qCDebug(lcSottoNet) << "link" << id << "accepted";
        pump();
        // Bytes may have arrived before we connected readyRead.
        if (s->bytesAvailable() > 0) on_link_readable(id);
    }
}

void NodeDriver::on_link_connected(node::LinkId id) {
    auto it = links_.find(id);
    if (it == links_.end()) return;
    it->second.connected = true;
    it->second.socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    node_->link_connected(id, now());
    pump();
}

void NodeDriver::on_link_readable(node::LinkId id) {
    // In slices: a relay that read a whole window at once would forward
    // none of it until it had decrypted all of it, and every hop of a busy
    // circuit would store and forward in ever larger batches. A slice's
    // cells are on their way to the next hop before the next slice is read.
    for (;;) {
        auto it = links_.find(id);
        if (it == links_.end()) return;
        const QByteArray data = it->second.socket->read(kLinkReadSlice);
        if (data.isEmpty()) return;
        node_->link_data(id, view_of(data), now());
        pump();
    }
}

void NodeDriver::on_link_gone(node::LinkId id) {
    auto it = links_.find(id);
    if (it == links_.end()) return;
    // Cells that arrived just before the close still count (e.g. a DESTROY).
    if (it->second.connected && it->second.socket->bytesAvailable() > 0) {
        on_link_readable(id);
        it = links_.find(id);
        if (it == links_.end()) return;  // the node closed it meanwhile
    }
    const LinkSocket l = it->second;
    links_.erase(it);
    const std::string reason = l.socket->errorString().toStdString();
    qCDebug(lcSottoNet).noquote() << "link" << id << (l.connected ? "closed:" : "failed:")
                                  << q(reason);
    retire(l.socket, false);
    if (l.connected)
        node_->link_closed(id, now());
    else
        node_->link_failed(id, reason, now());
    pump();
}

void NodeDriver::send_link(node::SendLink& s) {
    auto it = links_.find(s.link);
    // The node may still send on a link whose close it has not seen yet.
    if (it == links_.end()) return;
    QTcpSocket* socket = it->second.socket;
    // The node batches one pump's cells of a link into one SendLink; it goes
    // to the kernel now, before the driver goes back to sleep, instead of
    // one event-loop pass later (two more polls and wake-ups on every hop).
    write_through(*socket, s.bytes);
    if (socket->bytesToWrite() > kMaxLinkWriteBacklog) {
        qCWarning(lcSottoNet) << "link" << s.link << "peer stopped reading ("
                              << socket->bytesToWrite() << "bytes unsent); closing it";
        const bool connected = it->second.connected;
        links_.erase(it);
        retire(socket, false);
        if (connected)
            node_->link_closed(s.link, now());
        else
            node_->link_failed(s.link, "peer stopped reading", now());
        pump();
    }
}

void NodeDriver::close_link(node::LinkId id) {
    auto it = links_.find(id);
    if (it == links_.end()) return;
    QTcpSocket* s = it->second.socket;
    links_.erase(it);
    retire(s, true);
}

// ---- exits ------------------------------------------------------------------

void NodeDriver::connect_exit(const node::ExitConnect& c) {
    auto* s = new_socket(this);
    s->setReadBufferSize(kExitReadBuffer);
    exits_[c.exit] = ExitSocket{s};
    const node::ExitId id = c.exit;
    connect(s, &QTcpSocket::connected, this, [this, id] { on_exit_connected(id); });
    connect(s, &QTcpSocket::readyRead, this, [this, id] { on_exit_readable(id); });
    connect(s, &QTcpSocket::bytesWritten, this, [this, id](qint64 n) {
        node_->exit_written(id, static_cast<std::size_t>(n), now());
        pump();
    });
    connect(s, &QTcpSocket::errorOccurred, this, [this, id] { on_exit_gone(id); });
    connect(s, &QTcpSocket::disconnected, this, [this, id] { on_exit_gone(id); });
    qCDebug(lcSottoExit).noquote() << "exit" << id << "connecting to" << q(c.host) << c.port;
    s->connectToHost(q(c.host), c.port);
}

void NodeDriver::on_exit_connected(node::ExitId id) {
    auto it = exits_.find(id);
    if (it == exits_.end()) return;
    it->second.connected = true;
    it->second.socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    node_->exit_connected(id, now());
    pump();
}

void NodeDriver::on_exit_readable(node::ExitId id) {
    auto it = exits_.find(id);
    if (it == exits_.end() || it->second.paused) return;
    drain_exit(id);
}

void NodeDriver::drain_exit(node::ExitId id) {
    // In slices, as on_link_readable does; the node may pause the exit (its
    // stream window is used up) after any of them.
    for (;;) {
        auto it = exits_.find(id);
        if (it == exits_.end() || it->second.paused) return;
        const QByteArray data = it->second.socket->read(kLinkReadSlice);
        if (data.isEmpty()) return;
        node_->exit_data(id, view_of(data), now());
        pump();
    }
}

void NodeDriver::on_exit_gone(node::ExitId id) {
    auto it = exits_.find(id);
    if (it == exits_.end()) return;
    if (!it->second.connected) {
        const std::string reason = it->second.socket->errorString().toStdString();
        retire(it->second.socket, false);
        exits_.erase(it);
        node_->exit_failed(id, reason, now());
        pump();
        return;
    }
    if (it->second.paused) {
        // Keep the socket: its buffered bytes go out when the node resumes.
        qCDebug(lcSottoExit) << "exit" << id << "closed by the server while paused;"
                             << it->second.socket->bytesAvailable() << "bytes still to deliver";
        it->second.remote_closed = true;
        it->second.socket->disconnect(this);
        return;
    }
    drain_exit(id);
    it = exits_.find(id);
    if (it == exits_.end()) return;
    if (it->second.paused) {
        it->second.remote_closed = true;
        it->second.socket->disconnect(this);
        return;
    }
    retire(it->second.socket, false);
    exits_.erase(it);
    node_->exit_closed(id, now());
    pump();
}

// An exit gets one ExitSend per DATA cell (498 bytes); writing each would
// cost a send() per cell, and leaving them to Qt an event-loop pass per
// 16 KiB. They are staged and go out together at the end of the pump.
void NodeDriver::send_exit(node::ExitSend& s) {
    auto it = exits_.find(s.exit);
    if (it == exits_.end()) return;
    ExitSocket& e = it->second;
    if (e.staged.empty()) staged_exits_.push_back(s.exit);
    e.staged.insert(e.staged.end(), s.bytes.begin(), s.bytes.end());
    const qint64 unsent = e.socket->bytesToWrite() + static_cast<qint64>(e.staged.size());
    if (unsent > kMaxExitWriteBacklog) {
        qCWarning(lcSottoExit) << "exit" << s.exit << "server stopped reading (" << unsent
                               << "bytes unsent); closing it";
        const bool connected = e.connected;
        QTcpSocket* socket = e.socket;
        exits_.erase(it);
        retire(socket, false);
        if (connected)
            node_->exit_closed(s.exit, now());
        else
            node_->exit_failed(s.exit, "server stopped reading", now());
        pump();
    }
}

void NodeDriver::write_staged_exits() {
    std::vector<node::ExitId> staged;
    staged.swap(staged_exits_);
    for (const node::ExitId id : staged) {
        auto it = exits_.find(id);
        if (it == exits_.end()) continue;
        // Qt reports bytesWritten only for what went through its buffer; the
        // node counts the rest here.
        if (const qint64 direct = write_staged(it->second); direct > 0) {
            node_->exit_written(id, static_cast<std::size_t>(direct), now());
            pump();
        }
    }
}

qint64 NodeDriver::write_staged(ExitSocket& e) {
    if (e.staged.empty()) return 0;
    Bytes bytes;
    bytes.swap(e.staged);
    return write_through(*e.socket, bytes);
}

void NodeDriver::close_exit(node::ExitId id) {
    auto it = exits_.find(id);
    if (it == exits_.end()) return;
    // What the node sent before closing still goes out (retire flushes it);
    // the node has forgotten the exit, so nothing is counted.
    (void)write_staged(it->second);
    QTcpSocket* socket = it->second.socket;
    const bool remote_closed = it->second.remote_closed;
    exits_.erase(it);
    retire(socket, !remote_closed);
}

void NodeDriver::pause_exit(const node::ExitPause& p) {
    auto it = exits_.find(p.exit);
    if (it == exits_.end() || it->second.paused == p.paused) return;
    it->second.paused = p.paused;
    if (p.paused) return;
    drain_exit(p.exit);
    it = exits_.find(p.exit);
    if (it == exits_.end() || !it->second.remote_closed || it->second.paused) return;
    // The server had closed while we were paused; everything is delivered now.
    retire(it->second.socket, false);
    exits_.erase(it);
    node_->exit_closed(p.exit, now());
    pump();
}

}  // namespace sotto::net
