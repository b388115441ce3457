// Issue 9, findings 5, 6 and 11 (service part): to a contact, being hidden
// from, revoked or met with Invisible must look exactly like the service
// shutting down — at the HSDirs, at the introduction points and in when the
// contact's attempts fail; a rendezvous already under way for that contact
// must not go ahead; none of it may reach the log above Debug; and a
// rate-limited introduction costs the same whatever the number of contacts.
// Virtual time only.
#include <QtTest>

#include <array>
#include <chrono>
#include <functional>
#include <map>

#include "core/crypto/random.hpp"
#include "core/hs/descriptor_id.hpp"
#include "core/hs/hsdir_messages.hpp"
#include "core/hs/time_period.hpp"
#include "core/sim/onion_network.hpp"
#include "tests/common/sim_service.hpp"

using namespace sotto;
using namespace sotto::sim;

namespace {

constexpr std::size_t kSeeds = 20;
constexpr std::size_t kRelays = 10;
constexpr Duration kDay = Duration::hours(24);

// The four ways Bob can stop being there for Alice.
enum class Leave { Hide, Revoke, Invisible, Shutdown };
constexpr std::array kLeaves{Leave::Hide, Leave::Revoke, Leave::Invisible, Leave::Shutdown};
const char* leave_name(Leave l) {
    constexpr const char* kNames[] = {"hide", "revoke", "invisible", "shutdown"};  // Leave's order
    return kNames[static_cast<int>(l)];
}

// What every relay answers to GetHsDescriptor for each of a contact's
// descriptor ids: the descriptor's bytes, or nothing.
using Snapshot = std::map<std::pair<std::size_t, hs::DescriptorId>, std::optional<Bytes>>;

struct AttemptResult {
    bool connected = false;
    bool ended = false;
    Duration took;
};

struct World {
    explicit World(std::uint64_t seed) : sim(seed), rng(seed + 7000) {
        // Directory rounds and consensus fetches a few minutes apart rather
        // than every minute: they are most of the simulated work otherwise,
        // and the network stays just as healthy for the 40 minutes a seed runs.
        auto n = OnionNetwork::create(sim, {.authorities = 3,
                                            .relays = kRelays,
                                            .authority_interval = Duration::minutes(5),
                                            .consensus_fetch_interval = Duration::minutes(10),
                                            .descriptor_interval = Duration::minutes(30),
                                            .descriptor_lifetime = Duration::hours(2)});
        if (!n) qFatal("%s", n.error().message.c_str());
        net.emplace(std::move(*n));
        alice = *net->add_client("alice");
    }

    SimNode* add_bob(const std::string& name) {
        SimNode* b = *net->add_client(name);
        bobs.push_back(b);
        return b;
    }

    bool bootstrap() { return testing::clients_bootstrapped(sim, *net, Duration::minutes(30)); }

    void start_service(SimNode* bob, const hs::ServiceConfig& config = {}) {
        auto ok = bob->with_node(
            [&](node::Node& n, TimePoint now) { return n.service_start(config, now); });
        if (!ok || !*ok) qFatal("service_start failed");
    }

    hs::ContactCredentials grant(SimNode* bob, hs::ContactId id, bool hidden = false) {
        auto g = hs::ContactGrant::generate(rng);
        auto creds = hs::credentials_for(g);
        auto ok = bob->with_node([&](node::Node& n, TimePoint now) {
            return n.service_add_contact(id, std::move(g), hidden, now);
        });
        if (!ok || !*ok) qFatal("service_add_contact failed");
        return creds;
    }

    bool intros_up(const std::vector<SimNode*>& services) {
        return sim.run_until(
            [&] {
                for (SimNode* b : services)
                    if (b->node()->service_stats().intro_points_up != 3) return false;
                return true;
            },
            Duration::minutes(5));
    }

    std::int64_t period_of(const hs::ContactCredentials& creds) const {
        return hs::time_period(sim.now().unix_seconds(), creds.client_key_id, kDay);
    }

