#include "net/tor_adapter.hpp"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QStandardPaths>

#include "core/crypto/random.hpp"
#include "core/tor/service_id.hpp"
#include "net/engine_driver.hpp"

namespace sotto::net {

using namespace transport;

namespace {

TimePoint now() {
    return EngineDriver::now();
}

QString q(const std::string& s) {
    return QString::fromStdString(s);
}

ByteView view_of(const QByteArray& b) {
    return {reinterpret_cast<const std::uint8_t*>(b.constData()),
            static_cast<std::size_t>(b.size())};
}

}  // namespace

namespace {

// A socket name is 16 hex characters and ".sock" after the folder's "/".
constexpr int kSocketNameBytes = 22;

bool usable_for_tor(const QString& dir) {
    const QByteArray b = dir.toUtf8();
    if (b.isEmpty() || b.size() + kSocketNameBytes > kMaxUnixSocketPath) return false;
    for (char c : b)
        if (c <= ' ' || c > '~' || c == '"' || c == '\\' || c == ',') return false;
    return true;
}

}  // namespace

QString contact_sockets_dir(const QString& preferred) {
    if (usable_for_tor(preferred)) return preferred;
    QString runtime = QStandardPaths::writableLocation(QStandardPaths::RuntimeLocation);
    if (runtime.isEmpty()) runtime = QDir::tempPath();
    const QByteArray hash =
        QCryptographicHash::hash(preferred.toUtf8(), QCryptographicHash::Sha256).toHex().left(16);
    const QString fallback = runtime + "/sotto-" + QString::fromLatin1(hash);
    return usable_for_tor(fallback) ? fallback : QString();
}

TorAdapter::TorAdapter(TorAdapterConfig config) : config_(std::move(config)) {
    static SystemRng rng;
    transport_ = std::make_unique<TorTransport>(config_.transport, rng);
    restart_timer_.setSingleShot(true);
    connect(&restart_timer_, &QTimer::timeout, this, [this] { start_tor(); });
}

Result<std::unique_ptr<TorAdapter>> TorAdapter::create(TorAdapterConfig config) {
    config.sockets_dir = contact_sockets_dir(config.sockets_dir);
    if (config.sockets_dir.isEmpty())
        return fail(Errc::Config,
                    "no folder for the contacts' sockets that tor accepts (the profile's path "
                    "is too long, and so is the runtime folder's)");
    if (!QDir().mkpath(config.sockets_dir) ||
        !QFile::setPermissions(config.sockets_dir, QFileDevice::ReadOwner |
                                                       QFileDevice::WriteOwner |
                                                       QFileDevice::ExeOwner))
        return fail(Errc::Io, "cannot make the private folder for the contacts' sockets");
    std::unique_ptr<TorAdapter> a(new TorAdapter(std::move(config)));
    a->start_tor();
    return a;
}

TorAdapter::~TorAdapter() {
    restart_timer_.stop();
    for (auto& [conn, c] : conns_) {
        c.socket->disconnect(this);
        c.socket->abort();
        c.socket->deleteLater();
    }
    conns_.clear();
    servers_.clear();
    if (controller_) controller_->disconnect(this);
    if (process_) process_->disconnect(this);
    controller_.reset();
    process_.reset();
}

// ---- tor's life ----

void TorAdapter::start_tor() {
    up_ = false;
    controller_ = std::make_unique<TorController>();
    process_ = std::make_unique<TorProcess>(config_.tor);
    connect(process_.get(), &TorProcess::controlReady, this,
            [this] { controller_->open(process_->control_socket(), process_->cookie_file()); });
    connect(process_.get(), &TorProcess::failed, this, &TorAdapter::on_tor_lost);
    connect(process_.get(), &TorProcess::exited, this, &TorAdapter::on_tor_lost);
    connect(controller_.get(), &TorController::authenticated, this, &TorAdapter::on_authenticated);
    connect(controller_.get(), &TorController::bootstrapChanged, this, &TorAdapter::on_bootstrap);
    connect(controller_.get(), &TorController::bootstrapProblem, this,
            [this](const QString& warning, const QString&) {
                last_problem_ = warning;
                emit progress(status());
            });
    connect(controller_.get(), &TorController::failed, this, &TorAdapter::on_tor_lost);
    connect(controller_.get(), &TorController::hsDesc, this, [this](const tor::HsDescEvent& e) {
        if (e.action != tor::HsDescAction::Uploaded || !e.service) return;
        const QString id = q(e.service->str());
        if (uploaded_.contains(id)) return;
        uploaded_.insert(id);
        emit descriptorUploaded(id);
    });
    if (auto s = process_->start(); !s) {
        // Nothing will change by itself (a path too long): no retry.
        emit failed(q(s.error().message));
        return;
    }
    emit progress(status());
}

void TorAdapter::on_authenticated() {
    up_ = true;
    uploaded_.clear();  // a new tor has published nothing yet
    backoff_ = Duration{};
    if (authenticated_once_) {
        // The new tor knows none of our services or keys.
        transport_->on_tor_restarted(now());
        emit torRestarted();
        flush();
        feed_back();
    }
    authenticated_once_ = true;
    emit progress(status());
}

void TorAdapter::on_bootstrap(int progress_percent, const QString&) {
    if (progress_percent == 100) last_problem_.clear();
    emit progress(status());
    if (progress_percent == 100 && !is_ready()) set_ready();
}

// tor died, or its control connection broke: the connections through it
// are gone too, and a new tor starts after a backoff.
void TorAdapter::on_tor_lost(const QString& why) {
    if (!process_) return;
    const bool missing = process_->program_missing();
    up_ = false;
    last_problem_ = why;
    control_sent_ = control_answered_ = 0;
    std::vector<TorAdapter::WaitingDial> dials(std::make_move_iterator(waiting_dials_.begin()),
                                               std::make_move_iterator(waiting_dials_.end()));
    waiting_dials_.clear();
    for (auto& w : dials) transport_->on_dial_failed(w.dial.conn, "tor restarted", now());
    // Keep the sockets of our services; tor's streams on them are gone.
    std::vector<ConnId> through_tor;
    for (const auto& [conn, c] : conns_) through_tor.push_back(conn);
    for (auto conn : through_tor) {
        auto it = conns_.find(conn);
        it->second.socket->disconnect(this);
        it->second.socket->abort();
        it->second.socket->deleteLater();
        conns_.erase(it);
        transport_->on_closed(conn, "tor restarted", now());
    }
    controller_->disconnect(this);
    process_->disconnect(this);
    controller_.release()->deleteLater();
    process_.release()->deleteLater();
    if (missing) {
        // No tor to run: say so once and wait for reconnect() (the user
        // installs tor), rather than failing again every minute.
        feed_back();
        emit progress(status());
        emit failed(why);
        return;
    }
    ++restarts_;
    backoff_ = backoff_.us == 0 ? config_.restart_min : std::min(config_.restart_max, backoff_ * 2);
    const auto jitter =
        QRandomGenerator::global()->bounded(static_cast<int>(backoff_.us / 4000 + 1));
    restart_timer_.start(static_cast<int>(backoff_.us / 1000) + jitter);
    feed_back();
    emit progress(status());
}

void TorAdapter::reconnect() {
    if (!process_) {
        restart_timer_.stop();
        start_tor();
        return;
    }
    backoff_ = Duration{};
    process_->stop();
    on_tor_lost(tr("reconnecting to Tor"));
    restart_timer_.start(0);
}

QString TorAdapter::status() const {
    if (!controller_ || !up_) {
        if (!last_problem_.isEmpty()) return tr("Tor is not running: %1").arg(last_problem_);
        return tr("Starting Tor…");
    }
    const auto& b = controller_->bootstrap();
    if (b.progress < 100) {
        QString s = tr("Connecting to Tor: %1 % (%2)").arg(b.progress).arg(q(b.summary));
        if (!last_problem_.isEmpty()) s += " — " + last_problem_;
        return s;
    }
    return tr("Connected to Tor: %1 of %2 services published")
        .arg(transport_->published())
        .arg(transport_->granted());
}

// ---- carrying out the transport's requests ----

// Until the transport asks for nothing more: carrying out one request
// (a socket that is listening) can make it ask for the next (ADD_ONION).
void TorAdapter::flush() {
    for (;;) {
        auto io = transport_->take_io();
        if (io.empty()) break;
        for (auto& a : io) run(a);
    }
    start_dials();
}

// What the transport reported while we ran its requests goes to the
// messenger driver (which calls take_events) through activity().
void TorAdapter::feed_back() {
    emit activity();
}

void TorAdapter::run(TorIo& io) {
    std::visit(
        [this](auto& a) {
            using A = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<A, tor_io::Listen>) {
                listen(a.tag);
            } else if constexpr (std::is_same_v<A, tor_io::StopListening>) {
                stop_listening(a.tag);
            } else if constexpr (std::is_same_v<A, tor_io::AddOnion>) {
                add_onion(a);
            } else if constexpr (std::is_same_v<A, tor_io::DelOnion>) {
                auto id = tor::OnionServiceId::parse(a.service_id);
                if (id) control(tor::command::del_onion(*id));
            } else if constexpr (std::is_same_v<A, tor_io::AddClientAuth>) {
                auto key = crypto::X25519SecretKey::from_bytes(a.key.view());
                if (key)
                    control(tor::command::onion_client_auth_add(
                        tor::OnionServiceId::for_key(a.service), *key));
            } else if constexpr (std::is_same_v<A, tor_io::RemoveClientAuth>) {
                control(tor::command::onion_client_auth_remove(
                    tor::OnionServiceId::for_key(a.service)));
            } else if constexpr (std::is_same_v<A, tor_io::Dial>) {
                dial(std::move(a));
            } else if constexpr (std::is_same_v<A, tor_io::Write>) {
                auto it = conns_.find(a.conn);
                if (it != conns_.end())
                    it->second.socket->write(reinterpret_cast<const char*>(a.data.data()),
                                             static_cast<qint64>(a.data.size()));
            } else if constexpr (std::is_same_v<A, tor_io::Close>) {
                close_conn(a.conn);
            }
        },
        io);
}

