// net::EngineDriver, the loop NodeDriver and MessengerDriver share: a pump
// called from inside a run goes round again instead of nesting, the timer
// ticks the engine once its deadline has passed (never before), no deadline
// disarms it, the wait is rounded up to whole milliseconds and capped, and a
// deadline that stays in the past gets one warning.
#include <QtTest>
#include <algorithm>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "net/engine_driver.hpp"

using namespace sotto;
using sotto::net::EngineDriver;

namespace {

// A fake engine: counts the hooks' calls and has a settable deadline.
struct FakeEngine {
    QObject owner;
    int runs = 0;
    int depth = 0;
    int max_depth = 0;
    std::vector<TimePoint> ticks;
    TimePoint deadline = TimePoint::never();
    std::function<void()> during_run;  // what the first run does, e.g. pump again
    std::function<void(TimePoint)> on_tick;
    std::optional<EngineDriver> driver;

    FakeEngine() {
        driver.emplace(&owner, "test engine",
                       EngineDriver::Hooks{
                           .run =
                               [this] {
                                   ++runs;
                                   max_depth = std::max(max_depth, ++depth);
                                   if (auto f = std::exchange(during_run, {})) f();
                                   --depth;
                               },
                           .tick =
                               [this](TimePoint t) {
                                   ticks.push_back(t);
                                   if (on_tick) on_tick(t);
                               },
                           .next_deadline = [this] { return deadline; },
                       });
    }
    // The driver goes before its owner.
    ~FakeEngine() { driver.reset(); }
};

}  // namespace

class TestEngineDriver : public QObject {
    Q_OBJECT
  private slots:
    void pump_runs_once() {
        FakeEngine e;
        e.driver->pump();
        QCOMPARE(e.runs, 1);
        QVERIFY(!e.driver->pumping());
        QVERIFY(!e.driver->timer_armed());
    }

    void reentrant_pump_goes_round_again() {
        FakeEngine e;
        bool pumping_inside = false;
        e.during_run = [&] {
            pumping_inside = e.driver->pumping();
            e.driver->pump();
            // Not nested: the inner call returned without running.
            QCOMPARE(e.runs, 1);
        };
        e.driver->pump();
        QVERIFY(pumping_inside);
        QCOMPARE(e.runs, 2);
        QCOMPARE(e.max_depth, 1);
        QVERIFY(!e.driver->pumping());
    }

    void several_reentrant_pumps_make_one_more_round() {
        FakeEngine e;
        e.during_run = [&] {
            e.driver->pump();
            e.driver->pump();
            e.driver->pump();
        };
        e.driver->pump();
        QCOMPARE(e.runs, 2);
        QCOMPARE(e.max_depth, 1);
    }

    void pump_arms_the_timer_after_the_last_round() {
        FakeEngine e;
        // The deadline appears during the run: the timer must still see it.
        e.during_run = [&] {
            e.deadline = EngineDriver::now() + Duration::seconds(10);
            e.driver->pump();
        };
        e.driver->pump();
        QVERIFY(e.driver->timer_armed());
        QVERIFY(e.driver->timer_interval_ms() > 9000);
        QVERIFY(e.driver->timer_interval_ms() <= 10000);
    }

    void timer_ticks_at_the_deadline() {
        FakeEngine e;
        // Not a whole number of milliseconds away: rounding down would fire
        // before the deadline.
        e.deadline = EngineDriver::now() + Duration::micros(50'300);
        const TimePoint deadline = e.deadline;
        e.on_tick = [&](TimePoint) { e.deadline = TimePoint::never(); };
        e.driver->pump();
        QVERIFY(e.driver->timer_armed());
        QTRY_COMPARE_WITH_TIMEOUT(e.ticks.size(), std::size_t(1), 5000);
        QVERIFY2(e.ticks[0] >= deadline, "ticked before the deadline");
        // The tick is followed by a pump (its outputs are carried out) ...
        QCOMPARE(e.runs, 2);
        // ... which saw no deadline left and stopped the timer.
        QVERIFY(!e.driver->timer_armed());
    }

    void timer_follows_a_moving_deadline() {
        FakeEngine e;
        e.deadline = EngineDriver::now() + Duration::millis(20);
        e.on_tick = [&](TimePoint t) {
            e.deadline = e.ticks.size() < 3 ? t + Duration::millis(20) : TimePoint::never();
        };
        e.driver->pump();
        QTRY_COMPARE_WITH_TIMEOUT(e.ticks.size(), std::size_t(3), 5000);
        QVERIFY(!e.driver->timer_armed());
        QVERIFY(e.ticks[1] >= e.ticks[0] + Duration::millis(20));
        QVERIFY(e.ticks[2] >= e.ticks[1] + Duration::millis(20));
    }

    void never_deadline_stops_the_timer() {
        FakeEngine e;
        e.deadline = EngineDriver::now() + Duration::seconds(10);
        e.driver->pump();
        QVERIFY(e.driver->timer_armed());
        e.deadline = TimePoint::never();
        e.driver->pump();
        QVERIFY(!e.driver->timer_armed());
        QTest::qWait(0);
        QVERIFY(e.ticks.empty());
    }

    void stop_disarms_until_the_next_pump() {
        FakeEngine e;
        e.deadline = EngineDriver::now() + Duration::seconds(10);
        e.driver->pump();
        e.driver->stop();
        QVERIFY(!e.driver->timer_armed());
        e.driver->pump();
        QVERIFY(e.driver->timer_armed());
    }

    void wait_is_rounded_up_and_capped() {
        const TimePoint t = TimePoint::from_seconds(1'700'000'000);
        QCOMPARE(EngineDriver::wait_ms(t, t), 0);
        QCOMPARE(EngineDriver::wait_ms(t - Duration::seconds(5), t), 0);
        QCOMPARE(EngineDriver::wait_ms(t + Duration::micros(1), t), 1);
        QCOMPARE(EngineDriver::wait_ms(t + Duration::micros(999), t), 1);
        QCOMPARE(EngineDriver::wait_ms(t + Duration::micros(1000), t), 1);
        QCOMPARE(EngineDriver::wait_ms(t + Duration::micros(1001), t), 2);
        QCOMPARE(EngineDriver::wait_ms(t + Duration::millis(1500), t), 1500);
        const int day_ms = 24 * 3600 * 1000;
        QCOMPARE(EngineDriver::wait_ms(t + Duration::hours(24), t), day_ms);
        QCOMPARE(EngineDriver::wait_ms(t + Duration::hours(24 * 365), t), day_ms);
        QCOMPARE(EngineDriver::wait_ms(TimePoint{TimePoint::never().us - 1}, t), day_ms);
    }

    void deadline_stuck_in_the_past_warns() {
        FakeEngine e;
        e.deadline = EngineDriver::now() - Duration::seconds(1);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression("test engine's next deadline stays in the past"));
        e.driver->pump();
        // The timer keeps firing at once while the deadline is due.
        QTRY_VERIFY_WITH_TIMEOUT(e.ticks.size() >= std::size_t(EngineDriver::kSpinWarning), 30000);
        e.deadline = TimePoint::never();
        e.driver->pump();
        QVERIFY(!e.driver->timer_armed());
    }
};

QTEST_GUILESS_MAIN(TestEngineDriver)
#include "tst_engine_driver.moc"
