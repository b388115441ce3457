// Whole onion networks on the simulator's virtual clock: authorities agree on
// a consensus of 103 relays, a client builds and uses 1,000 circuits, a
// relay crash tears down exactly the circuits through it, misbehaving relays
// (corrupting or replaying relayed cells) lose their circuits while the rest
// keep working, and a seed replays a run bit for bit.
#include <QtTest>

#include <map>
#include <set>

#include "core/sim/onion_network.hpp"

using namespace sotto;
using namespace sotto::sim;
using node::CircuitRef;
using node::StreamRef;

namespace {

// Echo checks over one client's circuits: when a tracked circuit is ready, a
// stream to the echo service sends a payload of a few hundred bytes; the
// check passes when exactly that payload comes back.
class EchoChecker {
  public:
    enum class State { Building, Checking, Good, Bad, Closed };

    explicit EchoChecker(SimNode& client, bool close_when_good = false)
        : client_(&client), close_when_good_(close_when_good) {
        client.add_listener([this](SimNode&, const NodeEvent& e) { on_event(e); });
    }

    // Builds a random 3-hop circuit and checks it when it is ready.
    std::optional<CircuitRef> build_and_check() { return track(client_->build_circuit(3)); }
    std::optional<CircuitRef> build_and_check(std::vector<node::PathHop> path) {
        return track(client_->build_circuit(std::move(path)));
    }
    // A new echo check on an open circuit.
    void check(CircuitRef c) {
        state_[c] = State::Checking;
        auto s = client_->open_stream(c, kEchoHost, kEchoPort);
        if (!s) {
            state_[c] = State::Bad;
            return;
        }
        stream_circuit_[*s] = c;
        ++checks_started_;
    }

    State state(CircuitRef c) const { return state_.at(c); }
    std::size_t count(State s) const {
        std::size_t n = 0;
        for (const auto& [c, st] : state_) n += st == s ? 1 : 0;
        return n;
    }
    std::size_t unfinished() const { return count(State::Building) + count(State::Checking); }
    // Runs the simulation until no check is unfinished, at most `limit`.
    bool finish(Duration limit) {
        return client_->sim().run_until([&] { return unfinished() == 0; }, limit);
    }
    std::size_t build_errors() const { return build_errors_; }
    std::size_t checks_started() const { return checks_started_; }
    const std::map<CircuitRef, std::string>& close_reasons() const { return close_reasons_; }

    static Bytes payload(CircuitRef c) {
        Bytes b(300 + c % 200);
        for (std::size_t i = 0; i < b.size(); ++i)
            b[i] = static_cast<std::uint8_t>(c * 131 + i * 7 + i / 13);
        return b;
    }

  private:
    std::optional<CircuitRef> track(Result<CircuitRef> r) {
        if (!r) {
            ++build_errors_;
            return std::nullopt;
        }
        state_[*r] = State::Building;
        return *r;
    }

    void on_event(const NodeEvent& e) {
        if (const auto* ready = std::get_if<node::CircuitReady>(&e)) {
            auto it = state_.find(ready->circuit);
            if (it != state_.end() && it->second == State::Building) check(ready->circuit);
        } else if (const auto* closed = std::get_if<node::CircuitClosed>(&e)) {
            auto it = state_.find(closed->circuit);
            if (it == state_.end()) return;
            close_reasons_[closed->circuit] = closed->reason;
            if (it->second != State::Good && it->second != State::Bad) it->second = State::Closed;
        } else if (const auto* opened = std::get_if<node::StreamOpened>(&e)) {
            auto it = stream_circuit_.find(opened->stream);
            if (it == stream_circuit_.end()) return;
            if (!client_->send(opened->stream, payload(it->second)))
                state_[it->second] = State::Bad;
        } else if (const auto* data = std::get_if<node::StreamData>(&e)) {
            auto it = stream_circuit_.find(data->stream);
            if (it == stream_circuit_.end()) return;
            const CircuitRef c = it->second;
            const Bytes want = payload(c);
            const Bytes& got = client_->stream_data(data->stream);
            if (got.size() < want.size() && std::equal(got.begin(), got.end(), want.begin()))
                return;
            state_[c] = got == want ? State::Good : State::Bad;
            const StreamRef s = data->stream;
            stream_circuit_.erase(it);
            client_->close_stream(s);
            if (close_when_good_) client_->close_circuit(c);
        }
    }

