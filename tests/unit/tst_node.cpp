// Node behaviour on a tiny zero-latency in-process network: bootstrapping a
// consensus, circuits and streams, limits, and misbehaving relays. The full
// network simulator (core/sim) is exercised by the tests in tests/sim; this
// pump is deliberately minimal so that Node bugs show up close to their cause.
#include <QtTest>

#include <deque>
#include <map>

#include "core/crypto/random.hpp"
#include "core/node/node.hpp"

using namespace sotto;
using namespace sotto::node;

namespace {

constexpr TimePoint kStart = TimePoint::from_seconds(1'800'000'000);

struct Pump {
    struct Member {
        std::unique_ptr<Node> node;
        std::string host;
        std::uint16_t port = 0;
        std::vector<Event> events;
    };
    DeterministicRng rng{77};
    std::vector<std::unique_ptr<Rng>> rngs;
    std::vector<Member> members;
    // (member, link) <-> (member, link)
    std::map<std::pair<std::size_t, LinkId>, std::pair<std::size_t, LinkId>> peer;
    std::deque<std::function<void()>> queue;
    std::map<std::pair<std::size_t, ExitId>, bool> exits;  // echo service
    TimePoint now = kStart;
    bool stalled = false;  // exit targets stop reading
    std::map<std::pair<std::size_t, ExitId>, std::size_t> stalled_bytes;
    // Every ConnectLink: (member, host).
    std::vector<std::pair<std::size_t, std::string>> connects;

    std::size_t find(const std::string& host, std::uint16_t port) {
        for (std::size_t i = 0; i < members.size(); ++i)
            if (members[i].host == host && members[i].port == port && members[i].node) return i;
        return SIZE_MAX;
    }

    void drain(std::size_t m) {
        auto& node = *members[m].node;
        for (auto& out : node.take_outputs()) {
            if (auto* e = std::get_if<Event>(&out)) {
                members[m].events.push_back(std::move(*e));
                continue;
            }
            auto& o = std::get<Action>(out);
            if (auto* c = std::get_if<ConnectLink>(&o)) {
                connects.push_back({m, c->host});
                auto target = find(c->host, c->port);
                LinkId l = c->link;
                queue.push_back([this, m, l, target] {
                    if (target == SIZE_MAX || !members[m].node) {
                        if (members[m].node) members[m].node->link_failed(l, "refused", now);
                        return;
                    }
                    LinkId r = members[target].node->accept_link(now);
                    peer[{m, l}] = {target, r};
                    peer[{target, r}] = {m, l};
                    members[m].node->link_connected(l, now);
                });
            } else if (auto* s = std::get_if<SendLink>(&o)) {
                auto it = peer.find({m, s->link});
                if (it == peer.end()) continue;
                auto [t, tl] = it->second;
                Bytes b = std::move(s->bytes);
                queue.push_back([this, t, tl, b] {
                    if (members[t].node) members[t].node->link_data(tl, b, now);
                });
            } else if (auto* c = std::get_if<CloseLink>(&o)) {
                auto it = peer.find({m, c->link});
                if (it == peer.end()) continue;
                auto [t, tl] = it->second;
                peer.erase(it);
                peer.erase({t, tl});
                queue.push_back([this, t, tl] {
                    if (members[t].node) members[t].node->link_closed(tl, now);
                });
            } else if (auto* e = std::get_if<ExitConnect>(&o)) {
                ExitId id = e->exit;
                bool ok = e->host == "echo";
                queue.push_back([this, m, id, ok] {
                    if (!members[m].node) return;
                    if (ok) {
                        exits[{m, id}] = true;
                        members[m].node->exit_connected(id, now);
                    } else {
                        members[m].node->exit_failed(id, "refused", now);
                    }
                });
            } else if (auto* e = std::get_if<ExitSend>(&o)) {
                ExitId id = e->exit;
                Bytes b = e->bytes;
                queue.push_back([this, m, id, b] {
                    if (!members[m].node || !exits.contains({m, id})) return;
                    if (stalled) {
                        stalled_bytes[{m, id}] += b.size();  // the target is not reading
                        return;
                    }
                    members[m].node->exit_written(id, b.size(), now);
                    members[m].node->exit_data(id, b, now);
                });
            } else if (auto* e = std::get_if<ExitClose>(&o)) {
                exits.erase({m, e->exit});
            }
        }
    }

    // Runs queued deliveries and timers until `done` or the virtual deadline.
    bool run_until(const std::function<bool()>& done, Duration limit) {
        const TimePoint end = now + limit;
        while (!done()) {
            for (std::size_t m = 0; m < members.size(); ++m)
                if (members[m].node) drain(m);
            if (!queue.empty()) {
                auto f = std::move(queue.front());
                queue.pop_front();
                f();
                continue;
            }
            TimePoint next = TimePoint::never();
            for (auto& mem : members)
                if (mem.node) next = earliest(next, mem.node->next_deadline());
            if (next > end) return done();
            now = std::max(now, next);
            for (auto& mem : members)
                if (mem.node && mem.node->next_deadline() <= now) mem.node->tick(now);
        }
        return true;
    }

    static dir::AuthorityConfig fast_votes() {
        dir::AuthorityConfig a;
        a.interval = Duration::seconds(60);
        a.vote_delay = Duration::seconds(10);
        return a;
    }

    // 3 authorities + `relays` relays, all exits to "echo". On private 10.x
    // addresses, which the network file allows, or else on public ones
    // (198.51.100.x, a documentation range no rule treats as private).
    void build(std::size_t authorities, std::size_t relays, bool private_addresses = true) {
        dir::NetworkFile nf;
        nf.name = "pump";
        nf.allow_private_addresses = private_addresses;
        nf.flag_uptime_s = 0;
        const std::string prefix = private_addresses ? "10.0.0." : "198.51.100.";
        std::vector<NodeKeys> keys;
        for (std::size_t i = 0; i < authorities + relays; ++i) {
            rngs.push_back(rng.fork(i));
            keys.push_back(NodeKeys{crypto::Ed25519SecretKey::generate(*rngs.back()),
                                    crypto::X25519SecretKey::generate(*rngs.back())});
            if (i < authorities)
                nf.authorities.push_back({"auth" + std::to_string(i),
                                          keys.back().identity.public_key(),
                                          prefix + std::to_string(i + 1), 9000});
        }
        for (std::size_t i = 0; i < authorities + relays; ++i) {
            NodeConfig cfg;
            cfg.network = nf;
            cfg.authority = i < authorities;
            cfg.authority_config = fast_votes();
            cfg.consensus_fetch_interval = Duration::seconds(60);
            RelayConfig rc;
            rc.nickname = (i < authorities ? "auth" : "relay") + std::to_string(i);
            rc.host = prefix + std::to_string(i + 1);
            rc.port = 9000;
            rc.exit_policy = {ExitRule{"echo", 1, 65535}};
            cfg.relay = rc;
            auto n = Node::create(std::move(cfg), std::move(keys[i]), *rngs[i], null_log(), now);
            QVERIFY2(n.has_value(), n ? "" : n.error().message.c_str());
            members.push_back({std::move(*n), rc.host, rc.port, {}});
        }
    }

    std::size_t add_client() {
        rngs.push_back(rng.fork(1000 + members.size()));
        NodeConfig cfg;
        cfg.network = members[0].node->config().network;
        cfg.consensus_fetch_interval = Duration::seconds(60);
        NodeKeys k{crypto::Ed25519SecretKey::generate(*rngs.back()),
                   crypto::X25519SecretKey::generate(*rngs.back())};
        auto n = Node::create(std::move(cfg), std::move(k), *rngs.back(), null_log(), now);
        members.push_back({std::move(*n), "client", 0, {}});
        return members.size() - 1;
    }

    // Has `client` build a 3-hop circuit and runs until it is ready; nullopt
    // if it could not build one or it was not ready within 30 s.
    std::optional<CircuitRef> ready_circuit(std::size_t client) {
        auto c = members[client].node->build_circuit(now, 3);
        if (!c || !run_until([&] { return !events<CircuitReady>(client).empty(); },
                             Duration::seconds(30)))
            return std::nullopt;
        return *c;
    }

    // Has `client` open a stream to the echo service on `circ` and runs
    // until it is open; nullopt if refused or not open within 30 s.
    std::optional<StreamRef> echo_stream(std::size_t client, CircuitRef circ) {
        auto st = members[client].node->open_stream(circ, "echo", 7, now);
        if (!st || !run_until([&] { return !events<StreamOpened>(client).empty(); },
                              Duration::seconds(30)))
            return std::nullopt;
        return *st;
    }

    // A new client, once it holds the full consensus, and a ready 3-hop
    // circuit of its (nullopt if either did not come).
    std::pair<std::size_t, std::optional<CircuitRef>> client_with_circuit() {
        const auto client = add_client();
        if (!run_until([&] { return has_full_consensus(client); }, Duration::minutes(5)))
            return {client, std::nullopt};
        return {client, ready_circuit(client)};
    }

    bool has_full_consensus(std::size_t m) {
        auto* c = members[m].node->consensus();
        return c != nullptr && c->relays.size() + 1 == members.size();
    }

    template <typename T>
    std::vector<T> events(std::size_t m) {
        std::vector<T> out;
        for (auto& o : members[m].events)
            if (auto* e = std::get_if<T>(&o)) out.push_back(*e);
        return out;
    }
};

// A relay alone (its network file names an authority that is never
// reached), with `accepted` as the idle timeout of links peers open to it.
struct LoneRelay {
    explicit LoneRelay(Duration accepted) {
        NodeConfig cfg;
        cfg.network.name = "lone";
        cfg.network.authorities.push_back(
            {"auth", crypto::Ed25519SecretKey::generate(rng).public_key(), "10.9.9.9", 9000});
        cfg.relay = RelayConfig{.nickname = "lone", .host = "10.0.0.1", .port = 9000};
        cfg.idle_link_timeout.accepted = accepted;
        NodeKeys keys{crypto::Ed25519SecretKey::generate(rng),
                      crypto::X25519SecretKey::generate(rng)};
        auto n = Node::create(std::move(cfg), std::move(keys), rng, null_log(), kStart);
        if (!n) qFatal("%s", n.error().message.c_str());
        node = std::move(*n);
    }

    // Whether the node's outputs (taken now) close `link`; the bytes it
    // sends there go to `sent`.
    bool take_outputs_closing(LinkId link, Bytes* sent = nullptr) {
        bool closed = false;
        for (auto& out : node->take_outputs()) {
            auto* o = std::get_if<Action>(&out);
            if (o == nullptr) continue;
            if (auto* c = std::get_if<CloseLink>(o)) closed |= c->link == link;
            if (auto* s = std::get_if<SendLink>(o); s && s->link == link && sent)
                sent->insert(sent->end(), s->bytes.begin(), s->bytes.end());
        }
        return closed;
    }

    DeterministicRng rng{5};
    std::unique_ptr<Node> node;
};

}  // namespace

class TestNode : public QObject {
    Q_OBJECT
  private slots:
    void bootstrap_consensus_and_echo_through_three_hops() {
        Pump p;
        p.build(3, 5);
        auto client = p.add_client();
        QVERIFY(p.run_until([&] { return p.has_full_consensus(client); }, Duration::minutes(5)));
        QCOMPARE(p.members[client].node->consensus()->relays.size(), std::size_t(8));
        QCOMPARE(p.members[client].node->consensus()->signatures.size(), std::size_t(3));

        auto circ = p.ready_circuit(client);
        QVERIFY(circ.has_value());
        auto stream = p.echo_stream(client, *circ);
        QVERIFY(stream.has_value());
        Bytes msg(300000);
        for (std::size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<std::uint8_t>(i * 7);
        QVERIFY(p.members[client].node->stream_send(*stream, msg, p.now).has_value());
        Bytes got;
        QVERIFY(p.run_until(
            [&] {
                got.clear();
                for (auto& d : p.events<StreamData>(client))
                    got.insert(got.end(), d.data.begin(), d.data.end());
                return got.size() >= msg.size();
            },
            Duration::seconds(60)));
        QCOMPARE(got, msg);
    }

    // A relay of a network whose file does not allow private addresses
    // refuses EXTEND2 to loopback, private and link-local targets (in the
    // spellings a resolver also accepts) with the DESTROY of a failed
    // connection, and never tries to connect; with the setting it tries.
    void extend_to_non_public_addresses_is_refused_unless_allowed() {
        const char* targets[] = {"127.0.0.1",  "10.1.2.3",  "192.168.1.1",        "169.254.1.1",
                                 "::1",        "fe80::1",   "[::ffff:127.0.0.1]", "127.1",
                                 "0x7f000001", "localhost", "172.16.0.9",         "fd00::5"};
        for (bool allowed : {false, true}) {
            Pump p;
            p.build(3, 2, /*private_addresses=*/allowed);
            auto client = p.add_client();
            QVERIFY(
                p.run_until([&] { return p.has_full_consensus(client); }, Duration::minutes(5)));
            auto& node = *p.members[client].node;
            // Public addresses still work: a 3-hop circuit on this network.
            auto normal = node.build_circuit(p.now, 3);
            QVERIFY(normal.has_value());
            QVERIFY(p.run_until([&] { return !p.events<CircuitReady>(client).empty(); },
                                Duration::seconds(30)));
            const PathHop first = PathHop::from(node.consensus()->relays.front());
            const std::size_t relay = p.find(first.host, first.port);
            QVERIFY(relay != SIZE_MAX);
            DeterministicRng r(9);
            for (const char* target : targets) {
                const PathHop fake{crypto::Ed25519SecretKey::generate(r).public_key(),
                                   crypto::X25519SecretKey::generate(r).public_key(), target, 9000};
                p.connects.clear();
                const auto closed_before = p.events<CircuitClosed>(client).size();
                auto circ = node.build_circuit({first, fake}, p.now);
                QVERIFY(circ.has_value());
                QVERIFY(p.run_until(
                    [&] { return p.events<CircuitClosed>(client).size() > closed_before; },
                    Duration::seconds(60)));
                const auto closed = p.events<CircuitClosed>(client).back();
                QCOMPARE(closed.circuit, *circ);
                QVERIFY2(QString::fromStdString(closed.reason).contains("could not connect"),
                         closed.reason.c_str());
                const bool tried = std::any_of(p.connects.begin(), p.connects.end(), [&](auto& c) {
                    return c.first == relay && c.second == target;
                });
                QVERIFY2(tried == allowed, target);
            }
            QCOMPARE(p.members[relay].node->stats().extends_refused_private,
                     static_cast<std::uint64_t>(allowed ? 0 : std::size(targets)));
        }
    }

    void exit_policy_refuses_other_targets() {
        Pump p;
        p.build(1, 3);
        auto [client, circ] = p.client_with_circuit();
        QVERIFY(circ.has_value());
        auto stream = p.members[client].node->open_stream(*circ, "elsewhere", 80, p.now);
        QVERIFY(stream.has_value());
        QVERIFY(p.run_until([&] { return !p.events<StreamClosed>(client).empty(); },
                            Duration::seconds(30)));
        QVERIFY(
            QString::fromStdString(p.events<StreamClosed>(client)[0].reason).contains("policy"));
    }

    void corrupting_relay_gets_its_circuits_torn_down() {
        Pump p;
        p.build(1, 4);
        auto client = p.add_client();
        QVERIFY(p.run_until([&] { return p.has_full_consensus(client); }, Duration::minutes(5)));
        // Path through relay 2 (corrupting) and a path avoiding it.
        auto hop = [&](std::size_t i) {
            return PathHop::from(
                *p.members[client].node->consensus()->find(p.members[i].node->identity()));
        };
        p.members[2].node->set_misbehaviour(Misbehaviour{.corrupt_relayed_cells = true});
        auto bad = p.members[client].node->build_circuit({hop(1), hop(2), hop(3)}, p.now);
        auto good = p.members[client].node->build_circuit({hop(1), hop(4), hop(3)}, p.now);
        QVERIFY(bad && good);
        QVERIFY(p.run_until([&] { return p.events<CircuitReady>(client).size() == 2; },
                            Duration::seconds(60)));
        // Cells the corrupting relay only originates (EXTENDED2) are intact; the
        // first relayed cell (the BEGIN) is what it breaks.
        auto bad_stream = p.members[client].node->open_stream(*bad, "echo", 7, p.now);
        auto good_stream = p.members[client].node->open_stream(*good, "echo", 7, p.now);
        QVERIFY(bad_stream && good_stream);
        QVERIFY(p.members[client].node->stream_send(*good_stream, as_bytes("still here"), p.now));
        QVERIFY(p.run_until(
            [&] {
                bool closed = false, echoed = false;
                for (auto& e : p.events<CircuitClosed>(client)) closed |= e.circuit == *bad;
                for (auto& e : p.events<StreamData>(client)) echoed |= e.stream == *good_stream;
                return closed && echoed;
            },
            Duration::seconds(60)));
        for (auto& e : p.events<CircuitClosed>(client)) QVERIFY(e.circuit != *good);
        QVERIFY(p.members[client].node->stats().circuits_torn_protocol +
                    p.members[3].node->stats().circuits_torn_protocol >=
                1);
    }

    void exit_buffer_is_bounded_when_the_target_stops_reading() {
        Pump p;
        p.build(1, 3);
        auto [client, circ] = p.client_with_circuit();
        QVERIFY(circ.has_value());
        auto stream = p.echo_stream(client, *circ);
        QVERIFY(stream.has_value());
        p.stalled = true;
        const Bytes big(8 * 1024 * 1024, 0x42);
        QVERIFY(p.members[client].node->stream_send(*stream, big, p.now).has_value());
        p.run_until([] { return false; }, Duration::seconds(30));  // until quiet
        std::uint64_t unwritten = 0;
        for (std::size_t i = 0; i < client; ++i)
            unwritten += p.members[i].node->stats().exit_bytes_unwritten;
        // High-water mark plus at most one stream window in flight.
        QVERIFY2(unwritten <= 256 * 1024 + 500 * 498, std::to_string(unwritten).c_str());
        QVERIFY(unwritten >= 256 * 1024);
        QVERIFY(p.members[client].node->stream_backlog(*stream) > 7 * 1024 * 1024);
        // The target reads again: everything arrives.
        p.stalled = false;
        for (auto& [key, n] : p.stalled_bytes)
            p.members[key.first].node->exit_written(key.second, n, p.now);
        p.stalled_bytes.clear();
        QVERIFY(p.run_until([&] { return p.members[client].node->stream_backlog(*stream) == 0; },
                            Duration::seconds(60)));
    }

    void create_limit_refuses_a_flood() {
        Pump p;
        p.build(1, 3);
        auto client = p.add_client();
        QVERIFY(p.run_until([&] { return p.has_full_consensus(client); }, Duration::minutes(5)));
        auto hop = PathHop::from(
            *p.members[client].node->consensus()->find(p.members[1].node->identity()));
        const auto burst = static_cast<int>(p.members[1].node->config().limits.create_burst);
        for (int i = 0; i < burst + 50; ++i)
            QVERIFY(p.members[client].node->build_circuit({hop}, p.now).has_value());
        p.run_until([] { return false; }, Duration::millis(1));
        QVERIFY(p.members[1].node->stats().circuits_refused >= 50);
        QVERIFY(p.events<CircuitReady>(client).size() >= std::size_t(burst) - 5);
    }

    void idle_link_timeouts_must_be_ranges() {
        LoneRelay ok(Duration::minutes(90));
        auto bad = [&](auto change) {
            NodeConfig cfg = ok.node->config();
            change(cfg.idle_link_timeout);
            NodeKeys keys{crypto::Ed25519SecretKey::generate(ok.rng),
                          crypto::X25519SecretKey::generate(ok.rng)};
            auto n = Node::create(std::move(cfg), std::move(keys), ok.rng, null_log(), kStart);
            return !n && n.error().code == Errc::Config;
        };
        QVERIFY(
            bad([](IdleLinkTimeout& t) { t.client.max = t.client.min - Duration::seconds(1); }));
        QVERIFY(bad([](IdleLinkTimeout& t) { t.relay.min = Duration{}; }));
        QVERIFY(bad([](IdleLinkTimeout& t) { t.accepted = Duration{}; }));
    }

    // The idle timer never cuts a handshake short: an accepted link whose
    // peer never speaks goes at the handshake timeout, as before.
    void idle_link_is_not_closed_during_its_handshake() {
        LoneRelay r(Duration::seconds(1));
        const LinkId link = r.node->accept_link(kStart);
        QVERIFY(!r.take_outputs_closing(link));
        r.node->tick(kStart + Duration::seconds(5));
        QVERIFY(!r.take_outputs_closing(link));
        r.node->tick(kStart + r.node->config().link.handshake_timeout);
        QVERIFY(r.take_outputs_closing(link));
        QCOMPARE(r.node->stats().links_closed_idle, std::uint64_t{0});
    }

    // Cells queued on an idle link leave before it closes: here the DESTROY
    // refusing a bad CREATE2 that arrived just as the link fell due.
    void idle_link_is_not_closed_with_cells_queued() {
        LoneRelay r(Duration::seconds(30));
        DeterministicRng peer_rng(6);
        auto peer = link::LinkSession::initiator(r.node->identity(), peer_rng, kStart);
        const LinkId link = r.node->accept_link(kStart);
        Bytes hello;
        peer.take_output(hello, kStart);
        r.node->link_data(link, hello, kStart);
        Bytes answer;
        QVERIFY(!r.take_outputs_closing(link, &answer));
        QVERIFY(peer.receive(answer, kStart).has_value());
        QCOMPARE(peer.state(), link::LinkState::Open);

        const TimePoint due = kStart + Duration::seconds(30);
        QVERIFY(r.node->next_deadline() <= due);
        peer.send(wire::Cell::make(0x80000001u, wire::CellCommand::Create2));
        Bytes create;
        peer.take_output(create, due);
        r.node->link_data(link, create, due);
        // A driver that ticks before taking the outputs.
        r.node->tick(due);
        Bytes refusal;
        QVERIFY(!r.take_outputs_closing(link, &refusal));
        QVERIFY(!refusal.empty());
        r.node->tick(due);
        QVERIFY(r.take_outputs_closing(link));
        QCOMPARE(r.node->stats().links_closed_idle, std::uint64_t{1});
        QVERIFY(peer.receive(refusal, due).has_value());
        auto cell = peer.pop_cell();
        QVERIFY(cell.has_value());
        QCOMPARE(cell->command, wire::CellCommand::Destroy);
    }
};

QTEST_APPLESS_MAIN(TestNode)
#include "tst_node.moc"
