#include "tests/common/loopback_adapter.hpp"

namespace sotto::testing {

LoopbackAdapter::LoopbackAdapter(LoopbackNetwork& network) : transport_(network) {
    transport_.set_wake([this] {
        if (woken_) return;
        woken_ = true;
        QMetaObject::invokeMethod(
            this,
            [this] {
                woken_ = false;
                emit activity();
            },
            Qt::QueuedConnection);
    });
    set_ready();
}

}  // namespace sotto::testing