    SimNode* client_;
    bool close_when_good_;
    std::map<CircuitRef, State> state_;
    std::map<StreamRef, CircuitRef> stream_circuit_;
    std::map<CircuitRef, std::string> close_reasons_;
    std::size_t build_errors_ = 0;
    std::size_t checks_started_ = 0;
};

NetworkModel wan() {
    NetworkModel m;
    m.path = PathModel{.latency = Duration::millis(20),
                       .jitter = Duration::millis(10),
                       .bandwidth = 10'000'000,
                       .loss = 0.01};
    return m;
}

std::string dump(const SimNode& n) {
    std::string out = n.name() + " recent log:\n";
    for (const auto& l : n.recent_log()) out += "  " + l + "\n";
    return out;
}

// Waits until every authority published a full consensus and `client` has
// it; prints the nodes' logs when it does not happen.
bool converge(Simulator& sim, const OnionNetwork& net, SimNode& client) {
    const bool ok = sim.run_until(
        [&] {
            return net.authorities_published_full_consensus() && net.has_full_consensus(client);
        },
        Duration::minutes(10));
    if (!ok) {
        for (auto* a : net.authorities()) qWarning("%s", dump(*a).c_str());
        qWarning("%s", dump(client).c_str());
    }
    return ok;
}

// A path of distinct relays with `through` at `position`, the rest drawn
// from `pool` (which must not contain `through`).
std::vector<node::PathHop> path_through(SimNode* through, std::size_t position,
                                        const std::vector<SimNode*>& pool, Rng& rng) {
    std::vector<SimNode*> left = pool;
    std::vector<node::PathHop> path;
    for (std::size_t i = 0; i < 3; ++i) {
        if (i == position && through != nullptr) {
            path.push_back(through->hop());
            continue;
        }
        const auto k = rng.uniform(left.size());
        path.push_back(left[k]->hop());
        left.erase(left.begin() + static_cast<std::ptrdiff_t>(k));
    }
    return path;
}

std::vector<SimNode*> without(std::vector<SimNode*> v, const SimNode* x) {
    std::erase(v, x);
    return v;
}

// `n` pairs of echo-checked circuits over `others`: the i-th of `through`
// has `relay` at hop i % `positions`, those of `around` do not have it. The
// caller returns if QTest::currentTestFailed().
void through_and_around(EchoChecker& checker, SimNode* relay, std::size_t positions,
                        const std::vector<SimNode*>& others, Rng& rng, int n,
                        std::vector<CircuitRef>& through, std::vector<CircuitRef>& around) {
    for (int i = 0; i < n; ++i) {
        auto c = checker.build_and_check(
            path_through(relay, static_cast<std::size_t>(i) % positions, others, rng));
        QVERIFY(c.has_value());
        through.push_back(*c);
        c = checker.build_and_check(path_through(nullptr, 0, others, rng));
        QVERIFY(c.has_value());
        around.push_back(*c);
    }
}

// A network of 3 authorities and relays as `options` says, on the WAN model,
// and (once converged() is called) a client.
struct World {
    World(std::uint64_t seed, OnionNetworkOptions options) : sim(seed, wan()) {
        auto n = OnionNetwork::create(sim, std::move(options));
        if (n) net.emplace(std::move(*n));
    }
    // Adds the client and waits for it to converge; false if the network
    // could not be created or did not converge.
    bool converged() {
        if (!net) return false;
        client = *net->add_client();
        return converge(sim, *net, *client);
    }
    Simulator sim;
    std::optional<OnionNetwork> net;
    SimNode* client = nullptr;
};

// Runs an adversarial relay scenario: circuits with the bad relay as first or
// middle hop die, circuits avoiding it keep carrying echo streams.
void misbehaving_relay_scenario(std::uint64_t seed, node::Misbehaviour m) {
    World w(seed, {.authorities = 3, .relays = 20});
    QVERIFY(w.converged());
    auto& [sim, net, client] = w;

    SimNode* bad = net->relays().at(5);
    bad->set_misbehaviour(m);
    auto rng = sim.fork_rng(99);
    const auto honest = without(net->all_relays(), bad);
    EchoChecker checker(*client);
    std::vector<CircuitRef> through, around;
    through_and_around(checker, bad, 2, honest, *rng, 20, through, around);
    if (QTest::currentTestFailed()) return;
    QVERIFY(checker.finish(Duration::minutes(5)));
    for (CircuitRef c : through) {
        QVERIFY2(checker.state(c) == EchoChecker::State::Closed,
                 ("a circuit through the bad relay survived: " + std::to_string(c)).c_str());
        QVERIFY(client->circuit_closed(c).has_value());
    }
    for (CircuitRef c : around) QCOMPARE(checker.state(c), EchoChecker::State::Good);
    std::map<std::string, int> reasons;
    for (CircuitRef c : through) ++reasons[*client->circuit_closed(c)];
    for (const auto& [why, n] : reasons)
        qInfo("%d circuits through the bad relay: %s", n, why.c_str());
    // The honest neighbours noticed the bad cells.
    std::uint64_t torn = 0;
    for (auto* r : honest) torn += r->stats().circuits_torn_protocol;
    QVERIFY(torn > 0);
    // Circuits avoiding the bad relay still work afterwards.
    for (CircuitRef c : around) checker.check(c);
    QVERIFY(checker.finish(Duration::minutes(2)));
    for (CircuitRef c : around) QCOMPARE(checker.state(c), EchoChecker::State::Good);
}

struct SmallRun {
    crypto::Digest256 fingerprint;
    std::size_t good = 0;
    std::uint64_t events = 0;
};

// A small complete scenario: consensus, 20 circuits with echo checks, one
// relay crash, on a jittery lossy network.
SmallRun small_run(std::uint64_t seed) {
    Simulator sim(seed, wan());
    auto net = OnionNetwork::create(sim, {.authorities = 3, .relays = 8});
    SmallRun out;
    if (!net) return out;
    SimNode* client = *net->add_client();
    if (!converge(sim, *net, *client)) return out;
    EchoChecker checker(*client);
    for (int i = 0; i < 20; ++i) checker.build_and_check();
    checker.finish(Duration::minutes(2));
    net->relays().at(2)->crash();
    for (int i = 0; i < 5; ++i) checker.build_and_check();
    sim.run_for(Duration::minutes(1));
    out.fingerprint = sim.fingerprint();
    out.good = checker.count(EchoChecker::State::Good);
    out.events = sim.stats().events;
    return out;
}

// A ready 3-hop circuit of `client` (random path), or nullopt.
std::optional<CircuitRef> ready_circuit(Simulator& sim, SimNode& client) {
    auto c = client.build_circuit(3);
    if (!c) return std::nullopt;
    if (!sim.run_until([&] { return client.circuit_ready(*c) || client.circuit_closed(*c); },
                       Duration::minutes(1)) ||
        !client.circuit_ready(*c))
        return std::nullopt;
    return *c;
}

std::optional<StreamRef> open_stream(Simulator& sim, SimNode& client, CircuitRef c,
                                     const std::string& host, std::uint16_t port) {
    auto s = client.open_stream(c, host, port);
    if (!s) return std::nullopt;
    sim.run_until([&] { return client.stream_opened(*s) || client.stream_closed(*s); },
                  Duration::minutes(1));
    if (!client.stream_opened(*s)) return std::nullopt;
    return *s;
}

// Nothing left behind on any relay once the circuits are gone.
std::string leftovers(const OnionNetwork& net) {
    std::string out;
    for (const SimNode* r : net.all_relays()) {
        if (!r->alive()) continue;
        const auto st = r->stats();
        if (st.relay_circuits != 0 || st.streams != 0)
            out += r->name() + ": " + std::to_string(st.relay_circuits) + " circuits, " +
                   std::to_string(st.streams) + " streams; ";
    }
    return out;
}

}  // namespace