// While tor is down, control commands are dropped: the transport gives the
// new tor everything again (on_tor_restarted).
void TorAdapter::control(Result<tor::ControlCommand> command,
                         std::function<void(Result<tor::ControlReply>)> done) {
    if (!command) {
        if (done) done(std::unexpected(command.error()));
        return;
    }
    if (!up_) return;
    ++control_sent_;
    controller_->send(std::move(*command),
                      [this, done = std::move(done)](Result<tor::ControlReply> r) {
                          ++control_answered_;
                          if (done) done(std::move(r));
                          start_dials();
                      });
}

void TorAdapter::listen(Tag tag) {
    auto server = std::make_unique<QLocalServer>();
    server->setSocketOptions(QLocalServer::UserAccessOption);
    const QString path =
        config_.sockets_dir + "/" +
        QString::number(QRandomGenerator::system()->generate64(), 16).rightJustified(16, '0') +
        ".sock";
    if (!server->listen(path)) {
        // Tried again when the contact is published next (hide/show, restart).
        return;
    }
    auto* s = server.get();
    connect(s, &QLocalServer::newConnection, this, [this, s, tag] {
        while (auto* socket = s->nextPendingConnection()) {
            const ConnId conn = transport_->next_conn();
            adopt(conn, socket);
            transport_->on_accepted(tag, conn, now());
        }
        flush();
        feed_back();
    });
    servers_[tag] = std::move(server);
    transport_->on_listening(tag, path.toStdString(), now());
}

