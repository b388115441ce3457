#include "app/sotto-cli/daemon.hpp"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocalSocket>

#include "app/sotto-cli/control_protocol.hpp"
#include "net/peer_credentials.hpp"

namespace sotto::cli {

namespace {

using messenger::ContactPresence;
using messenger::PresenceMode;

qint64 now_ms() {
    return QDateTime::currentMSecsSinceEpoch();
}

QJsonObject ok(QJsonObject o = {}) {
    o["ok"] = true;
    return o;
}

QJsonObject err(const QString& message) {
    return QJsonObject{{"ok", false}, {"error", message}};
}

QJsonObject err(const Error& e) {
    return err(QString::fromStdString(e.message));
}

QString presence_name(ContactPresence p) {
    switch (p) {
        case ContactPresence::Online:
            return "online";
        case ContactPresence::Away:
            return "away";
        case ContactPresence::Offline:
            break;
    }
    return "offline";
}

QString mode_name(PresenceMode m) {
    switch (m) {
        case PresenceMode::Away:
            return "away";
        case PresenceMode::Invisible:
            return "invisible";
        case PresenceMode::Visible:
            break;
    }
    return "visible";
}

QString state_name(store::MessageState s) {
    switch (s) {
        case store::MessageState::Queued:
            return "queued";
        case store::MessageState::Sent:
            return "sent";
        case store::MessageState::Delivered:
            return "delivered";
        case store::MessageState::Failed:
            return "failed";
        case store::MessageState::Received:
            return "received";
    }
    return "unknown";
}

QString contact_state_name(store::ContactState s) {
    switch (s) {
        case store::ContactState::Requested:
            return "requested";
        case store::ContactState::Established:
            return "established";
        case store::ContactState::InviteExpired:
            return "invite-expired";
    }
    return "unknown";
}

QString invite_status_name(store::InviteStatus s) {
    switch (s) {
        case store::InviteStatus::Open:
            return "open";
        case store::InviteStatus::Used:
            return "used";
        case store::InviteStatus::Expired:
            return "expired";
        case store::InviteStatus::Withdrawn:
            return "withdrawn";
    }
    return "unknown";
}

QString iso(TimePoint t) {
    return QDateTime::fromMSecsSinceEpoch(t.us / 1000).toUTC().toString(Qt::ISODateWithMs);
}

}  // namespace

Daemon::Daemon(std::unique_ptr<net::ProfileSession> session) : session_(std::move(session)) {
    waiter_timer_.setSingleShot(true);
    connect(&waiter_timer_, &QTimer::timeout, this, &Daemon::poll_waiters);
}

Daemon::~Daemon() {
    server_.close();
}

Result<std::unique_ptr<Daemon>> Daemon::start(std::unique_ptr<net::ProfileSession> session) {
    const QString dir = session->dir();
    const QString path = control_socket_path(dir);
    // The session holds the profile lock, so no other daemon serves this
    // socket; a socket file still there was left by a crash.
    QLocalServer::removeServer(path);
    std::unique_ptr<Daemon> d(new Daemon(std::move(session)));
    d->server_.setSocketOptions(QLocalServer::UserAccessOption);
    if (!d->server_.listen(path))
        return fail(Errc::Io, "cannot open the control socket " + path.toStdString() + ": " +
                                  d->server_.errorString().toStdString());
    connect(&d->server_, &QLocalServer::newConnection, d.get(), &Daemon::on_connection);
    auto* self = d.get();
    connect(d->session_.get(), &net::ProfileSession::ready, self, [self] {
        auto* m = self->session_->messenger();
        // Queued: a command's own action emits these signals, and its
        // waiter must not be re-run from inside itself.
        for (auto sig : {&net::MessengerDriver::contactAdded, &net::MessengerDriver::contactChanged,
                         &net::MessengerDriver::contactRemoved})
            connect(m, sig, self, &Daemon::poll_waiters, Qt::QueuedConnection);
        connect(m, &net::MessengerDriver::messageStateChanged, self, &Daemon::poll_waiters,
                Qt::QueuedConnection);
        connect(m, &net::MessengerDriver::messageAdded, self, &Daemon::poll_waiters,
                Qt::QueuedConnection);
        // After ready() returns: the session starts the messenger then, and
        // a command that waited for the network (a send right after
        // unlock) must find its contacts loaded.
        QTimer::singleShot(0, self, &Daemon::poll_waiters);
    });
    return d;
}

void Daemon::on_connection() {
    while (auto* socket = server_.nextPendingConnection()) {
        connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
        if (!net::peer_is_same_user(socket)) {
            // Not a word back: whoever it is learns nothing about the profile.
            socket->abort();
            socket->deleteLater();
            continue;
        }
        connect(socket, &QLocalSocket::readyRead, this, [this, socket] {
            if (socket->property("handled").toBool()) return;
            if (!socket->canReadLine()) {
                if (socket->bytesAvailable() > 64 * 1024) socket->abort();
                return;
            }
            socket->setProperty("handled", true);
            auto doc = QJsonDocument::fromJson(socket->readLine().trimmed());
            if (!doc.isObject()) {
                reply(socket, err("malformed request"));
                return;
            }
            on_request(socket, doc.object());
        });
    }
}

void Daemon::reply(QLocalSocket* socket, const QJsonObject& answer) {
    if (!socket) return;
    socket->write(QJsonDocument(answer).toJson(QJsonDocument::Compact) + '\n');
    socket->flush();
    socket->disconnectFromServer();
}

void Daemon::on_request(QLocalSocket* socket, const QJsonObject& request) {
    const auto cmd = request["cmd"].toString();
    if (cmd == "lock") {
        reply(socket, ok());
        emit lockRequested();
        return;
    }
    const int timeout_s = request.contains("timeout") ? request["timeout"].toInt() : 60;
    waiting_.push_back(Pending{socket, request, now_ms() + timeout_s * 1000LL, {}});
    poll_waiters();
}

// Every waiting request is re-evaluated on each messenger event; handle()
// returns an empty object while its condition does not hold yet.
void Daemon::poll_waiters() {
    if (polling_) return;
    polling_ = true;
    const auto now = now_ms();
    qint64 next = -1;
    for (auto it = waiting_.begin(); it != waiting_.end();) {
        if (!it->socket) {
            it = waiting_.erase(it);
            continue;
        }
        auto answer = handle(it->request, it->socket);
        if (answer.isEmpty() && now >= it->deadline_ms) {
            answer =
                err(QStringLiteral("timed out after %1 s waiting for %2")
                        .arg(it->request["timeout"].toInt(60))
                        .arg(it->request["cmd"].toString() == "send" ? QStringLiteral("delivery")
                             : session_->messenger()                 ? QStringLiteral("the contact")
                                                     : QStringLiteral("the network")));
        }
        if (!answer.isEmpty()) {
            reply(it->socket, answer);
            it = waiting_.erase(it);
            continue;
        }
        next = next < 0 ? it->deadline_ms : std::min(next, it->deadline_ms);
        ++it;
    }
    polling_ = false;
    if (next >= 0) waiter_timer_.start(int(std::max<qint64>(0, next - now) + 1));
}

Result<store::ContactId> Daemon::resolve_contact(const QJsonValue& ref) {
    const auto text = ref.toString().trimmed();
    auto all = session_->store().contact_summaries();
    if (!all) return std::unexpected(all.error());
    bool numeric = false;
    const auto id = text.toULongLong(&numeric);
    std::vector<store::ContactId> matches;
    for (const auto& c : *all) {
        if ((numeric && c.id == id) ||
            QString::fromStdString(c.display).compare(text, Qt::CaseInsensitive) == 0)
            matches.push_back(c.id);
    }
    if (matches.empty())
        return fail(Errc::NotFound, "no contact named '" + text.toStdString() + "'");
    if (matches.size() > 1)
        return fail(Errc::Config, "several contacts are named '" + text.toStdString() +
                                      "': use the contact id from 'sotto-cli contacts'");
    return matches.front();
}

QJsonObject Daemon::contact_json(const store::ContactSummary& s) {
    const auto* m = session_->messenger();
    QJsonObject o{{"id", QString::number(s.id)},
                  {"name", QString::fromStdString(s.display)},
                  {"state", contact_state_name(s.state)},
                  {"presence", presence_name(m ? m->presence_of(s.id) : ContactPresence::Offline)},
                  {"appear_offline", s.appear_offline},
                  {"unread", int(s.unread)}};
    if (s.last_message_at) o["last_message_at"] = iso(*s.last_message_at);
    return o;
}

QJsonObject Daemon::message_json(const store::MessageRecord& m) {
    QJsonObject o{{"id", QString::fromStdString(m.id.hex())},
                  {"direction", m.direction == store::Direction::Outgoing ? "out" : "in"},
                  {"state", state_name(m.state)},
                  {"text", QString::fromStdString(m.body)},
                  {"sent_at", iso(m.sent_at)}};
    if (m.delivered_at) o["delivered_at"] = iso(*m.delivered_at);
    return o;
}

QJsonObject Daemon::handle(const QJsonObject& r, QLocalSocket* socket) {
    auto& store = session_->store();
    const auto cmd = r["cmd"].toString();
    auto* m = session_->messenger();
    if (cmd == "status") {
        QJsonObject o{{"name", QString::fromStdString(store.identity().display_name)},
                      {"profile", session_->dir()},
                      {"network", m ? "online" : "bootstrapping"}};
        if (auto* node = session_->node())
            if (const auto* c = node->consensus()) o["relays"] = int(c->relays.size());
        if (m) {
            o["presence"] = mode_name(m->presence_mode());
            auto all = store.contact_summaries();
            if (all) {
                int online = 0;
                for (const auto& c : *all)
                    online += m->presence_of(c.id) != ContactPresence::Offline;
                o["contacts"] = int(all->size());
                o["contacts_online"] = online;
            }
        }
        return ok(o);
    }
    if (cmd == "contacts") {
        auto all = store.contact_summaries();
        if (!all) return err(all.error());
        QJsonArray list;
        for (const auto& c : *all) list.append(contact_json(c));
        return ok({{"contacts", list}});
    }
    if (cmd == "invites") {
        auto all = store.invites();
        if (!all) return err(all.error());
        QJsonArray list;
        for (const auto& inv : *all) {
            // `probes`: streams that opened with the code and left without
            // using it; each told its holder we were online.
            QJsonObject o{{"id", QString::number(inv.id)},
                          {"status", invite_status_name(inv.status)},
                          {"created_at", iso(inv.created_at)},
                          {"expires_at", iso(inv.expires_at)},
                          {"probes", qint64(inv.probes)}};
            if (inv.used_by) o["used_by"] = QString::number(*inv.used_by);
            list.append(o);
        }
        return ok({{"invites", list}});
    }
    if (cmd == "history") {
        auto id = resolve_contact(r["contact"]);
        if (!id) return err(id.error());
        auto page = store.history(*id, std::nullopt, std::size_t(r["limit"].toInt(50)));
        if (!page) return err(page.error());
        QJsonArray list;
        for (const auto& msg : *page) list.append(message_json(msg));
        return ok({{"messages", list}});
    }
    if (cmd == "safety-number") {
        auto id = resolve_contact(r["contact"]);
        if (!id) return err(id.error());
        if (!m) return {};
        auto n = m->safety_number(*id);
        if (!n) return err(n.error());
        return ok({{"safety_number", QString::fromStdString(*n)}});
    }
    // Everything below changes what the network sees: wait until online.
    if (!m) return {};
    auto scratch = socket->property("scratch").toJsonObject();
    auto remember = [&](const QJsonObject& s) { socket->setProperty("scratch", s); };

    if (cmd == "invite") {
        std::optional<Duration> validity;
        if (r.contains("expires_s")) validity = Duration::seconds(r["expires_s"].toInteger());
        auto inv = m->create_invite(validity);
        if (!inv) return err(inv.error());
        return ok({{"invite", QString::number(inv->id)},
                   {"code", QString::fromStdString(inv->code)},
                   {"expires_at", iso(inv->expires_at)}});
    }
    if (cmd == "accept") {
        if (!scratch.contains("contact")) {
            auto id = m->accept_invite(r["code"].toString());
            if (!id) return err(id.error());
            scratch["contact"] = QString::number(*id);
            scratch["t0"] = now_ms();
            remember(scratch);
        }
        const auto id = scratch["contact"].toString().toULongLong();
        auto c = store.contact(id);
        if (!c) return err(c.error());
        if (r["wait"].toBool() && c->state == store::ContactState::InviteExpired)
            return err("the invite code expired before " + QString::fromStdString(c->name) +
                       " answered: ask them for a new code");
        if (!r["wait"].toBool() || c->state == store::ContactState::Established)
            return ok({{"contact", QString::number(id)},
                       {"name", QString::fromStdString(c->name)},
                       {"state", contact_state_name(c->state)},
                       {"ms", now_ms() - scratch["t0"].toInteger()}});
        return {};
    }
    if (cmd == "send") {
        if (!scratch.contains("id")) {
            auto id = resolve_contact(r["contact"]);
            if (!id) return err(id.error());
            if (m->sending_reveals_presence(*id) && !r["reveal"].toBool())
                return err(
                    "you appear offline to this contact: sending shows you online to "
                    "them (and only them). Repeat with --yes to send anyway");
            auto msg = m->send_message(*id, r["text"].toString());
            if (!msg) return err(msg.error());
            scratch["contact"] = QString::number(*id);
            scratch["id"] = QString::fromStdString(msg->id.hex());
            scratch["t0"] = now_ms();
            remember(scratch);
            if (msg->state == store::MessageState::Delivered || !r["wait"].toBool())
                return ok({{"id", scratch["id"]}, {"state", state_name(msg->state)}});
        }
        const auto contact = scratch["contact"].toString().toULongLong();
        auto out = store.outbox(contact);
        if (!out) return err(out.error());
        for (const auto& msg : *out)
            if (QString::fromStdString(msg.id.hex()) == scratch["id"].toString()) return {};
        return ok({{"id", scratch["id"]},
                   {"state", "delivered"},
                   {"ms", now_ms() - scratch["t0"].toInteger()}});
    }
    if (cmd == "wait-online" || cmd == "wait-offline") {
        auto id = resolve_contact(r["contact"]);
        if (!id) return err(id.error());
        const bool offline = m->presence_of(*id) == ContactPresence::Offline;
        if (offline != (cmd == "wait-offline")) return {};
        return ok({{"presence", presence_name(m->presence_of(*id))}});
    }
    if (cmd == "revoke") {
        auto id = resolve_contact(r["contact"]);
        if (!id) return err(id.error());
        if (auto s = m->revoke(*id); !s) return err(s.error());
        return ok();
    }
    if (cmd == "rename") {
        auto id = resolve_contact(r["contact"]);
        if (!id) return err(id.error());
        if (auto s = m->rename(*id, r["name"].toString()); !s) return err(s.error());
        return ok();
    }
    if (cmd == "appear-offline") {
        auto id = resolve_contact(r["contact"]);
        if (!id) return err(id.error());
        if (auto s = m->set_appear_offline(*id, r["on"].toBool()); !s) return err(s.error());
        return ok();
    }
    if (cmd == "presence") {
        const auto v = r["mode"].toString();
        PresenceMode mode;
        if (v == "visible")
            mode = PresenceMode::Visible;
        else if (v == "away")
            mode = PresenceMode::Away;
        else if (v == "invisible")
            mode = PresenceMode::Invisible;
        else
            return err("presence is one of: visible, away, invisible");
        m->set_presence_mode(mode);
        return ok({{"presence", mode_name(mode)}});
    }
    return err("unknown command '" + cmd + "' (see sotto-cli --help)");
}

}  // namespace sotto::cli
