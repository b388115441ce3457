// A private Tor network on 127.0.0.1 for the tests labelled `tor`: one
// directory authority and a few relays, each a child `tor` process of the
// test, on a fresh folder and fresh ports every time (a network half an hour
// old stalls connects: ../shared/tor/README.md). Every relay is a guard and
// an HSDir and can be an introduction or rendezvous point, so the onion
// service protocol runs end to end on real tor code. The network is ready
// when the authority's consensus lists every relay; a client started then
// bootstraps in a few seconds.
//
// Each tor runs with __OwningControllerProcess set to the test's PID, so a
// crashed test leaves no tor behind.
#pragma once

#include <QObject>
#include <QProcess>
#include <QString>
#include <chrono>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "core/util/error.hpp"
#include "net/tor_process.hpp"

namespace sotto::testing {

struct TorTestNetworkOptions {
    int relays = 4;
    std::chrono::milliseconds ready_timeout{90'000};
    QString tor = QStringLiteral("tor");
    QString tor_gencert = QStringLiteral("tor-gencert");
};

using net::TorOption;

class TorTestNetwork : public QObject {
    Q_OBJECT
  public:
    // Makes the keys, starts every tor and returns once the consensus lists
    // them all; an error names the step and carries the tail of the log of
    // a tor that exited.
    static Result<std::unique_ptr<TorTestNetwork>> start(const QString& dir,
                                                         TorTestNetworkOptions options = {});
    // Stops every tor of the network.
    ~TorTestNetwork() override;

    // What a client of this network needs besides its own ports and folder:
    // TestingTorNetwork, the authority, and the settings that make a tiny
    // network fast (see ../shared/tor/README.md).
    std::vector<TorOption> client_options() const;
    // The same as a Tor network file (core/dir/tor_network_file.hpp), for
    // profiles on this network: `sotto-cli init --network FILE`.
    QString network_file_text(const QString& name = QStringLiteral("sotto-test")) const;
    // Relays (the authority included) in the authority's newest consensus.
    int relays_in_consensus() const;
    int tor_count() const { return static_cast<int>(nodes_.size()); }

  private:
    struct Node {
        QString dir;
        std::unique_ptr<QProcess> process;
    };
    explicit TorTestNetwork(QString dir, TorTestNetworkOptions options)
        : dir_(std::move(dir)), options_(std::move(options)) {}
    Status make_authority_keys();
    Status start_node(const QString& name, const std::vector<TorOption>& options);
    Status wait_for_consensus();
    std::vector<TorOption> common_options(const QString& name) const;
    QString log_tail(const Node& node) const;

    QString dir_;
    TorTestNetworkOptions options_;
    quint16 port_base_ = 0;  // authority OR, authority Dir, then one OR port a relay
    QString dir_authority_;  // the DirAuthority line's value
    std::vector<Node> nodes_;
};

}  // namespace sotto::testing
