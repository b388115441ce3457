// Steps the private-service simulations (tests/sim) share: waiting for the
// clients' consensus, starting a service with one contact, a connect attempt
// to it, an echo exchange on a stream, and a GET for a descriptor at an
// HSDir. Each took the same dozen lines in every World before; they live
// here so a change to, say, how a connect attempt ends is made once.
// Virtual time only.
#pragma once

#include <optional>
#include <string>

#include "core/crypto/random.hpp"
#include "core/hs/hsdir_messages.hpp"
#include "core/sim/onion_network.hpp"

namespace sotto::testing {

// Runs until every client of `net` holds a full consensus, at most `limit`.
inline bool clients_bootstrapped(sim::Simulator& sim, const sim::OnionNetwork& net,
                                 Duration limit) {
    return sim.run_until(
        [&] {
            for (sim::SimNode* c : net.clients())
                if (!net.has_full_consensus(*c)) return false;
            return true;
        },
        limit);
}

// A network built from `options`, with two clients: Bob, who will run the
// service, and Alice; `rng` is for Bob's grants. The Worlds of the
// simulations build on it.
struct BobAndAlice {
    BobAndAlice(std::uint64_t seed, sim::OnionNetworkOptions options)
        : sim(seed), rng(seed + 1000) {
        auto n = sim::OnionNetwork::create(sim, std::move(options));
        if (!n) qFatal("%s", n.error().message.c_str());
        net.emplace(std::move(*n));
        bob = *net->add_client("bob");
        alice = *net->add_client("alice");
    }

    bool bootstrap(Duration limit = Duration::minutes(10)) {
        return clients_bootstrapped(sim, *net, limit);
    }

    sim::Simulator sim;
    DeterministicRng rng;
    std::optional<sim::OnionNetwork> net;
    sim::SimNode* bob = nullptr;
    sim::SimNode* alice = nullptr;
};

// Makes `service` answer every message on an incoming stream with "re: " + it
// (what echo_exchange expects).
inline void answer_streams(sim::SimNode* service) {
    service->add_listener([](sim::SimNode& n, const sim::NodeEvent& e) {
        if (const auto* d = std::get_if<node::StreamData>(&e)) {
            Bytes reply{'r', 'e', ':', ' '};
            reply.insert(reply.end(), d->data.begin(), d->data.end());
            (void)n.send(d->stream, reply);
        }
    });
}

// Starts `service`'s private service with `config` and one contact `id`, in
// one step; returns the credentials that contact is handed.
inline hs::ContactCredentials start_service_with_contact(sim::SimNode* service, Rng& rng,
                                                         const hs::ServiceConfig& config,
                                                         hs::ContactId id) {
    auto grant = hs::ContactGrant::generate(rng);
    auto creds = hs::credentials_for(grant);
    auto ok = service->with_node([&](node::Node& n, TimePoint now) {
        if (!n.service_start(config, now)) qFatal("service_start failed");
        if (!n.service_add_contact(id, std::move(grant), false, now))
            qFatal("service_add_contact failed");
    });
    if (!ok) qFatal("%s", ok.error().message.c_str());
    return creds;
}

struct ServiceAttempt {
    std::optional<node::CircuitRef> circuit;
    std::string reason;  // ServiceUnreachable's; empty on success
    bool timed_out = false;
    Duration took;  // until ServiceConnected or ServiceUnreachable
};

// Waits at most `limit` for the end of `who`'s connection attempt `id`.
inline ServiceAttempt wait_for_attempt(sim::Simulator& sim, sim::SimNode* who, hs::ConnectId id,
                                       Duration limit) {
    ServiceAttempt r;
    const TimePoint start = sim.now();
    bool failed = false;
    const bool done = sim.run_until(
        [&] {
            for (auto& e : who->events_of<node::ServiceConnected>())
                if (e.attempt == id) r.circuit = e.circuit;
            for (auto& e : who->events_of<node::ServiceUnreachable>())
                if (e.attempt == id) {
                    failed = true;
                    r.reason = e.reason;
                }
            return r.circuit.has_value() || failed;
        },
        limit);
    r.timed_out = !done;
    r.took = sim.now() - start;
    return r;
}

// `who` connects to the service of `creds` and waits at most `limit`.
inline ServiceAttempt connect_service(sim::Simulator& sim, sim::SimNode* who,
                                      const hs::ContactCredentials& creds, Duration limit) {
    auto attempt =
        who->with_node([&](node::Node& n, TimePoint now) { return n.connect_service(creds, now); });
    if (!attempt || !*attempt) {
        ServiceAttempt r;
        r.reason = attempt ? attempt->error().message : attempt.error().message;
        return r;
    }
    return wait_for_attempt(sim, who, **attempt, limit);
}

// Sends `text` on a new stream of `circuit` (to a service that answers as
// answer_streams makes it) and hangs up; true if "re: " + text came back.
inline bool echo_exchange(sim::Simulator& sim, sim::SimNode* who, node::CircuitRef circuit,
                          const std::string& text) {
    auto stream = who->open_stream(circuit, "bob", 1);
    bool ok = stream.has_value();
    const std::string want = "re: " + text;
    ok = ok && sim.run_until([&] { return who->stream_opened(*stream); }, Duration::minutes(1)) &&
         who->send(*stream, as_bytes(text)).has_value() &&
         sim.run_until([&] { return who->stream_data(*stream).size() >= want.size(); },
                       Duration::minutes(1));
    if (ok) {
        const Bytes& got = who->stream_data(*stream);
        ok = std::string(got.begin(), got.end()) == want;
    }
    who->close_circuit(circuit);
    return ok;
}

// What `hsdir` answers to a GET for descriptor `id` (any client can send
// one), or nullopt if it is down or the answer does not decode.
inline std::optional<hs::HsDirResponse> get_descriptor(sim::SimNode* hsdir,
                                                       const hs::DescriptorId& id) {
    auto answer = hsdir->with_node([&](node::Node& n, TimePoint now) {
        return n.serve_hsdir_request(hs::encode_hsdir_request(hs::GetHsDescriptor{id}), now);
    });
    if (!answer) return std::nullopt;
    auto resp = hs::decode_hsdir_response(*answer);
    if (!resp) return std::nullopt;
    return std::move(*resp);
}

}  // namespace sotto::testing
