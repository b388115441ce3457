// Links that carry no circuit close (docs/protocol.md §1, "Idle links"): a
// client's link to its first hop goes away on both ends 3 to 4.5 minutes
// (drawn per link) after its last circuit, and the relay takes that as a
// normal close; a link with a circuit stays for hours on keepalives; a new
// circuit on an idle link keeps it; after the close, a new circuit opens a
// new link, and so does a relay extending to a peer whose link it closed.
#include <QtTest>

#include <set>

#include "core/sim/onion_network.hpp"

using namespace sotto;
using namespace sotto::sim;
using node::CircuitRef;

namespace {

constexpr Duration kClientMin = Duration::minutes(3);
constexpr Duration kClientMax = Duration::seconds(270);

NetworkModel wan() {
    NetworkModel m;
    m.path = PathModel{.latency = Duration::millis(20), .jitter = Duration::millis(10)};
    return m;
}

std::string dump(const SimNode& n) {
    std::string out = n.name() + " recent log:\n";
    for (const auto& l : n.recent_log()) out += "  " + l + "\n";
    return out;
}

// Three authorities and six relays; the clients' paths use the relays only,
// because clients fetch the consensus from the authorities, whose links
// therefore stay busy.
struct World {
    explicit World(std::uint64_t seed, std::size_t clients = 1) : sim(seed, wan()) {
        auto n = OnionNetwork::create(sim, {.authorities = 3, .relays = 6});
        if (!n) qFatal("%s", n.error().message.c_str());
        net.emplace(std::move(*n));
        for (std::size_t i = 0; i < clients; ++i) this->clients.push_back(*net->add_client());
        client = this->clients.front();
    }

    bool bootstrap() {
        const bool ok = sim.run_until(
            [&] {
                if (!net->authorities_published_full_consensus()) return false;
                for (const SimNode* c : clients)
                    if (!net->has_full_consensus(*c)) return false;
                return true;
            },
            Duration::minutes(10));
        if (!ok) qWarning("%s", dump(*client).c_str());
        return ok;
    }

    SimNode* relay(std::size_t i) const { return net->relays().at(i); }
    std::vector<node::PathHop> path(std::size_t a, std::size_t b, std::size_t c) const {
        return {relay(a)->hop(), relay(b)->hop(), relay(c)->hop()};
    }

    // A ready circuit along `path`, or nullopt.
    std::optional<CircuitRef> ready_circuit(SimNode& who, std::vector<node::PathHop> path) {
        auto c = who.build_circuit(std::move(path));
        if (!c) return std::nullopt;
        sim.run_until([&] { return who.circuit_ready(*c) || who.circuit_closed(*c); },
                      Duration::minutes(1));
        if (!who.circuit_ready(*c)) {
            qWarning("circuit failed: %s", who.circuit_closed(*c).value_or("timeout").c_str());
            return std::nullopt;
        }
        return *c;
    }

    // An echo stream over `c` carries a payload there and back.
    bool echoes(SimNode& who, CircuitRef c) {
        auto s = who.open_stream(c, kEchoHost, kEchoPort);
        if (!s) return false;
        if (!sim.run_until([&] { return who.stream_opened(*s) || who.stream_closed(*s); },
                           Duration::minutes(1)) ||
            !who.stream_opened(*s))
            return false;
        const Bytes payload(700, 0x5c);
        if (!who.send(*s, payload)) return false;
        const bool ok = sim.run_until([&] { return who.stream_data(*s).size() >= payload.size(); },
                                      Duration::minutes(1)) &&
                        who.stream_data(*s) == payload;
        who.close_stream(*s);
        return ok;
    }

    // Whether `a` and `b` have no link left, seen from both ends.
    static bool unlinked(const SimNode& a, const SimNode& b) {
        return a.links_with(b).empty() && b.links_with(a).empty();
    }

    // Runs until `a` and `b` have no link left; how long that took, or
    // nullopt after `max`.
    std::optional<Duration> time_until_unlinked(const SimNode& a, const SimNode& b, Duration max) {
        const TimePoint start = sim.now();
        if (!sim.run_until([&] { return unlinked(a, b); }, max)) return std::nullopt;
        return sim.now() - start;
    }

    Simulator sim;
    std::optional<OnionNetwork> net;
    std::vector<SimNode*> clients;
    SimNode* client = nullptr;
};

double minutes(Duration d) {
    return static_cast<double>(d.us) / 60e6;
}

}  // namespace

