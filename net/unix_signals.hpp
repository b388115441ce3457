// Turns SIGTERM and SIGINT into a Qt signal, so a headless process shuts
// down through its event loop (sockets closed, files flushed) instead of dying
// inside a signal handler. Uses a signalfd watched by a QSocketNotifier: no
// code runs in signal context at all.
#pragma once

#include <QObject>
#include <QSocketNotifier>
#include <memory>

#include "core/util/error.hpp"

namespace sotto::net {

class TerminationSignals : public QObject {
    Q_OBJECT
  public:
    // Blocks SIGTERM and SIGINT for the calling thread (and threads it starts
    // later) and opens the signalfd. Call early in main(), before Qt starts
    // threads, so no thread receives the signals the ordinary way.
    static Result<std::unique_ptr<TerminationSignals>> install(QObject* parent = nullptr);
    // Only the blocking part of install(), for the very start of main(),
    // before QCoreApplication exists (QSocketNotifier needs it).
    static Status block();
    ~TerminationSignals() override;

  signals:
    // `signal_number` is SIGTERM or SIGINT.
    void terminationRequested(int signal_number);

  private:
    explicit TerminationSignals(int fd, QObject* parent);
    void on_readable();
    int fd_;
    QSocketNotifier notifier_;
};

}  // namespace sotto::net
