// Section 5 of the paper, the two claims that are about numbers rather than
// yes/no: "Links Between Pseudonyms" (can colluding directories tell which
// per-contact descriptors come from one service, with and without delayed
// publication, 4.5?) and "Network Load" (what one service with N contacts
// costs, next to N separate services, 3.2). Both print their measurements
// with qInfo; virtual time only.
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/crypto/random.hpp"
#include "core/hs/descriptor_id.hpp"
#include "core/hs/hsdir_messages.hpp"
#include "core/hs/time_period.hpp"
#include "core/sim/onion_network.hpp"

using namespace sotto;
using namespace sotto::sim;

namespace {

constexpr Duration kDay = Duration::hours(24);

// A network whose directory is quiet for hours at a time (rounds, fetches and
// relay uploads are simulated work unrelated to what is measured here); every
// relay logs the descriptor uploads it accepts (the colluding HSDirs).
OnionNetworkOptions quiet_network(std::size_t relays) {
    return {.authorities = 3,
            .relays = relays,
            .authority_interval = Duration::hours(1),
            .vote_delay = Duration::seconds(30),
            .consensus_fetch_interval = Duration::minutes(30),
            .descriptor_interval = Duration::hours(2),
            .descriptor_lifetime = Duration::hours(6),
            .tweak = [](node::NodeConfig& c) {
                // Links are never closed for lack of circuits; fewer
                // keepalives on them keep the simulation cheap.
                c.link.keepalive_interval = Duration::minutes(20);
                c.link.idle_timeout = Duration::hours(1);
                c.misbehaviour.record_hsdir_uploads = true;
            }};
}

bool bootstrap(Simulator& sim, const OnionNetwork& net) {
    return sim.run_until(
        [&] {
            for (SimNode* c : net.clients())
                if (!net.has_full_consensus(*c)) return false;
            return true;
        },
        Duration::hours(3));
}

struct Contact {
    std::size_t service = 0;
    hs::ContactCredentials creds;
};

// Every descriptor id the service may publish for `c` around `now` (this
// period and the next, both replicas).
std::vector<hs::DescriptorId> ids_around(const hs::ContactCredentials& c, TimePoint now) {
    std::vector<hs::DescriptorId> out;
    const auto tp = hs::time_period(now.unix_seconds(), c.client_key_id, kDay);
    for (auto p = tp; p <= tp + 1; ++p)
        for (std::uint8_t ri = 0; ri < hs::kHsReplicas; ++ri)
            out.push_back(hs::descriptor_id(c.client_key_id, hs::secret_id_part(c.cookie, p, ri)));
    return out;
}

std::optional<hs::HsDescriptor> fetch_from(SimNode* relay, const hs::DescriptorId& id) {
    auto answer = relay->with_node([&](node::Node& n, TimePoint now) {
        return n.serve_hsdir_request(hs::encode_hsdir_request(hs::GetHsDescriptor{id}), now);
    });
    if (!answer) return std::nullopt;
    auto r = hs::decode_hsdir_response(*answer);
    if (!r || r->status != hs::HsDirStatus::Ok || !r->descriptor) return std::nullopt;
    auto d = hs::decode_hs_descriptor(*r->descriptor);
    return d ? std::optional<hs::HsDescriptor>(*d) : std::nullopt;
}

// One observation of the colluding directories: a descriptor of contact
// `contact` (of service `service`, the ground truth the attacker guesses)
// arrived at `at`. `published` and `revision` are read from the stored
// descriptor (public fields an HSDir must see to check it).
struct Observation {
    TimePoint at;
    std::size_t contact;
    std::size_t service;
    std::int64_t published;
    std::uint64_t revision;
};

// The attacker's classifier: pair each observation with the nearest (by
// `key`) observation of another contact — the HSDirs can tell contacts apart,
// since each descriptor carries its client key — and guess "same service".
// Returns the fraction of correct guesses.
template <typename Key>
double nearest_neighbour_accuracy(std::vector<Observation> obs, Key key) {
    std::sort(obs.begin(), obs.end(), [&](auto& a, auto& b) { return key(a) < key(b); });
    std::size_t correct = 0;
    for (std::size_t i = 0; i < obs.size(); ++i) {
        double best = INFINITY;
        std::size_t best_j = i;
        for (std::size_t j = i; j-- > 0;)
            if (obs[j].contact != obs[i].contact) {
                best = key(obs[i]) - key(obs[j]);
                best_j = j;
                break;
            }
        for (std::size_t j = i + 1; j < obs.size(); ++j)
            if (obs[j].contact != obs[i].contact) {
                if (key(obs[j]) - key(obs[i]) < best) best_j = j;
                break;
            }
        correct += obs[best_j].service == obs[i].service ? 1 : 0;
    }
    return obs.empty() ? 0 : static_cast<double>(correct) / static_cast<double>(obs.size());
}

struct Linkage {
    double by_arrival = 0;
    double by_published = 0;
    double by_revision = 0;
    std::size_t observations = 0;
};

constexpr std::size_t kServices = 6;
constexpr std::size_t kContactsPerService = 4;

// kServices Bobs, each with kContactsPerService contacts, start within
// `start_spread` of each other and publish for an hour while every relay
// logs the uploads it accepts.
Linkage linkage_run(std::uint64_t seed, bool delays, Duration start_spread) {
    Simulator sim(seed);
    auto n = OnionNetwork::create(sim, quiet_network(30));
    if (!n) qFatal("%s", n.error().message.c_str());
    OnionNetwork& net = *n;
    std::vector<SimNode*> bobs;
    for (std::size_t i = 0; i < kServices; ++i)
        bobs.push_back(*net.add_client("bob" + std::to_string(i)));
    if (!bootstrap(sim, net)) qFatal("no consensus");

    DeterministicRng rng(seed * 7 + 1);
    hs::ServiceConfig config;
    config.publication.enabled = delays;
    std::vector<Contact> contacts;
    std::vector<hs::ContactGrant> grants;
    for (std::size_t s = 0; s < kServices; ++s)
        for (std::size_t c = 0; c < kContactsPerService; ++c) {
            grants.push_back(hs::ContactGrant::generate(rng));
            contacts.push_back({s, hs::credentials_for(grants.back())});
        }
    const TimePoint t0 = sim.now() + Duration::minutes(1);
    for (std::size_t s = 0; s < kServices; ++s) {
        const Duration offset = Duration::micros(
            static_cast<std::int64_t>(rng.uniform(static_cast<std::uint64_t>(start_spread.us))));
        sim.schedule_at(t0 + offset, [&, s] {
            auto ok = bobs[s]->with_node([&](node::Node& node, TimePoint now) {
                if (!node.service_start(config, now)) return false;
                for (std::size_t c = 0; c < kContactsPerService; ++c)
                    if (!node.service_add_contact(c, std::move(grants[s * kContactsPerService + c]),
                                                  false, now))
                        return false;
                return true;
            });
            if (!ok || !*ok) qFatal("service setup failed");
        });
    }
    sim.run_for(Duration::hours(1));

    std::map<hs::DescriptorId, std::size_t> owner;  // id -> contact index
    for (std::size_t i = 0; i < contacts.size(); ++i)
        for (auto& id : ids_around(contacts[i].creds, sim.now())) owner[id] = i;
    std::vector<Observation> obs;
    for (SimNode* r : net.all_relays()) {
        for (auto& [id, at] : r->node()->hsdir_upload_log()) {
            auto o = owner.find(id);
            if (o == owner.end()) continue;
            // What the HSDir still holds under the id (the latest revision):
            // its public fields are what a content-reading attacker uses.
            auto d = fetch_from(r, id);
            obs.push_back({at, o->second, contacts[o->second].service, d ? d->published : 0,
                           d ? d->revision : 0});
        }
    }
    Linkage out;
    out.observations = obs.size();
    out.by_arrival =
        nearest_neighbour_accuracy(obs, [](auto& o) { return static_cast<double>(o.at.us); });
    std::erase_if(obs, [](auto& o) { return o.revision == 0; });
    out.by_published =
        nearest_neighbour_accuracy(obs, [](auto& o) { return static_cast<double>(o.published); });
    out.by_revision =
        nearest_neighbour_accuracy(obs, [](auto& o) { return static_cast<double>(o.revision); });
    return out;
}

// ---- network load ----

struct Load {
    std::size_t contacts = 0;
    std::size_t services = 0;
    Duration window;
    std::uint64_t uploads = 0;       // descriptors that reached an HSDir
    std::size_t intro_circuits = 0;  // introduction points up at the end
    std::uint64_t rotations = 0;
    std::uint64_t bytes_sent = 0;  // by the service host(s), beyond an idle client's
    std::size_t hsdir_bytes = 0;   // descriptor bytes stored across all HSDirs at the end
    std::size_t reachable = 0;     // contacts whose current descriptor an HSDir serves
    // The fewest contacts live at any check from the end of the first cycle
    // (one descriptor lifetime) on, every 10 minutes.
    std::size_t min_live = 0;
    std::size_t checks = 0;
};

// Encoded size of one descriptor: every one is the same size (the intro
// section is padded), so stores can be measured in descriptors.
std::size_t descriptor_size() {
    DeterministicRng rng(1);
    auto grant = hs::ContactGrant::generate(rng);
    hs::IntroPointInfo p{grant.client_key.public_key(),
                         crypto::X25519SecretKey::generate(rng).public_key(),
                         "10.1.0.1",
                         9001,
                         grant.client_key.public_key(),
                         crypto::X25519SecretKey::generate(rng).public_key()};
    hs::SecretIdPart s;
    auto sealed =
        hs::seal_intro_points({p}, grant.cookie, s, grant.client_key.public_key(), 1, rng);
    hs::HsDescriptor d{grant.client_key.public_key(), s, 1, 1800, 1, std::move(*sealed)};
    return hs::encode_hs_descriptor(hs::sign_hs_descriptor(std::move(d), grant.client_key)).size();
}

// How many of `creds` are live now: some HSDir serves, under one of the
// contact's current ids (what connect_service fetches first), an unexpired
// descriptor signed by its CK that opens with its DC and names one of the
// service's current introduction points.
std::size_t live_contacts(const OnionNetwork& net, const std::vector<hs::ContactCredentials>& creds,
                          const std::vector<SimNode*>& hosts, TimePoint now) {
    std::set<crypto::Ed25519PublicKey> current;
    for (SimNode* h : hosts)
        for (auto& k : h->node()->service_intro_keys()) current.insert(k);
    // Which relays ever accepted an upload under each id (the rest have
    // nothing to serve).
    std::map<hs::DescriptorId, std::set<SimNode*>> stored;
    for (SimNode* r : net.all_relays())
        for (auto& [id, at] : r->node()->hsdir_upload_log()) stored[id].insert(r);
    std::size_t live = 0;
    for (auto& c : creds) {
        const auto tp = hs::time_period(now.unix_seconds(), c.client_key_id, kDay);
        bool found = false;
        for (std::uint8_t ri = 0; ri < hs::kHsReplicas && !found; ++ri) {
            auto id = hs::descriptor_id(c.client_key_id, hs::secret_id_part(c.cookie, tp, ri));
            auto holders = stored.find(id);
            if (holders == stored.end()) continue;
            for (SimNode* r : holders->second) {
                auto d = fetch_from(r, id);
                if (!d || hs::client_key_id(d->client_key) != c.client_key_id ||
                    !hs::check_hs_descriptor(*d, id, now, Duration::minutes(5)))
                    continue;
                auto points = hs::open_intro_points(*d, c.cookie);
                if (!points || points->empty()) continue;
                // A client gets through if one named point is still up.
                found = std::any_of(points->begin(), points->end(),
                                    [&](auto& p) { return current.contains(p.auth_key); });
                if (found) break;
            }
        }
        live += found ? 1 : 0;
    }
    return live;
}

// `services` service nodes with contacts/services contacts each, for `window`.
Load load_run(std::uint64_t seed, std::size_t contacts, std::size_t services, Duration window) {
    Simulator sim(seed);
    auto n = OnionNetwork::create(sim, quiet_network(40));
    if (!n) qFatal("%s", n.error().message.c_str());
    OnionNetwork& net = *n;
    std::vector<SimNode*> hosts;
    for (std::size_t i = 0; i < services; ++i)
        hosts.push_back(*net.add_client("svc" + std::to_string(i)));
    SimNode* idle = *net.add_client("idle");  // the cost of merely being on the network
    if (!bootstrap(sim, net)) qFatal("no consensus");

    DeterministicRng rng(seed + 5);
    std::vector<hs::ContactCredentials> creds;
    const std::size_t per = contacts / services;
    const hs::ServiceConfig config;
    for (std::size_t s = 0; s < services; ++s) {
        auto ok = hosts[s]->with_node([&](node::Node& node, TimePoint now) {
            if (!node.service_start(config, now)) return false;
            for (std::size_t c = 0; c < per; ++c) {
                auto grant = hs::ContactGrant::generate(rng);
                creds.push_back(hs::credentials_for(grant));
                if (!node.service_add_contact(c, std::move(grant), false, now)) return false;
            }
            return true;
        });
        if (!ok || !*ok) qFatal("service setup failed");
    }
    std::vector<std::uint64_t> sent0;
    for (SimNode* h : hosts) sent0.push_back(sim.bytes_sent(h->host()));
    const std::uint64_t idle0 = sim.bytes_sent(idle->host());
    const TimePoint start = sim.now();

    Load out{contacts, services, window};
    out.min_live = contacts;
    // From the end of the first cycle on, when every first descriptor has
    // expired and only renewals keep a contact reachable.
    const Duration check_interval = Duration::minutes(10);
    Duration at = config.descriptor_lifetime;
    sim.run_for(at);
    for (; at <= window; at = at + check_interval) {
        if (sim.now() < start + at) sim.run_for(start + at - sim.now());
        out.min_live = std::min(out.min_live, live_contacts(net, creds, hosts, sim.now()));
        ++out.checks;
    }
    if (sim.now() < start + window) sim.run_for(start + window - sim.now());

    const std::uint64_t idle_bytes = sim.bytes_sent(idle->host()) - idle0;
    for (std::size_t s = 0; s < services; ++s) {
        auto st = hosts[s]->node()->service_stats();
        out.uploads += st.descriptors_uploaded;
        out.intro_circuits += st.intro_points_up;
        out.rotations += st.intro_rotations;
        const auto sent = sim.bytes_sent(hosts[s]->host()) - sent0[s];
        out.bytes_sent += sent > idle_bytes ? sent - idle_bytes : 0;
    }
    const std::size_t size = descriptor_size();
    for (SimNode* r : net.all_relays()) out.hsdir_bytes += r->stats().hsdir_descriptors * size;
    out.reachable = live_contacts(net, creds, hosts, sim.now());
    return out;
}

std::string human(double bytes) {
    const char* units[] = {"B", "KB", "MB", "GB", "TB"};
    int u = 0;
    while (bytes >= 1000 && u < 4) {
        bytes /= 1000;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f %s", bytes, units[u]);
    return buf;
}

}  // namespace

class TestPrivateServiceLoad : public QObject {
    Q_OBJECT
  private slots:
    // Paper 4.5 and 5 "Links Between Pseudonyms".
    void linkage_with_and_without_delays() {
        // Chance: an observation's nearest other-contact observation is one
        // of the 23 other contacts; 3 of them belong to the same service.
        const double chance = static_cast<double>(kContactsPerService - 1) /
                              static_cast<double>(kServices * kContactsPerService - 1);
        const Duration spread = Duration::seconds(30);
        constexpr std::uint64_t kSeeds = 4;
        Linkage on_sum, off_sum;
        for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
            auto off = linkage_run(200 + seed, false, spread);
            auto on = linkage_run(200 + seed, true, spread);
            qInfo(
                "seed %llu: delays off %.3f (published %.3f, revision %.3f, %zu obs) | delays on "
                "%.3f (published %.3f, revision %.3f, %zu obs)",
                static_cast<unsigned long long>(seed), off.by_arrival, off.by_published,
                off.by_revision, off.observations, on.by_arrival, on.by_published, on.by_revision,
                on.observations);
            for (auto* x : {&off_sum, &on_sum}) {
                const auto& r = x == &off_sum ? off : on;
                x->by_arrival += r.by_arrival / kSeeds;
                x->by_published += r.by_published / kSeeds;
                x->by_revision += r.by_revision / kSeeds;
            }
        }
        qInfo(
            "linkage of %zu services x %zu contacts starting within %lld s, nearest arrival time "
            "at colluding HSDirs: delays off %.3f, delays on %.3f (chance %.3f)",
            kServices, kContactsPerService, static_cast<long long>(spread.seconds_count()),
            off_sum.by_arrival, on_sum.by_arrival, chance);
        qInfo(
            "reading the descriptors instead: nearest 'published' %.3f / %.3f, nearest "
            "'revision' %.3f / %.3f (delays off / on)",
            off_sum.by_published, on_sum.by_published, off_sum.by_revision, on_sum.by_revision);
        QVERIFY(off_sum.by_arrival > 0.8);
        QVERIFY(on_sum.by_arrival < off_sum.by_arrival - 0.4);
        QVERIFY(on_sum.by_arrival < chance + 0.1);
        // The descriptors' own public fields say no more than the arrival
        // times: they are made when the upload leaves, not per batch.
        QVERIFY(on_sum.by_published < chance + 0.1);
        QVERIFY(on_sum.by_revision < chance + 0.1);

