// The directory-authority role (tor-spec's dir-spec, reduced): collect signed
// relay descriptors, vote once per round, compute the consensus from the
// votes of all authorities, sign it, exchange signatures, and serve the
// consensus with every matching signature it gathered.
//
// Rounds start at multiples of `interval` (unix time). In round T:
//   T                : build own vote, send PostVote to every other authority
//   T + vote_delay   : consensus = relays in a strict majority of the votes
//                      received for T (own included); per relay the
//                      descriptor with the latest `published` (ties: smaller
//                      encoding); sign; send PostSignature to the others
//   afterwards       : add matching signatures as they arrive; serve the
//                      newest consensus that has a majority of signatures
// Descriptors older than `descriptor_lifetime` are dropped from votes.
// Sans-I/O: the node carries the messages over BEGIN_DIR streams.
//
// Admission (docs/protocol.md §6, "Admission"; tor's reachability testing in
// spirit). A self-signed descriptor proves only that someone holds a key, so
// a posted relay is voted for only once this authority has reached it: the
// authority asks its node (take_checks) to open a link to the advertised
// address, and the link handshake proves the identity there (check_result).
// Listed relays are checked again every `recheck_interval`; one that fails
// is not voted for until a check succeeds. Per address (network file
// `relays-per-address`, by dir::address_key) at most that many reachable
// relays are voted for, those seen up longest. A relay on a non-public
// address is refused unless the network file allows such addresses. When
// the directory is full, a new relay displaces a never-confirmed entry, then
// an unreachable one, and — if it was listed in the current consensus — a
// reachable one that was not; only then is it refused. The HSDir and
// Intro/Rend flags are voted only for relays seen up without a failed check
// for the network file's `flag-uptime`; the consensus gives a flag when a
// strict majority of the votes do.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/dir/dir_message.hpp"
#include "core/util/log.hpp"
#include "core/util/time.hpp"

namespace sotto::dir {

struct AuthorityConfig {
    Duration interval = Duration::minutes(30);
    Duration vote_delay = Duration::seconds(30);  // must be < interval / 2
    Duration descriptor_lifetime = Duration::hours(3);
    // How many rounds a consensus stays valid (valid_until = T + n*interval).
    int validity_rounds = 3;
    std::size_t max_descriptors = 5000;
    // Clock skew tolerated for descriptor `published` times.
    Duration max_skew = Duration::minutes(10);
    // Reachability checks: a reachable relay again after this long (tor
    // checks every relay about every 20 minutes), one that failed after
    // `check_retry`; a check the node has not answered within
    // `check_timeout` failed; at most `max_checks_in_flight` at once, so a
    // flood of descriptors for addresses that never answer costs this
    // authority a bounded number of connection attempts at a time.
    Duration recheck_interval = Duration::minutes(20);
    Duration check_retry = Duration::minutes(1);
    Duration check_timeout = Duration::seconds(60);
    std::size_t max_checks_in_flight = 16;
};

struct OutgoingDirRequest {
    std::size_t authority_index;  // into NetworkFile::authorities
    DirRequest request;
};

// Connect to host:port and tell check_result whether a link handshake proved
// `identity` there.
struct ReachabilityCheck {
    crypto::Ed25519PublicKey identity;
    std::string host;
    std::uint16_t port = 0;
    friend bool operator==(const ReachabilityCheck&, const ReachabilityCheck&) = default;
};

class Authority {
  public:
    // `identity` must be one of network.authorities (else Config error) and
    // must outlive the Authority.
    static Result<Authority> create(const NetworkFile& network,
                                    const crypto::Ed25519SecretKey& identity,
                                    AuthorityConfig config, LogSink& log);

