#include "net/tor_controller.hpp"

#include <QFile>

#include "core/crypto/random.hpp"
#include "core/tor/command_replies.hpp"
#include "core/tor/safecookie.hpp"

namespace sotto::net {
namespace {

QString text_of(const Error& e) {
    return QString::fromStdString(e.message);
}

}  // namespace

TorController::TorController(QObject* parent) : QObject(parent) {}

TorController::~TorController() {
    close();
}

void TorController::open(const QString& socket, const QString& cookie_file) {
    close();
    ended_ = false;
    authenticated_ = false;
    cookie_file_ = cookie_file;
    parser_ = std::make_unique<tor::ControlReplyParser>();
    socket_ = std::make_unique<QLocalSocket>();
    connect(socket_.get(), &QLocalSocket::connected, this, &TorController::on_connected);
    connect(socket_.get(), &QLocalSocket::readyRead, this, &TorController::on_ready_read);
    connect(socket_.get(), &QLocalSocket::errorOccurred, this, &TorController::on_socket_error);
    connect(socket_.get(), &QLocalSocket::disconnected, this,
            [this] { end(QStringLiteral("tor closed the control connection")); });
    socket_->connectToServer(socket);
}

void TorController::close() {
    if (!socket_) return;
    // Closed before anyone hears of it: a callback below that sends again
    // is refused, not written to a socket that is gone.
    ended_ = true;
    authenticated_ = false;
    // Later, not now: close() is often reached from one of the socket's own
    // signals (disconnected, errorOccurred).
    QLocalSocket* s = socket_.release();
    s->disconnect(this);
    s->abort();
    s->deleteLater();
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& p : pending)
        if (p.done) p.done(fail(Errc::Io, "the control connection was closed"));
}

void TorController::send(tor::ControlCommand command, Done done) {
    if (!authenticated_ || !socket_) {
        if (done) done(fail(Errc::Protocol, "tor's control connection is not open"));
        return;
    }
    write(std::move(command), std::move(done));
}

void TorController::write(tor::ControlCommand command, Done done) {
    pending_.push_back(
        {QString::fromLatin1(command.verb.data(), command.verb.size()), std::move(done)});
    socket_->write(reinterpret_cast<const char*>(command.line.data()),
                   static_cast<qint64>(command.line.size()));
    // command.line wipes itself here; Qt's write buffer is released as
    // soon as the kernel took the bytes.
}

void TorController::on_connected() {
    ask_protocolinfo();
}

void TorController::on_socket_error() {
    if (!socket_) return;
    end("tor's control socket: " + socket_->errorString());
}

void TorController::on_ready_read() {
    while (socket_ && socket_->bytesAvailable() > 0) {
        const QByteArray bytes = socket_->read(64 * 1024);
        auto fed = parser_->feed(ByteView(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                          static_cast<std::size_t>(bytes.size())));
        if (!fed) {
            end("tor's control port sent something unreadable: " + text_of(fed.error()));
            return;
        }
        while (socket_) {
            auto reply = parser_->next();
            if (!reply) break;
            if (reply->is_event())
                on_event(*reply);
            else
                on_reply(std::move(*reply));
        }
    }
}

void TorController::on_reply(tor::ControlReply reply) {
    if (pending_.empty()) {
        end(QStringLiteral("tor answered a command that was not sent"));
        return;
    }
    auto p = std::move(pending_.front());
    pending_.pop_front();
    if (p.done) p.done(std::move(reply));
}

void TorController::end(const QString& message) {
    if (ended_) return;
    close();
    emit failed(message);
}

// ---- authentication: PROTOCOLINFO, AUTHCHALLENGE, AUTHENTICATE ----

void TorController::ask_protocolinfo() {
    write(tor::command::protocolinfo(), [this](Result<tor::ControlReply> r) {
        if (!r) return;
        auto info = tor::parse_protocolinfo(*r);
        if (!info) return end("tor's PROTOCOLINFO: " + text_of(info.error()));
        version_ = QString::fromStdString(info->tor_version);
        if (!info->auth_safecookie)
            return end(QStringLiteral("tor does not offer SAFECOOKIE authentication"));
        // A tor that names another cookie file is not the one we started.
        if (QString::fromStdString(info->cookie_file) != cookie_file_)
            return end(QStringLiteral("tor's cookie file is not the one Sotto configured"));
        ask_challenge(cookie_file_);
    });
}

