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
#pragma once

#include <map>
#include <optional>
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
};

struct OutgoingDirRequest {
    std::size_t authority_index;  // into NetworkFile::authorities
    DirRequest request;
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
    // Before the first poll this is the epoch: poll at once.
    TimePoint next_deadline() const;
    // The newest consensus with a majority of signatures, if any.
    const Consensus* current_consensus() const;
    std::size_t descriptor_count() const;
    std::size_t index() const { return self_; }

  private:
    Authority() = default;

    void start(TimePoint now);
    void vote(std::int64_t round, TimePoint now, std::vector<OutgoingDirRequest>& out);
    void compute(std::int64_t round, std::vector<OutgoingDirRequest>& out);
    void add_signature(std::int64_t round, const ConsensusSignature& sig);
    void maybe_publish(std::int64_t round);
    void prune(std::int64_t round, TimePoint now);
    void drop_old_descriptors(TimePoint now);
    DirResponse post_descriptor(const RelayDescriptor& d, TimePoint now);
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
    std::map<crypto::Ed25519PublicKey, RelayDescriptor> descriptors_;
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