        // The delays hide a service only among others publishing at about the
        // same time (paper 4.5: "somewhat harder"): services 10 minutes apart
        // stay linkable.
        double apart = 0;
        for (std::uint64_t seed = 1; seed <= 2; ++seed)
            apart += linkage_run(250 + seed, true, Duration::minutes(10)).by_arrival / 2;
        qInfo("delays on, services starting within 10 min of each other: %.3f", apart);
        QVERIFY(apart > on_sum.by_arrival);
    }

    // Paper 3.2 / 5 "Network Load". Two functions (each under the test
    // watchdog); the second prints the whole table.
    void network_load_for_1_10_100_contacts() {
        for (std::size_t n : {1, 10, 100}) {
            rows_.push_back({"one service", load_run(300 + n, n, 1, kLoadWindow)});
            rows_.push_back({"separate", load_run(400 + n, n, n, kLoadWindow)});
        }
        check_load_rows();
    }

    void network_load_for_1000_contacts() {
        rows_.push_back({"one service", load_run(1300, 1000, 1, kLoadWindow)});
        // Approach 2 at 1000: ten times the 100 row (everything in it is per
        // service).
        auto hundred = std::find_if(rows_.begin(), rows_.end(),
                                    [](const Row& r) { return r.load.services == 100; });
        if (hundred != rows_.end()) {
            Load x = hundred->load;
            x.contacts *= 10;
            x.services *= 10;
            x.uploads *= 10;
            x.intro_circuits *= 10;
            x.rotations *= 10;
            x.bytes_sent *= 10;
            x.hsdir_bytes *= 10;
            x.reachable *= 10;
            x.min_live *= 10;
            rows_.push_back({"separate", x, true});
        }
        check_load_rows();
        print_load_table();
    }

