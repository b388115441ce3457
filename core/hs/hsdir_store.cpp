#include "core/hs/hsdir_store.hpp"

#include <algorithm>

namespace sotto::hs {

namespace {

std::string revision_text(std::uint64_t r) {
    return "revision " + std::to_string(r);
}

}  // namespace

Status HsDirStore::store(const DescriptorId& claimed, ByteView encoded, TimePoint now,
                         UploadSource source) {
    auto d = decode_hs_descriptor(encoded);
    if (!d) {
        switch (d.error().code) {
            case Errc::TooLarge:
                ++counters_.too_large;
                break;
            case Errc::BadVersion:
                ++counters_.bad_version;
                break;
            case Errc::BadSignature:
                ++counters_.bad_signature;
                break;
            default:
                ++counters_.malformed;
                break;
        }
        return std::unexpected(d.error());
    }
    if (auto ok = check_hs_descriptor(*d, claimed, now, config_.max_clock_skew); !ok) {
        switch (ok.error().code) {
            case Errc::BadIdentity:
                ++counters_.wrong_id;
                break;
            case Errc::NotYetValid:
                ++counters_.not_yet_valid;
                break;
            default:
                ++counters_.expired;
                break;
        }
        return ok;
    }

    if (auto t = tombstones_.find(claimed); t != tombstones_.end()) {
        if (t->second.until <= now) {
            tombstones_by_expiry_.erase({t->second.until, t->first});
            tombstones_.erase(t);
        } else if (d->revision <= t->second.revision) {
            ++counters_.withdrawn_replay;
            return fail(Errc::Protocol, "descriptor " + revision_text(d->revision) +
                                            " was withdrawn; only a higher revision may be stored");
        }
        // A higher revision is a new publication; the tombstone stays so that
        // the withdrawn revisions remain refused if this entry goes away.
    }

    auto it = entries_.find(claimed);
    if (it != entries_.end() && it->second.expires <= now) {
        erase_entry(it);
        ++counters_.expired_dropped;
        it = entries_.end();
    }
    if (it != entries_.end()) {
        if (d->revision < it->second.revision) {
            ++counters_.downgrade;
            return fail(Errc::Protocol, "revision downgrade: " + revision_text(d->revision) +
                                            " is older than the stored " +
                                            revision_text(it->second.revision));
        }
        if (d->revision == it->second.revision) {
            if (std::equal(encoded.begin(), encoded.end(), it->second.encoded.begin(),
                           it->second.encoded.end())) {
                ++counters_.idempotent;
                return {};
            }
            ++counters_.revision_conflict;
            return fail(Errc::Protocol, "revision reuse: the stored " + revision_text(d->revision) +
                                            " has different content; use a higher revision");
        }
    }

    const TimePoint expires = hs_descriptor_expiry(*d);
    const bool replacing = it != entries_.end();
    if (encoded.size() > config_.max_bytes || config_.max_entries == 0) {
        ++counters_.full;
        return fail(Errc::Limit, "descriptor is larger than this directory's whole store");
    }
    if (!replacing && config_.max_entries_per_key > 0) {
        // The key competes only with itself: its soonest-expiring entry (an
        // old period's, normally) makes way.
        auto k = by_key_.find(d->client_key);
        if (k != by_key_.end() && k->second.size() >= config_.max_entries_per_key) {
            erase_entry(entries_.find(k->second.begin()->second));
            ++counters_.evicted;
            ++counters_.evicted_key_limit;
        }
    }
    if (!make_room(encoded.size(), replacing ? &claimed : nullptr, source, now)) {
        ++counters_.full;
        return fail(Errc::Limit, "descriptor is larger than this directory's whole store");
    }
    if (replacing) erase_entry(entries_.find(claimed));
    insert_entry(claimed, Entry{Bytes(encoded.begin(), encoded.end()), d->client_key, d->secret_id,
                                d->revision, expires, now, source});
    ++counters_.stored;
    return {};
}

const Bytes* HsDirStore::fetch(const DescriptorId& id, TimePoint now) const {
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.expires <= now) {
        ++counters_.fetch_misses;
        return nullptr;
    }
    ++counters_.fetch_hits;
    return &it->second.encoded;
}

