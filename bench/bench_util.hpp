// Helpers shared by the benchmarks that run real processes: starting and
// stopping sotto-localnet, running the event loop until something happened,
// and percentiles. Benchmarks only; tests wait on signals instead.
#pragma once

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

namespace sotto::bench {

#ifdef SOTTO_LOCALNET  // benches that start processes
inline bool run_localnet(const QStringList& args) {
    QProcess p;
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p.start(SOTTO_LOCALNET, args);
    return p.waitForFinished(120000) && p.exitCode() == 0;
}
#endif

// Processes events until `done` (checked after every event) or `ms` passed.
inline bool wait_for(const std::function<bool()>& done, int ms) {
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > ms) return false;
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    }
    return true;
}

inline std::pair<double, double> p50_p99(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return {v[v.size() / 2], v[v.size() * 99 / 100]};
}

}  // namespace sotto::bench
