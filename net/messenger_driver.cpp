#include "net/messenger_driver.hpp"

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
                                                       std::move(config))),
      engine_(this, "messenger",
              {
                  .run = [this] { run(); },
                  .tick = [this](TimePoint t) { host_->tick(t); },
                  .next_deadline = [this] { return host_->next_deadline(); },
              }) {
    for (auto* a : adapters_) connect(a, &TransportAdapter::activity, this, [this] { pump(); });
}

MessengerDriver::~MessengerDriver() = default;

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

messenger::PresenceMode MessengerDriver::presence_mode() const {
    return host_->engine().presence_mode();
}

messenger::ContactPresence MessengerDriver::presence_of(store::ContactId contact) const {
    return host_->engine().presence_of(contact);
}

Result<std::string> MessengerDriver::safety_number(store::ContactId contact) const {
    return host_->engine().safety_number(contact);
}

bool MessengerDriver::sending_reveals_presence(store::ContactId contact) const {
    return host_->engine().sending_reveals_presence(contact);
}

Result<std::vector<store::MessageRecord>> MessengerDriver::history(
    store::ContactId contact, std::optional<store::MessageRowId> before, std::size_t limit) const {
    return store_.history(contact, before, limit);
}

void MessengerDriver::run() {
    // The host does not nest either: a pump from inside `after_round` only
    // reaches EngineDriver, which calls run() again.
    host_->pump(now(), [this] {
        auto events = host_->take_events();
        for (auto& e : events) emit_event(e);
        for (auto* a : adapters_) a->flush();
    });
}

void MessengerDriver::emit_event(messenger::Event& event) {
    std::visit(Overloaded{
                   [&](messenger::ContactAdded& e) { emit contactAdded(e.contact); },
                   [&](messenger::ContactChanged& e) { emit contactChanged(e.contact); },
                   [&](messenger::ContactRemoved& e) { emit contactRemoved(e.contact); },
                   [&](messenger::MessageAdded& e) { emit messageAdded(e.message); },
                   [&](messenger::MessageStateChanged& e) {
                       emit messageStateChanged(e.contact, to_qbytes(e.id.view()), e.state,
                                                e.delivered_at ? e.delivered_at->us : 0);
                   },
                   [&](messenger::InviteUsed& e) { emit inviteUsed(e.invite, e.contact); },
                   [&](messenger::InviteExpired& e) { emit inviteExpired(e.invite); },
                   [&](messenger::InviteProbed& e) { emit inviteProbed(e.invite, e.probes); },
                   [&](messenger::PresenceModeChanged& e) { emit presenceModeChanged(e.mode); },
                   [&](messenger::StorageFailed& e) {
                       emit storageFailed(QString::fromStdString(e.message));
                   },
                   [&](messenger::ContactFlagged& e) {
                       emit contactFlagged(e.contact, static_cast<qsizetype>(e.violations));
                   },
               },
               event);
}

}  // namespace sotto::net
