// Runs the messenger engine (core/messenger, through MessengerHost) inside a
// Qt event loop: the host carries the engine's actions out on the profile's
// transports; this pumps it when a transport has something
// (TransportAdapter::activity), lets the adapters do their I/O after every
// pump, and turns the engine's events into Qt signals for the view-models
// and the CLI. The clock, the pump and the deadline timer are EngineDriver's,
// as for the node. Single-threaded: every method and signal runs on the
// thread the driver lives in, so the GUI gets core events as queued signals
// without polling.
//
// The view-models and the CLI see the engine only through the typed queries
// below, never the engine itself: what they may ask stays listed here.
#pragma once

#include <QObject>
#include <memory>
#include <vector>

#include "core/messenger/messenger_host.hpp"
#include "core/store/profile_store.hpp"
#include "net/engine_driver.hpp"
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

    // Queries (see messenger::Messenger and store::ProfileStore).
    messenger::PresenceMode presence_mode() const;
    messenger::ContactPresence presence_of(store::ContactId contact) const;
    Result<std::string> safety_number(store::ContactId contact) const;
    // Sending to `contact` now would make us visible to them.
    bool sending_reveals_presence(store::ContactId contact) const;
    // Up to `limit` messages older than row `before` (the newest without),
    // oldest first.
    Result<std::vector<store::MessageRecord>> history(store::ContactId contact,
                                                      std::optional<store::MessageRowId> before,
                                                      std::size_t limit) const;

    store::ProfileStore& store() { return store_; }

    // Wall-clock microseconds since the Unix epoch: the engine's clock.
    static TimePoint now() { return EngineDriver::now(); }

  signals:
    void contactAdded(quint64 contact);
    void contactChanged(quint64 contact);
    void contactRemoved(quint64 contact);
    // Full record (body included) for the views; never logged.
    void messageAdded(const sotto::store::MessageRecord& message);
    void messageStateChanged(quint64 contact, const QByteArray& messageId,
                             sotto::store::MessageState state, qint64 deliveredAtUs);
    void inviteUsed(quint64 invite, quint64 contact);
    void inviteExpired(quint64 invite);
    // Someone opened the invite's stream and left without using the code
    // (messenger::InviteProbed); `probes` is the stored count.
    void inviteProbed(quint64 invite, quint32 probes);
    void presenceModeChanged(sotto::messenger::PresenceMode mode);
    void storageFailed(const QString& message);
    void contactFlagged(quint64 contact, qsizetype violations);

  private:
    // Runs the host until it and the adapters are quiet, then re-arms the
    // timer (EngineDriver: a call from inside, from a slot or an adapter's
    // activity during a flush, makes the running one go round again).
    void pump() { engine_.pump(); }
    // One round of pump(): the host's actions, its events as signals, the
    // adapters' I/O.
    void run();
    template <typename F>
    auto act(F&& f);
    void emit_event(messenger::Event& event);

    store::ProfileStore& store_;
    std::vector<TransportAdapter*> adapters_;
    std::unique_ptr<messenger::MessengerHost> host_;
    // After host_: its hooks call the host, so it goes first.
    EngineDriver engine_;
};

}  // namespace sotto::net
