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

}  // namespace

MessengerDriver::MessengerDriver(store::ProfileStore& store, Rng& rng, PrivateService& service,
                                 ServiceClient& client, messenger::MessengerConfig config)
    : store_(store),
      service_(service),
      client_(client),
      engine_(std::make_unique<messenger::Messenger>(store, rng, config)) {
    timer_.setSingleShot(true);
    timer_.setTimerType(Qt::PreciseTimer);
    connect(&timer_, &QTimer::timeout, this, [this] {
        engine_->tick(now());
        pump();
    });
    connect(&service_, &PrivateService::incomingStream, this,
            [this](quint64 tag, ServiceStream* stream) { adopt(stream, tag, true); });
    connect(&service_, &PrivateService::contactFlagged, this, &MessengerDriver::contactFlagged);
    connect(&client_, &ServiceClient::connected, this, [this](AttemptId attempt, ServiceStream* s) {
        auto it = attempts_.find(attempt);
        if (it == attempts_.end()) {
            s->close();
            s->deleteLater();
            return;
        }
        const auto contact = it->second;
        attempts_.erase(it);
        adopt(s, contact, false);
    });
    connect(&client_, &ServiceClient::unreachable, this, [this](AttemptId attempt, const QString&) {
        auto it = attempts_.find(attempt);
        if (it == attempts_.end()) return;
        const auto contact = it->second;
        attempts_.erase(it);
        engine_->connect_failed(contact, now());
        pump();
    });
}

MessengerDriver::~MessengerDriver() {
    for (auto& [id, s] : streams_)
        if (s) {
            s->disconnect(this);
            s->close();
            s->deleteLater();
        }
}

TimePoint MessengerDriver::now() {
    return TimePoint{QDateTime::currentMSecsSinceEpoch() * 1000};
}

void MessengerDriver::start() {
    engine_->start(now());
    pump();
}

Result<messenger::CreatedInvite> MessengerDriver::create_invite(std::optional<Duration> validity) {
    auto r = engine_->create_invite(validity, now());
    pump();
    return r;
}

Status MessengerDriver::withdraw_invite(store::InviteId id) {
    auto r = engine_->withdraw_invite(id, now());
    pump();
    return r;
}

Result<store::ContactId> MessengerDriver::accept_invite(const QString& code) {
    auto r = engine_->accept_invite(code.toStdString(), now());
    pump();
    return r;
}

Result<store::MessageRecord> MessengerDriver::send_message(store::ContactId contact,
                                                           const QString& body) {
    auto r = engine_->send_message(contact, body.toStdString(), now());
    pump();
    return r;
}

Status MessengerDriver::rename(store::ContactId contact, const QString& nickname) {
    auto r = engine_->rename(contact, nickname.toStdString());
    pump();
    return r;
}

Status MessengerDriver::revoke(store::ContactId contact) {
    auto r = engine_->revoke(contact, now());
    pump();
    return r;
}

Status MessengerDriver::set_appear_offline(store::ContactId contact, bool hidden) {
    auto r = engine_->set_appear_offline(contact, hidden, now());
    pump();
    return r;
}

void MessengerDriver::set_presence_mode(messenger::PresenceMode mode) {
    engine_->set_presence_mode(mode, now());
    pump();
}

Status MessengerDriver::mark_read(store::ContactId contact) {
    auto r = engine_->mark_read(contact);
    pump();
    return r;
}

void MessengerDriver::adopt(ServiceStream* stream, hs::ContactId tag, bool incoming) {
    const auto id = next_stream_++;
    stream->setParent(this);
    streams_[id] = stream;
    connect(stream, &ServiceStream::dataReceived, this, [this, id](const QByteArray& data) {
        engine_->stream_data(id,
                             ByteView(reinterpret_cast<const std::uint8_t*>(data.constData()),
                                      static_cast<std::size_t>(data.size())),
                             now());
        pump();
    });
    connect(stream, &ServiceStream::closed, this, [this, id](const QString&) {
        auto it = streams_.find(id);
        if (it == streams_.end()) return;
        if (it->second) it->second->deleteLater();
        streams_.erase(it);
        engine_->stream_closed(id, now());
        pump();
    });
    engine_->stream_opened(id, tag, incoming, now());
    pump();
}

// Actions can produce more actions (a failed write closes a stream, which
// the engine hears about); the loop runs until the engine is quiet.
void MessengerDriver::pump() {
    if (pumping_) return;
    pumping_ = true;
    for (;;) {
        auto actions = engine_->take_actions();
        auto events = engine_->take_events();
        if (actions.empty() && events.empty()) break;
        for (auto& a : actions) execute(a);
        for (auto& e : events) emit_event(e);
    }
    pumping_ = false;
    arm_timer();
}

void MessengerDriver::execute(messenger::Action& action) {
    std::visit(Overloaded{
                   [&](messenger::GrantAccess& g) {
                       if (auto r = service_.grant(g.tag, std::move(g.grant), g.hidden); !r)
                           emit storageFailed(QString::fromStdString(r.error().message));
                   },
                   [&](messenger::RevokeAccess& r) { (void)service_.revoke(r.tag); },
                   [&](messenger::HideAccess& h) { (void)service_.hide(h.tag, h.hidden); },
                   [&](messenger::SetServiceVisible& v) { service_.set_visible(v.visible); },
                   [&](messenger::Connect& c) {
                       auto attempt = client_.connect_to(c.credentials);
                       if (!attempt) {
                           engine_->connect_failed(c.contact, now());
                           return;
                       }
                       attempts_[*attempt] = c.contact;
                   },
                   [&](messenger::Send& s) {
                       auto it = streams_.find(s.stream);
                       if (it == streams_.end() || !it->second) return;
                       if (!it->second->write(to_qbytes(s.data))) {
                           auto stream = it->second;
                           streams_.erase(it);
                           stream->close();
                           stream->deleteLater();
                           engine_->stream_closed(s.stream, now());
                       }
                   },
                   [&](messenger::Close& c) {
                       auto it = streams_.find(c.stream);
                       if (it == streams_.end()) return;
                       auto stream = it->second;
                       streams_.erase(it);
                       if (stream) {
                           stream->disconnect(this);
                           stream->close();
                           stream->deleteLater();
                       }
                   },
               },
               action);
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
               },
               event);
}

void MessengerDriver::arm_timer() {
    const auto deadline = engine_->next_deadline();
    if (deadline == TimePoint::never()) {
        timer_.stop();
        return;
    }
    const auto wait_ms = std::max<std::int64_t>(0, (deadline - now()).us / 1000 + 1);
    timer_.start(static_cast<int>(std::min<std::int64_t>(wait_ms, 24 * 3600 * 1000)));
}

}  // namespace sotto::net
