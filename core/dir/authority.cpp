#include "core/dir/authority.hpp"

#include <algorithm>

namespace sotto::dir {

namespace {

constexpr std::string_view kArea = "dir";

// Own votes must fit in one directory message even when every descriptor has
// the longest nickname and host.
constexpr std::size_t kLongestDescriptor =
    1 + 2 + kMaxNicknameLen + 32 + 32 + 2 + kMaxHostLen + 2 + 4 + 8 + 64;
constexpr std::size_t kMaxConfigDescriptors = (kMaxDirMessageLen - 128) / (2 + kLongestDescriptor);
static_assert(kMaxConfigDescriptors <= kMaxVoteDescriptors);

DirResponse reply(DirStatus status, std::string message) {
    if (message.size() > kMaxDirResponseMessageLen) message.resize(kMaxDirResponseMessageLen);
    return DirResponse{status, std::move(message), std::nullopt};
}

DirResponse ok(std::string message) {
    return reply(DirStatus::Ok, std::move(message));
}
DirResponse rejected(std::string message) {
    return reply(DirStatus::Rejected, std::move(message));
}

std::uint32_t flags_for(const RelayDescriptor& d, const NetworkFile& network) {
    std::uint32_t flags = kFlagRunning;
    if (d.capabilities & kCapHsDir) flags |= kFlagHsDir;
    if (d.capabilities & kCapExit) flags |= kFlagExit;
    if (d.capabilities & kCapIntroRend) flags |= kFlagIntroRend;
    if (network.find(d.identity) != nullptr) flags |= kFlagAuthority;
    return flags;
}

// Every authority must pick the same descriptor for a relay, or their
// consensus digests differ: the latest, and on a tie the smaller encoding.
bool preferred(const RelayDescriptor& a, const RelayDescriptor& b) {
    if (a.published != b.published) return a.published > b.published;
    return encode_relay_descriptor(a) < encode_relay_descriptor(b);
}

Status check_vote_shape(const Vote& v) {
    if (v.descriptors.size() > kMaxVoteDescriptors)
        return fail(Errc::TooLarge, "vote lists too many descriptors");
    for (std::size_t i = 0; i < v.descriptors.size(); ++i) {
        if (i > 0 && !(v.descriptors[i - 1].identity < v.descriptors[i].identity))
            return fail(Errc::Malformed,
                        "vote descriptors must be sorted by identity without duplicates");
        if (auto s = check_relay_descriptor(v.descriptors[i]); !s) return s;
    }
    if (!verify_vote_signature(v))
        return fail(Errc::BadSignature, "vote signature does not verify");
    return {};
}

}  // namespace

Result<Authority> Authority::create(const NetworkFile& network,
                                    const crypto::Ed25519SecretKey& identity,
                                    AuthorityConfig config, LogSink& log) {
    const auto& id = identity.public_key();
    auto it = std::find_if(network.authorities.begin(), network.authorities.end(),
                           [&](const AuthorityInfo& a) { return a.identity == id; });
    if (it == network.authorities.end())
        return fail(Errc::Config, "identity " + id.hex() + " is not an authority of network '" +
                                      network.name +
                                      "'; add it to the network file or use the listed key");
    // Upper bounds keep all time arithmetic far from overflow.
    const Duration second = Duration::seconds(1);
    const Duration week = Duration::hours(24 * 7);
    if (config.interval < second || config.interval > week || config.interval.us % second.us != 0)
        return fail(Errc::Config,
                    "authority interval must be a whole number of seconds, at most 7 days");
    if (config.vote_delay < Duration{} || !(config.vote_delay < config.interval / 2))
        return fail(Errc::Config, "authority vote_delay must be shorter than half the interval");
    if (config.validity_rounds < 1 || config.validity_rounds > 100)
        return fail(Errc::Config, "authority validity_rounds must be from 1 to 100");
    if (config.max_descriptors == 0 || config.max_descriptors > kMaxConfigDescriptors)
        return fail(Errc::Config, "authority max_descriptors must be from 1 to " +
                                      std::to_string(kMaxConfigDescriptors));
    if (config.descriptor_lifetime <= Duration{} || config.descriptor_lifetime > week * 4 ||
        config.max_skew < Duration{} || config.max_skew > week)
        return fail(Errc::Config,
                    "authority descriptor_lifetime must be from 1 s to 28 days and max_skew "
                    "from 0 to 7 days");
    Authority a;
    a.network_ = network;
    a.identity_ = &identity;
    a.config_ = config;
    a.log_ = &log;
    a.self_ = static_cast<std::size_t>(it - network.authorities.begin());
    return a;
}

void Authority::start(TimePoint now) {
    // The next multiple of the interval at or after now, so that authorities
    // started together vote in the same round.
    const std::int64_t iv = config_.interval.us;
    std::int64_t q = now.us / iv;
    if (now.us % iv > 0) ++q;
    next_vote_ = q * interval_s();
    started_ = true;
}

TimePoint Authority::next_deadline() const {
    if (!started_) return TimePoint{};
    TimePoint t = TimePoint::from_seconds(next_vote_);
    if (to_compute_) t = earliest(t, TimePoint::from_seconds(*to_compute_) + config_.vote_delay);
    return t;
}

std::vector<OutgoingDirRequest> Authority::poll(TimePoint now) {
    if (!started_) start(now);
    std::vector<OutgoingDirRequest> out;
    for (;;) {
        if (to_compute_ && now >= TimePoint::from_seconds(*to_compute_) + config_.vote_delay) {
            compute(*to_compute_, out);
            to_compute_.reset();
            continue;
        }
        if (now < TimePoint::from_seconds(next_vote_)) break;
        // A driver that was not polled for whole rounds resumes with the
        // current round rather than voting in rounds that are long over.
        const std::int64_t current = now.us / config_.interval.us * interval_s();
        if (current > next_vote_) {
            log_->log(LogLevel::Warning, kArea,
                      "missed rounds " + std::to_string(next_vote_) + " to " +
                          std::to_string(current - interval_s()) + "; voting in round " +
                          std::to_string(current));
            next_vote_ = current;
        }
        vote(next_vote_, now, out);
        to_compute_ = next_vote_;
        next_vote_ += interval_s();
    }
    return out;
}

void Authority::vote(std::int64_t round, TimePoint now, std::vector<OutgoingDirRequest>& out) {
    prune(round, now);
    drop_old_descriptors(now);
    Vote v;
    v.valid_after = round;
    v.descriptors.reserve(descriptors_.size());
    for (const auto& [id, d] : descriptors_) v.descriptors.push_back(d);
    v = sign_vote(std::move(v), *identity_);
    for (std::size_t i = 0; i < network_.authorities.size(); ++i)
        if (i != self_) out.push_back({i, PostVote{v}});
    votes_[round].insert_or_assign(v.authority, std::move(v));
}

void Authority::compute(std::int64_t round, std::vector<OutgoingDirRequest>& out) {
    struct Tally {
        std::size_t votes = 0;
        const RelayDescriptor* best = nullptr;
    };
    std::map<crypto::Ed25519PublicKey, Tally> tally;
    const auto& round_votes = votes_[round];
    for (const auto& [authority, v] : round_votes) {
        for (const auto& d : v.descriptors) {
            auto& t = tally[d.identity];
            ++t.votes;
            if (t.best == nullptr || preferred(d, *t.best)) t.best = &d;
        }
    }

    Consensus c;
    c.network = network_.name;
    c.valid_after = round;
    c.fresh_until = round + interval_s();
    c.valid_until = round + config_.validity_rounds * interval_s();
    for (const auto& [id, t] : tally) {
        if (t.votes < network_.majority()) continue;
        if (c.relays.size() == kMaxConsensusRelays) break;
        const auto& d = *t.best;
        c.relays.push_back(ConsensusEntry{d.nickname, d.identity, d.onion_key, d.host, d.port,
                                          flags_for(d, network_), d.published});
    }
    const auto digest = consensus_digest(c);
    const auto own = sign_consensus_digest(digest, *identity_);
    c.signatures.push_back(own);
    log_->log(LogLevel::Info, kArea,
              "round " + std::to_string(round) + ": " + std::to_string(c.relays.size()) +
                  " relays from " + std::to_string(round_votes.size()) + " votes, signed");
    votes_.erase(round);
    computed_.insert_or_assign(round, Computed{std::move(c), digest});

    if (auto early = early_signatures_.find(round); early != early_signatures_.end()) {
        for (const auto& [authority, ps] : early->second) {
            if (ps.consensus_digest == digest)
                add_signature(round, ps.signature);
            else
                log_->log(LogLevel::Warning, kArea,
                          "round " + std::to_string(round) + ": authority " +
                              short_id(authority.view()) + " signed a different consensus");
        }
        early_signatures_.erase(early);
    }
    maybe_publish(round);
    for (std::size_t i = 0; i < network_.authorities.size(); ++i)
        if (i != self_) out.push_back({i, PostSignature{digest, round, own}});
}

// The caller has checked that `sig` is over this round's digest.
void Authority::add_signature(std::int64_t round, const ConsensusSignature& sig) {
    auto& sigs = computed_.at(round).consensus.signatures;
    auto pos = std::lower_bound(
        sigs.begin(), sigs.end(), sig.authority,
        [](const ConsensusSignature& s, const auto& id) { return s.authority < id; });
    if (pos != sigs.end() && pos->authority == sig.authority) return;
    // Sorted by signer, so all authorities serve byte-identical documents.
    sigs.insert(pos, sig);
    maybe_publish(round);
}

void Authority::maybe_publish(std::int64_t round) {
    if (computed_.at(round).consensus.signatures.size() < network_.majority()) return;
    if (published_round_ && *published_round_ >= round) return;
    published_round_ = round;
    log_->log(LogLevel::Debug, kArea,
              "round " + std::to_string(round) + ": consensus published with " +
                  std::to_string(computed_.at(round).consensus.signatures.size()) + " of " +
                  std::to_string(network_.authorities.size()) + " signatures");
}

bool Authority::round_is_open(std::int64_t round) const {
    return round % interval_s() == 0 && round >= next_vote_ - 2 * interval_s() &&
           round <= next_vote_;
}

void Authority::prune(std::int64_t round, TimePoint now) {
    // Rounds before `round` that were never computed never will be.
    votes_.erase(votes_.begin(), votes_.lower_bound(round));
    early_signatures_.erase(early_signatures_.begin(), early_signatures_.lower_bound(round));
    std::erase_if(computed_, [&](const auto& kv) {
        if (published_round_ && kv.first == *published_round_) return false;
        const bool superseded = published_round_ && kv.first < *published_round_;
        return superseded || kv.second.consensus.valid_until < now.unix_seconds();
    });
}

void Authority::drop_old_descriptors(TimePoint now) {
    const std::int64_t oldest = now.unix_seconds() - config_.descriptor_lifetime.seconds_count();
    std::erase_if(descriptors_, [&](const auto& kv) { return kv.second.published < oldest; });
}

DirResponse Authority::handle(const DirRequest& request, TimePoint now) {
    if (!started_) start(now);
    if (const auto* p = std::get_if<PostDescriptor>(&request))
        return post_descriptor(p->descriptor, now);
    if (const auto* v = std::get_if<PostVote>(&request)) return post_vote(v->vote);
    if (const auto* s = std::get_if<PostSignature>(&request)) return post_signature(*s);
    if (const Consensus* c = current_consensus()) {
        DirResponse r = ok("consensus for round " + std::to_string(c->valid_after));
        r.consensus = *c;
        return r;
    }
    return reply(DirStatus::NotFound, "no consensus yet; try again after the next voting round");
}

DirResponse Authority::post_descriptor(const RelayDescriptor& d, TimePoint now) {
    if (auto s = check_relay_descriptor(d); !s) return rejected(s.error().message);
    const std::int64_t now_s = now.unix_seconds();
    if (d.published > now_s + config_.max_skew.seconds_count())
        return rejected("descriptor is published at " + std::to_string(d.published) +
                        ", in the future (now " + std::to_string(now_s) +
                        "); check the relay's clock");
    if (d.published < now_s - config_.descriptor_lifetime.seconds_count())
        return rejected("descriptor is older than " +
                        std::to_string(config_.descriptor_lifetime.seconds_count()) +
                        " s; publish a fresh one");
    drop_old_descriptors(now);
    auto it = descriptors_.find(d.identity);
    if (it == descriptors_.end()) {
        if (descriptors_.size() >= config_.max_descriptors)
            return rejected("directory is full (" + std::to_string(descriptors_.size()) +
                            " relays); try again later");
        descriptors_.emplace(d.identity, d);
        return ok("descriptor accepted");
    }
    if (d.published > it->second.published) {
        it->second = d;
        return ok("descriptor accepted");
    }
    if (d == it->second) return ok("descriptor already known");
    return rejected(
        "a descriptor published at the same time or later is already known; "
        "publish with a later time");
}

DirResponse Authority::post_vote(const Vote& v) {
    if (v.authority == identity_->public_key())
        return rejected("vote claims to come from this authority");
    if (network_.find(v.authority) == nullptr)
        return rejected("vote from " + short_id(v.authority.view()) +
                        ", which is not an authority in the network file");
    if (!round_is_open(v.valid_after))
        return rejected("vote for round " + std::to_string(v.valid_after) +
                        ", which this authority is not collecting (next round " +
                        std::to_string(next_vote_) + "); check the clock");
    if (computed_.contains(v.valid_after))
        return rejected("vote for round " + std::to_string(v.valid_after) +
                        " arrived after its consensus was computed");
    if (auto s = check_vote_shape(v); !s) return rejected(s.error().message);
    auto [it, inserted] = votes_[v.valid_after].try_emplace(v.authority, v);
    (void)it;
    return ok(inserted ? "vote accepted" : "vote already received");
}

DirResponse Authority::post_signature(const PostSignature& s) {
    const auto& sig = s.signature;
    if (sig.authority == identity_->public_key())
        return rejected("signature claims to come from this authority");
    if (network_.find(sig.authority) == nullptr)
        return rejected("signature from " + short_id(sig.authority.view()) +
                        ", which is not an authority in the network file");
    const std::string round = std::to_string(s.valid_after);
    auto it = computed_.find(s.valid_after);
    if (it == computed_.end() && !round_is_open(s.valid_after))
        return rejected("signature for round " + round + ", which this authority does not hold");
    if (!verify_consensus_signature(s.consensus_digest, sig))
        return rejected("consensus signature does not verify");
    if (it != computed_.end()) {
        if (it->second.digest != s.consensus_digest)
            return rejected("signature is for a different consensus of round " + round +
                            "; the authorities disagree on the relay list");
        add_signature(s.valid_after, sig);
        return ok("signature added");
    }
    // The signer computed first: hold it until this authority computes too.
    early_signatures_[s.valid_after].try_emplace(sig.authority, s);
    return ok("signature held until round " + round + " is computed");
}

const Consensus* Authority::current_consensus() const {
    return published_round_ ? &computed_.at(*published_round_).consensus : nullptr;
}

std::size_t Authority::descriptor_count() const {
    return descriptors_.size();
}

}  // namespace sotto::dir
