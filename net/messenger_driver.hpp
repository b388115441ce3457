// Runs the messenger engine (core/messenger) inside a Qt event loop: carries
// its transport actions out on a PrivateService and a ServiceClient, feeds
// stream events and timer expiry back, and turns its events into Qt signals
// for the view-models and the CLI. Single-threaded, like NodeDriver: every
// method and signal runs on the thread the driver lives in, so the GUI gets
// core events as queued signals without polling.
#pragma once

#include <QObject>
#include <QPointer>
#include <QTimer>
#include <memory>
#include <unordered_map>

#include "core/messenger/messenger.hpp"
#include "net/private_service.hpp"
#include "net/service_client.hpp"

namespace sotto::net {

class MessengerDriver : public QObject {
    Q_OBJECT
  public:
    // The store, rng, service and client must outlive the driver. Call
    // start() once the signals are connected.
    MessengerDriver(store::ProfileStore& store, Rng& rng, PrivateService& service,
                    ServiceClient& client, messenger::MessengerConfig config = {});
    ~MessengerDriver() override;

    void start();

    // User actions (see messenger::Messenger); each pumps the engine.
    Result<messenger::CreatedInvite> create_invite(std::optional<Duration> validity = {});
    Status withdraw_invite(store::InviteId id);
    Result<store::ContactId> accept_invite(const QString& code);
    Result<store::MessageRecord> send_message(store::ContactId contact, const QString& body);
    Status rename(store::ContactId contact, const QString& nickname);
    Status revoke(store::ContactId contact);
    Status set_appear_offline(store::ContactId contact, bool hidden);
    void set_presence_mode(messenger::PresenceMode mode);
    Status mark_read(store::ContactId contact);

    const messenger::Messenger& engine() const { return *engine_; }
    store::ProfileStore& store() { return store_; }

    static TimePoint now();

  signals:
    void contactAdded(quint64 contact);
    void contactChanged(quint64 contact);
    void contactRemoved(quint64 contact);
    // Full record (body included) for the views; never logged.
    void messageAdded(const sotto::store::MessageRecord& message);
    void messageStateChanged(quint64 contact, const QByteArray& messageId, int state,
                             qint64 deliveredAtUs);
    void inviteUsed(quint64 invite, quint64 contact);
    void inviteExpired(quint64 invite);
    // Someone opened the invite's stream and left without using the code
    // (messenger::InviteProbed); `probes` is the stored count.
    void inviteProbed(quint64 invite, quint32 probes);
    void presenceModeChanged(int mode);
    void storageFailed(const QString& message);
    void contactFlagged(quint64 contact, qsizetype violations);

  private:
    void pump();
    void execute(messenger::Action& action);
    void emit_event(messenger::Event& event);
    void adopt(ServiceStream* stream, hs::ContactId tag, bool incoming);
    void arm_timer();

    store::ProfileStore& store_;
    PrivateService& service_;
    ServiceClient& client_;
    std::unique_ptr<messenger::Messenger> engine_;
    QTimer timer_;
    bool pumping_ = false;
    messenger::StreamId next_stream_ = 1;
    std::unordered_map<messenger::StreamId, QPointer<ServiceStream>> streams_;
    std::unordered_map<AttemptId, store::ContactId> attempts_;
};

}  // namespace sotto::net
