// The HSDir role (paper 4.3, DESIGN §2): a relay with the HSDir flag stores
// private-service descriptors under their descriptor ids and serves them to
// anyone who knows an id. It accepts a descriptor only if the signature
// verifies with the included client key and H(H(CK), S) equals the id it is
// uploaded under, so nobody can occupy another service's slot; it bounds
// size, lifetime and clock skew, refuses revision downgrades, and honours
// signed withdrawals. Sans-I/O: the caller passes bytes and the time.
//
// Memory is bounded under a flood of valid uploads (anyone can make client
// keys and sign descriptors for them), and the rule for what to keep when the
// store is full is built so that a flooder cannot lock real services out
// (docs/protocol-hs-descriptors.md, "HSDir admission"):
//  - an upload is never refused for lack of room (only one larger than the
//    whole budget is); something else is evicted;
//  - what goes first: expired entries; then entries stored more than
//    `fresh_for` ago (the longest a Sotto service goes between uploads), so
//    a long claimed lifetime buys nothing under pressure; then the oldest
//    entry of the upload source (the link the upload came over) holding the
//    most bytes, so a source that takes more than its share only displaces
//    itself;
//  - one client key holds at most `max_entries_per_key` entries (a service
//    needs 2 replicas x 2 time periods); a further id replaces the key's
//    soonest-expiring entry.
// The node adds per-circuit and per-link upload quotas (node::Limits).
#pragma once
#pragma once

#include <cstdint>
#include <map>
#include <set>

#include "core/hs/hs_descriptor.hpp"
#include "core/util/time.hpp"

namespace sotto::hs {

struct HsDirConfig {
    std::size_t max_entries = 50000;
    std::size_t max_bytes = 64 * 1024 * 1024;  // encoded descriptor bytes
    Duration max_clock_skew = Duration::minutes(5);
    // An entry stored longer ago than this is evicted before any fresher
    // one, whatever lifetime it claims. ServiceConfig's descriptor lifetime:
    // a service republishes well within it (every lifetime - margin = 20
    // min, plus at most 8.5 min of publication spread), so its entries are
    // always fresh, while a flooder's 3-hour descriptors are fresh for 30
    // minutes like everyone's.
    Duration fresh_for = Duration::minutes(30);
    // Entries per client key (0: no limit). 2 replicas x (current + next
    // time period) is what one contact's descriptors can need at one HSDir.
    std::size_t max_entries_per_key = 4;
    // Withdrawal records kept to refuse replays of withdrawn descriptors;
    // bounded separately because anyone can sign withdrawals for keys of
    // their own making.
    std::size_t max_tombstones = 50000;
};

// Who an upload is charged to: the node passes the link the upload's circuit
// arrived on. Opaque to the store; kLocalUpload for uploads that did not come
// over a link (tests, Node::serve_hsdir_request).
using UploadSource = std::uint64_t;
inline constexpr UploadSource kLocalUpload = 0;
// Entries of sources that source_closed() retired, pooled under one source.
inline constexpr UploadSource kClosedSources = ~UploadSource{0};

class HsDirStore {
  public:
    struct Counters {
        std::uint64_t stored = 0;      // new id, or a higher revision replacing a lower one
        std::uint64_t idempotent = 0;  // same revision, same bytes: accepted, nothing changed
        std::uint64_t too_large = 0;
        std::uint64_t bad_version = 0;
        std::uint64_t malformed = 0;
        std::uint64_t bad_signature = 0;
        std::uint64_t wrong_id = 0;
        std::uint64_t not_yet_valid = 0;
        std::uint64_t expired = 0;
        std::uint64_t downgrade = 0;          // lower revision than the stored one
        std::uint64_t revision_conflict = 0;  // same revision, different bytes
        std::uint64_t withdrawn_replay = 0;   // revision covered by a withdrawal
        std::uint64_t full = 0;               // refused: larger than the whole budget
        std::uint64_t evicted = 0;            // displaced to make room (the next two, and fair)
        std::uint64_t evicted_stale = 0;      // ... stored more than fresh_for ago
        std::uint64_t evicted_key_limit = 0;  // ... its key held max_entries_per_key
        std::uint64_t expired_dropped = 0;    // removed because their time was up
        std::uint64_t withdrawals = 0;        // accepted withdrawals
        std::uint64_t withdrawal_refused = 0;
        std::uint64_t fetch_hits = 0;
        std::uint64_t fetch_misses = 0;
    };