class TestOnionNetworkSim : public QObject {
    Q_OBJECT
  private slots:
    void authorities_agree_on_103_relays_and_client_fetches_consensus() {
        Simulator sim(1, wan());
        auto net = OnionNetwork::create(sim, {.authorities = 3, .relays = 100});
        QVERIFY2(net.has_value(), net ? "" : net.error().message.c_str());
        SimNode* client = *net->add_client();
        QVERIFY(converge(sim, *net, *client));
        const dir::Consensus* c = client->consensus();
        QCOMPARE(c->relays.size(), std::size_t{103});
        for (const SimNode* r : net->all_relays()) {
            const auto* e = c->find(r->identity());
            QVERIFY(e != nullptr);
            QVERIFY(e->flags & dir::kFlagRunning);
            QCOMPARE(e->host, r->config().relay->host);
        }
        for (const SimNode* a : net->authorities())
            QVERIFY(c->find(a->identity())->flags & dir::kFlagAuthority);
        QVERIFY(dir::verify_consensus(*c, net->network_file(), sim.now().unix_seconds()));
        // Relays fetch it too.
        QVERIFY(sim.run_until(
            [&] {
                for (const SimNode* r : net->relays())
                    if (!net->has_full_consensus(*r)) return false;
                return true;
            },
            Duration::minutes(5)));
        qInfo("consensus after %.1f s of virtual time, %llu events",
              static_cast<double>((sim.now() - kEpoch).us) / 1e6,
              static_cast<unsigned long long>(sim.stats().events));
    }

