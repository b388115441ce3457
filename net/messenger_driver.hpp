// Runs the messenger engine (core/messenger, through MessengerHost) inside a
// Qt event loop: the host carries the engine's actions out on the profile's
// transports, this feeds it the clock, wakes it when a transport has
// something (TransportAdapter::activity) or a deadline passes, lets the
// adapters do their I/O after every pump, and turns the engine's events into
// Qt signals for the view-models and the CLI. Single-threaded: every method
// and signal runs on the thread the driver lives in, so the GUI gets core
// events as queued signals without polling.
#pragma once

#include <QObject>
#include <QTimer>
#include <memory>
#include <vector>

#include "core/messenger/messenger_host.hpp"
#include "net/transport_adapter.hpp"

namespace sotto::net {

class MessengerDriver : public QObject {
    Q_OBJECT
  public:
    // The store, rng and adapters must outlive the driver, and the adapters
    // be ready. Call start() once the signals are connected.
    MessengerDriver(store::ProfileStore& store, Rng& rng, std::vector<TransportAdapter*> adapters,
                    messenger::MessengerConfig config = {});
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

    const messenger::Messenger& engine() const { return host_->engine(); }
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
    // Runs the host until it and the adapters are quiet (a re-entrant call,
    // from a slot or an adapter's activity during a flush, makes the running
    // one go round again: MessengerHost::pump).
    void pump();
    template <typename F>
    auto act(F&& f);
    void emit_event(messenger::Event& event);
    void arm_timer();

    store::ProfileStore& store_;
    std::vector<TransportAdapter*> adapters_;
    std::unique_ptr<messenger::MessengerHost> host_;
    QTimer timer_;
};

}  // namespace sotto::net
