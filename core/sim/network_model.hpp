// How the simulated network treats bytes travelling between two hosts: a
// one-way latency with uniform jitter, a bandwidth that adds a serialisation
// delay per segment, and loss modelled the way TCP experiences it (a lost
// segment is retransmitted after an RTO, so it arrives late but in order).
// The simulator applies one `PathModel` per direction of every host pair
// (`NetworkModel::path` unless overridden with `Simulator::set_path`).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/util/time.hpp"

namespace sotto::sim {

struct PathModel {
    Duration latency = Duration::millis(20);  // one way
    Duration jitter = Duration::millis(5);    // extra delay, uniform in [0, jitter]
    std::uint64_t bandwidth = 0;              // bytes per second per direction; 0 = unlimited
    double loss = 0.0;                        // probability that a segment is retransmitted
    Duration rto = Duration::millis(200);     // extra delay per retransmission (doubles)
};

struct NetworkModel {
    PathModel path;  // between two distinct hosts
    PathModel loopback{.latency = Duration::micros(50), .jitter = Duration{}};  // host to itself
    // Bytes handed to `Simulator::send` are cut into segments of at most this
    // size; each segment gets its own delay (order is always preserved).
    std::size_t segment_size = 16 * 1024;
};

}  // namespace sotto::sim