    explicit HsDirStore(HsDirConfig config = {}) : config_(config) {}

    // Checks, in order, each with its own error and counter: decode (TooLarge,
    // BadVersion, Malformed/Truncated, BadSignature), id (BadIdentity), time
    // (NotYetValid, Expired), withdrawal tombstone, revision (Protocol), room
    // (Limit: only when the descriptor alone exceeds the budget).
    Status store(const DescriptorId& claimed, ByteView encoded, TimePoint now,
                 UploadSource source = kLocalUpload);
    // The source is gone (its link closed): its entries stay, pooled with
    // those of every other closed source, so that reconnecting does not give
    // a flooder a fresh share each time.
    void source_closed(UploadSource source);
    // The stored encoding, or null when absent or expired (even if expire()
    // has not run yet). Valid until the next non-const call.
    const Bytes* fetch(const DescriptorId& id, TimePoint now) const;
    // Removes the entry when client key and secret id match and the
    // withdrawal's revision is at least the stored one, and remembers the
    // (id, revision) so that an upload of a revision up to it is refused until
    // any such descriptor would have expired. A withdrawal for an id not
    // stored here is remembered too (the upload may be replayed later) and
    // answered NotFound.
    Status withdraw(const HsWithdrawal& w, TimePoint now);
    void expire(TimePoint now);

    std::size_t size() const { return entries_.size(); }
    std::size_t bytes() const { return bytes_; }
    std::size_t tombstones() const { return tombstones_.size(); }
    // Bytes stored from `source` (for tests and diagnostics).
    std::size_t source_bytes(UploadSource source) const;
    // Earliest instant at which expire() has something to do; never() if empty.
    TimePoint next_expiry() const;
    const Counters& counters() const { return counters_; }
    const HsDirConfig& config() const { return config_; }

  private:
    struct Entry {
        Bytes encoded;
        crypto::Ed25519PublicKey client_key;
        SecretIdPart secret_id;
        std::uint64_t revision = 0;
        TimePoint expires;
        TimePoint stored_at;
        UploadSource source = kLocalUpload;
    };
    struct Tombstone {
        std::uint64_t revision = 0;
        TimePoint until;
    };
    using TimedId = std::pair<TimePoint, DescriptorId>;
    using EntryMap = std::map<DescriptorId, Entry>;
    struct SourceUse {
        std::size_t bytes = 0;
        std::set<TimedId> by_arrival;
    };

    void insert_entry(const DescriptorId& id, Entry e);
    void erase_entry(EntryMap::iterator it);
    void charge(UploadSource source, const DescriptorId& id, const Entry& e);
    void uncharge(const DescriptorId& id, const Entry& e);
    void remember_withdrawal(const DescriptorId& id, std::uint64_t revision, TimePoint now);
    // Frees room for `add_bytes` more bytes from `source` (and one more entry
    // unless `replacing`), in the order of the class comment; false only
    // when nothing is left to evict.
    bool make_room(std::size_t add_bytes, const DescriptorId* replacing, UploadSource source,
                   TimePoint now);
    // The entry to evict next, skipping `replacing`; end() if none.
    EntryMap::iterator pick_victim(std::size_t add_bytes, const DescriptorId* replacing,
                                   UploadSource source, TimePoint now);

    HsDirConfig config_;
    EntryMap entries_;
    std::set<TimedId> by_expiry_;
    std::set<TimedId> by_arrival_;
    std::map<UploadSource, SourceUse> sources_;
    std::set<std::pair<std::size_t, UploadSource>> sources_by_bytes_;
    std::map<crypto::Ed25519PublicKey, std::set<TimedId>> by_key_;  // by expiry
    std::map<DescriptorId, Tombstone> tombstones_;
    std::set<TimedId> tombstones_by_expiry_;
    std::size_t bytes_ = 0;
    mutable Counters counters_;  // fetch() counts hits and misses
};

}  // namespace sotto::hs
