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
            if (!client_->send(opened->stream, payload(it->second))) state_[it->second] = State::Bad;
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
        [&] { return net.authorities_published_full_consensus() && net.has_full_consensus(client); },
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

// Runs an adversarial relay scenario: circuits with the bad relay as first or
// middle hop die, circuits avoiding it keep carrying echo streams.
void misbehaving_relay_scenario(std::uint64_t seed, node::Misbehaviour m) {
    Simulator sim(seed, wan());
    auto net = OnionNetwork::create(sim, {.authorities = 3, .relays = 20});
    QVERIFY(net.has_value());
    SimNode* client = *net->add_client();
    QVERIFY(converge(sim, *net, *client));

    SimNode* bad = net->relays().at(5);
    bad->set_misbehaviour(m);
    auto rng = sim.fork_rng(99);
    const auto honest = without(net->all_relays(), bad);
    EchoChecker checker(*client);
    std::vector<CircuitRef> through, around;
    for (int i = 0; i < 20; ++i) {
        auto c = checker.build_and_check(path_through(bad, i % 2, honest, *rng));
        QVERIFY(c.has_value());
        through.push_back(*c);
        c = checker.build_and_check(path_through(nullptr, 0, honest, *rng));
        QVERIFY(c.has_value());
        around.push_back(*c);
    }
    QVERIFY(sim.run_until([&] { return checker.unfinished() == 0; }, Duration::minutes(5)));
    for (CircuitRef c : through) {
        QVERIFY2(checker.state(c) == EchoChecker::State::Closed,
                 ("a circuit through the bad relay survived: " + std::to_string(c)).c_str());
        QVERIFY(client->circuit_closed(c).has_value());
    }
    for (CircuitRef c : around) QCOMPARE(checker.state(c), EchoChecker::State::Good);
    std::map<std::string, int> reasons;
    for (CircuitRef c : through) ++reasons[*client->circuit_closed(c)];
    for (const auto& [why, n] : reasons) qInfo("%d circuits through the bad relay: %s", n, why.c_str());
    // The honest neighbours noticed the bad cells.
    std::uint64_t torn = 0;
    for (auto* r : honest) torn += r->stats().circuits_torn_protocol;
    QVERIFY(torn > 0);
    // Circuits avoiding the bad relay still work afterwards.
    for (CircuitRef c : around) checker.check(c);
    QVERIFY(sim.run_until([&] { return checker.unfinished() == 0; }, Duration::minutes(2)));
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
    sim.run_until([&] { return checker.unfinished() == 0; }, Duration::minutes(2));
    net->relays().at(2)->crash();
    for (int i = 0; i < 5; ++i) checker.build_and_check();
    sim.run_for(Duration::minutes(1));
    out.fingerprint = sim.fingerprint();
    out.good = checker.count(EchoChecker::State::Good);
    out.events = sim.stats().events;
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
        Simulator sim(2, wan());
        auto net = OnionNetwork::create(sim, {.authorities = 3, .relays = 100});
        QVERIFY(net.has_value());
        SimNode* client = *net->add_client();
        QVERIFY(converge(sim, *net, *client));
        EchoChecker checker(*client, /*close_when_good=*/true);
        // In waves of 100, as a busy client would.
        for (int wave = 0; wave < 10; ++wave) {
            for (int i = 0; i < 100; ++i) QVERIFY(checker.build_and_check().has_value());
            QVERIFY(sim.run_until([&] { return checker.unfinished() == 0; }, Duration::minutes(2)));
        }
        QCOMPARE(checker.build_errors(), std::size_t{0});
        if (checker.count(EchoChecker::State::Good) != 1000) {
            for (const auto& [c, why] : checker.close_reasons())
                if (checker.state(c) != EchoChecker::State::Good)
                    qWarning("circuit %llu: %s", static_cast<unsigned long long>(c), why.c_str());
        }
        QCOMPARE(checker.count(EchoChecker::State::Good), std::size_t{1000});
        QCOMPARE(net->echo()->connections(), std::uint64_t{1000});
        qInfo("1000 circuits in %.1f s of virtual time, %llu events, %llu bytes delivered",
              static_cast<double>((sim.now() - kEpoch).us) / 1e6,
              static_cast<unsigned long long>(sim.stats().events),
              static_cast<unsigned long long>(sim.stats().bytes_delivered));
    }

    void relay_crash_closes_its_circuits_and_rebuilt_circuits_work() {
        Simulator sim(3, wan());
        auto net = OnionNetwork::create(sim, {.authorities = 3, .relays = 20});
        QVERIFY(net.has_value());
        SimNode* client = *net->add_client();
        QVERIFY(converge(sim, *net, *client));

        SimNode* victim = net->relays().at(7);
        auto rng = sim.fork_rng(7);
        const auto others = without(net->all_relays(), victim);
        EchoChecker checker(*client);
        std::vector<CircuitRef> through, around;
        for (int i = 0; i < 24; ++i) {
            auto c = checker.build_and_check(path_through(victim, i % 3, others, *rng));
            QVERIFY(c.has_value());
            through.push_back(*c);
            c = checker.build_and_check(path_through(nullptr, 0, others, *rng));
            QVERIFY(c.has_value());
            around.push_back(*c);
        }
        QVERIFY(sim.run_until([&] { return checker.unfinished() == 0; }, Duration::minutes(2)));
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
        QVERIFY(sim.run_until([&] { return checker.unfinished() == 0; }, Duration::minutes(2)));
        for (CircuitRef c : around) QCOMPARE(checker.state(c), EchoChecker::State::Good);

        // The client rebuilds on random paths (the consensus still lists the
        // dead relay, so some attempts fail and are retried).
        std::set<CircuitRef> rebuilt;
        std::size_t attempts = 0;
        while (rebuilt.size() < through.size() && attempts < 200) {
            std::vector<CircuitRef> wave;
            for (std::size_t i = rebuilt.size(); i < through.size(); ++i, ++attempts)
                if (auto c = checker.build_and_check()) wave.push_back(*c);
            QVERIFY(sim.run_until([&] { return checker.unfinished() == 0; }, Duration::minutes(2)));
            for (CircuitRef c : wave)
                if (checker.state(c) == EchoChecker::State::Good) rebuilt.insert(c);
                else QVERIFY2(checker.state(c) == EchoChecker::State::Closed, "a broken echo");
        }
        QCOMPARE(rebuilt.size(), through.size());

        // Back with the same keys, the relay carries circuits again.
        QVERIFY(victim->restart());
        QVERIFY(victim->alive());
        QCOMPARE(victim->node()->identity(), victim->identity());
        std::vector<CircuitRef> again;
        for (int i = 0; i < 6; ++i)
            again.push_back(*checker.build_and_check(path_through(victim, i % 3, others, *rng)));
        QVERIFY(sim.run_until([&] { return checker.unfinished() == 0; }, Duration::minutes(2)));
        for (CircuitRef c : again) QCOMPARE(checker.state(c), EchoChecker::State::Good);
    }

    void relay_corrupting_cells_loses_its_circuits_others_keep_working() {
        misbehaving_relay_scenario(4, node::Misbehaviour{.corrupt_relayed_cells = true});
    }

    void relay_replaying_cells_loses_its_circuits_others_keep_working() {
        misbehaving_relay_scenario(5, node::Misbehaviour{.replay_relayed_cells = true});
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
