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
    std::vector<OutgoingDirRequest> poll(TimePoint now);
    TimePoint next_deadline() const;
    // The newest consensus with a majority of signatures, if any.
    const Consensus* current_consensus() const;
    std::size_t descriptor_count() const;
    std::size_t index() const { return self_; }

private:
    Authority() = default;
    // Implementation state; the helper owns the details.
    const NetworkFile* network_ = nullptr;
    NetworkFile network_copy_;
    const crypto::Ed25519SecretKey* identity_ = nullptr;
    AuthorityConfig config_;
    LogSink* log_ = nullptr;
    std::size_t self_ = 0;
    std::map<crypto::Ed25519PublicKey, RelayDescriptor> descriptors_;
    std::map<std::int64_t, std::map<crypto::Ed25519PublicKey, Vote>> votes_;  // by round
    std::map<std::int64_t, Consensus> pending_;  // computed, collecting signatures
    std::map<std::int64_t, std::vector<PostSignature>> early_signatures_;
    std::optional<Consensus> published_;
    std::int64_t next_round_ = 0;      // unix seconds of the next round to vote in
    std::int64_t next_consensus_ = 0;  // unix seconds when the pending round is computed
};

}  // namespace sotto::dir
