// Section 5 of the paper ("Analysis of Security Implications") as adversary
// scenarios on the deterministic simulator: a long-lived service stays
// reachable across time periods and introduction-point rotations; strangers
// and revoked contacts cannot make Bob spend a circuit or learn whether he is
// online, also with colluding directories and introduction points; rogue
// contacts and replaying introduction points are limited; introduction points
// learn no long-term key; HSDirs refuse bad descriptors. Virtual time only.
#include <QtTest>

#include <set>

#include "core/crypto/random.hpp"
#include "core/hs/descriptor_id.hpp"
#include "core/hs/hsdir_messages.hpp"
#include "core/hs/time_period.hpp"
#include "core/sim/onion_network.hpp"
#include "tests/common/sim_service.hpp"

using namespace sotto;
using namespace sotto::sim;

namespace {

constexpr Duration kDay = Duration::hours(24);

// Directory timers for multi-day runs. Every authority round, consensus fetch
// and relay descriptor upload is simulated work (signatures, circuits), so
// they are hours apart instead of minutes; a relay's descriptor outlives its
// upload interval and the consensus (valid for 3 rounds) outlives the fetch
// interval, so the network itself stays healthy for the whole month.
OnionNetworkOptions long_run_network(std::size_t relays = 12) {
    return {.authorities = 3,
            .relays = relays,
            .authority_interval = Duration::hours(12),
            .vote_delay = Duration::seconds(30),
            .consensus_fetch_interval = Duration::hours(6),
            .descriptor_interval = Duration::hours(24),
            .descriptor_lifetime = Duration::hours(72),
            // Links are never closed for lack of circuits, so after a day
            // nearly every pair of nodes holds one; with the default 60 s
            // keepalive their PADDING cells would be most of the simulated
            // work. A rarer keepalive, still well inside the idle timeout,
            // keeps the links of idle introduction circuits up just the same.
            .tweak = [](node::NodeConfig& c) {
                c.link.keepalive_interval = Duration::minutes(20);
                c.link.idle_timeout = Duration::hours(1);
            }};
}

// Introduction points rotate every 4 hours, so a month holds 180 rotations.
// Descriptors live the longest an HSDir accepts, 3 hours (fewer uploads to
// simulate), and are republished every 2.5 hours, so the next period's
// descriptors go out within the 3 hours before a period ends.
hs::ServiceConfig rotating_service_config() {
    hs::ServiceConfig c;
    c.intro_points = 3;
    c.intro_lifetime = Duration::hours(4);
    c.descriptor_lifetime = Duration::hours(3);
    c.republish_margin = Duration::minutes(30);
    c.next_period_margin = Duration::hours(3);
    return c;
}

using ConnectResult = testing::ServiceAttempt;

// What a client could tell from when its attempt ended: at once (no HSDir
// had a descriptor), after waiting ClientConfig::intro_wait at each
// introduction point (every point acknowledges every INTRODUCE1 alike, and no
// RENDEZVOUS2 came), or only at its connect timeout. Since every failure is
// reported at the connect timeout (issue 9, finding 5), only the last occurs.
enum class TimingClass { Prompt, AfterIntroWaits, AtTimeout };
TimingClass timing_class(const ConnectResult& r) {
    const hs::ClientConfig c;
    if (r.took >= c.connect_timeout - Duration::seconds(1)) return TimingClass::AtTimeout;
    if (r.took >= c.intro_wait) return TimingClass::AfterIntroWaits;
    return TimingClass::Prompt;
}
const char* timing_name(TimingClass t) {
    constexpr const char* kNames[] = {"prompt", "after the introduction waits",
                                      "at the connect timeout"};  // in TimingClass's order
    return kNames[static_cast<int>(t)];
}
// A failed attempt is reported exactly at the connect timeout.
bool at_connect_timeout(const ConnectResult& r) {
    return r.took == hs::ClientConfig{}.connect_timeout;
}

using AuthKeySet = std::set<hs::AuthKeyId>;

AuthKeySet auth_key_ids(const std::vector<crypto::Ed25519PublicKey>& keys) {
    AuthKeySet out;
    for (auto& k : keys) out.insert(hs::auth_key_id(k));
    return out;
}

bool disjoint(const AuthKeySet& a, const AuthKeySet& b) {
    for (auto& k : a)
        if (b.contains(k)) return false;
    return true;
}

// Every descriptor id the holder of (H(CK), DC) can compute for periods
// first..last (both replicas).
std::set<hs::DescriptorId> descriptor_ids(const hs::ContactCredentials& creds, std::int64_t first,
                                          std::int64_t last) {
    std::set<hs::DescriptorId> out;
    for (auto tp = first; tp <= last; ++tp)
        for (std::uint8_t ri = 0; ri < hs::kHsReplicas; ++ri)
            out.insert(
                hs::descriptor_id(creds.client_key_id, hs::secret_id_part(creds.cookie, tp, ri)));
    return out;
}

hs::ContactCredentials random_credentials(Rng& rng) {
    hs::ContactCredentials c;
    rng.fill(c.client_key_id.bytes);
    rng.fill(c.cookie.mut());
    return c;
}

struct World {
    World(std::uint64_t seed, OnionNetworkOptions options) : sim(seed), rng(seed + 1000) {
        auto n = OnionNetwork::create(sim, std::move(options));
        if (!n) qFatal("%s", n.error().message.c_str());
        net.emplace(std::move(*n));
        bob = *net->add_client("bob");
        testing::answer_streams(bob);
    }