    // A request that arrived on a BEGIN_DIR stream.
    DirResponse handle(const DirRequest& request, TimePoint now);
    // Runs due round steps and returns requests to send to other authorities.
    // The first call (or handle) fixes the first round: the next multiple of
    // `interval` at or after `now`.
    std::vector<OutgoingDirRequest> poll(TimePoint now);
    // Reachability checks to start now (and checks not answered within
    // check_timeout count as failed). The caller opens a link to each and
    // reports with check_result.
    std::vector<ReachabilityCheck> take_checks(TimePoint now);
    // `reachable`: a link to check.host:check.port completed its handshake
    // with check.identity. Results for checks not asked for, or for an
    // address the relay no longer advertises, are ignored.
    void check_result(const ReachabilityCheck& check, bool reachable, TimePoint now);
    // Before the first poll this is the epoch: poll at once.
    TimePoint next_deadline() const;
    // The newest consensus with a majority of signatures, if any.
    const Consensus* current_consensus() const;
    // Descriptors held, whether reachable or not.
    std::size_t descriptor_count() const;
    // Relays this authority would vote for now (reachable, within the
    // per-address limit).
    std::size_t reachable_count(TimePoint now) const;
    std::size_t index() const { return self_; }

  private:
    Authority() = default;

    void start(TimePoint now);
    void vote(std::int64_t round, TimePoint now, std::vector<OutgoingDirRequest>& out);
    void compute(std::int64_t round, std::vector<OutgoingDirRequest>& out);
    void add_signature(std::int64_t round, const ConsensusSignature& sig);
    void maybe_publish(std::int64_t round);
    void prune(std::int64_t round, TimePoint now);
    // What this authority knows about one relay.
    struct Known {
        RelayDescriptor descriptor;
        std::uint64_t seq = 0;  // order of admission (higher: newer)
        enum class Reach { Unchecked, Up, Down } reach = Reach::Unchecked;
        bool checked = false;  // a check of this address has been answered
        bool ever_up = false;
        TimePoint up_since;  // reach == Up: first success without a failure since
        TimePoint next_check;
        bool in_flight = false;
        TimePoint check_deadline;
    };
    using KnownMap = std::map<crypto::Ed25519PublicKey, Known>;

    void drop_old_descriptors(TimePoint now);
    DirResponse post_descriptor(const RelayDescriptor& d, TimePoint now);
    // Frees a slot for `newcomer` when the directory is full; false if only
    // entries it may not displace are left.
    bool make_room(const crypto::Ed25519PublicKey& newcomer);
    // Reachable relays at `key`'s address other than `except`.
    std::size_t up_at_address(const std::string& key, const crypto::Ed25519PublicKey& except) const;
    // The relays to vote for and the flags this authority gives each.
    std::vector<std::pair<const Known*, std::uint32_t>> votable(TimePoint now) const;
    void update_checks_deadline();
    DirResponse post_vote(const Vote& v);
    DirResponse post_signature(const PostSignature& s);
    bool round_is_open(std::int64_t round) const;
    std::int64_t interval_s() const { return config_.interval.seconds_count(); }

    // A copy, not a pointer, so an Authority can be moved freely.
    NetworkFile network_;
    const crypto::Ed25519SecretKey* identity_ = nullptr;
    AuthorityConfig config_;
    LogSink* log_ = nullptr;
    std::size_t self_ = 0;
    bool started_ = false;
    KnownMap descriptors_;
    std::uint64_t next_seq_ = 0;
    TimePoint checks_deadline_ = TimePoint::never();  // next take_checks with work
    // Votes received (own included) for rounds whose consensus is not computed yet.
    std::map<std::int64_t, std::map<crypto::Ed25519PublicKey, Vote>> votes_;
    // Signatures that arrived before this authority computed that round.
    std::map<std::int64_t, std::map<crypto::Ed25519PublicKey, PostSignature>> early_signatures_;
    struct Computed {
        Consensus consensus;
        crypto::Digest256 digest;
    };
    // Computed consensuses, collecting signatures, by round.
    std::map<std::int64_t, Computed> computed_;
    std::optional<std::int64_t> published_round_;  // key into computed_
    std::int64_t next_vote_ = 0;                   // unix seconds of the next round to vote in
    std::optional<std::int64_t> to_compute_;       // round voted in, consensus not yet computed
};

}  // namespace sotto::dir
