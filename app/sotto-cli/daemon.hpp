// The running profile behind sotto-cli: unlocks the profile, brings it
// online through a ProfileSession and answers commands on the control
// socket (control_protocol.hpp) until `lock`, SIGTERM or SIGINT.
#pragma once

#include <QJsonObject>
#include <QLocalServer>
#include <QObject>
#include <QPointer>
#include <functional>
#include <list>
#include <memory>

#include "net/profile_session.hpp"

class QLocalSocket;

namespace sotto::cli {

class Daemon : public QObject {
    Q_OBJECT
  public:
    // Opens the control socket (removing a stale one left by a crash, but
    // refusing if another daemon answers on it).
    static Result<std::unique_ptr<Daemon>> start(std::unique_ptr<net::ProfileSession> session);
    ~Daemon() override;

  signals:
    void lockRequested();

  private:
    explicit Daemon(std::unique_ptr<net::ProfileSession> session);
    struct Pending {
        QPointer<QLocalSocket> socket;
        QJsonObject request;
        qint64 deadline_ms;
        // Returns a reply when done, or an empty object to keep waiting.
        std::function<QJsonObject()> poll;
    };

    void on_connection();
    void on_request(QLocalSocket* socket, const QJsonObject& request);
    QJsonObject handle(const QJsonObject& request, QLocalSocket* socket);
    void reply(QLocalSocket* socket, const QJsonObject& answer);
    void wait_for(QLocalSocket* socket, const QJsonObject& request,
                  std::function<QJsonObject()> poll);
    void poll_waiters();
    Result<store::ContactId> resolve_contact(const QJsonValue& ref);
    QJsonObject contact_json(const store::ContactSummary& s);
    QJsonObject message_json(const store::MessageRecord& m);

    std::unique_ptr<net::ProfileSession> session_;
    QLocalServer server_;
    std::list<Pending> waiting_;
    QTimer waiter_timer_;
    bool polling_ = false;
};

}  // namespace sotto::cli