void TorAdapter::stop_listening(Tag tag) {
    auto it = servers_.find(tag);
    if (it == servers_.end()) return;
    it->second->close();
    servers_.erase(it);
}

void TorAdapter::add_onion(const tor_io::AddOnion& a) {
    auto service = crypto::Ed25519SecretKey::from_seed(a.seed.view());
    if (!service) return;
    const tor::OnionServiceKey key = service->expanded();
    tor::command::AddOnionRequest req;
    req.key = &key;
    req.discard_pk = true;
    req.authorized_clients = {a.client};
    const std::string path = a.target.starts_with("unix:") ? a.target.substr(5) : a.target;
    req.ports = {tor::command::OnionPort{a.virtual_port, tor::command::UnixTarget{path}}};
    const Tag tag = a.tag;
    if (!up_) return;  // the transport publishes it again once tor is back
    control(tor::command::add_onion(req), [this, tag](Result<tor::ControlReply> r) {
        if (!r) {
            qWarning("ADD_ONION got no answer: tor's control connection ended");
            transport_->on_onion_failed(tag, r.error().message, now());
        } else if (auto added = tor::parse_add_onion(*r); added) {
            transport_->on_onion_added(tag, added->service_id.str(), now());
        } else {
            // tor's text may echo an argument: not logged.
            qWarning("tor refused ADD_ONION for a service; it is tried again in its turn");
            transport_->on_onion_failed(tag, added.error().message, now());
        }
        flush();
        feed_back();
    });
}

// ---- connections ----

void TorAdapter::dial(tor_io::Dial d) {
    if (!up_) {
        transport_->on_dial_failed(d.conn, "tor is not running", now());
        feed_back();
        return;
    }
    waiting_dials_.push_back({std::move(d), control_sent_});
}