void TorController::ask_challenge(const QString& cookie_file) {
    QFile f(cookie_file);
    if (!f.open(QIODevice::ReadOnly)) return end("cannot read tor's cookie: " + f.errorString());
    QByteArray raw = f.read(tor::kAuthCookieBytes + 1);
    auto cookie = tor::auth_cookie_from_file(ByteView(
        reinterpret_cast<const std::uint8_t*>(raw.data()), static_cast<std::size_t>(raw.size())));
    secure_wipe(raw.data(), static_cast<std::size_t>(raw.size()));
    if (!cookie) return end("tor's cookie: " + text_of(cookie.error()));
    cookie_ = std::move(*cookie);
    SystemRng rng;
    rng.fill(client_nonce_.bytes);
    write(tor::command::authchallenge(client_nonce_), [this](Result<tor::ControlReply> r) {
        if (!r) return;
        auto challenge = tor::parse_authchallenge(*r);
        if (!challenge) return end("tor's AUTHCHALLENGE: " + text_of(challenge.error()));
        answer_challenge(*challenge);
    });
}

void TorController::answer_challenge(tor::AuthChallenge challenge) {
    if (auto ok = tor::verify_safecookie_server_hash(*cookie_, client_nonce_, challenge); !ok)
        return end(QStringLiteral("the control socket does not know tor's cookie"));
    auto hash = tor::safecookie_client_hash(*cookie_, client_nonce_, challenge);
    cookie_.reset();
    if (!hash) return end("SAFECOOKIE: " + text_of(hash.error()));
    write(tor::command::authenticate(*hash), [this](Result<tor::ControlReply> r) {
        if (!r) return;
        if (auto ok = tor::expect_ok(*r); !ok)
            return end("tor refused the authentication: " + text_of(ok.error()));
        take_ownership();
    });
}

void TorController::take_ownership() {
    write(tor::command::takeownership(), [this](Result<tor::ControlReply> r) {
        if (!r) return;
        if (auto ok = tor::expect_ok(*r); !ok) return end("TAKEOWNERSHIP: " + text_of(ok.error()));
        subscribe();
    });
}

void TorController::subscribe() {
    const std::string_view events[] = {"STATUS_CLIENT", "STATUS_GENERAL", "HS_DESC"};
    auto cmd = tor::command::setevents(events);
    if (!cmd) return end(text_of(cmd.error()));
    write(std::move(*cmd), [this](Result<tor::ControlReply> r) {
        if (!r) return;
        if (auto ok = tor::expect_ok(*r); !ok) return end("SETEVENTS: " + text_of(ok.error()));
        read_bootstrap();
    });
}

// Events only tell what changes; the state at connection time is asked.
void TorController::read_bootstrap() {
    const std::string_view keys[] = {"status/bootstrap-phase"};
    auto cmd = tor::command::getinfo(keys);
    if (!cmd) return end(text_of(cmd.error()));
    write(std::move(*cmd), [this](Result<tor::ControlReply> r) {
        if (!r) return;
        auto info = tor::parse_getinfo(*r);
        if (!info) return end("GETINFO status/bootstrap-phase: " + text_of(info.error()));
        const auto* phase = tor::find_info(*info, "status/bootstrap-phase");
        if (!phase) return end(QStringLiteral("tor did not say how far it has bootstrapped"));
        auto status = tor::parse_bootstrap_phase(*phase);
        if (!status) return end("tor's bootstrap phase: " + text_of(status.error()));
        authenticated_ = true;
        emit authenticated();
        set_bootstrap(std::move(*status));
    });
}

// ---- events ----

void TorController::on_event(const tor::ControlReply& event) {
    const auto name = tor::event_name(event);
    if (name == "STATUS_CLIENT") {
        auto status = tor::parse_bootstrap_event(event);
        if (status) set_bootstrap(std::move(*status));  // other STATUS_CLIENT events: not ours
    } else if (name == "STATUS_GENERAL") {
        if (auto skew = tor::parse_clock_skew(event); skew) {
            const QString why = skew->skew_seconds
                                    ? QStringLiteral("this computer's clock is off by %1 s")
                                          .arg(*skew->skew_seconds)
                                    : QStringLiteral("this computer's clock is off");
            if (why != last_problem_) {
                last_problem_ = why;
                emit bootstrapProblem(why, QStringLiteral("CLOCK_SKEW"));
            }
        }
    } else if (name == "HS_DESC") {
        if (auto hs = tor::parse_hs_desc(event); hs) emit hsDesc(*hs);
    }
}

void TorController::set_bootstrap(tor::BootstrapStatus status) {
    if (status.is_problem()) {
        const QString why = QString::fromStdString(status.warning);
        if (why != last_problem_) {
            last_problem_ = why;
            emit bootstrapProblem(why, QString::fromStdString(status.reason));
        }
        return;
    }
    const bool changed = status.progress != bootstrap_.progress || status.tag != bootstrap_.tag;
    bootstrap_ = std::move(status);
    if (changed)
        emit bootstrapChanged(bootstrap_.progress, QString::fromStdString(bootstrap_.summary));
}

}  // namespace sotto::net
