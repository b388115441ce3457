#include "net/messenger_driver.hpp"

#include <QDateTime>

namespace sotto::net {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};

QByteArray to_qbytes(ByteView b) {
    return QByteArray(reinterpret_cast<const char*>(b.data()), static_cast<qsizetype>(b.size()));
}

std::vector<transport::Transport*> transports_of(const std::vector<TransportAdapter*>& adapters) {
    std::vector<transport::Transport*> out;
    for (auto* a : adapters) out.push_back(&a->transport());
    return out;
}

}  // namespace

MessengerDriver::MessengerDriver(store::ProfileStore& store, Rng& rng,
                                 std::vector<TransportAdapter*> adapters,
                                 messenger::MessengerConfig config)
    : store_(store),
      adapters_(std::move(adapters)),
      host_(std::make_unique<messenger::MessengerHost>(store, rng, transports_of(adapters_),
                                                       std::move(config))) {
    timer_.setSingleShot(true);
    timer_.setTimerType(Qt::PreciseTimer);
    connect(&timer_, &QTimer::timeout, this, [this] {
        host_->tick(now());
        pump();
    });
    for (auto* a : adapters_) connect(a, &TransportAdapter::activity, this, [this] { pump(); });
}

MessengerDriver::~MessengerDriver() = default;

TimePoint MessengerDriver::now() {
    return TimePoint{QDateTime::currentMSecsSinceEpoch() * 1000};
}

void MessengerDriver::start() {
    host_->start(now());
    pump();
}

template <typename F>
auto MessengerDriver::act(F&& f) {
    auto r = f(host_->engine(), now());
    pump();
    return r;
}

Result<messenger::CreatedInvite> MessengerDriver::create_invite(std::optional<Duration> validity) {
    return act([&](auto& m, TimePoint t) { return m.create_invite(validity, t); });
}

Status MessengerDriver::withdraw_invite(store::InviteId id) {
    return act([&](auto& m, TimePoint t) { return m.withdraw_invite(id, t); });
}

Result<store::ContactId> MessengerDriver::accept_invite(const QString& code) {
    return act([&](auto& m, TimePoint t) { return m.accept_invite(code.toStdString(), t); });
}

Result<store::MessageRecord> MessengerDriver::send_message(store::ContactId contact,
                                                           const QString& body) {
    return act(
        [&](auto& m, TimePoint t) { return m.send_message(contact, body.toStdString(), t); });
}

Status MessengerDriver::rename(store::ContactId contact, const QString& nickname) {
    return act([&](auto& m, TimePoint) { return m.rename(contact, nickname.toStdString()); });
}

Status MessengerDriver::revoke(store::ContactId contact) {
    return act([&](auto& m, TimePoint t) { return m.revoke(contact, t); });
}

Status MessengerDriver::set_appear_offline(store::ContactId contact, bool hidden) {
    return act([&](auto& m, TimePoint t) { return m.set_appear_offline(contact, hidden, t); });
}

void MessengerDriver::set_presence_mode(messenger::PresenceMode mode) {
    host_->engine().set_presence_mode(mode, now());
    pump();
}

Status MessengerDriver::mark_read(store::ContactId contact) {
    return act([&](auto& m, TimePoint) { return m.mark_read(contact); });
}

void MessengerDriver::pump() {
    host_->pump(now(), [this] {
        for (auto& e : host_->take_events()) emit_event(e);
        for (auto* a : adapters_) a->flush();
    });
    arm_timer();
}

void MessengerDriver::emit_event(messenger::Event& event) {
    std::visit(Overloaded{
                   [&](messenger::ContactAdded& e) { emit contactAdded(e.contact); },
                   [&](messenger::ContactChanged& e) { emit contactChanged(e.contact); },
                   [&](messenger::ContactRemoved& e) { emit contactRemoved(e.contact); },
                   [&](messenger::MessageAdded& e) { emit messageAdded(e.message); },
                   [&](messenger::MessageStateChanged& e) {
                       emit messageStateChanged(e.contact, to_qbytes(e.id.view()),
                                                static_cast<int>(e.state),
                                                e.delivered_at ? e.delivered_at->us : 0);
                   },
                   [&](messenger::InviteUsed& e) { emit inviteUsed(e.invite, e.contact); },
                   [&](messenger::InviteExpired& e) { emit inviteExpired(e.invite); },
                   [&](messenger::InviteProbed& e) { emit inviteProbed(e.invite, e.probes); },
                   [&](messenger::PresenceModeChanged& e) {
                       emit presenceModeChanged(static_cast<int>(e.mode));
                   },
                   [&](messenger::StorageFailed& e) {
                       emit storageFailed(QString::fromStdString(e.message));
                   },
                   [&](messenger::ContactFlagged& e) {
                       emit contactFlagged(e.contact, static_cast<qsizetype>(e.violations));
                   },
               },
               event);
}

void MessengerDriver::arm_timer() {
    const auto deadline = host_->next_deadline();
    if (deadline == TimePoint::never()) {
        timer_.stop();
        return;
    }
    const auto wait_ms = std::max<std::int64_t>(0, (deadline - now()).us / 1000 + 1);
    timer_.start(static_cast<int>(std::min<std::int64_t>(wait_ms, 24 * 3600 * 1000)));
}

}  // namespace sotto::net