    // For periods tp and tp + 1.
    Snapshot snapshot(const hs::ContactCredentials& creds, std::int64_t tp) {
        Snapshot out;
        const auto relays = net->all_relays();
        for (auto period : {tp, tp + 1})
            for (std::uint8_t ri = 0; ri < hs::kHsReplicas; ++ri) {
                const auto id = hs::descriptor_id(creds.client_key_id,
                                                  hs::secret_id_part(creds.cookie, period, ri));
                for (std::size_t r = 0; r < relays.size(); ++r) {
                    auto resp = testing::get_descriptor(relays[r], id);
                    if (!resp) qFatal("a relay is down or its answer does not decode");
                    out[{r, id}] =
                        resp->status == hs::HsDirStatus::Ok ? resp->descriptor : std::nullopt;
                }
            }
        return out;
    }

    // Starts one attempt per credentials at the same instant and waits for
    // all of them to end.
    std::vector<AttemptResult> connect_all(const std::vector<hs::ContactCredentials>& creds) {
        std::vector<hs::ConnectId> ids;
        for (const auto& c : creds) {
            auto a = alice->with_node(
                [&](node::Node& n, TimePoint now) { return n.connect_service(c, now); });
            if (!a || !*a) qFatal("connect_service refused");
            ids.push_back(**a);
        }
        std::vector<AttemptResult> out(ids.size());
        const TimePoint start = sim.now();
        sim.run_until(
            [&] {
                bool all = true;
                for (std::size_t i = 0; i < ids.size(); ++i) {
                    if (out[i].ended) continue;
                    for (auto& e : alice->events_of<node::ServiceConnected>())
                        if (e.attempt == ids[i]) out[i].connected = out[i].ended = true;
                    for (auto& e : alice->events_of<node::ServiceUnreachable>())
                        if (e.attempt == ids[i]) out[i].ended = true;
                    if (out[i].ended) out[i].took = sim.now() - start;
                    all &= out[i].ended;
                }
                return all;
            },
            Duration::minutes(5));
        return out;
    }

    std::uint64_t relays_stat(std::uint64_t node::NodeStats::*field) const {
        std::uint64_t n = 0;
        for (SimNode* r : net->all_relays()) n += r->stats().*field;
        return n;
    }

    Simulator sim;
    DeterministicRng rng;
    std::optional<OnionNetwork> net;
    SimNode* alice = nullptr;
    std::vector<SimNode*> bobs;
};

// Empty when `now_snap`, taken at `now`, is what the HSDirs answer once the
// service has gone silent after `before`: every descriptor stored then is
// served unchanged until it expires, then not at all, and nothing new appears.
std::string silence_mismatch(const Snapshot& before, const Snapshot& now_snap, TimePoint now) {
    for (const auto& [key, was] : before) {
        const auto& is = now_snap.at(key);
        if (!was) {
            if (is) return "a descriptor appeared at relay " + std::to_string(key.first);
            continue;
        }
        auto d = hs::decode_hs_descriptor(*was);
        if (!d) return "undecodable descriptor";
        const bool live = hs::hs_descriptor_expiry(*d) > now;
        if (live && !is) return "gone before its expiry at relay " + std::to_string(key.first);
        if (live && *is != *was) return "replaced at relay " + std::to_string(key.first);
        if (!live && is) return "served after its expiry at relay " + std::to_string(key.first);
    }
    return {};
}

std::size_t found(const Snapshot& s) {
    std::size_t n = 0;
    for (const auto& [key, d] : s) n += d.has_value();
    return n;
}

// Log lines (Info and above) that speak of a social action or of a
// rotation outside the schedule, which would betray one.
std::vector<std::string> social_lines(const SimNode& n) {
    static const char* const kWords[] = {"revok", "hide",  "hidden", "presence",
                                         "visib", "rotat", "contact"};
    std::vector<std::string> out;
    for (const auto& line : n.recent_log()) {
        std::string lower = line;
        for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        for (const char* w : kWords)
            if (lower.find(w) != std::string::npos) {
                out.push_back(line);
                break;
            }
    }
    return out;
}

}  // namespace