    SimNode* add_client(const std::string& name) { return *net->add_client(name); }

    bool bootstrap() { return testing::clients_bootstrapped(sim, *net, Duration::hours(24)); }

    void start_bob(const hs::ServiceConfig& config) {
        auto ok = bob->with_node(
            [&](node::Node& n, TimePoint now) { return n.service_start(config, now); });
        if (!ok || !*ok) qFatal("service_start failed");
    }

    // A new contact of Bob's; returns the credentials Bob hands out.
    hs::ContactCredentials add_contact(hs::ContactId id) {
        auto grant = hs::ContactGrant::generate(rng);
        auto creds = hs::credentials_for(grant);
        client_keys[id] = grant.client_key.public_key();
        auto ok = bob->with_node([&](node::Node& n, TimePoint now) {
            return n.service_add_contact(id, std::move(grant), false, now);
        });
        if (!ok || !*ok) qFatal("service_add_contact failed");
        return creds;
    }

    hs::ServiceStats bob_stats() const { return bob->node()->service_stats(); }

    // Runs until the introduction points are up and `uploads` more
    // descriptors than `before` reached their HSDirs.
    bool bob_published(std::uint64_t uploads, std::uint64_t before = 0) {
        return sim.run_until(
            [&] {
                auto s = bob_stats();
                return s.intro_points_up == 3 && s.descriptors_uploaded >= before + uploads;
            },
            Duration::minutes(15));
    }

    ConnectResult connect(SimNode* who, const hs::ContactCredentials& creds) {
        return testing::connect_service(sim, who, creds, Duration::minutes(5));
    }

    // Waits for the end of connection attempt `id`; `took` is how long.
    ConnectResult wait_for(SimNode* who, hs::ConnectId id) {
        return testing::wait_for_attempt(sim, who, id, Duration::minutes(5));
    }

    // Connects, sends `text` on a stream, waits for Bob's answer, hangs up.
    bool exchange(SimNode* who, const hs::ContactCredentials& creds, const std::string& text) {
        auto c = connect(who, creds);
        return c.circuit && testing::echo_exchange(sim, who, *c.circuit, text);
    }

    // What every introduction point in the network currently serves.
    AuthKeySet relays_intro_keys() const {
        AuthKeySet out;
        for (SimNode* r : net->all_relays())
            for (auto& k : r->node()->intro_point_keys()) out.insert(k);
        return out;
    }

    std::uint64_t introductions_forwarded() const {
        std::uint64_t n = 0;
        for (SimNode* r : net->all_relays()) n += r->stats().introductions_forwarded;
        return n;
    }

    // How many relays hand out a descriptor for any of `ids` (a GET as any
    // client, e.g. the ex-contact, can send).
    std::size_t descriptors_found(const std::set<hs::DescriptorId>& ids) {
        std::size_t found = 0;
        for (SimNode* r : net->all_relays())
            for (auto& id : ids) {
                auto resp = testing::get_descriptor(r, id);
                if (resp && resp->status == hs::HsDirStatus::Ok) ++found;
            }
        return found;
    }

    // The descriptors the relays serve for any of `ids`.
    std::vector<hs::HsDescriptor> descriptors_served(const std::set<hs::DescriptorId>& ids) {
        std::vector<hs::HsDescriptor> out;
        for (SimNode* r : net->all_relays())
            for (auto& id : ids) {
                auto resp = testing::get_descriptor(r, id);
                if (!resp || resp->status != hs::HsDirStatus::Ok || !resp->descriptor) continue;
                if (auto d = hs::decode_hs_descriptor(*resp->descriptor)) out.push_back(*d);
            }
        return out;
    }

    // The introduction points in the newest descriptor any HSDir serves for
    // `creds` (what that contact learns, and could pass on).
    std::vector<hs::IntroPointInfo> intro_points_of(const hs::ContactCredentials& creds) {
        std::vector<hs::IntroPointInfo> best;
        std::uint64_t best_revision = 0;
        const auto tp = period_of(creds);
        for (auto& id : descriptor_ids(creds, tp, tp))
            for (SimNode* r : net->all_relays()) {
                auto answer = r->with_node([&](node::Node& n, TimePoint now) {
                    return n.serve_hsdir_request(hs::encode_hsdir_request(hs::GetHsDescriptor{id}),
                                                 now);
                });
                if (!answer) continue;
                auto resp = hs::decode_hsdir_response(*answer);
                if (!resp || resp->status != hs::HsDirStatus::Ok || !resp->descriptor) continue;
                auto d = hs::decode_hs_descriptor(*resp->descriptor);
                if (!d || d->revision <= best_revision) continue;
                if (auto points = hs::open_intro_points(*d, creds.cookie)) {
                    best = std::move(*points);
                    best_revision = d->revision;
                }
            }
        return best;
    }

    // Runs until `creds`' newest descriptor names Bob's current set.
    bool descriptor_names_current_set(const hs::ContactCredentials& creds) {
        return sim.run_until(
            [&] {
                auto keys = bob->node()->service_intro_keys();
                if (bob_stats().intro_points_up != 3) return false;
                std::set<crypto::Ed25519PublicKey> current(keys.begin(), keys.end());
                auto points = intro_points_of(creds);
                if (points.size() != 3) return false;
                for (auto& p : points)
                    if (!current.contains(p.auth_key)) return false;
                return true;
            },
            Duration::minutes(15));
    }

