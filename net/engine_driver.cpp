#include "net/engine_driver.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "net/log_bridge.hpp"

namespace sotto::net {

EngineDriver::EngineDriver(QObject* owner, const char* name, Hooks hooks)
    : name_(name), hooks_(std::move(hooks)), timer_(owner) {
    timer_.setSingleShot(true);
    // Coarse timers may fire up to 5% early or late; a deadline a few
    // milliseconds away (a cell retransmission, an acknowledgement) needs
    // better than that.
    timer_.setTimerType(Qt::PreciseTimer);
    QObject::connect(&timer_, &QTimer::timeout, owner, [this] { on_timer(); });
}

TimePoint EngineDriver::now() {
    using namespace std::chrono;
    return TimePoint{duration_cast<microseconds>(system_clock::now().time_since_epoch()).count()};
}

void EngineDriver::pump() {
    if (running_) {
        again_ = true;  // the running call goes round again, after what it is doing
        return;
    }
    running_ = true;
    do {
        again_ = false;
        hooks_.run();
    } while (again_);
    running_ = false;
    arm_timer();
}

int EngineDriver::wait_ms(TimePoint deadline, TimePoint now) {
    const std::int64_t us = (deadline - now).us;
    if (us <= 0) return 0;
    const std::int64_t ms = std::min(us / 1000 + (us % 1000 != 0), kMaxWait.us / 1000);
    return static_cast<int>(ms);
}

void EngineDriver::arm_timer() {
    const TimePoint deadline = hooks_.next_deadline();
    if (deadline == TimePoint::never()) {
        timer_.stop();
        return;
    }
    timer_.start(wait_ms(deadline, now()));
}

void EngineDriver::on_timer() {
    const TimePoint t = now();
    hooks_.tick(t);
    if (hooks_.next_deadline() <= t) {
        if (++zero_timer_streak_ == kSpinWarning)
            qCWarning(lcSottoNet).nospace()
                << "the " << name_
                << "'s next deadline stays in the past after tick(); the timer is spinning";
    } else {
        zero_timer_streak_ = 0;
    }
    pump();
}

}  // namespace sotto::net