    void thousand_random_circuits_each_carry_an_echo_stream() {
        World w(2, {.authorities = 3, .relays = 100});
        QVERIFY(w.converged());
        auto& [sim, net, client] = w;
        EchoChecker checker(*client, /*close_when_good=*/true);
        // In waves of 100, as a busy client would.
        for (int wave = 0; wave < 10; ++wave) {
            for (int i = 0; i < 100; ++i) QVERIFY(checker.build_and_check().has_value());
            QVERIFY(checker.finish(Duration::minutes(2)));
        }
        QCOMPARE(checker.build_errors(), std::size_t{0});
        if (checker.count(EchoChecker::State::Good) != 1000) {
            for (const auto& [c, why] : checker.close_reasons())
                if (checker.state(c) != EchoChecker::State::Good)
                    qWarning("circuit %llu: %s", static_cast<unsigned long long>(c), why.c_str());
        }
        QCOMPARE(checker.count(EchoChecker::State::Good), std::size_t{1000});
        QCOMPARE(net->echo()->connections(), std::uint64_t{1000});
        // Every circuit was closed after its check: no state is left anywhere.
        sim.run_for(Duration::seconds(30));
        QCOMPARE(leftovers(*net), std::string());
        QCOMPARE(client->stats().origin_circuits, std::size_t{0});
        QCOMPARE(client->stats().streams, std::size_t{0});
        qInfo("1000 circuits in %.1f s of virtual time, %llu events, %llu bytes delivered",
              static_cast<double>((sim.now() - kEpoch).us) / 1e6,
              static_cast<unsigned long long>(sim.stats().events),
              static_cast<unsigned long long>(sim.stats().bytes_delivered));
    }

    void relay_crash_closes_its_circuits_and_rebuilt_circuits_work() {
        World w(3, {.authorities = 3, .relays = 20});
        QVERIFY(w.converged());
        auto& [sim, net, client] = w;

        SimNode* victim = net->relays().at(7);
        auto rng = sim.fork_rng(7);
        const auto others = without(net->all_relays(), victim);
        EchoChecker checker(*client);
        std::vector<CircuitRef> through, around;
        through_and_around(checker, victim, 3, others, *rng, 24, through, around);
        if (QTest::currentTestFailed()) return;
        QVERIFY(checker.finish(Duration::minutes(2)));
        QCOMPARE(checker.count(EchoChecker::State::Good), std::size_t{48});

        // The relay dies mid-circuit: exactly the circuits through it close.
        victim->crash();
        QVERIFY(sim.run_until(
            [&] {
                return std::all_of(through.begin(), through.end(), [&](CircuitRef c) {
                    return client->circuit_closed(c).has_value();
                });
            },
            Duration::minutes(2)));
        for (CircuitRef c : around) QVERIFY(client->circuit_open(c));
        for (CircuitRef c : around) checker.check(c);
        QVERIFY(checker.finish(Duration::minutes(2)));
        for (CircuitRef c : around) QCOMPARE(checker.state(c), EchoChecker::State::Good);

        // The client rebuilds on random paths (the consensus still lists the
        // dead relay, so some attempts fail and are retried).
        std::set<CircuitRef> rebuilt;
        std::size_t attempts = 0;
        while (rebuilt.size() < through.size() && attempts < 200) {
            std::vector<CircuitRef> wave;
            for (std::size_t i = rebuilt.size(); i < through.size(); ++i, ++attempts)
                if (auto c = checker.build_and_check()) wave.push_back(*c);
            QVERIFY(checker.finish(Duration::minutes(2)));
            for (CircuitRef c : wave)
                if (checker.state(c) == EchoChecker::State::Good)
                    rebuilt.insert(c);
                else
                    QVERIFY2(checker.state(c) == EchoChecker::State::Closed, "a broken echo");
        }
        QCOMPARE(rebuilt.size(), through.size());

        // Back with the same keys, the relay carries circuits again.
        QVERIFY(victim->restart());
        QVERIFY(victim->alive());
        QCOMPARE(victim->node()->identity(), victim->identity());
        std::vector<CircuitRef> again;
        for (int i = 0; i < 6; ++i)
            again.push_back(*checker.build_and_check(path_through(victim, i % 3, others, *rng)));
        QVERIFY(checker.finish(Duration::minutes(2)));
        for (CircuitRef c : again) QCOMPARE(checker.state(c), EchoChecker::State::Good);
    }

