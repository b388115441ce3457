// Helpers shared by the benchmarks that run real processes: starting and
// stopping sotto-localnet, running the event loop until something happened,
// and percentiles. Benchmarks only; tests wait on signals instead.
#pragma once

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QProcess>
#include <QTimer>
#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#ifdef SOTTO_LOCALNET
#include "core/crypto/random.hpp"
#include "core/dir/network_file.hpp"
#include "net/node_driver.hpp"
#endif

namespace sotto::bench {

#ifdef SOTTO_LOCALNET  // benches that start processes
inline bool run_localnet(const QStringList& args) {
    QProcess p;
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p.start(SOTTO_LOCALNET, args);
    return p.waitForFinished(120000) && p.exitCode() == 0;
}

// A client node of the network in `nf` with fresh keys (nullptr if it cannot
// start).
inline std::unique_ptr<net::NodeDriver> new_node(const dir::NetworkFile& nf) {
    SystemRng rng;
    node::NodeConfig cfg;
    cfg.network = nf;
    auto d = net::NodeDriver::create(std::move(cfg),
                                     node::NodeKeys{crypto::Ed25519SecretKey::generate(rng),
                                                    crypto::X25519SecretKey::generate(rng)});
    return d ? std::move(*d) : nullptr;
}

// Starts the node's private service with the publication spacing and jitter
// shortened to 1 ms, so a benchmark does not wait minutes for descriptors.
inline void start_fast_service(net::NodeDriver& d) {
    hs::ServiceConfig cfg;
    cfg.publication.same_dir_spacing = Duration::millis(1);
    cfg.publication.max_jitter = Duration::millis(1);
    (void)d.service_start(cfg);
}
#endif

// Processes events until `done` (checked after every batch of events) or
// `ms` passed, sleeping in the event loop in between. Not
// processEvents(flags, ms): that overload drops WaitForMoreEvents, so the
// loop would spin, and a benchmark spinning on one of two cores keeps the
// relay processes it waits for off that core for up to a scheduler tick
// (4 ms) at a time — that was the p99 of the round-trip benchmarks.
inline bool wait_for(const std::function<bool()>& done, int ms) {
    const QDeadlineTimer deadline(ms);
    QTimer wake;  // ends the last wait at the deadline
    wake.setSingleShot(true);
    wake.setTimerType(Qt::PreciseTimer);
    wake.start(ms);
    while (!done()) {
        if (deadline.hasExpired()) return false;
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
    }
    return true;
}

// Milliseconds of wall time since `t`.
inline double ms_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

inline std::pair<double, double> p50_p99(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return {v[v.size() / 2], v[v.size() * 99 / 100]};
}

// Runs `f` `runs` times; p50 and p99 of its wall time in milliseconds.
template <typename F>
std::pair<double, double> time_runs(int runs, F&& f) {
    std::vector<double> v;
    for (int i = 0; i < runs; ++i) {
        const auto t = std::chrono::steady_clock::now();
        f();
        v.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t)
                        .count());
    }
    return p50_p99(std::move(v));
}

}  // namespace sotto::bench
