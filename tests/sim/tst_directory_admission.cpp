// Issue 9, finding 3 on the simulator: the authorities list a relay only
// after their node has opened a link to the relay's advertised address and
// the link handshake proved the relay's identity there (the reachability
// path through Node, the driver's ConnectLink and the link layer), drop a
// relay that stops answering at its next check, and give the private-service
// flags only after the network file's flag-uptime. Virtual time only.
#include <QtTest>

#include "core/crypto/random.hpp"
#include "core/sim/onion_network.hpp"

using namespace sotto;
using namespace sotto::sim;

namespace {

bool lists(const SimNode& client, const SimNode& relay) {
    const auto* c = client.consensus();
    return c != nullptr && c->find(relay.identity()) != nullptr;
}

// A relay on its own host at `address` that advertises `advertised` (its
// descriptor says so; nothing checks that until an authority connects).
SimNode* relay_at(Simulator& sim, const OnionNetwork& net, const std::string& name,
                  const std::string& address, const std::string& advertised, std::uint64_t label) {
    DeterministicRng rng(label);
    node::NodeKeys keys{crypto::Ed25519SecretKey::generate(rng),
                        crypto::X25519SecretKey::generate(rng)};
    auto n = SimNode::create(sim, name, address, net.relay_config(name, advertised),
                             std::move(keys), label);
    if (!n) qFatal("%s", n.error().message.c_str());
    return *n;
}

}  // namespace

class TestDirectoryAdmission : public QObject {
    Q_OBJECT
  private slots:
    // A relay that advertises an address where nothing answers, and one
    // that advertises another relay's address (its descriptor is validly
    // self-signed; its key is just not the one behind that address), are
    // never listed; an honest relay that joins at the same time is, in the
    // same virtual time as before reachability checks existed.
    void only_relays_reached_at_their_address_are_listed() {
        Simulator sim(401);
        auto net = OnionNetwork::create(sim, {.authorities = 3, .relays = 4});
        QVERIFY(net.has_value());
        SimNode* client = *net->add_client();
        QVERIFY(
            sim.run_until([&] { return net->has_full_consensus(*client); }, Duration::minutes(5)));
        SimNode* squatted = net->relays().front();
        SimNode* nowhere = relay_at(sim, *net, "nowhere", "10.1.200.1", "10.1.200.99", 10'001);
        SimNode* squatter =
            relay_at(sim, *net, "squatter", "10.1.200.2", squatted->config().relay->host, 10'002);
        SimNode* honest = *net->add_relay("honest");
        const TimePoint joined = sim.now();
        QVERIFY(sim.run_until([&] { return lists(*client, *honest); }, Duration::minutes(5)));
        qInfo("the new relay was listed after %lld s",
              static_cast<long long>((sim.now() - joined).seconds_count()));
        // Listed at the first round after its upload, as without checks:
        // the authorities' rounds are a minute apart.
        QVERIFY(sim.now() - joined <= Duration::minutes(3));
        // Several rounds later the other two are still not listed, and the
        // relay whose address was claimed still is.
        sim.run_for(Duration::minutes(10));
        QVERIFY(!lists(*client, *nowhere));
        QVERIFY(!lists(*client, *squatter));
        QVERIFY(lists(*client, *squatted));
        QVERIFY(lists(*client, *honest));
        QCOMPARE(client->consensus()->relays.size(), std::size_t{3 + 4 + 1});
        // Checking the squatter was an expected failure for the
        // authorities, not something to warn about.
        for (SimNode* a : net->authorities()) QCOMPARE(a->warnings(), std::uint64_t{0});
    }

    // A relay that crashes is dropped at the authorities' next check of it
    // (every 20 minutes), not only when its descriptor expires (30 minutes
    // here), and is listed again once it is back and reached.
    void crashed_relay_leaves_at_its_next_check_and_returns() {
        Simulator sim(402);
        auto net = OnionNetwork::create(
            sim, {.authorities = 3, .relays = 6, .descriptor_lifetime = Duration::hours(2)});
        QVERIFY(net.has_value());
        SimNode* client = *net->add_client();
        QVERIFY(
            sim.run_until([&] { return net->has_full_consensus(*client); }, Duration::minutes(5)));
        SimNode* gone = net->relays().at(2);
        gone->crash();
        const TimePoint crashed = sim.now();
        QVERIFY(sim.run_until([&] { return !lists(*client, *gone); }, Duration::minutes(40)));
        const Duration took = sim.now() - crashed;
        qInfo("dropped after %lld s", static_cast<long long>(took.seconds_count()));
        // The check interval, then a round and a consensus fetch.
        QVERIFY(took <= Duration::minutes(20) + Duration::minutes(3));
        QVERIFY(gone->restart().has_value());
        QVERIFY(sim.run_until([&] { return lists(*client, *gone); }, Duration::minutes(10)));
    }

    // With a flag uptime of 10 minutes a new network's relays are listed
    // (Running, Exit) at once but get HSDir and Intro/Rend only after the
    // authorities have seen them up that long.
    void private_service_flags_wait_for_the_flag_uptime() {
        Simulator sim(403);
        auto net = OnionNetwork::create(
            sim, {.authorities = 3, .relays = 4, .flag_uptime = Duration::minutes(10)});
        QVERIFY(net.has_value());
        SimNode* client = *net->add_client();
        QVERIFY(
            sim.run_until([&] { return net->has_full_consensus(*client); }, Duration::minutes(5)));
        const TimePoint listed = sim.now();
        auto flagged = [&](std::uint32_t flag) {
            std::size_t n = 0;
            for (const auto& e : client->consensus()->relays) n += (e.flags & flag) ? 1 : 0;
            return n;
        };
        QCOMPARE(flagged(dir::kFlagRunning), std::size_t{7});
        QCOMPARE(flagged(dir::kFlagExit), std::size_t{7});
        QCOMPARE(flagged(dir::kFlagHsDir), std::size_t{0});
        QCOMPARE(flagged(dir::kFlagIntroRend), std::size_t{0});
        QVERIFY(
            sim.run_until([&] { return flagged(dir::kFlagHsDir) == 7; }, Duration::minutes(15)));
        QCOMPARE(flagged(dir::kFlagIntroRend), std::size_t{7});
        const Duration took = sim.now() - listed;
        qInfo("flags after %lld s listed", static_cast<long long>(took.seconds_count()));
        QVERIFY(took >= Duration::minutes(8));
    }
};

QTEST_APPLESS_MAIN(TestDirectoryAdmission)
#include "tst_directory_admission.moc"
