// The Tor transport (core/transport/tor_transport) in a Qt event loop
// (issue 11, items 1-3): owns Sotto's own tor (TorProcess), its control
// connection (TorController), the contacts' private sockets (one
// QLocalServer each, which tor's ADD_ONION targets) and the connections
// through tor's SOCKS socket, and carries out what the transport asks for.
//
// ready() fires once tor has bootstrapped to 100 %. If tor dies or its
// control connection breaks, the adapter starts tor again (backing off from
// 1 s to a minute, with jitter) and, once the new tor is authenticated,
// tells the transport, which publishes every service and adds every key
// again: the contacts come back without the user doing anything. Only when
// tor cannot be run at all (not installed) does the adapter stop and emit
// failed() with the one line; reconnect() tries again.
#pragma once

#include <QLocalServer>
#include <QLocalSocket>
#include <QSet>
#include <QTimer>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "core/tor/socks5.hpp"
#include "core/transport/tor_transport.hpp"
#include "net/tor_controller.hpp"
#include "net/tor_process.hpp"
#include "net/transport_adapter.hpp"

namespace sotto::net {

struct TorAdapterConfig {
    TorProcessConfig tor;
    transport::TorTransportConfig transport;
    // The contacts' sockets: <profile>/tor-services, made 0700.
    QString sockets_dir;
    Duration restart_min = Duration::seconds(1);
    Duration restart_max = Duration::minutes(1);
};

// Where the contacts' sockets go: `preferred` (<profile>/tor-services) if
// tor can be given paths in it — ADD_ONION's Port= is unquoted, so no
// space, quote, backslash, comma or non-ASCII byte, and short enough for a
// socket name — else a private folder of this user's runtime directory,
// named after a hash of `preferred` so each profile keeps its own. Empty
// when neither works.
QString contact_sockets_dir(const QString& preferred);

class TorAdapter final : public TransportAdapter {
    Q_OBJECT
  public:
    // Starts tor at once; errors only for what fails before tor runs.
    static Result<std::unique_ptr<TorAdapter>> create(TorAdapterConfig config);
    ~TorAdapter() override;

    transport::Transport& transport() override { return *transport_; }
    transport::TorTransport& tor_transport() { return *transport_; }
    void flush() override;
    QString status() const override;
    int bootstrap_percent() const override { return up_ ? bootstrap_progress() : 0; }

    // "Reconnect to Tor": a new tor process (after suspend, a new network).
    void reconnect();

    TorProcess& process() { return *process_; }
    TorController& controller() { return *controller_; }
    int bootstrap_progress() const { return controller_->bootstrap().progress; }
    int restarts() const { return restarts_; }

    // Whether an HSDir took a descriptor of the service since tor started
    // (the user's "your services are published" comes from this).
    bool uploaded(const QString& service_id) const { return uploaded_.contains(service_id); }

  signals:
    void descriptorUploaded(const QString& service_id);
    // tor is up again after it died (its services are being republished).
    void torRestarted();

  private:
    explicit TorAdapter(TorAdapterConfig config);
    void start_tor();
    void on_authenticated();
    void on_bootstrap(int progress, const QString& summary);
    void on_tor_lost(const QString& why);
    void run(transport::TorIo& io);
    void listen(transport::Tag tag);
    void stop_listening(transport::Tag tag);
    void add_onion(const transport::tor_io::AddOnion& a);
    void control(Result<tor::ControlCommand> command,
                 std::function<void(Result<tor::ControlReply>)> done = {});
    void dial(transport::tor_io::Dial d);
    void start_dials();
    void adopt(transport::ConnId conn, QLocalSocket* socket);
    void on_readable(transport::ConnId conn);
    void close_conn(transport::ConnId conn);
    void feed_back();

    struct Conn {
        QLocalSocket* socket = nullptr;  // owned by the adapter (deleteLater)
        std::optional<tor::Socks5Client> socks;
    };
    struct WaitingDial {
        transport::tor_io::Dial dial;
        std::uint64_t after;  // control commands that must be answered first
    };

    TorAdapterConfig config_;
    std::unique_ptr<TorProcess> process_;
    std::unique_ptr<TorController> controller_;
    std::unique_ptr<transport::TorTransport> transport_;
    std::map<transport::Tag, std::unique_ptr<QLocalServer>> servers_;
    std::unordered_map<transport::ConnId, Conn> conns_;
    std::deque<WaitingDial> waiting_dials_;
    std::uint64_t control_sent_ = 0;
    std::uint64_t control_answered_ = 0;
    bool authenticated_once_ = false;
    bool up_ = false;  // the controller is authenticated now
    int restarts_ = 0;
    Duration backoff_{};
    QTimer restart_timer_;
    QString last_problem_;
    QSet<QString> uploaded_;
};

}  // namespace sotto::net