// A dial leaves once the control commands before it (the contact's
// client-auth key) have been answered.
void TorAdapter::start_dials() {
    while (!waiting_dials_.empty() && waiting_dials_.front().after <= control_answered_) {
        auto d = std::move(waiting_dials_.front().dial);
        waiting_dials_.pop_front();
        auto client = tor::Socks5Client::start(
            tor::SocksRequest{tor::OnionServiceId::for_key(d.service).hostname(), d.port,
                              tor::SocksCredentials{d.isolation, "x"}});
        if (!client) {
            transport_->on_dial_failed(d.conn, client.error().message, now());
            feed_back();
            continue;
        }
        auto* socket = new QLocalSocket(this);
        adopt(d.conn, socket);
        conns_[d.conn].socks = std::move(*client);
        const ConnId conn = d.conn;
        connect(socket, &QLocalSocket::connected, this, [this, conn] {
            auto it = conns_.find(conn);
            if (it == conns_.end() || !it->second.socks) return;
            const Bytes out = it->second.socks->take_output();
            it->second.socket->write(reinterpret_cast<const char*>(out.data()),
                                     static_cast<qint64>(out.size()));
        });
        socket->connectToServer(process_->socks_socket());
    }
}

void TorAdapter::adopt(ConnId conn, QLocalSocket* socket) {
    socket->setParent(this);
    conns_[conn] = Conn{socket, std::nullopt};
    connect(socket, &QLocalSocket::readyRead, this, [this, conn] { on_readable(conn); });
    connect(socket, &QLocalSocket::bytesWritten, this, [this, conn](qint64 n) {
        auto it = conns_.find(conn);
        if (it == conns_.end() || it->second.socks) return;  // the handshake's own bytes
        transport_->on_written(conn, static_cast<std::size_t>(n), now());
        feed_back();
    });
    connect(socket, &QLocalSocket::disconnected, this, [this, conn] {
        auto it = conns_.find(conn);
        if (it == conns_.end()) return;
        const bool dialling = it->second.socks.has_value();
        it->second.socket->deleteLater();
        conns_.erase(it);
        if (dialling)
            transport_->on_dial_failed(conn, "tor closed the SOCKS connection", now());
        else
            transport_->on_closed(conn, "closed", now());
        flush();
        feed_back();
    });
    connect(socket, &QLocalSocket::errorOccurred, this,
            [this, conn](QLocalSocket::LocalSocketError e) {
                if (e == QLocalSocket::PeerClosedError) return;  // disconnected() follows
                auto it = conns_.find(conn);
                if (it == conns_.end()) return;
                const bool dialling = it->second.socks.has_value();
                const QString why = it->second.socket->errorString();
                it->second.socket->disconnect(this);
                it->second.socket->abort();
                it->second.socket->deleteLater();
                conns_.erase(it);
                if (dialling)
                    transport_->on_dial_failed(conn, why.toStdString(), now());
                else
                    transport_->on_closed(conn, why.toStdString(), now());
                flush();
                feed_back();
            });
}

void TorAdapter::on_readable(ConnId conn) {
    auto it = conns_.find(conn);
    if (it == conns_.end()) return;
    QByteArray bytes = it->second.socket->readAll();
    ByteView rest = view_of(bytes);
    if (auto& socks = it->second.socks) {
        auto used = socks->feed(rest);
        if (!used) {
            const auto* name = socks->error() ? tor::socks_error_name(*socks->error()) : "SOCKS";
            it->second.socket->disconnect(this);
            it->second.socket->abort();
            it->second.socket->deleteLater();
            conns_.erase(it);
            transport_->on_dial_failed(conn, name, now());
            feed_back();
            return;
        }
        if (const Bytes out = socks->take_output(); !out.empty())
            it->second.socket->write(reinterpret_cast<const char*>(out.data()),
                                     static_cast<qint64>(out.size()));
        rest = rest.subspan(*used);
        if (!socks->connected()) return;
        it->second.socks.reset();
        transport_->on_dialled(conn, now());
    }
    if (!rest.empty()) transport_->on_data(conn, rest, now());
    flush();
    feed_back();
}

void TorAdapter::close_conn(ConnId conn) {
    auto it = conns_.find(conn);
    if (it == conns_.end()) {
        // A dial still waiting for its turn.
        std::erase_if(waiting_dials_, [conn](const WaitingDial& w) { return w.dial.conn == conn; });
        return;
    }
    it->second.socket->disconnect(this);
    it->second.socket->disconnectFromServer();
    it->second.socket->deleteLater();
    conns_.erase(it);
}

}  // namespace sotto::net
