#include "net/profile_session.hpp"

#include <QDir>
#include <QFile>
#include <QStandardPaths>

#include "core/crypto/random.hpp"
#include "core/dir/profile_network.hpp"

namespace sotto::net {

namespace {

std::filesystem::path db_path(const QString& dir) {
    return std::filesystem::path(QDir(dir).filePath(kProfileDbFile).toStdString());
}

// The caller's lock if it has one (and it is DIR's), else DIR's, taken now.
Result<std::shared_ptr<ProfileLock>> lock_for(const QString& dir,
                                              std::shared_ptr<ProfileLock> held) {
    if (!held) return ProfileLock::acquire(dir);
    if (!held->covers(dir))
        return fail(Errc::Config, "the profile lock given is for " + held->dir().toStdString() +
                                      ", not " + dir.toStdString());
    return held;
}

}  // namespace

void SessionOptions::use_fast_publication() {
    service.publication.same_dir_spacing = Duration::millis(50);
    service.publication.max_jitter = Duration::millis(50);
    messenger.reconnect_min = Duration::seconds(1);
    messenger.reconnect_max = Duration::seconds(10);
    messenger.connect_spread = Duration::seconds(1);
    tor.publish_spacing = Duration::millis(50);
    tor.publish_jitter = Duration::millis(50);
}

QString ProfileSession::default_profile_dir() {
    return QDir(QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation))
        .filePath("sotto/default");
}

bool ProfileSession::profile_exists(const QString& dir) {
    return QFile::exists(QDir(dir).filePath(kProfileDbFile));
}

Status ProfileSession::create_profile(const QString& dir, const QString& passphrase,
                                      const QString& display_name, const QString& network_file_text,
                                      const crypto::ScryptParams& scrypt,
                                      std::shared_ptr<ProfileLock> held) {
    auto network = dir::parse_profile_network(network_file_text.toStdString());
    if (!network) return std::unexpected(network.error());
    if (display_name.trimmed().isEmpty())
        return fail(Errc::Config, "choose a display name (your contacts see it)");
    if (passphrase.isEmpty()) return fail(Errc::Config, "choose a passphrase");
    if (profile_exists(dir))
        return fail(Errc::Io, "a profile already exists in " + dir.toStdString());
    if (!QDir().mkpath(dir))
        return fail(Errc::Io, "cannot create the profile directory " + dir.toStdString());
    QFile::setPermissions(dir,
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    // Two creators at once would both pass the check above.
    auto lock = lock_for(dir, std::move(held));
    if (!lock) return std::unexpected(lock.error());
    if (profile_exists(dir))
        return fail(Errc::Io, "a profile already exists in " + dir.toStdString());
    SystemRng rng;
    auto onion = crypto::X25519SecretKey::generate(rng);
    store::ProfileIdentity id{
        .display_name = display_name.trimmed().toStdString(),
        .node_identity = crypto::Ed25519SecretKey::generate(rng),
        .node_onion = Secret<32>(onion.secret_bytes()),
        .network_file = network_file_text.toStdString(),
        .network_id = network->id,
    };
    const auto pass = passphrase.toUtf8();
    auto created = store::ProfileStore::create(
        db_path(dir), std::string_view(pass.constData(), static_cast<std::size_t>(pass.size())),
        std::move(id), rng, scrypt);
    if (!created) return std::unexpected(created.error());
    return {};
}

Result<std::unique_ptr<ProfileSession>> ProfileSession::open(const QString& dir,
                                                             const QString& passphrase,
                                                             SessionOptions options,
                                                             std::shared_ptr<ProfileLock> held) {
    if (!profile_exists(dir))
        return fail(Errc::NotFound,
                    "no profile in " + dir.toStdString() + " — create one first (sotto-cli init)");
    auto lock = lock_for(dir, std::move(held));
    if (!lock) return std::unexpected(lock.error());
    std::unique_ptr<ProfileSession> s(new ProfileSession());
    s->lock_ = std::move(*lock);
    s->dir_ = dir;
    s->options_ = options;
    QByteArray pass = passphrase.toUtf8();
    auto st = store::ProfileStore::open(
        db_path(dir), std::string_view(pass.constData(), static_cast<std::size_t>(pass.size())),
        s->rng_);
    secure_wipe(pass.data(), static_cast<std::size_t>(pass.size()));
    if (!st) return std::unexpected(st.error());
    s->store_ = std::move(*st);

    auto transport = options.transport ? options.transport(s->store_->identity(), options)
                                       : default_transport(dir, s->store_->identity(), options);
    if (!transport) return std::unexpected(transport.error());
    s->transport_ = std::move(*transport);
    auto* self = s.get();
    connect(s->transport_.get(), &TransportAdapter::ready, self,
            [self] { self->on_transport_ready(); });
    connect(s->transport_.get(), &TransportAdapter::progress, self,
            [self](const QString& d) { emit self->networkChanged(self->state_, d); });
    connect(s->transport_.get(), &TransportAdapter::failed, self, &ProfileSession::failed);
    return s;
}

ProfileSession::~ProfileSession() {
    // Order matters: the messenger uses the transport.
    messenger_.reset();
    transport_.reset();
}

Result<std::unique_ptr<TransportAdapter>> ProfileSession::default_transport(
    const QString& dir, const store::ProfileIdentity& identity, const SessionOptions& options) {
    auto network = dir::parse_profile_network(identity.network_file);
    if (!network) return std::unexpected(network.error());
    if (network->kind == dir::NetworkKind::Sotto) {
        auto onion =
            OnionAdapter::create(identity, options.service, options.consensus_fetch_interval);
        if (!onion) return std::unexpected(onion.error());
        return std::unique_ptr<TransportAdapter>(std::move(*onion));
    }
    TorAdapterConfig config;
    config.tor.tor_program = options.tor_program;
    config.tor.data_dir = QDir(dir).filePath(kTorDataDir);
    for (const auto& o : network->tor.options)
        config.tor.extra.emplace_back(QString::fromStdString(o.key),
                                      QString::fromStdString(o.value));
    config.transport = options.tor;
    config.sockets_dir = QDir(dir).filePath(kTorServicesDir);
    auto tor = TorAdapter::create(std::move(config));
    if (!tor) return std::unexpected(tor.error());
    return std::unique_ptr<TransportAdapter>(std::move(*tor));
}

TorAdapter* ProfileSession::tor() {
    return qobject_cast<TorAdapter*>(transport_.get());
}

NodeDriver* ProfileSession::node() {
    auto* onion = qobject_cast<OnionAdapter*>(transport_.get());
    return onion ? &onion->node() : nullptr;
}

void ProfileSession::on_transport_ready() {
    if (state_ == NetworkState::Online) return;
    // Every grant is made for the transport the profile runs.
    options_.messenger.transports = {transport_->transport().kind()};
    messenger_ = std::make_unique<MessengerDriver>(
        *store_, rng_, std::vector<TransportAdapter*>{transport_.get()}, options_.messenger);
    state_ = NetworkState::Online;
    emit networkChanged(state_, transport_->status());
    emit ready();
    messenger_->start();
}

}  // namespace sotto::net