Status HsDirStore::withdraw(const HsWithdrawal& w, TimePoint now) {
    // Checked again although decode_hs_withdrawal did: a withdrawal that
    // reached us as a struct must not delete anything unsigned.
    if (auto ok = check_hs_withdrawal(w); !ok) {
        ++counters_.withdrawal_refused;
        return ok;
    }
    auto it = entries_.find(w.id);
    if (it != entries_.end() && it->second.expires <= now) {
        erase_entry(it);
        ++counters_.expired_dropped;
        it = entries_.end();
    }
    const bool had_entry = it != entries_.end();
    if (had_entry) {
        if (it->second.client_key != w.client_key || it->second.secret_id != w.secret_id) {
            ++counters_.withdrawal_refused;
            return fail(Errc::BadIdentity,
                        "withdrawal does not match the stored descriptor's client key and "
                        "secret id");
        }
        if (w.revision < it->second.revision) {
            ++counters_.withdrawal_refused;
            return fail(Errc::Protocol, "withdrawal of " + revision_text(w.revision) +
                                            " is older than the stored " +
                                            revision_text(it->second.revision));
        }
        erase_entry(it);
    }
    remember_withdrawal(w.id, w.revision, now);
    ++counters_.withdrawals;
    if (!had_entry)
        return fail(Errc::NotFound,
                    "no descriptor stored under this id; the withdrawal is remembered");
    return {};
}

void HsDirStore::expire(TimePoint now) {
    while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
        erase_entry(entries_.find(by_expiry_.begin()->second));
        ++counters_.expired_dropped;
    }
    while (!tombstones_by_expiry_.empty() && tombstones_by_expiry_.begin()->first <= now) {
        tombstones_.erase(tombstones_by_expiry_.begin()->second);
        tombstones_by_expiry_.erase(tombstones_by_expiry_.begin());
    }
}

TimePoint HsDirStore::next_expiry() const {
    TimePoint t = TimePoint::never();
    if (!by_expiry_.empty()) t = earliest(t, by_expiry_.begin()->first);
    if (!tombstones_by_expiry_.empty()) t = earliest(t, tombstones_by_expiry_.begin()->first);
    return t;
}

void HsDirStore::insert_entry(const DescriptorId& id, Entry e) {
    bytes_ += e.encoded.size();
    by_expiry_.insert({e.expires, id});
    by_arrival_.insert({e.stored_at, id});
    by_key_[e.client_key].insert({e.expires, id});
    charge(e.source, id, e);
    entries_.emplace(id, std::move(e));
}

void HsDirStore::erase_entry(EntryMap::iterator it) {
    const auto& [id, e] = *it;
    bytes_ -= e.encoded.size();
    by_expiry_.erase({e.expires, id});
    by_arrival_.erase({e.stored_at, id});
    if (auto k = by_key_.find(e.client_key); k != by_key_.end()) {
        k->second.erase({e.expires, id});
        if (k->second.empty()) by_key_.erase(k);
    }
    uncharge(id, e);
    entries_.erase(it);
}

void HsDirStore::charge(UploadSource source, const DescriptorId& id, const Entry& e) {
    auto& use = sources_[source];
    sources_by_bytes_.erase({use.bytes, source});
    use.bytes += e.encoded.size();
    use.by_arrival.insert({e.stored_at, id});
    sources_by_bytes_.insert({use.bytes, source});
}

void HsDirStore::uncharge(const DescriptorId& id, const Entry& e) {
    auto it = sources_.find(e.source);
    if (it == sources_.end()) return;
    auto& use = it->second;
    sources_by_bytes_.erase({use.bytes, e.source});
    use.bytes -= e.encoded.size();
    use.by_arrival.erase({e.stored_at, id});
    if (use.by_arrival.empty())
        sources_.erase(it);
    else
        sources_by_bytes_.insert({use.bytes, e.source});
}