    // Like connect, introducing straight to `points` (Node::connect_service_via).
    ConnectResult connect_via(SimNode* who, const hs::ContactCredentials& creds,
                              const std::vector<hs::IntroPointInfo>& points) {
        ConnectResult r;
        auto attempt = who->with_node([&](node::Node& n, TimePoint now) {
            return n.connect_service_via(creds, points, now);
        });
        if (!attempt || !*attempt) {
            r.reason = attempt ? attempt->error().message : attempt.error().message;
            return r;
        }
        return wait_for(who, **attempt);
    }

    std::int64_t period_of(const hs::ContactCredentials& creds) const {
        return hs::time_period(sim.now().unix_seconds(), creds.client_key_id, kDay);
    }

    Simulator sim;
    DeterministicRng rng;
    std::optional<OnionNetwork> net;
    SimNode* bob = nullptr;
    std::map<hs::ContactId, crypto::Ed25519PublicKey> client_keys;
};

// Revocation for 30 days (DESIGN §1 requirement 3, paper 5 "Service
// Activity"): Alice is revoked, Carol stays. With `colluding`, every relay
// also logs the descriptor uploads it accepts (HSDirs working with Alice),
// and Alice's old descriptor ids are looked for in those logs.
void revocation_scenario(std::uint64_t seed, bool colluding) {
    auto options = long_run_network();
    if (colluding) {
        auto tweak = options.tweak;
        options.tweak = [tweak](node::NodeConfig& c) {
            tweak(c);
            c.misbehaviour.record_hsdir_uploads = true;
        };
    }
    World w(seed, std::move(options));
    SimNode* alice = w.add_client("alice");
    SimNode* carol = w.add_client("carol");
    SimNode* stranger = w.add_client("stranger");
    QVERIFY(w.bootstrap());
    w.start_bob(rotating_service_config());
    auto alice_creds = w.add_contact(1);
    auto carol_creds = w.add_contact(2);
    QVERIFY(w.bob_published(12));
    QVERIFY(w.exchange(alice, alice_creds, "before"));
    QVERIFY(w.exchange(carol, carol_creds, "before"));

    // What Alice knows when she is revoked: her old descriptor ids and the
    // introduction keys in her last descriptor.
    const AuthKeySet old_keys = auth_key_ids(w.bob->node()->service_intro_keys());
    QCOMPARE(old_keys.size(), std::size_t(3));
    const TimePoint revoked_at = w.sim.now();
    const std::int64_t first_tp = w.period_of(alice_creds) - 1;
    if (colluding) {
        // The colluders did see Alice's descriptors while she was a contact.
        const auto before = descriptor_ids(alice_creds, first_tp, first_tp + 2);
        std::size_t seen = 0;
        for (SimNode* r : w.net->all_relays())
            for (auto& [id, at] : r->node()->hsdir_upload_log())
                seen += before.contains(id) ? 1 : 0;
        QVERIFY(seen > 0);
    }
    QVERIFY(
        w.bob->with_node([&](node::Node& n, TimePoint now) { return n.service_revoke(1, now); }));

    // The reason a connect to a service that does not exist at all ends with.
    const std::string offline_reason = w.connect(stranger, random_credentials(w.rng)).reason;
    QVERIFY(!offline_reason.empty());

    std::size_t alice_tries = 0, carol_ok = 0, carol_tries = 0, offline_rounds = 0;
    const TimePoint end = revoked_at + kDay * 30;
    for (int round = 0; w.sim.now() < end; ++round) {
        // Days 10 and 11: Bob is offline (invisible) to everyone.
        const auto day = (w.sim.now() - revoked_at).us / kDay.us;
        const bool online = day < 10 || day >= 12;
        auto visible = w.bob->with_node(
            [&](node::Node& n, TimePoint now) { n.service_set_visible(online, now); });
        QVERIFY(visible.has_value());
        offline_rounds += online ? 0 : 1;

        const auto rend_before = w.bob_stats().rendezvous_circuits;
        const auto forwarded_before = w.introductions_forwarded();
        auto a = w.connect(alice, alice_creds);
        ++alice_tries;
        QVERIFY2(!a.circuit && !a.timed_out, "the revoked contact got through");
        QCOMPARE(a.reason, offline_reason);
        QCOMPARE(w.bob_stats().rendezvous_circuits, rend_before);
        // She never even reached an introduction point that would forward.
        QCOMPARE(w.introductions_forwarded(), forwarded_before);

        // No introduction point holds a circuit for a key she knew, online
        // or not: an INTRODUCE1 with one is acknowledged like any other and
        // dropped there, so it never reaches Bob.
        QVERIFY(disjoint(old_keys, w.relays_intro_keys()));
        // Nothing is withdrawn (a shutdown withdraws nothing): an HSDir may
        // hand out a descriptor for her, this period or the next, only one
        // stored before the revocation, naming only keys dead since, until
        // it expires.
        const auto tp = w.period_of(alice_creds);
        const auto served = w.descriptors_served(descriptor_ids(alice_creds, tp, tp + 1));
        for (const auto& d : served) {
            QVERIFY(d.published <= revoked_at.unix_seconds());
            QVERIFY(hs::hs_descriptor_expiry(d) > w.sim.now());
            auto points = hs::open_intro_points(d, alice_creds.cookie);
            QVERIFY(points.has_value());
            for (auto& p : *points) QVERIFY(old_keys.contains(hs::auth_key_id(p.auth_key)));
        }
        if (w.sim.now() >= revoked_at + rotating_service_config().descriptor_lifetime)
            QCOMPARE(served.size(), std::size_t(0));

        if (online) {
            // Bob is there for the contacts he kept (after a day offline he
            // first has to republish).
            ++carol_tries;
            bool ok = w.exchange(carol, carol_creds, "round " + std::to_string(round));
            if (!ok && day == 12) {
                w.sim.run_for(Duration::minutes(5));
                ok = w.exchange(carol, carol_creds, "round " + std::to_string(round));
            }
            carol_ok += ok ? 1 : 0;
            QVERIFY2(ok, ("Carol could not reach Bob in round " + std::to_string(round)).c_str());
        } else {
            auto c = w.connect(carol, carol_creds);
            QVERIFY(!c.circuit);
            QCOMPARE(c.reason, offline_reason);
        }
        w.sim.run_for(Duration::hours(6));
    }

    std::size_t late_uploads = 0;
    if (colluding) {
        // Nothing Alice could compute from (H(CK), DC) for any period of the
        // month was uploaded after the revocation: the uploads queued or
        // under way for her were dropped with it.
        const auto ids = descriptor_ids(alice_creds, first_tp, w.period_of(alice_creds) + 1);
        std::size_t logged = 0;
        for (SimNode* r : w.net->all_relays())
            for (auto& [id, at] : r->node()->hsdir_upload_log()) {
                logged += at > revoked_at ? 1 : 0;
                late_uploads += at > revoked_at && ids.contains(id) ? 1 : 0;
            }
        qInfo("colluding HSDirs logged %zu uploads after the revocation, %zu of them Alice's",
              logged, late_uploads);
        QVERIFY(logged > 0);
    }
    qInfo("30 days after revocation: Alice 0/%zu, Carol %zu/%zu (%zu rounds offline)", alice_tries,
          carol_ok, carol_tries, offline_rounds);
    QCOMPARE(late_uploads, std::size_t(0));
    QCOMPARE(carol_ok, carol_tries);
    QVERIFY(offline_rounds >= 7);
    // Alice never got as far as Bob: her old descriptor (while it lasted)
    // named dead keys, and later there was none, so she reached no
    // introduction point that knew him and Bob did not even have to drop
    // anything (stranger_knowing_intro_keys_... covers an ex-contact who
    // does reach him).
    QCOMPARE(w.bob_stats().dropped_total(), std::uint64_t(0));
}

}  // namespace