class TestPresenceIndistinguishable : public QObject {
    Q_OBJECT
  private slots:
    // Alice fetches at T; at T + 1 min Bob hides from her, revokes her, goes
    // Invisible or shuts down. At T + 3, T + 20 and T + 35 min the HSDirs
    // answer in all four cases what they answer after a shutdown (the
    // descriptor of before, until it expires), the introduction points
    // treat her INTRODUCE1s alike (acknowledged, forwarded to nobody), and
    // her attempts fail at the same moment. 20 seeds, the four Bobs of a seed
    // in one network.
    void hide_revoke_and_invisible_look_like_a_shutdown() {
        const auto wall = std::chrono::steady_clock::now();
        const hs::ClientConfig client;
        std::map<Leave, std::vector<Duration>> failures;
        for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
            World w(900 + seed);
            std::map<Leave, SimNode*> bob;
            for (Leave l : kLeaves) bob[l] = w.add_bob(std::string("bob-") + leave_name(l));
            QVERIFY(w.bootstrap());
            std::vector<hs::ContactCredentials> creds;
            for (Leave l : kLeaves) {
                w.start_service(bob[l]);
                creds.push_back(w.grant(bob[l], 1));  // Alice
                w.grant(bob[l], 2);                   // Carol, who stays
            }
            QVERIFY(w.intros_up(w.bobs));
            // Every upload of the first publication has left (8 min spread
            // window + 30 s jitter) and landed; the next is 20 min away.
            w.sim.run_for(Duration::minutes(10));

            const TimePoint t = w.sim.now();
            std::vector<Snapshot> at_t;
            std::vector<std::int64_t> periods;
            for (std::size_t i = 0; i < kLeaves.size(); ++i) {
                periods.push_back(w.period_of(creds[i]));
                at_t.push_back(w.snapshot(creds[i], periods.back()));
                QVERIFY(found(at_t.back()) > 0);
            }
            // She is talking to all four when they go.
            auto before = w.connect_all(creds);
            for (auto& r : before) QVERIFY2(r.connected, "Alice could not reach a Bob");
            const auto circuits = w.alice->events_of<node::ServiceConnected>();

            w.sim.run_for(t + Duration::minutes(1) - w.sim.now());
            QVERIFY(bob[Leave::Hide]->with_node(
                [](node::Node& n, TimePoint now) { return n.service_hide(1, true, now); }));
            QVERIFY(bob[Leave::Revoke]->with_node(
                [](node::Node& n, TimePoint now) { return n.service_revoke(1, now); }));
            QVERIFY(bob[Leave::Invisible]->with_node(
                [](node::Node& n, TimePoint now) { n.service_set_visible(false, now); }));
            bob[Leave::Shutdown]->crash();
            // Her open circuits end in every case (checked after the probes,
            // which matter more).
            const bool circuits_closed = w.sim.run_until(
                [&] {
                    for (auto& c : circuits)
                        if (!w.alice->circuit_closed(c.circuit)) return false;
                    return true;
                },
                Duration::minutes(1));

            for (Duration offset :
                 {Duration::minutes(3), Duration::minutes(20), Duration::minutes(35)}) {
                w.sim.run_for(t + offset - w.sim.now());
                std::size_t with_descriptor = 0;
                for (std::size_t i = 0; i < kLeaves.size(); ++i) {
                    const auto snap = w.snapshot(creds[i], periods[i]);
                    const auto why = silence_mismatch(at_t[i], snap, w.sim.now());
                    QVERIFY2(why.empty(), (std::string(leave_name(kLeaves[i])) + " at +" +
                                           std::to_string(offset.seconds_count() / 60) +
                                           " min, seed " + std::to_string(seed) + ": " + why)
                                              .c_str());
                    with_descriptor += found(snap) > 0;
                }
                const auto forwarded = w.relays_stat(&node::NodeStats::introductions_forwarded);
                const auto unknown = w.relays_stat(&node::NodeStats::introductions_unknown_key);
                const auto results = w.connect_all(creds);
                for (std::size_t i = 0; i < results.size(); ++i) {
                    QVERIFY(results[i].ended && !results[i].connected);
                    failures[kLeaves[i]].push_back(results[i].took);
                }
                // Each dead introduction key of a descriptor she holds was
                // acknowledged and dropped at its introduction point; none
                // reached a Bob.
                QCOMPARE(w.relays_stat(&node::NodeStats::introductions_forwarded), forwarded);
                QCOMPARE(w.relays_stat(&node::NodeStats::introductions_unknown_key) - unknown,
                         std::uint64_t(3 * with_descriptor));
            }
            QVERIFY2(circuits_closed, "a joined circuit outlived hide, revoke or Invisible");
        }
        // The failure times: one sample per seed and probe, per case. The
        // padded failure makes them all the connect timeout.
        for (Leave l : kLeaves) {
            auto& s = failures[l];
            std::sort(s.begin(), s.end());
            QCOMPARE(s.size(), kSeeds * 3);
            qInfo("%-9s: failures after %.3f .. %.3f s (median %.3f s)", leave_name(l),
                  double(s.front().us) / 1e6, double(s.back().us) / 1e6,
                  double(s[s.size() / 2].us) / 1e6);
        }
        for (Leave l : kLeaves) {
            QVERIFY2(failures[l] == failures[Leave::Shutdown], leave_name(l));
            for (auto d : failures[l]) QCOMPARE(d, client.connect_timeout);
        }
        qInfo("%zu seeds in %.1f s of wall time", kSeeds,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count());
    }

    // Finding 6: INTRODUCE2 accepted, then revoke (or hide, or Invisible)
    // before the circuit to the rendezvous point is up: no RENDEZVOUS1 goes
    // out, no stream is taken, and the attempt fails like any other.
    void rendezvous_in_flight_does_not_survive_revoke_hide_or_invisible() {
        for (int what = 0; what < 3; ++what) {
            World w(950 + static_cast<std::uint64_t>(what));
            SimNode* bob = w.add_bob("bob");
            QVERIFY(w.bootstrap());
            w.start_service(bob);
            auto creds = w.grant(bob, 1);
            w.grant(bob, 2);
            QVERIFY(w.intros_up({bob}));
            w.sim.run_for(Duration::minutes(10));
            const auto stats0 = bob->node()->service_stats();

            auto a = w.alice->with_node(
                [&](node::Node& n, TimePoint now) { return n.connect_service(creds, now); });
            QVERIFY(a && *a);
            // The moment Bob accepts the introduction, he starts building a
            // circuit to the rendezvous point; it cannot be up yet.
            QVERIFY(w.sim.run_until(
                [&] {
                    return bob->node()->service_stats().introductions_accepted >
                           stats0.introductions_accepted;
                },
                Duration::minutes(1)));
            QCOMPARE(bob->node()->service_stats().rendezvous_circuits,
                     stats0.rendezvous_circuits + 1);
            QCOMPARE(bob->node()->service_stats().rendezvous_sent, stats0.rendezvous_sent);
            const char* name = what == 0 ? "revoke" : what == 1 ? "hide" : "invisible";
            auto done = bob->with_node([&](node::Node& n, TimePoint now) -> Status {
                if (what == 0) return n.service_revoke(1, now);
                if (what == 1) return n.service_hide(1, true, now);
                n.service_set_visible(false, now);
                return {};
            });
            QVERIFY(done && *done);
            QVERIFY(w.sim.run_until(
                [&] {
                    return w.alice->count<node::ServiceConnected>() +
                               w.alice->count<node::ServiceUnreachable>() >
                           0;
                },
                Duration::minutes(5)));
            QVERIFY2(w.alice->count<node::ServiceConnected>() == 0, name);
            w.sim.run_for(Duration::minutes(1));
            QVERIFY2(bob->node()->service_stats().rendezvous_sent == stats0.rendezvous_sent, name);
            QVERIFY2(bob->count<node::IncomingStream>() == 0, name);
            QVERIFY2(bob->node()->service_stats().rendezvous_cancelled ==
                         stats0.rendezvous_cancelled + 1,
                     name);
        }
    }

    // Finding 11: revoking, hiding, going Invisible and back leave no trace
    // in the log at Info or above (the node's log sink, as the simulator
    // captures it: every line from Info up).
    void social_actions_stay_out_of_the_log_above_debug() {
        World w(960);
        SimNode* bob = w.add_bob("bob");
        QVERIFY(w.bootstrap());
        w.start_service(bob);
        for (hs::ContactId id = 1; id <= 3; ++id) w.grant(bob, id);
        QVERIFY(w.intros_up({bob}));
        w.sim.run_for(Duration::minutes(10));
        const auto lines_before = bob->recent_log().size();
        const std::vector<std::pair<const char*, std::function<void(node::Node&, TimePoint)>>>
            actions{
                {"revoke", [](node::Node& n, TimePoint t) { (void)n.service_revoke(1, t); }},
                {"hide", [](node::Node& n, TimePoint t) { (void)n.service_hide(2, true, t); }},
                {"invisible", [](node::Node& n, TimePoint t) { n.service_set_visible(false, t); }},
                {"visible", [](node::Node& n, TimePoint t) { n.service_set_visible(true, t); }},
                {"unhide", [](node::Node& n, TimePoint t) { (void)n.service_hide(2, false, t); }},
            };
        for (auto& [name, act] : actions) {
            QVERIFY(bob->with_node(act));
            w.sim.run_for(Duration::minutes(2));
            const auto lines = social_lines(*bob);
            for (const auto& l : lines) qWarning("logged after %s: %s", name, l.c_str());
            QVERIFY2(lines.empty(), name);
        }
        // The actions did happen (the rotations are counted, not logged).
        QCOMPARE(bob->node()->service_stats().intro_rotations, std::uint64_t(2));
        qInfo("%zu log lines at Info or above before, %zu after", lines_before,
              bob->recent_log().size());
    }

    // Finding 11: a rate-limited introduction is reported by looking at
    // that one contact, not at every contact of the service.
    void rate_limited_drop_examines_one_contact() {
        for (std::size_t others : {0, 40}) {
            World w(970 + others);
            SimNode* bob = w.add_bob("bob");
            QVERIFY(w.bootstrap());
            hs::ServiceConfig config;
            config.policy.rate_limit = hs::RateLimitConfig{2, Duration::hours(1)};
            w.start_service(bob, config);
            auto rogue = w.grant(bob, 1);
            // Hidden: granted, but nothing to publish for them.
            for (std::size_t i = 0; i < others; ++i) w.grant(bob, 100 + i, /*hidden=*/true);
            QVERIFY(w.intros_up({bob}));
            w.sim.run_for(Duration::minutes(10));
            std::vector<hs::ContactCredentials> flood;
            for (int i = 0; i < 5; ++i) flood.push_back(rogue.clone());
            w.connect_all(flood);
            const auto s = bob->node()->service_stats();
            qInfo("%zu other contacts: %llu rate-limited drops, %llu contacts examined", others,
                  static_cast<unsigned long long>(s.dropped_rate_limited),
                  static_cast<unsigned long long>(s.contacts_examined_for_flags));
            QCOMPARE(s.introductions_accepted, std::uint64_t(2));
            QVERIFY(s.dropped_rate_limited >= 3);
            QCOMPARE(s.contacts_examined_for_flags, s.dropped_rate_limited);
            auto flags = bob->events_of<node::ContactFlagged>();
            QVERIFY(!flags.empty());
            for (auto& f : flags) QCOMPARE(f.contact, hs::ContactId(1));
        }
    }

    // Finding 7: descriptors made in one tick (here: publication delays off,
    // so every contact's uploads leave together) carry unrelated revisions,
    // not a run of consecutive numbers that links them to one service.
    void descriptors_made_together_have_unrelated_revisions() {
        World w(990);
        SimNode* bob = w.add_bob("bob");
        QVERIFY(w.bootstrap());
        hs::ServiceConfig config;
        config.publication.enabled = false;
        w.start_service(bob, config);
        std::vector<hs::ContactCredentials> creds;
        for (hs::ContactId id = 1; id <= 20; ++id) creds.push_back(w.grant(bob, id));
        QVERIFY(w.intros_up({bob}));
        w.sim.run_for(Duration::minutes(2));
        // Per contact the revision of each stored descriptor.
        std::vector<std::pair<std::uint64_t, std::size_t>> revisions;
        for (std::size_t c = 0; c < creds.size(); ++c)
            for (const auto& [key, d] : w.snapshot(creds[c], w.period_of(creds[c])))
                if (d)
                    if (auto desc = hs::decode_hs_descriptor(*d))
                        revisions.push_back({desc->revision, c});
        std::sort(revisions.begin(), revisions.end());
        QVERIFY(revisions.size() >= 20 * 5);
        std::size_t adjacent = 0;
        for (std::size_t k = 1; k < revisions.size(); ++k)
            adjacent += revisions[k].second != revisions[k - 1].second &&
                        revisions[k].first - revisions[k - 1].first <= 1;
        const auto span = revisions.back().first - revisions.front().first;
        qInfo("%zu descriptors: revisions span %llu us, %zu adjacent pairs across contacts",
              revisions.size(), static_cast<unsigned long long>(span), adjacent);
        QCOMPARE(adjacent, std::size_t(0));
        QVERIFY(span >= 100'000);
    }
};

QTEST_APPLESS_MAIN(TestPresenceIndistinguishable)
#include "tst_presence_indistinguishable.moc"