    void relay_corrupting_cells_loses_its_circuits_others_keep_working() {
        misbehaving_relay_scenario(4, node::Misbehaviour{.corrupt_relayed_cells = true});
    }

    void relay_replaying_cells_loses_its_circuits_others_keep_working() {
        misbehaving_relay_scenario(5, node::Misbehaviour{.replay_relayed_cells = true});
    }

    void bulk_upload_reaches_the_sink_intact() {
        World w(6, {.authorities = 3, .relays = 10});
        QVERIFY(w.converged());
        auto& [sim, net, client] = w;
        auto c = ready_circuit(sim, *client);
        QVERIFY(c.has_value());
        auto s = open_stream(sim, *client, *c, kSinkHost, kSinkPort);
        QVERIFY(s.has_value());
        const Bytes data = sim.fork_rng(1)->bytes(2 * 1024 * 1024);
        QVERIFY(client->send(*s, data));
        QVERIFY(sim.run_until([&] { return client->node()->stream_backlog(*s) == 0; },
                              Duration::minutes(5)));
        client->close_stream(*s);
        SinkService& sink = *net->sink();
        QVERIFY(sim.run_until(
            [&] { return sink.connections() == 1 && sink.received().begin()->second.closed; },
            Duration::minutes(5)));
        const auto& got = sink.received().begin()->second;
        QCOMPARE(got.bytes, std::uint64_t{data.size()});
        QCOMPARE(got.digest(), crypto::sha3_256(data));
        QVERIFY(client->circuit_open(*c));
        const auto backlog =
            client->with_node([&](node::Node& n, TimePoint) { return n.stream_backlog(*s); });
        QVERIFY(backlog.has_value());
        QCOMPARE(*backlog, std::size_t{0});
    }

    void bulk_download_pauses_the_exit_and_arrives_intact() {
        Simulator sim(7, wan());
        auto net = OnionNetwork::create(sim, {.authorities = 3, .relays = 10});
        QVERIFY(net.has_value());
        const Bytes data = sim.fork_rng(2)->bytes(3 * 1024 * 1024);
        auto source = std::make_shared<CallbackService>();
        source->open = [&data](ServiceSocket& sock) {
            sock.send(data);
            sock.close();
        };
        add_service(sim, "source.sim", 19, source);
        SimNode* client = *net->add_client();
        QVERIFY(converge(sim, *net, *client));
        auto c = ready_circuit(sim, *client);
        QVERIFY(c.has_value());
        auto s = open_stream(sim, *client, *c, "source.sim", 19);
        QVERIFY(s.has_value());
        QVERIFY(sim.run_until([&] { return client->stream_closed(*s).has_value(); },
                              Duration::minutes(5)));
        QCOMPARE(client->stream_data(*s).size(), data.size());
        QVERIFY(client->stream_data(*s) == data);
        // 3 MiB is far beyond a stream window: the exit had to stop reading.
        QVERIFY(sim.stats().reads_paused > 0);
        QVERIFY(client->circuit_open(*c));
    }

