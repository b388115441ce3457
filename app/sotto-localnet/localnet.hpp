// sotto-localnet: a whole Sotto onion network on this machine, for
// development and integration tests. `start` creates one data directory per
// node, writes the network file, launches K authorities and N relays as
// detached sotto-node processes on 127.0.0.1 with short voting timers, and
// returns once a consensus lists every node. `stop` signals exactly the
// processes it recorded; `status` shows them.
#pragma once

#include <QString>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace sotto::app {

struct StartOptions {
    QString dir;
    int relays = 5;
    int authorities = 3;
    std::uint16_t base_port = 5001;
    int timeout_seconds = 60;
    int vote_interval = 5;
    int vote_delay = 2;
    bool verbose = false;
};

// One recorded node: a line "<pid> <name> <port>" of DIR/pids.
struct RecordedNode {
    qint64 pid = 0;
    QString name;
    std::uint16_t port = 0;
};

// Each returns the process exit code and prints its own messages.
int localnet_start(const StartOptions& options);
int localnet_stop(const QString& dir);
int localnet_status(const QString& dir);

// True when `pid` is a live sotto-node whose --data-dir is `data_dir`.
bool is_recorded_node_alive(qint64 pid, const QString& data_dir);

}  // namespace sotto::app
