// SENDME windows (tor-spec §7.3-7.4): a sender may have at most `window`
// DATA cells unacknowledged; the receiver acknowledges every `increment`
// cells. Windows bound what any relay on the path must buffer for a circuit
// to about 1000 cells (~500 KB), whatever the receiver's speed.
#pragma once

#include <cstdint>

namespace sotto::onion {

inline constexpr int kCircuitWindow = 1000;
inline constexpr int kCircuitIncrement = 100;
inline constexpr int kStreamWindow = 500;
inline constexpr int kStreamIncrement = 50;

struct Window {
    int package;  // DATA cells we may still send
    int deliver;  // DATA cells we may still receive before acknowledging
    int initial;
    int increment;

    static Window circuit() {
        return {kCircuitWindow, kCircuitWindow, kCircuitWindow, kCircuitIncrement};
    }
    static Window stream() {
        return {kStreamWindow, kStreamWindow, kStreamWindow, kStreamIncrement};
    }

    bool can_package() const { return package > 0; }
    void packaged() { --package; }
    // A SENDME arrived. False when it would exceed the initial window (a
    // protocol violation: the peer acknowledged cells we never sent).
    bool on_sendme() {
        if (package + increment > initial) return false;
        package += increment;
        return true;
    }
    // A DATA cell arrived. Returns false when the peer overran the window.
    bool delivered() { return --deliver >= 0; }
    // True when a SENDME should be sent now (and accounts for it).
    bool take_sendme() {
        if (deliver <= initial - increment) {
            deliver += increment;
            return true;
        }
        return false;
    }
};

}  // namespace sotto::onion