class TestPrivateServiceAttacks : public QObject {
    Q_OBJECT
  private slots:
    // Paper 4.1-4.3 over a month: time periods change daily (at a time of day
    // set by H(CK)) and introduction points rotate every 4 hours; Alice
    // connects right after rotations and right after her period changes.
    void alice_reaches_bob_for_30_days() {
        World w(101, long_run_network());
        SimNode* alice = w.add_client("alice");
        QVERIFY(w.bootstrap());
        w.start_bob(rotating_service_config());
        auto creds = w.add_contact(1);
        QVERIFY(w.bob_published(6));

        const TimePoint start = w.sim.now();
        std::size_t tries = 0, ok = 0, after_rotation = 0, after_new_period = 0;
        std::vector<std::string> failures;
        auto attempt = [&](const char* when) {
            ++tries;
            if (w.exchange(alice, creds, "ping " + std::to_string(tries))) {
                ++ok;
            } else {
                failures.push_back(std::string(when) + " at +" +
                                   std::to_string((w.sim.now() - start).seconds_count()) + " s");
            }
        };
        while (w.sim.now() - start < kDay * 30) {
            const TimePoint boundary = TimePoint::from_seconds(
                hs::period_end(w.period_of(creds), creds.client_key_id, kDay));
            // Every other rotation (8 hours), the moment the introduction
            // points rotate: the new set is not up yet and every HSDir still
            // has descriptors naming the old one.
            while (w.sim.now() + Duration::hours(9) < boundary) {
                const auto rotations = w.bob_stats().intro_rotations;
                QVERIFY(w.sim.run_until([&] { return w.bob_stats().intro_rotations > rotations; },
                                        Duration::hours(5)));
                ++after_rotation;
                attempt("after a rotation");
                w.sim.run_for(Duration::hours(5));
            }
            // Two seconds into Alice's next time period: new descriptor ids.
            if (boundary <= w.sim.now()) continue;
            w.sim.run_for(boundary - w.sim.now() + Duration::seconds(2));
            ++after_new_period;
            attempt("after a period change");
        }
        const auto s = w.bob_stats();
        qInfo(
            "30 days: %zu/%zu exchanges (%zu right after a rotation, %zu right after a period "
            "change), %llu rotations, %llu descriptors uploaded",
            ok, tries, after_rotation, after_new_period,
            static_cast<unsigned long long>(s.intro_rotations),
            static_cast<unsigned long long>(s.descriptors_uploaded));
        for (auto& f : failures) qInfo("failed %s", f.c_str());
        QVERIFY(after_new_period >= 29);
        QVERIFY(after_rotation >= 60);
        QVERIFY(s.intro_rotations >= 30 * 6 - 2);
        QCOMPARE(ok, tries);
    }