    void streams_to_missing_services_or_refused_ports_close_cleanly() {
        World w(8, {.authorities = 3,
                    .relays = 10,
                    .exit_policy = {{kEchoHost, kEchoPort, kEchoPort}, {"nowhere.sim", 1, 65535}}});
        QVERIFY(w.converged());
        auto& [sim, net, client] = w;
        auto c = ready_circuit(sim, *client);
        QVERIFY(c.has_value());
        auto missing = client->open_stream(*c, "nowhere.sim", 80);
        auto refused = client->open_stream(*c, kSinkHost, kSinkPort);
        QVERIFY(missing && refused);
        QVERIFY(sim.run_until(
            [&] { return client->stream_closed(*missing) && client->stream_closed(*refused); },
            Duration::minutes(1)));
        QVERIFY(!client->stream_opened(*missing));
        QVERIFY(!client->stream_opened(*refused));
        QCOMPARE(net->sink()->connections(), std::size_t{0});
        qInfo("missing service: %s; exit policy: %s", client->stream_closed(*missing)->c_str(),
              client->stream_closed(*refused)->c_str());
        // The circuit survives both and still carries an echo.
        EchoChecker checker(*client);
        checker.check(*c);
        QVERIFY(checker.finish(Duration::minutes(1)));
        QCOMPARE(checker.state(*c), EchoChecker::State::Good);
    }

    void partition_from_the_first_hop_closes_circuits_and_heal_restores() {
        World w(9, {.authorities = 3, .relays = 12});
        QVERIFY(w.converged());
        auto& [sim, net, client] = w;
        SimNode* guard = net->relays().at(3);
        const auto others = without(net->all_relays(), guard);
        auto rng = sim.fork_rng(3);
        EchoChecker checker(*client);
        std::vector<CircuitRef> via, around;
        through_and_around(checker, guard, 1, others, *rng, 8, via, around);
        if (QTest::currentTestFailed()) return;
        QVERIFY(checker.finish(Duration::minutes(2)));
        QCOMPARE(checker.count(EchoChecker::State::Good), std::size_t{16});

        sim.partition({client}, {guard});
        QVERIFY(sim.run_until(
            [&] {
                return std::all_of(via.begin(), via.end(), [&](CircuitRef c) {
                    return client->circuit_closed(c).has_value();
                });
            },
            Duration::minutes(1)));
        for (CircuitRef c : around) QVERIFY(client->circuit_open(c));
        auto blocked = checker.build_and_check(path_through(guard, 0, others, *rng));
        QVERIFY(blocked.has_value());
        QVERIFY(checker.finish(Duration::minutes(2)));
        QCOMPARE(checker.state(*blocked), EchoChecker::State::Closed);

        sim.heal();
        auto healed = checker.build_and_check(path_through(guard, 0, others, *rng));
        QVERIFY(healed.has_value());
        QVERIFY(checker.finish(Duration::minutes(2)));
        QCOMPARE(checker.state(*healed), EchoChecker::State::Good);
    }

    void consensus_continues_with_one_authority_down() {
        World w(10, {.authorities = 3, .relays = 10});
        QVERIFY(w.converged());
        auto& [sim, net, client] = w;
        const std::int64_t first = client->consensus()->valid_after;
        net->authorities().back()->crash();
        SimNode* late = *net->add_relay("latecomer");
        // Two of three authorities are a majority: a newer consensus, listing
        // the new relay, reaches the client.
        QVERIFY(sim.run_until(
            [&] {
                const auto* c = client->consensus();
                return c != nullptr && c->valid_after > first && c->find(late->identity());
            },
            Duration::minutes(10)));
        QVERIFY(client->consensus()->signatures.size() >= 2);
        EchoChecker checker(*client);
        auto c = checker.build_and_check(
            path_through(late, 2, without(net->relays(), late), *sim.fork_rng(4)));
        QVERIFY(checker.finish(Duration::minutes(1)));
        QCOMPARE(checker.state(*c), EchoChecker::State::Good);
    }

    void idle_circuit_survives_half_an_hour_and_consensus_stays_fresh() {
        World w(11, {.authorities = 3, .relays = 10});
        QVERIFY(w.converged());
        auto& [sim, net, client] = w;
        EchoChecker checker(*client);
        auto c = checker.build_and_check();
        QVERIFY(checker.finish(Duration::minutes(1)));
        QCOMPARE(checker.state(*c), EchoChecker::State::Good);
        sim.run_for(Duration::minutes(30));
        QVERIFY2(client->circuit_open(*c),
                 client->circuit_closed(*c).value_or("not ready").c_str());
        const dir::Consensus* cons = client->consensus();
        QVERIFY(cons != nullptr);
        QVERIFY(dir::verify_consensus(*cons, net->network_file(), sim.now().unix_seconds()));
        QVERIFY(cons->relays.size() == 13);
        checker.check(*c);
        QVERIFY(checker.finish(Duration::minutes(1)));
        QCOMPARE(checker.state(*c), EchoChecker::State::Good);
    }

