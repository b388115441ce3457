// The event-loop half every sans-I/O engine needs, written once for the
// onion node (NodeDriver) and the messenger host (MessengerDriver). A core
// engine never reads a clock and never waits: after each input someone must
// carry out what it asked for, and wake it when its next deadline passes.
// EngineDriver is that someone's generic part: the clock (now()), a pump()
// that may be called from anywhere, even from inside itself, and one
// single-shot timer kept on the engine's next deadline. What differs between
// the engines (sockets and outputs for the node; transports, adapters and
// signals for the messenger) stays in the owning driver and comes in as
// three hooks. Single-threaded: use it on its owner's thread.
#pragma once

#include <QObject>
#include <QTimer>
#include <functional>

#include "core/util/time.hpp"

namespace sotto::net {

class EngineDriver {
  public:
    struct Hooks {
        // Carries out, once, what the engine has asked for so far (its
        // outputs, actions, events). pump() calls it again when something
        // pumped meanwhile, so it need not loop on its own.
        std::function<void()> run;
        // Hands the engine the time: its expired deadlines fire.
        std::function<void(TimePoint)> tick;
        // The engine's next deadline; TimePoint::never() for none.
        std::function<TimePoint()> next_deadline;
    };

    // The timer is a child of `owner` (it follows the owner to another
    // thread) and its expiry runs in the owner's context. `name` only labels
    // the spin warning ("node", "messenger"). Destroy the driver before its
    // owner, as a member of the owner is.
    EngineDriver(QObject* owner, const char* name, Hooks hooks);
    EngineDriver(const EngineDriver&) = delete;
    EngineDriver& operator=(const EngineDriver&) = delete;

    // Wall-clock microseconds since the Unix epoch: the engines' clock
    // (stored timestamps are compared across restarts, so not a steady clock).
    static TimePoint now();

    // Runs the `run` hook, then re-arms the timer on the next deadline. A
    // call while a run is in progress (a slot acting on the engine, a socket
    // reporting during a write) does not nest: it makes the running call go
    // round once more, so the owner's outputs are carried out in the order
    // the engine produced them and no hook ever sees itself re-entered.
    void pump();
    // Disarms the timer until the next pump() (the owner is shutting down).
    void stop() { timer_.stop(); }

    // How long to wait for `deadline` at `now`: rounded up to whole
    // milliseconds, because a timer that fires even a little early finds
    // nothing due and spins; 0 when it has passed; at most kMaxWait, so an
    // absurdly far deadline still fits in an int and a clock change is
    // noticed within a day.
    static int wait_ms(TimePoint deadline, TimePoint now);
    static constexpr Duration kMaxWait = Duration::hours(24);
    // This many expiries in a row that leave the deadline already due mean
    // the engine's deadline does not move forward: worth one warning, not a
    // silent busy loop.
    static constexpr int kSpinWarning = 1000;

    // For tests and diagnostics.
    bool pumping() const { return running_; }
    bool timer_armed() const { return timer_.isActive(); }
    int timer_interval_ms() const { return timer_.interval(); }

  private:
    void arm_timer();
    void on_timer();

    const char* name_;
    Hooks hooks_;
    QTimer timer_;
    bool running_ = false;
    bool again_ = false;         // pump() was called during the current run
    int zero_timer_streak_ = 0;  // expiries in a row after which the deadline was still due
};

}  // namespace sotto::net