    // Paper 5 "Unauthorized Access Attempts": without a valid cookie nobody
    // gets Bob to build a circuit; a stranger does not even reach an
    // introduction point, because without DC it finds no descriptor.
    void stranger_gets_no_rendezvous_circuit() {
        World w(102, {.authorities = 3, .relays = 20});
        SimNode* alice = w.add_client("alice");
        SimNode* stranger = w.add_client("stranger");
        QVERIFY(w.bootstrap());
        w.start_bob(hs::ServiceConfig{});
        auto creds = w.add_contact(1);
        QVERIFY(w.bob_published(6));

        std::set<std::string> reasons;
        for (int i = 0; i < 8; ++i) {
            // Half guess everything; half know Bob's real H(CK) (e.g. from a
            // descriptor a colluding HSDir saw) and guess the cookie.
            auto guess = random_credentials(w.rng);
            if (i % 2 == 1) guess.client_key_id = creds.client_key_id;
            auto r = w.connect(stranger, guess);
            QVERIFY(!r.circuit && !r.timed_out && !r.reason.empty());
            reasons.insert(r.reason);
            w.sim.run_for(Duration::minutes(3));
        }
        const auto s = w.bob_stats();
        QCOMPARE(s.rendezvous_circuits, std::uint64_t(0));
        QCOMPARE(s.introductions_accepted, std::uint64_t(0));
        QCOMPARE(w.introductions_forwarded(), std::uint64_t(0));
        QCOMPARE(s.dropped_total(), std::uint64_t(0));  // nothing even reached Bob
        QCOMPARE(reasons.size(), std::size_t(1));
        qInfo("8 stranger attempts, all: \"%s\"", reasons.begin()->c_str());

        // The counter does move for the real contact.
        QVERIFY(w.exchange(alice, creds, "hello"));
        QCOMPARE(w.bob_stats().rendezvous_circuits, std::uint64_t(1));
    }

    // Paper 5 "Unauthorized Access Attempts" with the introduction keys
    // known: a stranger handed a current contact's introduction points
    // (IK_i, enc key) sends INTRODUCE1 straight to them with a guessed cookie;
    // a revoked contact does the same with the points of the descriptor she
    // kept, and then with current ones and her old cookie; a hidden contact
    // with current ones and his (still valid) cookie. Bob builds no circuit
    // for any of them and counts each drop under its reason; every attempt
    // ends with the same words as one against an offline Bob, and at the same
    // time: each introduction point acknowledges every INTRODUCE1 alike, the
    // client gives up on it after intro_wait without a RENDEZVOUS2, and every
    // failure is told at the connect timeout.
    void stranger_knowing_intro_keys_gets_no_circuit_and_sees_offline() {
        World w(109, {.authorities = 3, .relays = 20});
        SimNode* carol = w.add_client("carol");
        SimNode* stranger = w.add_client("stranger");
        SimNode* alice = w.add_client("alice");
        SimNode* dave = w.add_client("dave");
        QVERIFY(w.bootstrap());
        w.start_bob(hs::ServiceConfig{});
        auto carol_creds = w.add_contact(1);
        auto alice_creds = w.add_contact(2);
        auto dave_creds = w.add_contact(3);
        QVERIFY(w.bob_published(18));
        QVERIFY(w.exchange(carol, carol_creds, "hello"));
        QVERIFY(w.descriptor_names_current_set(carol_creds));

        // What Alice keeps from her last descriptor before she is revoked.
        const auto alice_old_points = w.intro_points_of(alice_creds);
        QCOMPARE(alice_old_points.size(), std::size_t(3));

        struct Row {
            const char* who;
            ConnectResult r;
            std::uint64_t forwarded;  // INTRODUCE2s the introduction points sent Bob
            hs::ServiceStats before, after;
        };
        std::vector<Row> rows;
        auto attempt = [&](const char* who, SimNode* node, const hs::ContactCredentials& creds,
                           const std::vector<hs::IntroPointInfo>* points) {
            Row row{who, {}, w.introductions_forwarded(), w.bob_stats(), {}};
            row.r = points ? w.connect_via(node, creds, *points) : w.connect(node, creds);
            row.forwarded = w.introductions_forwarded() - row.forwarded;
            row.after = w.bob_stats();
            qInfo("%-44s -> \"%s\" after %.1f s (%s); %llu forwarded to Bob", who,
                  row.r.reason.c_str(), double(row.r.took.us) / 1e6,
                  timing_name(timing_class(row.r)), static_cast<unsigned long long>(row.forwarded));
            rows.push_back(row);
            w.sim.run_for(Duration::minutes(1));
            return rows.back();
        };
        auto dropped = [](const Row& row, hs::DropReason reason) {
            return row.after.dropped(reason) - row.before.dropped(reason);
        };

        // 1. A stranger with Carol's introduction points and a guessed cookie.
        // Every point forwards it and Bob drops every copy.
        const auto points = w.intro_points_of(carol_creds);
        const std::size_t k = points.size();
        QCOMPARE(k, std::size_t(3));
        auto guess = random_credentials(w.rng);
        const auto online =
            attempt("stranger, current IK_i, guessed cookie", stranger, guess, &points);
        QCOMPARE(online.forwarded, std::uint64_t(k));
        QCOMPARE(dropped(online, hs::DropReason::UnknownCookie), std::uint64_t(k));
        QCOMPARE(online.after.dropped_total() - online.before.dropped_total(), std::uint64_t(k));

        // 2. Alice, revoked: her old points are dead everywhere (rotation),
        // so nothing reaches Bob; with the current ones (from Carol) her old
        // cookie is unknown.
        QVERIFY(w.bob->with_node(
            [&](node::Node& n, TimePoint now) { return n.service_revoke(2, now); }));
        QVERIFY(w.descriptor_names_current_set(carol_creds));
        const auto after_revoke = w.intro_points_of(carol_creds);
        const auto revoked_old = attempt("revoked contact, her old IK_i, her cookie", alice,
                                         alice_creds, &alice_old_points);
        QCOMPARE(revoked_old.forwarded, std::uint64_t(0));
        const auto revoked_now =
            attempt("revoked contact, current IK_i, her cookie", alice, alice_creds, &after_revoke);
        QCOMPARE(revoked_now.forwarded, std::uint64_t(k));
        QCOMPARE(dropped(revoked_now, hs::DropReason::UnknownCookie), std::uint64_t(k));

        // 3. Dave, hidden: still a contact, so his cookie is known, but Bob
        // is not there for him.
        QVERIFY(w.bob->with_node(
            [&](node::Node& n, TimePoint now) { return n.service_hide(3, true, now); }));
        QVERIFY(w.descriptor_names_current_set(carol_creds));
        const auto after_hide = w.intro_points_of(carol_creds);
        const auto hidden =
            attempt("hidden contact, current IK_i, his cookie", dave, dave_creds, &after_hide);
        QCOMPARE(hidden.forwarded, std::uint64_t(k));
        QCOMPARE(dropped(hidden, hs::DropReason::HiddenContact), std::uint64_t(k));
        // And through the front door he finds only his descriptor of before
        // the hide, naming keys that are dead since.
        const auto hidden_front =
            attempt("hidden contact, connect_service", dave, dave_creds, nullptr);

        // 4. The same attempts against an offline (invisible) Bob.
        w.bob->with_node([&](node::Node& n, TimePoint now) { n.service_set_visible(false, now); });
        w.sim.run_for(Duration::seconds(30));
        const auto offline =
            attempt("Bob offline: stranger, the same IK_i", stranger, guess, &after_hide);
        QCOMPARE(offline.forwarded, std::uint64_t(0));
        const auto offline_revoked =
            attempt("Bob offline: revoked contact, current IK_i", alice, alice_creds, &after_hide);
        QCOMPARE(offline_revoked.forwarded, std::uint64_t(0));
        const auto offline_front =
            attempt("Bob offline: Carol, connect_service", carol, carol_creds, nullptr);

        const auto s = w.bob_stats();
        QCOMPARE(s.rendezvous_circuits, std::uint64_t(1));  // Carol's "hello" only
        QCOMPARE(s.introductions_accepted, std::uint64_t(1));
        QCOMPARE(s.dropped_unknown_cookie, std::uint64_t(2 * k));
        QCOMPARE(s.dropped_hidden, std::uint64_t(k));
        QCOMPARE(s.dropped_total(), std::uint64_t(3 * k));
        for (const auto& row : rows) {
            QVERIFY2(!row.r.circuit && !row.r.timed_out, row.who);
            // The application sees the same words whatever happened.
            QCOMPARE(row.r.reason, offline_front.r.reason);
        }
        // Holding introduction keys, current or dead, online or offline, and
        // through the front door (the hidden contact finds his descriptor of
        // before the hide, naming dead keys; Carol finds hers, naming the
        // keys that went with Invisible): every attempt ends at the connect
        // timeout. The introduction points acknowledge every INTRODUCE1
        // alike and Bob answers none of these, so nobody without a valid,
        // unhidden cookie learns whether Bob's introduction circuits are up.
        for (const auto& row : rows) {
            QVERIFY2(timing_class(row.r) == TimingClass::AtTimeout, row.who);
            QVERIFY2(at_connect_timeout(row.r), row.who);
        }
        QCOMPARE(timing_class(online.r), timing_class(offline.r));
        QCOMPARE(timing_class(revoked_now.r), timing_class(offline_revoked.r));
        QCOMPARE(timing_class(hidden.r), timing_class(offline.r));
        QCOMPARE(timing_class(hidden_front.r), timing_class(offline_front.r));
    }