class TestIdleLinks : public QObject {
    Q_OBJECT
  private slots:
    void unused_link_closes_on_both_ends_after_the_idle_timeout() {
        World w(1);
        QVERIFY(w.bootstrap());
        SimNode& client = *w.client;
        SimNode& guard = *w.relay(0);
        auto c = w.ready_circuit(client, w.path(0, 1, 2));
        QVERIFY(c.has_value());
        QVERIFY(w.echoes(client, *c));
        QCOMPARE(client.links_with(guard).size(), std::size_t{1});
        QCOMPARE(guard.links_with(client).size(), std::size_t{1});
        const auto client_warnings = client.warnings();
        const auto guard_warnings = guard.warnings();
        const auto client_notices = client.count<node::Notice>();

        client.close_circuit(*c);
        const TimePoint closed = w.sim.now();
        // Idle, not yet due: the link stays and its keepalives go on.
        w.sim.run_for(kClientMin - Duration::seconds(5));
        QCOMPARE(client.links_with(guard).size(), std::size_t{1});
        QCOMPARE(guard.links_with(client).size(), std::size_t{1});

        QVERIFY(
            w.sim.run_until([&] { return World::unlinked(client, guard); }, Duration::minutes(10)));
        const Duration took = w.sim.now() - closed;
        qInfo("link closed %.2f min after its last circuit", minutes(took));
        QVERIFY(took >= kClientMin);
        QVERIFY(took <= kClientMax + Duration::seconds(1));
        // The client noticed and closed; the relay took it as a normal close.
        QCOMPARE(client.stats().links_closed_idle, std::uint64_t{1});
        QCOMPARE(guard.stats().links_closed_idle, std::uint64_t{0});
        QCOMPARE(client.warnings(), client_warnings);
        QCOMPARE(guard.warnings(), guard_warnings);
        QCOMPARE(client.count<node::Notice>(), client_notices);
        QCOMPARE(guard.stats().relay_circuits, std::size_t{0});
        // The link between the two relays lives longer (45 to 75 minutes).
        QCOMPARE(guard.links_with(*w.relay(1)).size(), std::size_t{1});
    }

