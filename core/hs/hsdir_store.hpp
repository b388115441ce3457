// The HSDir role (paper 4.3, DESIGN §2): a relay with the HSDir flag stores
// private-service descriptors under their descriptor ids and serves them to
// anyone who knows an id. It accepts a descriptor only if the signature
// verifies with the included client key and H(H(CK), S) equals the id it is
// uploaded under, so nobody can occupy another service's slot; it bounds
// size, lifetime and clock skew, refuses revision downgrades, and honours
// signed withdrawals. Sans-I/O: the caller passes bytes and the time.
//
// Memory is bounded under a flood of valid uploads (anyone can make client
// keys and sign descriptors for them): when the store is full, expired
// entries go first; then the entry that expires soonest is evicted only if the
// new one expires later, otherwise the upload is refused (Errc::Limit). A
// flooder can therefore only displace the shortest-lived entries, must sign
// every descriptor it sends, and gains nothing by re-sending (each id holds at
// most one entry); a legitimate service keeps its slot by using a lifetime at
// least as long as the flooder's, and republishes regularly anyway.
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
    // Withdrawal records kept to refuse replays of withdrawn descriptors;
    // bounded separately because anyone can sign withdrawals for keys of
    // their own making.
    std::size_t max_tombstones = 50000;
};

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
        std::uint64_t full = 0;               // refused: nothing shorter-lived to evict
        std::uint64_t evicted = 0;            // displaced to make room
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
    // (Limit).
    Status store(const DescriptorId& claimed, ByteView encoded, TimePoint now);
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
    };
    struct Tombstone {
        std::uint64_t revision = 0;
        TimePoint until;
    };
    using ExpiryKey = std::pair<TimePoint, DescriptorId>;

    void erase_entry(std::map<DescriptorId, Entry>::iterator it);
    void remember_withdrawal(const DescriptorId& id, std::uint64_t revision, TimePoint now);
    // Frees room for `add_bytes` more bytes (and one more entry unless
    // `replacing`), evicting only entries that expire before `new_expiry`.
    bool make_room(std::size_t add_bytes, const DescriptorId* replacing, TimePoint new_expiry,
                   TimePoint now);

    HsDirConfig config_;
    std::map<DescriptorId, Entry> entries_;
    std::set<ExpiryKey> by_expiry_;
    std::map<DescriptorId, Tombstone> tombstones_;
    std::set<ExpiryKey> tombstones_by_expiry_;
    std::size_t bytes_ = 0;
    mutable Counters counters_;  // fetch() counts hits and misses
};

}  // namespace sotto::hs