    void revoked_contact_learns_nothing_for_30_days() { revocation_scenario(103, false); }

    void revoked_contact_with_colluding_hsdirs() { revocation_scenario(104, true); }

    // Paper 4.6 limitation 2 and 5 "Unauthorized Access Attempts": a rogue
    // contact with a valid cookie gets at most 10 rendezvous circuits per
    // hour out of Bob, and is reported.
    void rogue_contact_flood_is_rate_limited() {
        World w(105, long_run_network(20));
        SimNode* mallory = w.add_client("mallory");
        SimNode* carol = w.add_client("carol");
        QVERIFY(w.bootstrap());
        w.start_bob(hs::ServiceConfig{});
        auto rogue = w.add_contact(1);
        auto carol_creds = w.add_contact(2);
        QVERIFY(w.bob_published(12));

        // Times at which Bob started a rendezvous circuit, seen after every
        // simulator event.
        std::vector<TimePoint> built;
        std::uint64_t seen = 0;
        auto track = [&] {
            const auto n = w.bob_stats().rendezvous_circuits;
            for (; seen < n; ++seen) built.push_back(w.sim.now());
            return false;
        };
        // 2 hours, 3 introductions a minute: 360 valid requests.
        std::size_t sent = 0;
        const TimePoint start = w.sim.now();
        while (w.sim.now() - start < Duration::hours(2)) {
            for (int i = 0; i < 3; ++i) {
                auto a = mallory->with_node(
                    [&](node::Node& n, TimePoint now) { return n.connect_service(rogue, now); });
                QVERIFY(a && *a);
                ++sent;
            }
            w.sim.run_until(track, Duration::minutes(1));
        }
        w.sim.run_until(track, Duration::minutes(5));
        const std::size_t connected = mallory->count<node::ServiceConnected>();
        // Every introduction that reached Bob was either accepted (within
        // the limit) or dropped for the rate limit, and counted so.
        const auto stats = w.bob_stats();
        QCOMPARE(stats.introductions_accepted + stats.dropped_rate_limited,
                 w.introductions_forwarded());
        QCOMPARE(stats.dropped_total(), stats.dropped_rate_limited);
        QCOMPARE(stats.introductions_accepted, static_cast<std::uint64_t>(built.size()));

        std::size_t worst_hour = 0;
        for (std::size_t i = 0; i < built.size(); ++i) {
            std::size_t in_window = 0;
            for (std::size_t j = 0; j <= i; ++j)
                in_window += built[i] - built[j] < Duration::hours(1);
            worst_hour = std::max(worst_hour, in_window);
        }
        auto flags = w.bob->events_of<node::ContactFlagged>();
        qInfo(
            "%zu introductions in 2 h: Bob built %zu rendezvous circuits (at most %zu in any "
            "hour), "
            "%zu connected; %zu ContactFlagged events",
            sent, built.size(), worst_hour, connected, flags.size());
        QVERIFY(worst_hour <= 10);
        QVERIFY(built.size() >= 10);  // the limit, not something else, held it
        QVERIFY(!flags.empty());
        for (auto& f : flags) QCOMPARE(f.contact, hs::ContactId(1));
        QVERIFY(flags.back().violations >= sent / 2);
        QVERIFY(stats.dropped_rate_limited >= flags.back().violations);
        qInfo("dropped as rate limited: %llu",
              static_cast<unsigned long long>(stats.dropped_rate_limited));

        // Carol is not charged for Mallory's flood.
        QVERIFY(w.exchange(carol, carol_creds, "still there?"));
    }