void HsDirStore::source_closed(UploadSource source) {
    if (source == kClosedSources) return;
    auto it = sources_.find(source);
    if (it == sources_.end()) return;
    const std::set<TimedId> moved = std::move(it->second.by_arrival);
    sources_by_bytes_.erase({it->second.bytes, source});
    sources_.erase(it);
    for (const auto& [t, id] : moved) {
        auto& e = entries_.at(id);
        e.source = kClosedSources;
        charge(kClosedSources, id, e);
    }
}

std::size_t HsDirStore::source_bytes(UploadSource source) const {
    auto it = sources_.find(source);
    return it == sources_.end() ? 0 : it->second.bytes;
}

void HsDirStore::remember_withdrawal(const DescriptorId& id, std::uint64_t revision,
                                     TimePoint now) {
    if (config_.max_tombstones == 0) return;
    // Not the stored descriptor's expiry: an older revision (which is what a
    // replay would carry) may have been signed with a longer lifetime. No
    // descriptor signed before now can be valid after this instant.
    const TimePoint until =
        now + config_.max_clock_skew + Duration::seconds(kMaxHsDescriptorLifetime);
    if (auto t = tombstones_.find(id); t != tombstones_.end()) {
        tombstones_by_expiry_.erase({t->second.until, id});
        t->second.revision = std::max(t->second.revision, revision);
        t->second.until = std::max(t->second.until, until);
        tombstones_by_expiry_.insert({t->second.until, id});
        return;
    }
    if (tombstones_.size() >= config_.max_tombstones) {
        // Every tombstone lasts equally long, so the soonest-expiring is the
        // oldest; losing it only lets an already-superseded descriptor be
        // replayed until it expires.
        auto oldest = tombstones_by_expiry_.begin();
        tombstones_.erase(oldest->second);
        tombstones_by_expiry_.erase(oldest);
    }
    tombstones_.emplace(id, Tombstone{revision, until});
    tombstones_by_expiry_.insert({until, id});
}

bool HsDirStore::make_room(std::size_t add_bytes, const DescriptorId* replacing,
                           UploadSource source, TimePoint now) {
    if (add_bytes > config_.max_bytes || config_.max_entries == 0) return false;
    const std::size_t replaced_bytes = replacing ? entries_.at(*replacing).encoded.size() : 0;
    auto fits = [&] {
        const std::size_t n = entries_.size() - (replacing ? 1 : 0);
        return n + 1 <= config_.max_entries &&
               bytes_ - replaced_bytes + add_bytes <= config_.max_bytes;
    };
    if (fits()) return true;
    expire(now);
    while (!fits()) {
        auto victim = pick_victim(add_bytes, replacing, source, now);
        if (victim == entries_.end()) return false;
        if (victim->second.stored_at + config_.fresh_for <= now) ++counters_.evicted_stale;
        erase_entry(victim);
        ++counters_.evicted;
    }
    return true;
}

HsDirStore::EntryMap::iterator HsDirStore::pick_victim(std::size_t add_bytes,
                                                       const DescriptorId* replacing,
                                                       UploadSource source, TimePoint now) {
    auto skip = [&](const TimedId& t) { return replacing && t.second == *replacing; };
    // Stale first, oldest first: an entry nobody refreshed within fresh_for
    // is not a service's current descriptor, whatever lifetime it claims.
    for (const auto& t : by_arrival_) {
        if (t.first + config_.fresh_for > now) break;
        if (!skip(t)) return entries_.find(t.second);
    }
    // Then the source holding the most bytes, counting the upload itself
    // towards its own source: a source above everyone else's share only
    // displaces its own oldest entries.
    auto oldest_of = [&](UploadSource src) {
        auto it = sources_.find(src);
        if (it == sources_.end()) return entries_.end();
        for (const auto& t : it->second.by_arrival)
            if (!skip(t)) return entries_.find(t.second);
        return entries_.end();
    };
    const std::size_t own = source_bytes(source) + add_bytes;
    for (auto it = sources_by_bytes_.rbegin(); it != sources_by_bytes_.rend(); ++it) {
        if (it->first <= own) {
            if (auto v = oldest_of(source); v != entries_.end()) return v;
        }
        if (auto v = oldest_of(it->second); v != entries_.end()) return v;
    }
    return oldest_of(source);
}

}  // namespace sotto::hs