    void client_idle_timeouts_are_drawn_per_link() {
        // Eight clients do the same thing at the same moment; their links
        // must not all close at the same moment.
        World w(2, 8);
        QVERIFY(w.bootstrap());
        SimNode& guard = *w.relay(3);
        std::vector<CircuitRef> circuits;
        for (SimNode* c : w.clients) {
            auto circ = w.ready_circuit(*c, w.path(3, 4, 5));
            QVERIFY(circ.has_value());
            circuits.push_back(*circ);
        }
        const TimePoint closed = w.sim.now();
        for (std::size_t i = 0; i < w.clients.size(); ++i) w.clients[i]->close_circuit(circuits[i]);
        std::map<SimNode*, TimePoint> gone;
        QVERIFY(w.sim.run_until(
            [&] {
                for (SimNode* c : w.clients)
                    if (!gone.contains(c) && World::unlinked(*c, guard)) gone[c] = w.sim.now();
                return gone.size() == w.clients.size();
            },
            Duration::minutes(10)));
        std::set<std::int64_t> distinct;
        for (const auto& [c, at] : gone) {
            const Duration took = at - closed;
            qInfo("%s: %.2f min", c->name().c_str(), minutes(took));
            QVERIFY(took >= kClientMin);
            QVERIFY(took <= kClientMax + Duration::seconds(1));
            distinct.insert((took.us + 500'000) / 1'000'000);
        }
        QVERIFY2(distinct.size() >= 6, "the clients' links closed at nearly the same moments");
    }

    void link_with_a_live_circuit_stays_open_for_hours() {
        World w(3);
        QVERIFY(w.bootstrap());
        SimNode& client = *w.client;
        SimNode& kept = *w.relay(0);
        SimNode& dropped = *w.relay(3);
        auto live = w.ready_circuit(client, w.path(0, 1, 2));
        auto done = w.ready_circuit(client, w.path(3, 4, 5));
        QVERIFY(live && done);
        QVERIFY(w.echoes(client, *live));
        const auto link = client.links_with(kept);
        QCOMPARE(link.size(), std::size_t{1});
        client.close_circuit(*done);

        w.sim.run_for(Duration::hours(3));
        // Far beyond the 5 minutes after which a silent link is dropped as
        // dead: keepalives carried it, and it is still the same link.
        QVERIFY2(client.circuit_open(*live), client.circuit_closed(*live).value_or("?").c_str());
        QCOMPARE(client.links_with(kept), link);
        QCOMPARE(kept.links_with(client).size(), std::size_t{1});
        QVERIFY(w.echoes(client, *live));
        // The link whose circuit went away did not stay.
        QVERIFY(World::unlinked(client, dropped));
    }

    void new_circuit_on_an_idle_link_keeps_it_and_restarts_the_timer() {
        World w(4);
        QVERIFY(w.bootstrap());
        SimNode& client = *w.client;
        SimNode& guard = *w.relay(1);
        auto first = w.ready_circuit(client, w.path(1, 2, 3));
        QVERIFY(first.has_value());
        const auto link = client.links_with(guard);
        QCOMPARE(link.size(), std::size_t{1});
        client.close_circuit(*first);

        // Just before the earliest close, a new circuit through the same
        // first hop takes the idle link instead of opening another.
        w.sim.run_for(kClientMin - Duration::seconds(10));
        QCOMPARE(client.links_with(guard), link);
        auto second = w.ready_circuit(client, w.path(1, 4, 5));
        QVERIFY(second.has_value());
        QCOMPARE(client.links_with(guard), link);

        // Well past the first idle period's deadline, link and circuit stay.
        w.sim.run_for(Duration::minutes(10));
        QVERIFY(client.circuit_open(*second));
        QCOMPARE(client.links_with(guard), link);
        QVERIFY(w.echoes(client, *second));

        // Idle again: the timer counts from now, not from the first close.
        client.close_circuit(*second);
        const auto took = w.time_until_unlinked(client, guard, Duration::minutes(10));
        QVERIFY(took.has_value());
        qInfo("closed %.2f min after the second circuit", minutes(*took));
        QVERIFY(*took >= kClientMin);
        QVERIFY(*took <= kClientMax + Duration::seconds(1));
    }

    void after_the_close_new_circuits_open_new_links_and_work() {
        World w(5);
        QVERIFY(w.bootstrap());
        SimNode& client = *w.client;
        SimNode& guard = *w.relay(2);
        SimNode& middle = *w.relay(4);
        std::uint64_t warnings = 0;
        for (const SimNode* n : w.net->all_relays()) warnings += n->warnings();
        const auto notices = client.count<node::Notice>();

        auto first = w.ready_circuit(client, w.path(2, 4, 0));
        QVERIFY(first.has_value());
        QVERIFY(w.echoes(client, *first));
        const auto old_link = client.links_with(guard);
        const auto old_relay_link = guard.links_with(middle);
        QCOMPARE(old_link.size(), std::size_t{1});
        QCOMPARE(old_relay_link.size(), std::size_t{1});
        client.close_circuit(*first);
        QVERIFY(w.time_until_unlinked(client, guard, Duration::minutes(10)));

        // The client opens a new link to the same relay; the circuit works.
        auto second = w.ready_circuit(client, w.path(2, 4, 0));
        QVERIFY(second.has_value());
        QVERIFY(w.echoes(client, *second));
        const auto new_link = client.links_with(guard);
        QCOMPARE(new_link.size(), std::size_t{1});
        QVERIFY(new_link != old_link);
        // The guard still had its link to the middle relay and extended on it.
        QCOMPARE(guard.links_with(middle), old_relay_link);
        client.close_circuit(*second);

        // The link between the relays closes after its longer timeout, by the
        // relay that opened it.
        const auto took = w.time_until_unlinked(guard, middle, Duration::hours(2));
        QVERIFY(took.has_value());
        qInfo("relay link closed %.1f min after its last circuit", minutes(*took));
        QVERIFY(*took >= Duration::minutes(45));
        QVERIFY(*took <= Duration::minutes(75) + Duration::seconds(1));
        QVERIFY(guard.stats().links_closed_idle >= 1);
        QVERIFY(World::unlinked(client, guard));

        // Extending to a relay whose link was closed opens a new one.
        auto third = w.ready_circuit(client, w.path(2, 4, 0));
        QVERIFY(third.has_value());
        QVERIFY(w.echoes(client, *third));
        const auto relay_link = guard.links_with(middle);
        QCOMPARE(relay_link.size(), std::size_t{1});
        QVERIFY(relay_link != old_relay_link);

        // Nobody took any of these closes as a fault.
        std::uint64_t after = 0;
        for (const SimNode* n : w.net->all_relays()) after += n->warnings();
        QCOMPARE(after, warnings);
        QCOMPARE(client.count<node::Notice>(), notices);
    }
};

QTEST_APPLESS_MAIN(TestIdleLinks)
#include "tst_idle_links.moc"