    // Paper 4.6 limitation 1: an introduction point that relays every
    // INTRODUCE2 twice gets Bob to build no extra circuit.
    void replayed_introduce2_is_dropped() {
        World w(106, {.authorities = 3, .relays = 20});
        SimNode* alice = w.add_client("alice");
        QVERIFY(w.bootstrap());
        for (SimNode* r : w.net->all_relays()) r->set_misbehaviour({.replay_introductions = true});
        w.start_bob(hs::ServiceConfig{});
        auto creds = w.add_contact(1);
        QVERIFY(w.bob_published(6));

        constexpr std::uint64_t kConnects = 6;
        for (std::uint64_t i = 0; i < kConnects; ++i) {
            QVERIFY(w.exchange(alice, creds, "hi " + std::to_string(i)));
            w.sim.run_for(Duration::minutes(2));
        }
        const auto s = w.bob_stats();
        // Every forwarded INTRODUCE1 reached Bob twice; each was accepted
        // once and led to one circuit.
        QCOMPARE(w.introductions_forwarded(), kConnects);
        QCOMPARE(s.introductions_accepted, kConnects);
        QCOMPARE(s.rendezvous_circuits, kConnects);
        // The second copy of each was dropped, as a replay and nothing else.
        QCOMPARE(s.dropped_replay, kConnects);
        QCOMPARE(s.dropped_total(), kConnects);
    }

    // Paper 4.1 and 5: introduction points know the service only by keys made
    // for one establishment, never by a contact's client key or Bob's
    // identity, and each rotation leaves nothing of the old set anywhere.
    void intro_point_learns_no_descriptor_key() {
        hs::ServiceConfig config;
        config.intro_lifetime = Duration::hours(1);
        World w(107, long_run_network(20));
        QVERIFY(w.bootstrap());
        w.start_bob(config);
        w.add_contact(1);
        w.add_contact(2);
        w.add_contact(3);
        QVERIFY(w.bob_published(18));

        // Anything long-term an introduction point could name Bob by.
        AuthKeySet long_term{hs::auth_key_id(w.bob->identity())};
        std::set<crypto::Ed25519PublicKey> long_term_keys{w.bob->identity()};
        for (auto& [id, ck] : w.client_keys) {
            long_term.insert(hs::auth_key_id(ck));
            long_term.insert(hs::AuthKeyId::from(hs::client_key_id(ck).view()));
            long_term_keys.insert(ck);
        }
        std::vector<AuthKeySet> generations;
        auto check_generation = [&](const char* after) {
            QVERIFY(w.sim.run_until([&] { return w.bob_stats().intro_points_up == 3; },
                                    Duration::minutes(5)));
            const auto service_keys = w.bob->node()->service_intro_keys();
            for (auto& k : service_keys) QVERIFY(!long_term_keys.contains(k));
            const AuthKeySet current = auth_key_ids(service_keys);
            const AuthKeySet held = w.relays_intro_keys();
            QCOMPARE(current.size(), std::size_t(3));
            // The introduction points hold exactly the current set: nothing
            // of an earlier establishment persists.
            QVERIFY2(held == current, after);
            QVERIFY(disjoint(held, long_term));
            for (auto& old : generations) QVERIFY2(disjoint(old, current), after);
            generations.push_back(current);
        };
        check_generation("start");
        QVERIFY(w.bob->with_node(
            [&](node::Node& n, TimePoint now) { return n.service_revoke(3, now); }));
        check_generation("revoke");
        QVERIFY(w.bob->with_node(
            [&](node::Node& n, TimePoint now) { return n.service_hide(2, true, now); }));
        check_generation("hide");
        // A scheduled rotation keeps the old set until its descriptors have
        // expired (so contacts holding one get through), then drops it.
        const auto rotations = w.bob_stats().intro_rotations;
        QVERIFY(w.sim.run_until([&] { return w.bob_stats().intro_rotations > rotations; },
                                config.intro_lifetime + Duration::minutes(1)));
        w.sim.run_for(config.descriptor_lifetime + Duration::seconds(5));
        check_generation("lifetime rotation");
        QCOMPARE(generations.size(), std::size_t(4));
    }

