#include "core/hs/publication_scheduler.hpp"

#include <algorithm>

namespace sotto::hs {

namespace {

Duration jitter(const PublicationConfig& config, Rng& rng) {
    if (config.max_jitter.us <= 0) return {};
    // Inclusive bound: [0, max_jitter] in microseconds.
    return Duration::micros(static_cast<std::int64_t>(
        rng.uniform(static_cast<std::uint64_t>(config.max_jitter.us) + 1)));
}

// Schedules one upload against the per-HSDir memory `last`, appending to out.
void schedule_one(const PendingUpload& u, const PublicationConfig& config, TimePoint now, Rng& rng,
                  std::map<crypto::Ed25519PublicKey, TimePoint>& last,
                  std::vector<ScheduledUpload>& out) {
    std::vector<crypto::Ed25519PublicKey> seen;
    for (const auto& dir : u.hsdirs) {
        // Two replicas may share a relay on a small ring; one upload is enough.
        if (std::find(seen.begin(), seen.end(), dir) != seen.end()) continue;
        seen.push_back(dir);
        if (!config.enabled) {
            out.push_back({u.token, u.id, dir, now});
            continue;
        }
        TimePoint base = now;
        if (auto it = last.find(dir); it != last.end())
            base = std::max(base, it->second + config.same_dir_spacing);
        const TimePoint at = base + jitter(config, rng);
        last[dir] = at;
        out.push_back({u.token, u.id, dir, at});
    }
}

}  // namespace

std::vector<ScheduledUpload> schedule(const std::vector<PendingUpload>& batch,
                                      const PublicationConfig& config, TimePoint now, Rng& rng) {
    std::map<crypto::Ed25519PublicKey, TimePoint> last;
    std::vector<ScheduledUpload> out;
    for (const auto& u : batch) schedule_one(u, config, now, rng, last, out);
    return out;
}

void PublicationScheduler::add(const PendingUpload& upload, TimePoint now) {
    // Forget HSDirs whose spacing no longer constrains anything, so the map
    // stays as small as the set of recently used directories.
    std::erase_if(last_send_,
                  [&](const auto& kv) { return kv.second + config_.same_dir_spacing <= now; });
    std::vector<ScheduledUpload> out;
    schedule_one(upload, config_, now, rng_, last_send_, out);
    for (auto& s : out) queue_.emplace(s.send_at, std::move(s));
}

std::vector<ScheduledUpload> PublicationScheduler::due(TimePoint now) {
    std::vector<ScheduledUpload> out;
    auto end = queue_.upper_bound(now);
    for (auto it = queue_.begin(); it != end; ++it) out.push_back(it->second);
    queue_.erase(queue_.begin(), end);
    return out;
}

TimePoint PublicationScheduler::next_deadline() const {
    return queue_.empty() ? TimePoint::never() : queue_.begin()->first;
}

std::size_t PublicationScheduler::cancel(std::uint64_t token) {
    return std::erase_if(queue_, [&](const auto& kv) { return kv.second.token == token; });
}

}  // namespace sotto::hs
