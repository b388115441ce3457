// One unlocked profile, online: the encrypted profile store, the profile's
// transport (made by SessionOptions::transport; by default the one the
// profile's network names: Sotto's own tor and the Tor transport for a Tor
// network, the onion node with the profile's keys for a Sotto network) and
// the messenger driver. Both the desktop app and `sotto-cli` run a profile through this
// class, so they behave the same.
//
// Bootstrapping: the transport first gets onto its network (tor
// bootstraps, the onion node fetches a consensus); the messenger starts once it is ready
// (networkChanged reports progress), and ready() fires once.
//
// Profiles live in a directory (default: $XDG_DATA_HOME/sotto/default; any
// other with --profile DIR): `profile.db` is the SQLite database. A session
// holds the directory's ProfileLock from open to destruction, so one profile
// runs in one program at a time. A Tor profile's tor keeps its DataDirectory
// in `tor/` (the consensus cache between runs) and the contacts' sockets in
// `tor-services/`.
#pragma once

#include <QObject>
#include <QString>
#include <memory>

#include "core/crypto/random.hpp"
#include "core/messenger/messenger.hpp"
#include "core/store/profile_store.hpp"
#include "net/messenger_driver.hpp"
#include "net/onion_adapter.hpp"
#include "net/profile_lock.hpp"
#include "net/tor_adapter.hpp"
#include "net/transport_adapter.hpp"

namespace sotto::net {

inline constexpr const char* kProfileDbFile = "profile.db";
inline constexpr const char* kTorDataDir = "tor";
inline constexpr const char* kTorServicesDir = "tor-services";

struct SessionOptions;
// Makes a profile's transport. The default (an empty function) is the one
// the profile's network file names (default_transport).
using TransportFactory = std::function<Result<std::unique_ptr<TransportAdapter>>(
    const store::ProfileIdentity& identity, const SessionOptions& options)>;

struct SessionOptions {
    hs::ServiceConfig service;
    messenger::MessengerConfig messenger;
    // How often to refresh the consensus once we have one (the node retries
    // faster until the first arrives).
    Duration consensus_fetch_interval = Duration::minutes(10);
    // For create_profile and passphrase changes; tests use cheaper ones.
    crypto::ScryptParams scrypt = store::kProfileScrypt;
    TransportFactory transport;
    // A Tor profile's tor and its transport (publication spacing, timeouts).
    QString tor_program = QStringLiteral("tor");
    transport::TorTransportConfig tor;

    // `--fast-publication` of sotto and sotto-cli: for a local test network
    // with a handful of users there is nothing to hide from colluding
    // directories, and waiting a minute per descriptor, or up to 30 s for
    // the start-up connects, would only slow the demo. Never the default:
    // the delays are what keep contacts from being linked.
    void use_fast_publication();
};

enum class NetworkState { Bootstrapping, Online };

class ProfileSession : public QObject {
    Q_OBJECT
  public:
    // $XDG_DATA_HOME/sotto/default (via QStandardPaths).
    static QString default_profile_dir();
    static bool profile_exists(const QString& dir);
    // Creates DIR (mode 0700) and DIR/profile.db with fresh node keys.
    // The network file text (a Sotto network file, or a Tor network file:
    // dir::kPublicTorNetworkFile for the Tor network) is checked first;
    // errors say what to fix.
    // `lock`: DIR's lock if the caller holds it already (the app takes it at
    // start-up); otherwise this takes it for the duration, and fails with
    // ProfileLock's message if another program has the profile open.
    static Status create_profile(const QString& dir, const QString& passphrase,
                                 const QString& display_name, const QString& network_file_text,
                                 const crypto::ScryptParams& scrypt = store::kProfileScrypt,
                                 std::shared_ptr<ProfileLock> lock = {});
    // Unlocks the profile and starts the node. The profile lock comes first
    // (the caller's `lock`, or taken here): if another program has the
    // profile open this fails with ProfileLock's message before the
    // passphrase is tried. A wrong passphrase fails with
    // store::kWrongPassphrase and touches nothing.
    static Result<std::unique_ptr<ProfileSession>> open(const QString& dir,
                                                        const QString& passphrase,
                                                        SessionOptions options = {},
                                                        std::shared_ptr<ProfileLock> lock = {});
    ~ProfileSession() override;

    // The transport the profile's network names, with the options' settings.
    static Result<std::unique_ptr<TransportAdapter>> default_transport(
        const QString& dir, const store::ProfileIdentity& identity, const SessionOptions& options);

    NetworkState network_state() const { return state_; }
    // Null until ready().
    MessengerDriver* messenger() { return messenger_.get(); }
    store::ProfileStore& store() { return *store_; }
    TransportAdapter& transport() { return *transport_; }
    // The onion node, when the transport is the onion transport.
    NodeDriver* node();
    // Sotto's own tor, when the profile is on a Tor network.
    TorAdapter* tor();
    QString dir() const { return dir_; }

  signals:
    void networkChanged(sotto::net::NetworkState state, const QString& detail);
    void ready();
    void failed(const QString& message);

  private:
    ProfileSession() = default;
    void on_transport_ready();

    QString dir_;
    SessionOptions options_;
    SystemRng rng_;
    // Declared before the store: released only once the database is closed.
    std::shared_ptr<ProfileLock> lock_;
    std::unique_ptr<store::ProfileStore> store_;
    std::unique_ptr<TransportAdapter> transport_;
    std::unique_ptr<MessengerDriver> messenger_;
    NetworkState state_ = NetworkState::Bootstrapping;
};

}  // namespace sotto::net