    // Paper 4.3: an HSDir stores a descriptor only under the id H(H(CK), S)
    // it proves, signed by the CK it carries, within size and time bounds,
    // and never replaces it with a lower revision.
    void hsdir_rejects_forgery_oversize_expired_future_downgrade() {
        World w(108, {.authorities = 3, .relays = 6});
        QVERIFY(w.bootstrap());
        SimNode* hsdir = w.net->relays().front();
        const TimePoint now = w.sim.now();

        auto grant = hs::ContactGrant::generate(w.rng);
        const auto creds = hs::credentials_for(grant);
        const auto tp = w.period_of(creds);
        const auto secret = hs::secret_id_part(grant.cookie, tp, 0);
        const auto id = hs::descriptor_id(creds.client_key_id, secret);
        const auto other_id =
            hs::descriptor_id(creds.client_key_id, hs::secret_id_part(grant.cookie, tp, 1));
        const std::vector<hs::IntroPointInfo> points{
            {hsdir->identity(), hsdir->hop().onion_key, hsdir->hop().host, hsdir->hop().port,
             crypto::Ed25519SecretKey::generate(w.rng).public_key(),
             crypto::X25519SecretKey::generate(w.rng).public_key()}};
        auto make = [&](std::int64_t published, std::uint64_t revision) {
            auto sealed = hs::seal_intro_points(points, grant.cookie, secret,
                                                grant.client_key.public_key(), revision, w.rng);
            if (!sealed) qFatal("seal_intro_points failed");
            hs::HsDescriptor d{grant.client_key.public_key(),
                               secret,
                               published,
                               1800,
                               revision,
                               std::move(*sealed)};
            return hs::sign_hs_descriptor(std::move(d), grant.client_key);
        };
        auto post = [&](const hs::DescriptorId& under, Bytes descriptor) {
            auto answer = hsdir->with_node([&](node::Node& n, TimePoint t) {
                return n.serve_hsdir_request(
                    hs::encode_hsdir_request(hs::PostHsDescriptor{under, std::move(descriptor)}),
                    t);
            });
            if (!answer) qFatal("the HSDir is down");
            auto r = hs::decode_hsdir_response(*answer);
            if (!r) qFatal("undecodable HSDir answer");
            return *r;
        };

        const auto valid = make(now.unix_seconds(), 10);
        auto ok = post(id, hs::encode_hs_descriptor(valid));
        QVERIFY2(ok.status == hs::HsDirStatus::Ok, ok.message.c_str());

        auto forged = make(now.unix_seconds(), 11);
        forged.signature.bytes[7] ^= 0x01;
        auto oversize = make(now.unix_seconds(), 12);
        oversize.encrypted_intro_points.resize(hs::kMaxHsDescriptorLen + 1, 0x55);
        oversize =
            hs::sign_hs_descriptor(std::move(oversize), grant.client_key);  // signed, only too big
        const std::vector<std::pair<const char*, hs::HsDirResponse>> refused{
            {"forged signature", post(id, hs::encode_hs_descriptor(forged))},
            {"over 20 KiB", post(id, hs::encode_hs_descriptor(oversize))},
            {"expired",
             post(id, hs::encode_hs_descriptor(make(now.unix_seconds() - 3 * 3600, 13)))},
            {"published in the future",
             post(id, hs::encode_hs_descriptor(make(now.unix_seconds() + 3600, 14)))},
            {"revision downgrade", post(id, hs::encode_hs_descriptor(make(now.unix_seconds(), 9)))},
            {"wrong claimed id",
             post(other_id, hs::encode_hs_descriptor(make(now.unix_seconds(), 15)))},
        };
        std::set<std::string> messages;
        for (auto& [what, r] : refused) {
            qInfo("%-24s -> status %d: %s", what, static_cast<int>(r.status), r.message.c_str());
            QVERIFY2(r.status != hs::HsDirStatus::Ok, what);
            QVERIFY2(!r.message.empty(), what);
            messages.insert(r.message);
        }
        QCOMPARE(messages.size(), refused.size());

        // The valid one is what anyone asking for the id gets back.
        auto answer = hsdir->with_node([&](node::Node& n, TimePoint t) {
            return n.serve_hsdir_request(hs::encode_hsdir_request(hs::GetHsDescriptor{id}), t);
        });
        QVERIFY(answer.has_value());
        auto got = hs::decode_hsdir_response(*answer);
        QVERIFY(got && got->status == hs::HsDirStatus::Ok && got->descriptor);
        QVERIFY(*got->descriptor == hs::encode_hs_descriptor(valid));
        auto decoded = hs::decode_hs_descriptor(*got->descriptor);
        QVERIFY(decoded.has_value());
        QVERIFY(
            hs::check_hs_descriptor(*decoded, id, w.sim.now(), Duration::minutes(5)).has_value());
        auto opened = hs::open_intro_points(*decoded, creds.cookie);
        QVERIFY(opened.has_value());
        QVERIFY(*opened == points);
        QCOMPARE(w.descriptors_found({other_id}), std::size_t(0));
    }
};

QTEST_APPLESS_MAIN(TestPrivateServiceAttacks)
#include "tst_private_service_attacks.moc"
