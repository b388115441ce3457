// The control connection to Sotto's own tor (issue 11, item 2): an
// asynchronous client on tor's control socket, on top of the sans-I/O
// reply parser and command encoder of core/tor.
//
// open() authenticates with SAFECOOKIE (the controller proves it knows the
// cookie, and tor proves it knows it too before we answer, so a socket that
// is not our tor learns nothing), sends TAKEOWNERSHIP (tor exits when this
// connection closes; __OwningControllerProcess covers the time before),
// subscribes to the events Sotto reads, and reports tor's bootstrap from
// then on. Commands are queued and answered in order; a reply goes to the
// callback of the command it answers, events to signals. Any framing error,
// a lost connection or a failed authentication ends the controller with
// failed(): after that nothing tor says can be lined up with what was sent.
#pragma once

#include <QLocalSocket>
#include <QObject>
#include <QString>
#include <deque>
#include <functional>
#include <memory>

#include "core/tor/control_command.hpp"
#include "core/tor/control_events.hpp"
#include "core/tor/control_reply.hpp"

namespace sotto::net {

class TorController : public QObject {
    Q_OBJECT
  public:
    using Done = std::function<void(Result<tor::ControlReply>)>;

    explicit TorController(QObject* parent = nullptr);
    ~TorController() override;

    // Connects to `socket` and authenticates with the cookie tor keeps in
    // `cookie_file` (PROTOCOLINFO must name that file: we read no other).
    void open(const QString& socket, const QString& cookie_file);
    void close();
    bool is_open() const { return authenticated_; }

    // Queues the command; `done` gets tor's reply (any status code) or the
    // error that ended the connection. Only after authenticated().
    void send(tor::ControlCommand command, Done done);

    // The last bootstrap status tor reported.
    const tor::BootstrapStatus& bootstrap() const { return bootstrap_; }
    QString tor_version() const { return version_; }

  signals:
    // Authenticated, owning tor, subscribed to events.
    void authenticated();
    void bootstrapChanged(int progress, const QString& summary);
    // tor's own words when bootstrapping is stuck (clock skew, no route,
    // bridges unreachable), once per new reason.
    void bootstrapProblem(const QString& warning, const QString& reason);
    void hsDesc(const tor::HsDescEvent& event);
    void failed(const QString& message);

  private:
    struct Pending {
        QString verb;
        Done done;
    };
    void on_connected();
    void on_ready_read();
    void on_socket_error();
    void on_reply(tor::ControlReply reply);
    void on_event(const tor::ControlReply& event);
    void write(tor::ControlCommand command, Done done);
    void end(const QString& message);
    // The authentication steps, in order.
    void ask_protocolinfo();
    void ask_challenge(const QString& cookie_file);
    void answer_challenge(tor::AuthChallenge challenge);
    void take_ownership();
    void subscribe();
    void read_bootstrap();
    void set_bootstrap(tor::BootstrapStatus status);

    std::unique_ptr<QLocalSocket> socket_;
    QString cookie_file_;
    std::unique_ptr<tor::ControlReplyParser> parser_;
    std::deque<Pending> pending_;
    std::optional<tor::AuthCookie> cookie_;
    tor::SafeCookieNonce client_nonce_{};
    tor::BootstrapStatus bootstrap_;
    QString last_problem_;
    QString version_;
    bool authenticated_ = false;
    bool ended_ = false;
};

}  // namespace sotto::net
