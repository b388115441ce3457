// Directory traffic of a node. As a client: fetch the consensus from an
// authority over a one-hop BEGIN_DIR circuit and accept it only after
// verify_consensus. As a relay: upload its signed descriptor to every
// authority. As an authority: carry votes and signatures to the other
// authorities. As any relay: answer BEGIN_DIR requests (authorities through
// dir::Authority, other relays serve their cached consensus). For the
// private-service components: their HSDir requests, each over a three-hop
// circuit to that HSDir (start_hs_job).
#include "core/hs/hsdir_messages.hpp"
#include "core/node/node_impl.hpp"

namespace sotto::node {

using wire::RelayCell;
using wire::RelayCommand;

namespace {
// Retry quickly while bootstrapping: a network starting up has no consensus
// for its first voting round.
constexpr Duration kRetryDelay = Duration::seconds(2);
}  // namespace

dir::RelayDescriptor Node::Impl::make_descriptor(TimePoint now) const {
    const auto& r = *config.relay;
    dir::RelayDescriptor d;
    d.nickname = r.nickname;
    d.identity = keys.identity.public_key();
    d.onion_key = keys.onion.public_key();
    d.host = r.host;
    d.port = r.port;
    d.capabilities = (r.hsdir ? dir::kCapHsDir : 0u) | (r.intro_rend ? dir::kCapIntroRend : 0u) |
                     (r.exit_policy.empty() ? 0u : dir::kCapExit);
    d.published = now.unix_seconds();
    return dir::sign_relay_descriptor(std::move(d), keys.identity);
}

void Node::Impl::start_job(DirJob::Kind kind, std::size_t authority_index,
                           const dir::DirRequest& req, TimePoint now) {
    DirJob job;
    job.kind = kind;
    job.authority = authority_index;
    job.request = dir::encode_dir_request(req);
    const auto& info = config.network.authorities[authority_index];
    // Use the authority's onion key from the consensus when we have one.
    PathHop hop = PathHop::from(info);
    if (consensus)
        if (auto* e = consensus->find(info.identity)) hop = PathHop::from(*e);
    launch_job(std::move(job), {hop}, now);
}

void Node::Impl::launch_job(DirJob job, std::vector<PathHop> path, TimePoint now) {
    job.id = new_id();
    job.deadline = now + config.dir_request_timeout;
    const auto id = job.id;
    jobs.emplace(id, std::move(job));
    auto circ = path.empty() ? Result<CircuitRef>(fail(Errc::NotFound, "no path to the directory"))
                             : start_circuit(std::move(path), &dir_job_circuits, id, now);
    if (!circ) {
        job_failed(id, circ.error().message, now);
        return;
    }
    if (auto it = jobs.find(id); it != jobs.end()) it->second.circuit = *circ;
    schedule_housekeeping(now);
}

void Node::Impl::start_hs_job(HsJobKind kind, const PathHop& hsdir, Bytes request,
                              HsJobHandler& handler, std::uint64_t owner, TimePoint now) {
    DirJob job;
    job.kind = kind == HsJobKind::Upload ? DirJob::Kind::HsUpload : DirJob::Kind::HsFetch;
    job.hs_handler = &handler;
    job.owner = owner;
    job.request = std::move(request);
    launch_job(std::move(job), path_to(hsdir, 3), now);
}

namespace {
HsJobKind hs_kind(const DirJob& job) {
    return job.kind == DirJob::Kind::HsUpload ? HsJobKind::Upload : HsJobKind::Fetch;
}
}  // namespace

void Node::Impl::job_circuit_ready(std::uint64_t id, TimePoint now) {
    auto it = jobs.find(id);
    if (it == jobs.end()) return;
    auto s = start_stream(it->second.circuit, RelayCommand::BeginDir, {}, id, now);
    if (!s) {
        job_failed(id, s.error().message, now);
        return;
    }
    it->second.stream = *s;
}

void Node::Impl::job_stream_open(std::uint64_t id, TimePoint now) {
    auto it = jobs.find(id);
    if (it == jobs.end()) return;
    Bytes framed;
    dir::DirFramer::frame(it->second.request, framed);
    auto ss = origin_streams.find(it->second.stream);
    if (ss == origin_streams.end()) return;
    ss->second.backlog.insert(ss->second.backlog.end(), framed.begin(), framed.end());
    origin_stream_flush(ss->second);
    (void)now;
}

void Node::Impl::job_stream_data(std::uint64_t id, ByteView data, TimePoint now) {
    auto it = jobs.find(id);
    if (it == jobs.end()) return;
    if (!it->second.framer.feed(data)) {
        job_failed(id, "directory answer too large", now);
        return;
    }
    auto body = it->second.framer.next();
    if (!body) return;
    DirJob job = std::move(it->second);
    jobs.erase(it);
    origin_close(job.circuit, "directory request done", true, now);
    if (job.hs()) {
        job.hs_handler->on_hs_job_done(hs_kind(job), job.owner, std::move(*body), now);
        return;
    }
    const auto& who = config.network.authorities[job.authority].nickname;
    auto resp = dir::decode_dir_response(*body);
    if (!resp) {
        notice(LogLevel::Warning,
               "authority " + who + " sent a malformed answer: " + resp.error().message);
        if (job.kind == DirJob::Kind::FetchConsensus) next_consensus_fetch = now + kRetryDelay;
        return;
    }
    switch (job.kind) {
        case DirJob::Kind::FetchConsensus:
            if (resp->status == dir::DirStatus::Ok && resp->consensus) {
                adopt_consensus(std::move(*resp->consensus), now);
            } else {
                next_consensus_fetch = now + kRetryDelay;
            }
            break;
        case DirJob::Kind::UploadDescriptor:
            if (resp->status != dir::DirStatus::Ok)
                notice(LogLevel::Warning,
                       "authority " + who + " rejected our descriptor: " + resp->message);
            break;
        case DirJob::Kind::AuthorityMessage:
            if (resp->status != dir::DirStatus::Ok)
                log->log(LogLevel::Info, "dir", "authority " + who + ": " + resp->message);
            break;
        case DirJob::Kind::HsUpload:
        case DirJob::Kind::HsFetch:
            break;  // answered above
    }
}

void Node::Impl::job_failed(std::uint64_t id, const std::string& why, TimePoint) {
    auto it = jobs.find(id);
    if (it == jobs.end()) return;
    DirJob job = std::move(it->second);
    jobs.erase(it);
    const TimePoint now = last_now;
    origin_close(job.circuit, "directory request failed", true, now);
    if (job.hs()) {
        job.hs_handler->on_hs_job_done(hs_kind(job), job.owner, std::nullopt, now);
        return;
    }
    const auto& who = config.network.authorities[job.authority].nickname;
    log->log(LogLevel::Debug, "dir", "request to authority " + who + " failed: " + why);
    if (job.kind == DirJob::Kind::FetchConsensus) {
        next_consensus_fetch = now + kRetryDelay;
        // Said once per authority until a consensus arrives, not every retry.
        const auto& a = config.network.authorities[job.authority];
        if (!consensus && warned_authorities.insert(job.authority).second)
            notice(LogLevel::Warning, "cannot fetch the consensus from authority " + a.nickname +
                                          " at " + a.host + ":" + std::to_string(a.port) + ": " +
                                          why +
                                          " (is the network running? check the network file)");
    }
    if (job.kind == DirJob::Kind::UploadDescriptor) {
        // Retry this authority alone; descriptors must reach every authority.
        retry_uploads.push_back({now + kRetryDelay, job.authority});
    }
}

void Node::Impl::job_timeouts(TimePoint now) {
    std::vector<std::uint64_t> late;
    for (auto& [id, j] : jobs)
        if (j.deadline <= now) late.push_back(id);
    for (auto id : late) job_failed(id, "timed out", now);
}

void Node::Impl::adopt_consensus(dir::Consensus c, TimePoint now) {
    if (auto s = dir::verify_consensus(c, config.network, now.unix_seconds()); !s) {
        notice(LogLevel::Warning, "refused a consensus: " + s.error().message);
        next_consensus_fetch = now + kRetryDelay;
        return;
    }
    if (consensus && c.valid_after <= consensus->valid_after) {
        next_consensus_fetch = now + config.consensus_fetch_interval;
        return;
    }
    const auto relays = c.relays.size();
    const auto va = c.valid_after;
    consensus = std::move(c);
    ring.emplace(*consensus);
    warned_authorities.clear();
    next_consensus_fetch = now + config.consensus_fetch_interval;
    emit(ConsensusChanged{va, relays});
}

void Node::Impl::upload_descriptor(TimePoint now) {
    auto desc = make_descriptor(now);
    for (std::size_t i = 0; i < config.network.authorities.size(); ++i) {
        if (authority && i == authority->index()) {
            authority->handle(dir::PostDescriptor{desc}, now);
            continue;
        }
        start_job(DirJob::Kind::UploadDescriptor, i, dir::PostDescriptor{desc}, now);
    }
}

void Node::Impl::directory_schedule(TimePoint now) {
    if (config.relay && next_descriptor_upload <= now) {
        next_descriptor_upload = now + config.relay->descriptor_interval;
        upload_descriptor(now);
    }
    for (auto it = retry_uploads.begin(); it != retry_uploads.end();) {
        if (it->first <= now && config.relay) {
            start_job(DirJob::Kind::UploadDescriptor, it->second,
                      dir::PostDescriptor{make_descriptor(now)}, now);
            it = retry_uploads.erase(it);
        } else {
            ++it;
        }
    }
    if (authority) {
        for (auto& check : authority->take_checks(now)) start_reachability_check(check, now);
        for (auto& out : authority->poll(now))
            start_job(DirJob::Kind::AuthorityMessage, out.authority_index, out.request, now);
        if (auto* c = authority->current_consensus();
            c && (!consensus || c->valid_after > consensus->valid_after)) {
            consensus = *c;
            ring.emplace(*consensus);
            emit(ConsensusChanged{c->valid_after, c->relays.size()});
        }
        next_consensus_fetch = TimePoint::never();  // an authority has its own
        return;
    }
    if (next_consensus_fetch <= now) {
        bool fetching = false;
        for (auto& [id, j] : jobs) fetching |= j.kind == DirJob::Kind::FetchConsensus;
        if (!fetching) {
            const auto n = config.network.authorities.size();
            start_job(DirJob::Kind::FetchConsensus, rng->uniform(n), dir::GetConsensus{}, now);
        }
        next_consensus_fetch = now + config.dir_request_timeout + Duration::seconds(1);
    }
}

void Node::Impl::serve_dir_request(RelayCircuit& c, HopStream& s, ByteView body, TimePoint now) {
    if (auto hs_answer = hs_serve_dir(body, now, &c)) {
        dir_answer(c, s, *hs_answer);
        return;
    }
    dir::DirResponse resp;
    auto req = dir::decode_dir_request(body);
    if (!req) {
        resp.status = dir::DirStatus::Malformed;
        resp.message = "malformed request: " + req.error().message;
    } else if (authority) {
        resp = authority->handle(*req, now);
        // A new signature may have completed a consensus.
        if (auto* cur = authority->current_consensus();
            cur && (!consensus || cur->valid_after > consensus->valid_after)) {
            consensus = *cur;
            ring.emplace(*consensus);
            emit(ConsensusChanged{cur->valid_after, cur->relays.size()});
        }
    } else if (std::holds_alternative<dir::GetConsensus>(*req) && consensus) {
        resp.consensus = *consensus;
    } else {
        resp.status = dir::DirStatus::NotFound;
        resp.message = "this relay is not a directory authority";
    }
    if (resp.message.size() > 200) resp.message.resize(200);
    dir_answer(c, s, dir::encode_dir_response(resp));
}

void Node::Impl::start_reachability_check(const dir::ReachabilityCheck& check, TimePoint now) {
    // Not through link_to: the check is of the advertised address, and a
    // link to the relay this node already has (kept in links_by_peer) may
    // have been opened to another address.
    const LinkId id = new_id();
    add_link(id, link::LinkSession::initiator(check.identity, *rng, now, config.link), true,
             check.identity, now);
    reachability_links.emplace(id, check);
    act(ConnectLink{id, check.host, check.port, check.identity});
}

bool Node::Impl::reachability_link_open(LinkEntry& l, TimePoint now) {
    auto it = reachability_links.find(l.id);
    if (it == reachability_links.end()) return false;
    const dir::ReachabilityCheck check = std::move(it->second);
    reachability_links.erase(it);
    // The handshake proved the expected identity at that address.
    if (authority) authority->check_result(check, true, now);
    close_link(l.id, "reachability check done", now, true);
    return true;
}

void Node::Impl::reachability_link_closed(LinkId link, const std::string& why, TimePoint now) {
    auto it = reachability_links.find(link);
    if (it == reachability_links.end()) return;
    const dir::ReachabilityCheck check = std::move(it->second);
    reachability_links.erase(it);
    log->log(LogLevel::Debug, "dir",
             "reachability check of " + check.host + ":" + std::to_string(check.port) +
                 " failed: " + why);
    if (authority) authority->check_result(check, false, now);
}

}  // namespace sotto::node
