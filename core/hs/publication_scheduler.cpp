#include "core/hs/publication_scheduler.hpp"

#include <algorithm>
#include <utility>

namespace sotto::hs {

namespace {

using DirMap = std::map<crypto::Ed25519PublicKey, PublicationScheduler::DirSlots>;

Duration jitter(const PublicationConfig& config, Rng& rng) {
    if (config.max_jitter.us <= 0) return {};
    // Inclusive bound: [0, max_jitter] in microseconds.
    return Duration::micros(static_cast<std::int64_t>(
        rng.uniform(static_cast<std::uint64_t>(config.max_jitter.us) + 1)));
}

// Schedules a batch against the per-HSDir memory `dirs` (slots and pending
// counts, which it updates). Returns the schedule in input order.
std::vector<ScheduledUpload> schedule_batch(const std::vector<PendingUpload>& batch,
                                            const PublicationConfig& config, TimePoint now,
                                            Rng& rng, DirMap& dirs) {
    // (upload, HSDir) pairs in input order; two replicas may share a relay on
    // a small ring, and one upload to it is enough.
    std::vector<ScheduledUpload> out;
    for (const auto& u : batch) {
        const std::size_t first = out.size();
        for (const auto& dir : u.hsdirs) {
            const bool seen = std::any_of(out.begin() + static_cast<std::ptrdiff_t>(first),
                                          out.end(), [&](const auto& s) { return s.hsdir == dir; });
            if (!seen) out.push_back({u.token, u.id, dir, now});
        }
    }
    if (!config.enabled) return out;

    // The pairs of each HSDir, as indexes into `out`.
    std::map<crypto::Ed25519PublicKey, std::vector<std::size_t>> by_dir;
    for (std::size_t i = 0; i < out.size(); ++i) by_dir[out[i].hsdir].push_back(i);
    for (auto& [dir, pairs] : by_dir) {
        auto& slots = dirs[dir];
        const Duration spacing = effective_spacing(config, slots.pending + pairs.size());
        // Fisher-Yates: the slot order is independent of the input order.
        for (std::size_t k = pairs.size(); k > 1; --k)
            std::swap(pairs[k - 1], pairs[rng.uniform(k)]);
        TimePoint slot =
            slots.last_slot == TimePoint::never() ? now : std::max(now, slots.last_slot + spacing);
        for (std::size_t i : pairs) {
            out[i].send_at = slot + jitter(config, rng);
            slots.last_slot = slot;
            slot = slot + spacing;
        }
        slots.pending += pairs.size();
    }
    return out;
}

}  // namespace

Duration effective_spacing(const PublicationConfig& config, std::size_t queued) {
    if (queued == 0 || config.spread_window.us <= 0) return config.same_dir_spacing;
    return std::min(config.same_dir_spacing,
                    config.spread_window / static_cast<std::int64_t>(queued));
}

std::vector<ScheduledUpload> schedule(const std::vector<PendingUpload>& batch,
                                      const PublicationConfig& config, TimePoint now, Rng& rng) {
    DirMap dirs;
    return schedule_batch(batch, config, now, rng, dirs);
}

void PublicationScheduler::add(const std::vector<PendingUpload>& batch, TimePoint now) {
    // Forget HSDirs whose last slot no longer constrains anything, so the map
    // stays as small as the set of recently used directories.
    std::erase_if(dirs_, [&](const auto& kv) {
        return kv.second.pending == 0 && (kv.second.last_slot == TimePoint::never() ||
                                          kv.second.last_slot + config_.same_dir_spacing <= now);
    });
    for (auto& s : schedule_batch(batch, config_, now, rng_, dirs_)) {
        if (!config_.enabled) ++dirs_[s.hsdir].pending;
        queue_.emplace(s.send_at, std::move(s));
    }
}

void PublicationScheduler::forget_pending(const crypto::Ed25519PublicKey& hsdir) {
    if (auto it = dirs_.find(hsdir); it != dirs_.end() && it->second.pending > 0)
        --it->second.pending;
}

std::vector<ScheduledUpload> PublicationScheduler::due(TimePoint now) {
    std::vector<ScheduledUpload> out;
    std::vector<PendingUpload> overdue;
    const bool respread = config_.enabled && config_.overdue_after.us >= 0;
    auto end = queue_.upper_bound(now);
    for (auto it = queue_.begin(); it != end; ++it) {
        forget_pending(it->second.hsdir);
        if (respread && it->first + config_.overdue_after < now)
            overdue.push_back({it->second.id, {it->second.hsdir}, it->second.token});
        else
            out.push_back(it->second);
    }
    queue_.erase(queue_.begin(), end);
    // New slots from now on: each HSDir's first one at now + jitter, the
    // rest spaced for the load, as for any batch.
    if (!overdue.empty())
        for (auto& s : schedule_batch(overdue, config_, now, rng_, dirs_))
            queue_.emplace(s.send_at, std::move(s));
    return out;
}

TimePoint PublicationScheduler::next_deadline() const {
    return queue_.empty() ? TimePoint::never() : queue_.begin()->first;
}

std::size_t PublicationScheduler::cancel(std::uint64_t token) {
    return std::erase_if(queue_, [&](const auto& kv) {
        if (kv.second.token != token) return false;
        forget_pending(kv.second.hsdir);
        return true;
    });
}

std::uint64_t next_revision(std::uint64_t last, TimePoint now, Rng& rng) {
    const auto jitter = rng.uniform(static_cast<std::uint64_t>(kRevisionJitter.us));
    return std::max(last + 1, static_cast<std::uint64_t>(now.us) + jitter);
}

std::size_t PublicationScheduler::pending_for(const crypto::Ed25519PublicKey& hsdir) const {
    auto it = dirs_.find(hsdir);
    return it == dirs_.end() ? 0 : it->second.pending;
}

}  // namespace sotto::hs
