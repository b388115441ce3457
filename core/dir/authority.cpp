#include "core/dir/authority.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include "core/dir/address.hpp"

namespace sotto::dir {

namespace {

constexpr std::string_view kArea = "dir";

// Own votes must fit in one directory message even when every descriptor has
// the longest nickname and host.
constexpr std::size_t kLongestDescriptor =
    1 + 2 + kMaxNicknameLen + 32 + 32 + 2 + kMaxHostLen + 2 + 4 + 8 + 64;
constexpr std::size_t kMaxConfigDescriptors =
    (kMaxDirMessageLen - 128) / (2 + kLongestDescriptor + 4);
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

// The flags a descriptor's capabilities and the network file allow; an
// authority votes a subset of them, the consensus their majority.
std::uint32_t flags_for(const RelayDescriptor& d, const NetworkFile& network) {
    std::uint32_t flags = kFlagRunning;
    if (d.capabilities & kCapHsDir) flags |= kFlagHsDir;
    if (d.capabilities & kCapExit) flags |= kFlagExit;
    if (d.capabilities & kCapIntroRend) flags |= kFlagIntroRend;
    if (network.find(d.identity) != nullptr) flags |= kFlagAuthority;
    return flags;
}

// Flags that need the relay to have been seen up for `flag-uptime`: the
// private-service roles, where a relay that just appeared (perhaps placed on
// the HSDir ring on purpose) should not be trusted at once.
constexpr std::uint32_t kUptimeFlags = kFlagHsDir | kFlagIntroRend;
// Flags the consensus takes from the votes' majority.
constexpr std::uint32_t kVotedFlags = kFlagHsDir | kFlagExit | kFlagIntroRend;

// Every authority must pick the same descriptor for a relay, or their
// consensus digests differ: the latest, and on a tie the smaller encoding.
bool preferred(const RelayDescriptor& a, const RelayDescriptor& b) {
    if (a.published != b.published) return a.published > b.published;
    return encode_relay_descriptor(a) < encode_relay_descriptor(b);
}

Status check_vote_shape(const Vote& v) {
    if (v.descriptors.size() > kMaxVoteDescriptors)
        return fail(Errc::TooLarge, "vote lists too many descriptors");
    if (v.flags.size() != v.descriptors.size())
        return fail(Errc::Malformed, "vote must give flags for every descriptor");
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
    for (Duration d : {config.recheck_interval, config.check_retry, config.check_timeout})
        if (d < second || d > week)
            return fail(Errc::Config,
                        "authority recheck_interval, check_retry and check_timeout must be "
                        "from 1 s to 7 days");
    if (config.max_checks_in_flight == 0 || config.max_checks_in_flight > 1024)
        return fail(Errc::Config, "authority max_checks_in_flight must be from 1 to 1024");
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
    return earliest(t, checks_deadline_);
}

std::vector<ReachabilityCheck> Authority::take_checks(TimePoint now) {
    std::vector<ReachabilityCheck> out;
    std::size_t in_flight = 0;
    for (auto& [id, k] : descriptors_) {
        if (k.in_flight && k.check_deadline <= now)
            check_result({id, k.descriptor.host, k.descriptor.port}, false, now);
        in_flight += k.in_flight ? 1 : 0;
    }
    if (in_flight < config_.max_checks_in_flight) {
        // Who goes first when more are due than may run: relays of the
        // current consensus (keeping real relays listed must not wait for a
        // flood of new descriptors), then relays reached before, then
        // descriptors never checked, newest first (a relay posting after a
        // flood of junk is checked before the junk that is still waiting),
        // then the retries of failed checks, by due time.
        const Consensus* listed = current_consensus();
        using Order = std::tuple<int, std::int64_t, std::uint64_t>;
        std::vector<std::pair<Order, const crypto::Ed25519PublicKey*>> due;
        for (auto& [id, k] : descriptors_) {
            if (k.in_flight || k.next_check > now || id == identity_->public_key()) continue;
            const int rank = listed && listed->find(id) ? 0 : k.ever_up ? 1 : !k.checked ? 2 : 3;
            const std::uint64_t newest_first = ~k.seq;
            due.push_back({{rank, rank == 2 ? 0 : k.next_check.us, newest_first}, &id});
        }
        std::sort(due.begin(), due.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        for (const auto& [order, id] : due) {
            if (in_flight == config_.max_checks_in_flight) break;
            auto& k = descriptors_.at(*id);
            k.in_flight = true;
            k.check_deadline = now + config_.check_timeout;
            out.push_back({*id, k.descriptor.host, k.descriptor.port});
            ++in_flight;
        }
    }
    update_checks_deadline();
    return out;
}

void Authority::check_result(const ReachabilityCheck& check, bool reachable, TimePoint now) {
    auto it = descriptors_.find(check.identity);
    if (it == descriptors_.end()) return;
    auto& k = it->second;
    if (!k.in_flight || k.descriptor.host != check.host || k.descriptor.port != check.port) return;
    k.in_flight = false;
    k.checked = true;
    if (reachable) {
        if (k.reach != Known::Reach::Up) k.up_since = now;
        k.reach = Known::Reach::Up;
        k.ever_up = true;
        k.next_check = now + config_.recheck_interval;
    } else {
        if (k.reach == Known::Reach::Up)
            log_->log(LogLevel::Info, kArea,
                      "relay " + short_id(check.identity.view()) +
                          " no longer reachable at its address; not voted for until it is");
        k.reach = Known::Reach::Down;
        k.next_check = now + config_.check_retry;
    }
    update_checks_deadline();
}

void Authority::update_checks_deadline() {
    std::size_t in_flight = 0;
    TimePoint due = TimePoint::never(), timeout = TimePoint::never();
    for (const auto& [id, k] : descriptors_) {
        if (k.in_flight) {
            ++in_flight;
            timeout = earliest(timeout, k.check_deadline);
        } else if (id != identity_->public_key()) {
            due = earliest(due, k.next_check);
        }
    }
    checks_deadline_ = in_flight < config_.max_checks_in_flight ? earliest(due, timeout) : timeout;
}

std::size_t Authority::up_at_address(const std::string& key,
                                     const crypto::Ed25519PublicKey& except) const {
    std::size_t n = 0;
    for (const auto& [id, k] : descriptors_)
        if (id != except && k.reach == Known::Reach::Up && address_key(k.descriptor.host) == key)
            ++n;
    return n;
}

std::vector<std::pair<const Authority::Known*, std::uint32_t>> Authority::votable(
    TimePoint now) const {
    // Per address, the relays seen up longest (ties: smaller identity).
    std::map<std::string, std::vector<const Known*>> by_address;
    for (const auto& [id, k] : descriptors_)
        if (k.reach == Known::Reach::Up) by_address[address_key(k.descriptor.host)].push_back(&k);
    std::set<const Known*> chosen;
    for (auto& [key, relays] : by_address) {
        std::sort(relays.begin(), relays.end(), [](const Known* a, const Known* b) {
            if (a->up_since != b->up_since) return a->up_since < b->up_since;
            return a->descriptor.identity < b->descriptor.identity;
        });
        if (relays.size() > network_.relays_per_address) relays.resize(network_.relays_per_address);
        chosen.insert(relays.begin(), relays.end());
    }
    std::vector<std::pair<const Known*, std::uint32_t>> out;
    const Duration uptime = Duration::seconds(network_.flag_uptime_s);
    for (const auto& [id, k] : descriptors_) {
        if (!chosen.contains(&k)) continue;
        std::uint32_t flags = flags_for(k.descriptor, network_);
        if (now - k.up_since < uptime) flags &= ~kUptimeFlags;
        out.push_back({&k, flags});
    }
    return out;
}

std::size_t Authority::reachable_count(TimePoint now) const {
    return votable(now).size();
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
    for (const auto& [k, flags] : votable(now)) {
        v.descriptors.push_back(k->descriptor);
        v.flags.push_back(flags);
    }
    v = sign_vote(std::move(v), *identity_);
    for (std::size_t i = 0; i < network_.authorities.size(); ++i)
        if (i != self_) out.push_back({i, PostVote{v}});
    votes_[round].insert_or_assign(v.authority, std::move(v));
}

void Authority::compute(std::int64_t round, std::vector<OutgoingDirRequest>& out) {
    struct Tally {
        std::size_t votes = 0;
        const RelayDescriptor* best = nullptr;
        std::map<std::uint32_t, std::size_t> flag_votes;  // per voted flag bit
    };
    std::map<crypto::Ed25519PublicKey, Tally> tally;
    const auto& round_votes = votes_[round];
    for (const auto& [authority, v] : round_votes) {
        for (std::size_t i = 0; i < v.descriptors.size(); ++i) {
            const auto& d = v.descriptors[i];
            auto& t = tally[d.identity];
            ++t.votes;
            if (t.best == nullptr || preferred(d, *t.best)) t.best = &d;
            for (std::uint32_t bit = 1; bit != 0 && bit <= kVotedFlags; bit <<= 1)
                if ((bit & kVotedFlags) && i < v.flags.size() && (v.flags[i] & bit))
                    ++t.flag_votes[bit];
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
        // Running (it is listed: a majority reached it) and Authority come
        // from the network file; the rest from a majority of the votes, and
        // only as far as the chosen descriptor offers the capability.
        const std::uint32_t allowed = flags_for(d, network_);
        std::uint32_t flags = allowed & ~kVotedFlags;
        for (const auto& [bit, n] : t.flag_votes)
            if (n >= network_.majority()) flags |= bit & allowed;
        c.relays.push_back(ConsensusEntry{d.nickname, d.identity, d.onion_key, d.host, d.port,
                                          flags, d.published});
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
    const auto dropped = std::erase_if(
        descriptors_, [&](const auto& kv) { return kv.second.descriptor.published < oldest; });
    if (dropped > 0) update_checks_deadline();
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
    // Before anything else: this authority must never be made to connect
    // into its own host or LAN by a reachability check.
    if (!network_.allow_private_addresses && is_non_public_host(d.host))
        return rejected("relay address " + d.host +
                        " is not public (loopback, private or link-local); this network does "
                        "not list such relays (network file: allow-private-addresses)");
    drop_old_descriptors(now);
    const bool self = d.identity == identity_->public_key();
    auto it = descriptors_.find(d.identity);
    const bool moved = it != descriptors_.end() && (it->second.descriptor.host != d.host ||
                                                    it->second.descriptor.port != d.port);
    if (it == descriptors_.end() || moved) {
        const std::string key = address_key(d.host);
        if (!self && up_at_address(key, d.identity) >= network_.relays_per_address)
            return rejected("this network lists at most " +
                            std::to_string(network_.relays_per_address) +
                            " relays per address, and " + key +
                            " has that many reachable ones (network file: relays-per-address)");
    }
    if (it == descriptors_.end()) {
        if (descriptors_.size() >= config_.max_descriptors && !make_room(d.identity))
            return rejected("directory is full (" + std::to_string(descriptors_.size()) +
                            " relays, all reachable); try again later");
        Known k{.descriptor = d, .seq = next_seq_++, .next_check = now};
        if (self) {
            // This authority is running: nothing to check.
            k.reach = Known::Reach::Up;
            k.ever_up = true;
            k.up_since = now;
            k.next_check = TimePoint::never();
        }
        descriptors_.emplace(d.identity, std::move(k));
        update_checks_deadline();
        return ok("descriptor accepted");
    }
    auto& k = it->second;
    if (d.published > k.descriptor.published) {
        k.descriptor = d;
        if (moved && !self) {
            // Reached at the old address says nothing about the new one.
            k.reach = Known::Reach::Unchecked;
            k.checked = false;
            k.in_flight = false;
            k.next_check = now;
            update_checks_deadline();
        }
        return ok("descriptor accepted");
    }
    if (d == k.descriptor) return ok("descriptor already known");
    return rejected(
        "a descriptor published at the same time or later is already known; "
        "publish with a later time");
}

bool Authority::make_room(const crypto::Ed25519PublicKey& newcomer) {
    // Oldest first within each class: never reached and already failed a
    // check, never reached and not checked yet (the junk a flood of
    // self-signed descriptors leaves), unreachable now, and — only for a
    // relay the current consensus lists — a reachable relay it does not.
    const Consensus* listed = current_consensus();
    const bool newcomer_listed = listed && listed->find(newcomer);
    auto pick = [&](auto&& eligible) {
        auto best = descriptors_.end();
        for (auto it = descriptors_.begin(); it != descriptors_.end(); ++it) {
            if (it->first == identity_->public_key() || !eligible(it->first, it->second)) continue;
            if (best == descriptors_.end() || it->second.seq < best->second.seq) best = it;
        }
        return best;
    };
    auto victim = pick([](const auto&, const Known& k) { return !k.ever_up && k.checked; });
    if (victim == descriptors_.end())
        victim = pick([](const auto&, const Known& k) { return !k.ever_up; });
    if (victim == descriptors_.end())
        victim = pick([](const auto&, const Known& k) { return k.reach != Known::Reach::Up; });
    if (victim == descriptors_.end() && newcomer_listed)
        victim = pick([&](const auto& id, const Known&) { return !listed->find(id); });
    if (victim == descriptors_.end()) return false;
    descriptors_.erase(victim);
    return true;
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
