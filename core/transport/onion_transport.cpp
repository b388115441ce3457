#include "core/transport/onion_transport.hpp"

#include "core/transport/onion_credentials.hpp"

namespace sotto::transport {

Result<std::unique_ptr<OnionTransport>> OnionTransport::create(node::Node& node,
                                                               const hs::ServiceConfig& config,
                                                               TimePoint now) {
    if (auto s = node.service_start(config, now); !s) return std::unexpected(s.error());
    return std::unique_ptr<OnionTransport>(new OnionTransport(node));
}

Status OnionTransport::grant(Tag tag, const Grant& grant, bool hidden, TimePoint now) {
    auto g = open_onion_grant(grant);
    if (!g) return std::unexpected(g.error());
    return node_.service_add_contact(tag, std::move(*g), hidden, now);
}

Status OnionTransport::revoke(Tag tag, TimePoint now) {
    auto s = node_.service_revoke(tag, now);
    // The contract: the contact's open streams end with the grant.
    std::vector<StreamId> theirs;
    for (const auto& [stream, t] : tag_of_)
        if (t == tag) theirs.push_back(stream);
    for (auto stream : theirs) {
        node_.close_stream(stream, now);
        end_conversation(stream, now);
        report(StreamClosed{stream, "access revoked"});
    }
    return s;
}

Status OnionTransport::hide(Tag tag, bool hidden, TimePoint now) {
    return node_.service_hide(tag, hidden, now);
}

void OnionTransport::set_visible(bool visible, TimePoint now) {
    node_.service_set_visible(visible, now);
}

AttemptId OnionTransport::connect(const Credential& credential, TimePoint now) {
    auto creds = open_onion_credential(credential);
    Result<hs::ConnectId> attempt =
        creds ? node_.connect_service(*creds, now) : std::unexpected(creds.error());
    if (attempt) {
        attempts_.insert(*attempt);
        return *attempt;
    }
    // Not even started: reported like any other failure, as an event.
    const AttemptId local = kLocalAttemptBit | ++local_attempts_;
    report(Unreachable{local, attempt.error().message});
    return local;
}

void OnionTransport::open_conversation(AttemptId attempt, node::CircuitRef circuit, TimePoint now) {
    // The service ignores the target; the name is only for logs.
    auto stream = node_.open_stream(circuit, "sotto", 1, now);
    if (!stream) {
        node_.close_circuit(circuit, now);
        report(Unreachable{attempt, stream.error().message});
        return;
    }
    opening_[*stream] = attempt;
    circuit_of_[*stream] = circuit;
}

void OnionTransport::end_conversation(StreamId stream, TimePoint now) {
    opening_.erase(stream);
    tag_of_.erase(stream);
    auto c = circuit_of_.find(stream);
    if (c == circuit_of_.end()) return;
    const auto circuit = c->second;
    circuit_of_.erase(c);
    node_.close_circuit(circuit, now);
}

bool OnionTransport::on_node_output(node::Event& out, TimePoint now) {
    if (auto* in = std::get_if<node::IncomingStream>(&out)) {
        circuit_of_[in->stream] = in->circuit;
        tag_of_[in->stream] = in->contact;
        report(IncomingStream{in->contact, in->stream});
        return true;
    }
    if (auto* c = std::get_if<node::ServiceConnected>(&out)) {
        if (!attempts_.erase(c->attempt)) return false;
        open_conversation(c->attempt, c->circuit, now);
        return true;
    }
    if (auto* u = std::get_if<node::ServiceUnreachable>(&out)) {
        if (!attempts_.erase(u->attempt)) return false;
        report(Unreachable{u->attempt, std::move(u->reason)});
        return true;
    }
    if (auto* f = std::get_if<node::ContactFlagged>(&out)) {
        report(ContactFlagged{f->contact, f->violations});
        return true;
    }
    if (auto* o = std::get_if<node::StreamOpened>(&out)) {
        auto it = opening_.find(o->stream);
        if (it == opening_.end()) return circuit_of_.contains(o->stream);
        const auto attempt = it->second;
        opening_.erase(it);
        report(Connected{attempt, o->stream});
        return true;
    }
    if (auto* d = std::get_if<node::StreamData>(&out)) {
        if (!circuit_of_.contains(d->stream)) return false;
        if (!opening_.contains(d->stream)) report(StreamData{d->stream, std::move(d->data)});
        return true;
    }
    if (auto* w = std::get_if<node::StreamWritable>(&out)) {
        if (!circuit_of_.contains(w->stream)) return false;
        if (!opening_.contains(w->stream)) report(StreamWritable{w->stream});
        return true;
    }
    if (auto* cl = std::get_if<node::StreamClosed>(&out)) {
        if (!circuit_of_.contains(cl->stream)) return false;
        if (auto it = opening_.find(cl->stream); it != opening_.end())
            report(Unreachable{it->second, std::move(cl->reason)});
        else
            report(StreamClosed{cl->stream, std::move(cl->reason)});
        end_conversation(cl->stream, now);
        return true;
    }
    return false;
}

Status OnionTransport::send(StreamId stream, ByteView data, TimePoint now) {
    if (!circuit_of_.contains(stream) || opening_.contains(stream))
        return fail(Errc::NotFound, "no such stream");
    return node_.stream_send(stream, data, now);
}

std::size_t OnionTransport::pending(StreamId stream) const {
    return node_.stream_backlog(stream);
}

void OnionTransport::close(StreamId stream, TimePoint now) {
    if (!circuit_of_.contains(stream)) return;
    node_.close_stream(stream, now);
    end_conversation(stream, now);
}

std::vector<Event> OnionTransport::take_events() {
    return std::exchange(events_, {});
}

}  // namespace sotto::transport