  private:
    struct Row {
        const char* approach;
        Load load;
        bool extrapolated = false;
    };
    static constexpr Duration kLoadWindow = Duration::hours(2);
    std::vector<Row> rows_;

    void print_load_table() {
        const auto& rows = rows_;
        qInfo("%-11s %5s %6s %11s %11s %6s %4s %11s %11s %10s %11s %11s", "approach", "N", "window",
              "uploads", "uploads/day", "intro", "rot", "sent", "sent/day", "HSDir mem",
              "live at end", "min live");
        for (auto& r : rows) {
            const double per_day =
                static_cast<double>(kDay.us) / static_cast<double>(r.load.window.us);
            qInfo(
                "%-11s %5zu %5llds %11llu %11.0f %6zu %4llu %11s %11s %10s %6zu/%-4zu %6zu/%-4zu%s",
                r.approach, r.load.contacts, static_cast<long long>(r.load.window.seconds_count()),
                static_cast<unsigned long long>(r.load.uploads),
                static_cast<double>(r.load.uploads) * per_day, r.load.intro_circuits,
                static_cast<unsigned long long>(r.load.rotations),
                human(static_cast<double>(r.load.bytes_sent)).c_str(),
                human(static_cast<double>(r.load.bytes_sent) * per_day).c_str(),
                human(static_cast<double>(r.load.hsdir_bytes)).c_str(), r.load.reachable,
                r.load.contacts, r.load.min_live, r.load.contacts,
                r.extrapolated ? "  (x10 of N=100)" : "");
        }
    }

    void check_load_rows() {
        for (auto& r : rows_) {
            if (r.extrapolated) continue;
            // Every contact stays live: at the end, and at every check from
            // the end of the first cycle on (the publication spacing adapts
            // to the load, so renewals always land before expiry).
            QCOMPARE(r.load.reachable, r.load.contacts);
            QCOMPARE(r.load.min_live, r.load.contacts);
            QVERIFY(r.load.checks >= 10);
            // The same 3 introduction circuits serve 1 or 1000 contacts.
            if (std::string(r.approach) != "one service") continue;
            QCOMPARE(r.load.intro_circuits, std::size_t(3));
            QCOMPARE(r.load.rotations, rows_.front().load.rotations);
        }
    }
};

QTEST_APPLESS_MAIN(TestPrivateServiceLoad)
#include "tst_private_service_load.moc"