    void restarted_authority_and_client_rejoin() {
        World w(12, {.authorities = 3, .relays = 10});
        QVERIFY(w.converged());
        auto& [sim, net, client] = w;
        SimNode* auth = net->authorities().front();
        auth->crash();
        sim.run_for(Duration::minutes(3));
        QVERIFY(auth->restart());
        client->crash();
        QVERIFY(client->restart());
        QVERIFY(client->consensus() == nullptr);
        const std::int64_t after = sim.now().unix_seconds();
        // The restarted authority signs again and the client fetches anew.
        QVERIFY(sim.run_until(
            [&] {
                auto e = auth->last_consensus();
                const auto* c = client->consensus();
                return e && e->valid_after > after && e->relays == 13 && c != nullptr &&
                       c->valid_after >= e->valid_after;
            },
            Duration::minutes(10)));
        const auto* c = client->consensus();
        QVERIFY(std::any_of(c->signatures.begin(), c->signatures.end(),
                            [&](const auto& s) { return s.authority == auth->identity(); }));
        EchoChecker checker(*client);
        auto circ = checker.build_and_check();
        QVERIFY(checker.finish(Duration::minutes(1)));
        QCOMPARE(checker.state(*circ), EchoChecker::State::Good);
    }

    void crashed_client_leaves_no_state_on_relays() {
        World w(13, {.authorities = 3, .relays = 10});
        QVERIFY(w.converged());
        auto& [sim, net, client] = w;
        // Circuits with streams still open at the echo service.
        std::vector<StreamRef> streams;
        for (int i = 0; i < 30; ++i) {
            auto c = ready_circuit(sim, *client);
            QVERIFY(c.has_value());
            auto s = open_stream(sim, *client, *c, kEchoHost, kEchoPort);
            QVERIFY(s.has_value());
        }
        std::uint64_t busy = 0;
        for (const SimNode* r : net->all_relays()) busy += r->stats().relay_circuits;
        QVERIFY(busy >= 90);
        client->crash();
        sim.run_for(Duration::minutes(1));
        QCOMPARE(leftovers(*net), std::string());
        QCOMPARE(net->echo()->connections(), std::uint64_t{30});
    }

    // The authorities check every relay they list again every 20 minutes
    // (AuthorityConfig::recheck_interval), so a crashed relay leaves at the
    // first check after the crash, before its descriptor (30 minutes here)
    // expires.
    void crashed_relay_leaves_the_consensus_at_its_next_reachability_check() {
        World w(14, {.authorities = 3, .relays = 10});
        QVERIFY(w.converged());
        auto& [sim, net, client] = w;
        SimNode* gone = net->relays().at(4);
        gone->crash();
        const TimePoint crashed = sim.now();
        QVERIFY(sim.run_until(
            [&] {
                const auto* c = client->consensus();
                return c != nullptr && c->find(gone->identity()) == nullptr;
            },
            Duration::minutes(60)));
        const Duration took = sim.now() - crashed;
        qInfo("dropped after %lld s", static_cast<long long>(took.seconds_count()));
        // The check, then the next round and a consensus fetch (a minute each).
        QVERIFY(took <= Duration::minutes(20) + Duration::minutes(3));
        QCOMPARE(client->consensus()->relays.size(), std::size_t{12});
    }

    void same_seed_replays_bit_for_bit() {
        const SmallRun one = small_run(77);
        const SmallRun two = small_run(77);
        QVERIFY(one.good >= 20);
        QCOMPARE(one.events, two.events);
        QCOMPARE(one.fingerprint, two.fingerprint);
        const SmallRun other = small_run(78);
        QVERIFY(other.good >= 20);
        QVERIFY(other.fingerprint != one.fingerprint);
    }
};

QTEST_APPLESS_MAIN(TestOnionNetworkSim)
#include "tst_onion_network_sim.moc"
