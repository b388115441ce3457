// One unlocked profile, online: the encrypted profile store, the onion node
// (client and private service) with the profile's keys, the onion transport
// and the messenger driver. Both the desktop app and `sotto-cli` run a
// profile through this class, so they behave the same.
//
// Bootstrapping: the node first fetches a consensus from the network named
// in the profile; the private service and the messenger start on the first
// consensus (networkChanged reports progress), and ready() fires once.
//
// Profiles live in a directory (default: $XDG_DATA_HOME/sotto/default; any
// other with --profile DIR): `profile.db` is the SQLite database. A session
// holds the directory's ProfileLock from open to destruction, so one profile
// runs in one program at a time.
#pragma once

#include <QObject>
#include <QString>
#include <memory>

#include "core/messenger/messenger.hpp"
#include "core/store/profile_store.hpp"
#include "net/messenger_driver.hpp"
#include "net/node_driver.hpp"
#include "net/onion_transport.hpp"
#include "net/profile_lock.hpp"

namespace sotto::net {

inline constexpr const char* kProfileDbFile = "profile.db";

struct SessionOptions {
    hs::ServiceConfig service;
    messenger::MessengerConfig messenger;
    // How often to refresh the consensus once we have one (the node retries
    // faster until the first arrives).
    Duration consensus_fetch_interval = Duration::minutes(10);
    // For create_profile and passphrase changes; tests use cheaper ones.
    crypto::ScryptParams scrypt = store::kProfileScrypt;

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
    // The network file text is checked first; errors say what to fix.
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

    NetworkState network_state() const { return state_; }
    // Null until ready().
    MessengerDriver* messenger() { return messenger_.get(); }
    store::ProfileStore& store() { return *store_; }
    NodeDriver& node() { return *node_; }
    QString dir() const { return dir_; }

  signals:
    void networkChanged(sotto::net::NetworkState state, const QString& detail);
    void ready();
    void failed(const QString& message);

  private:
    ProfileSession() = default;
    void on_consensus();

    QString dir_;
    SessionOptions options_;
    SystemRng rng_;
    // Declared before the store: released only once the database is closed.
    std::shared_ptr<ProfileLock> lock_;
    std::unique_ptr<store::ProfileStore> store_;
    std::unique_ptr<NodeDriver> node_;
    std::unique_ptr<OnionTransport> transport_;
    std::unique_ptr<MessengerDriver> messenger_;
    NetworkState state_ = NetworkState::Bootstrapping;
};

}  // namespace sotto::net
