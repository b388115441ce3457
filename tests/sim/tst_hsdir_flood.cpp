// Issue 9, finding 2 on the simulator: flooders fill HSDirs with valid,
// self-signed 20 KiB descriptors that claim 3-hour lifetimes, uploading over
// circuits as any client can (Node::open_dir_stream), while Bob publishes
// his contact's 30-minute descriptors as usual. The flooded HSDirs keep
// accepting and serving Bob's descriptors, and Alice reaches him; the
// per-circuit and per-link upload quotas refuse what is over them. The
// network has exactly three HSDirs, so every descriptor id is stored on all
// three. Virtual time only.
#include <QtTest>

#include <deque>
#include <map>
#include <numeric>

#include "core/crypto/random.hpp"
#include "core/dir/dir_message.hpp"
#include "core/hs/descriptor_id.hpp"
#include "core/hs/hsdir_messages.hpp"
#include "core/hs/time_period.hpp"
#include "core/sim/onion_network.hpp"
#include "tests/common/sim_service.hpp"

using namespace sotto;
using namespace sotto::sim;

namespace {

constexpr std::size_t kFloodedStoreBytes = 1024 * 1024;
// The section size that makes a descriptor the largest an HSDir takes.
constexpr std::size_t kBigSection = hs::kMaxHsDescriptorLen - 151;

bool is_hsdir(const std::string& nickname) {
    return nickname == "relay0" || nickname == "relay1" || nickname == "relay2";
}

// `flooded` of the three HSDirs (relay0, relay1, relay2 in that order) keep
// 1 MiB of descriptors, so that a flood fills them in simulated seconds.
OnionNetworkOptions three_hsdirs(std::size_t flooded) {
    return {.authorities = 3, .relays = 6, .tweak = [flooded](node::NodeConfig& c) {
                if (!c.relay) return;
                const auto& n = c.relay->nickname;
                c.relay->hsdir = is_hsdir(n);
                if (is_hsdir(n) && static_cast<std::size_t>(n.back() - '0') < flooded)
                    c.hsdir.max_bytes = kFloodedStoreBytes;
            }};
}

// A valid descriptor under a key of its own: what a flooder makes.
Bytes flood_request(Rng& rng, TimePoint now, std::size_t section = kBigSection) {
    auto ck = crypto::Ed25519SecretKey::generate(rng);
    hs::HsDescriptor d;
    d.secret_id = hs::SecretIdPart::from(rng.bytes(32));
    d.published = now.unix_seconds();
    d.lifetime_s = hs::kMaxHsDescriptorLifetime;
    d.revision = 1;
    d.encrypted_intro_points = rng.bytes(section);
    d = hs::sign_hs_descriptor(std::move(d), ck);
    const auto id = hs::descriptor_id(hs::client_key_id(ck.public_key()), d.secret_id);
    return hs::encode_hsdir_request(hs::PostHsDescriptor{id, hs::encode_hs_descriptor(d)});
}

// Sends HSDir requests over BEGIN_DIR streams on circuits of this node's own
// (one hop, straight to the HSDir), a new circuit every `per_circuit`
// requests, and keeps the answers.
class Uploader {
  public:
    Uploader(SimNode* node, node::PathHop target) : node_(node), target_(std::move(target)) {
        node_->add_listener([this](SimNode&, const NodeEvent& e) { on_event(e); });
    }

    // Queues a request; it leaves as soon as a circuit is up.
    void post(Bytes request) {
        queue_.push_back(std::move(request));
        pump();
    }
    std::size_t in_flight() const { return queue_.size() + streams_.size(); }
    const std::vector<hs::HsDirResponse>& answers() const { return answers_; }
    std::size_t ok() const {
        return static_cast<std::size_t>(
            std::count_if(answers_.begin(), answers_.end(),
                          [](const auto& a) { return a.status == hs::HsDirStatus::Ok; }));
    }
    std::size_t refused_with(const std::string& words) const {
        return static_cast<std::size_t>(
            std::count_if(answers_.begin(), answers_.end(), [&](const auto& a) {
                return a.status == hs::HsDirStatus::Rejected &&
                       a.message.find(words) != std::string::npos;
            }));
    }
    std::size_t per_circuit = 4;

  private:
    struct Stream {
        Bytes request;
        dir::DirFramer framer;
    };

    void pump() {
        while (!queue_.empty()) {
            if (!circuit_ || used_ == per_circuit) {
                if (circuit_) {
                    if (!streams_.empty()) return;  // its answers first
                    const auto old = *circuit_;
                    circuit_.reset();
                    node_->close_circuit(old);
                }
                auto c = node_->build_circuit(std::vector<node::PathHop>{target_});
                if (!c) qFatal("build_circuit: %s", c.error().message.c_str());
                circuit_ = *c;
                ready_ = false;
                used_ = 0;
            }
            if (!ready_) return;
            // A relay holds at most this many directory streams of one
            // circuit open at once (docs/protocol.md §6); the uploads past
            // it wait for an answer, as a well-behaved client's would.
            if (streams_.size() >= node::Limits{}.max_dir_streams_per_circuit) return;
            auto s = node_->with_node(
                [&](node::Node& n, TimePoint now) { return n.open_dir_stream(*circuit_, now); });
            if (!s || !*s) qFatal("open_dir_stream failed");
            streams_[**s].request = std::move(queue_.front());
            queue_.pop_front();
            ++used_;
        }
    }

    void on_event(const NodeEvent& e) {
        if (const auto* r = std::get_if<node::CircuitReady>(&e); r && r->circuit == circuit_) {
            ready_ = true;
            pump();
        } else if (const auto* c = std::get_if<node::CircuitClosed>(&e);
                   c && c->circuit == circuit_) {
            circuit_.reset();
            for (auto& [id, s] : streams_) queue_.push_front(std::move(s.request));
            streams_.clear();
            pump();
        } else if (const auto* o = std::get_if<node::StreamOpened>(&e)) {
            auto it = streams_.find(o->stream);
            if (it == streams_.end()) return;
            Bytes framed;
            dir::DirFramer::frame(it->second.request, framed);
            if (!node_->send(o->stream, framed)) qFatal("send failed");
        } else if (const auto* d = std::get_if<node::StreamData>(&e)) {
            auto it = streams_.find(d->stream);
            if (it == streams_.end()) return;
            if (!it->second.framer.feed(d->data)) qFatal("bad answer framing");
            if (auto body = it->second.framer.next()) {
                auto resp = hs::decode_hsdir_response(*body);
                if (!resp) qFatal("undecodable HSDir answer");
                answers_.push_back(std::move(*resp));
                streams_.erase(it);
                pump();
            }
        } else if (const auto* x = std::get_if<node::StreamClosed>(&e)) {
            if (streams_.erase(x->stream) != 0) pump();
        }
    }

    SimNode* node_;
    node::PathHop target_;
    std::optional<node::CircuitRef> circuit_;
    bool ready_ = false;
    std::size_t used_ = 0;
    std::deque<Bytes> queue_;
    std::map<node::StreamRef, Stream> streams_;
    std::vector<hs::HsDirResponse> answers_;
};

struct World : testing::BobAndAlice {
    World(std::uint64_t seed, std::size_t flooded) : BobAndAlice(seed, three_hsdirs(flooded)) {
        for (const char* name : {"relay0", "relay1", "relay2"})
            for (SimNode* r : net->relays())
                if (r->name() == name) hsdirs.push_back(r);
        testing::answer_streams(bob);
    }

    // Every `every`, each uploader posts one flood descriptor, until `until`.
    void flood(std::vector<Uploader*> uploaders, Duration every, TimePoint until) {
        sim.schedule_after(every, [this, uploaders, every, until] {
            if (sim.now() >= until) return;
            for (auto* u : uploaders) u->post(flood_request(rng, sim.now()));
            flood(uploaders, every, until);
        });
    }

    hs::ContactCredentials start_bob_with_alice() {
        return testing::start_service_with_contact(bob, rng, hs::ServiceConfig{}, 1);
    }

    // Whether `hsdir` serves a descriptor of `creds`' for the current period
    // under every replica's id (a GET any client can send).
    bool serves(SimNode* hsdir, const hs::ContactCredentials& creds) {
        const auto tp = hs::time_period(sim.now().unix_seconds(), creds.client_key_id,
                                        hs::ServiceConfig{}.time_period);
        for (std::uint8_t ri = 0; ri < hs::kHsReplicas; ++ri) {
            const auto id =
                hs::descriptor_id(creds.client_key_id, hs::secret_id_part(creds.cookie, tp, ri));
            auto resp = testing::get_descriptor(hsdir, id);
            if (!resp || resp->status != hs::HsDirStatus::Ok || !resp->descriptor) return false;
            auto d = hs::decode_hs_descriptor(*resp->descriptor);
            if (!d || hs::client_key_id(d->client_key) != creds.client_key_id) return false;
        }
        return true;
    }

    // Connects, sends a line, waits for Bob's answer.
    bool exchange(SimNode* who, const hs::ContactCredentials& creds, const std::string& text) {
        auto c = testing::connect_service(sim, who, creds, Duration::minutes(3));
        return c.circuit && testing::echo_exchange(sim, who, *c.circuit, text);
    }

    std::vector<SimNode*> hsdirs;  // relay0, relay1, relay2
};

// `flooded` HSDirs are flooded by two clients each, from before Bob
// publishes until after his first renewal.
void flood_scenario(std::uint64_t seed, std::size_t flooded) {
    World w(seed, flooded);
    std::vector<std::unique_ptr<Uploader>> uploaders;
    for (std::size_t i = 0; i < 2 * flooded; ++i) {
        SimNode* mallory = *w.net->add_client("mallory" + std::to_string(i));
        uploaders.push_back(std::make_unique<Uploader>(mallory, w.hsdirs[i / 2]->hop()));
    }
    QVERIFY(w.bootstrap());
    std::vector<Uploader*> all;
    for (auto& u : uploaders) all.push_back(u.get());
    // 20 KiB every 1.5 s per flooder (under the per-link rate): 1 MiB is
    // full in under a minute, and turned over 40 times in the half hour.
    const TimePoint flood_end = w.sim.now() + Duration::minutes(40);
    w.flood(all, Duration::millis(1500), flood_end);
    w.sim.run_for(Duration::minutes(1));
    for (std::size_t i = 0; i < flooded; ++i)
        QVERIFY2(w.hsdirs[i]->stats().hsdir_descriptors * 20 * 1024 >= kFloodedStoreBytes * 9 / 10,
                 "the flood did not fill the store");

    const auto creds = w.start_bob_with_alice();
    QVERIFY(w.sim.run_until([&] { return w.bob->node()->service_stats().intro_points_up == 3; },
                            Duration::minutes(5)));
    const TimePoint published = w.sim.now();
    // Both replicas' descriptors on all three HSDirs, within the publication
    // window (8 min 30 s) and the 3-hop circuits to get there.
    w.sim.run_until([&] { return w.bob->node()->service_stats().descriptors_uploaded >= 6; },
                    Duration::minutes(12));
    for (SimNode* h : w.hsdirs) QVERIFY2(w.serves(h, creds), h->name().c_str());
    QVERIFY(w.exchange(w.alice, creds, "while flooded"));

    // Until after the renewal (20 min after the first publication), and past
    // the first descriptors' 30-minute lifetime: still served everywhere.
    while (w.sim.now() < published + Duration::minutes(35)) {
        w.sim.run_for(Duration::minutes(1));
        for (SimNode* h : w.hsdirs)
            QVERIFY2(w.serves(h, creds),
                     qPrintable(QStringLiteral("%1 stopped serving Bob after %2 s of flood")
                                    .arg(QString::fromStdString(h->name()))
                                    .arg((w.sim.now() - published).seconds_count())));
    }
    QVERIFY(w.exchange(w.alice, creds, "after the renewal"));

    // The flooders were not locked out either: a full store still takes
    // uploads, it evicts the flood's own oldest ones.
    for (auto& u : uploaders) {
        QVERIFY(u->ok() > 100);
        QCOMPARE(u->ok(), u->answers().size());
    }
    for (std::size_t i = 0; i < flooded; ++i)
        QVERIFY(w.hsdirs[i]->stats().hsdir_descriptors <= kFloodedStoreBytes / (20 * 1024) + 2);
    qInfo("%zu of 3 HSDirs flooded: %zu flood uploads accepted", flooded,
          std::accumulate(uploaders.begin(), uploaders.end(), std::size_t{0},
                          [](std::size_t n, const auto& u) { return n + u->ok(); }));
}

}  // namespace

class TestHsDirFlood : public QObject {
    Q_OBJECT
  private slots:
    void two_of_three_hsdirs_flooded_alice_reaches_bob() { flood_scenario(301, 2); }

    // With every HSDir flooded there is nowhere else to get the descriptor:
    // before the fix Alice could not reach Bob at all.
    void all_hsdirs_flooded_alice_reaches_bob() { flood_scenario(302, 3); }

    // A service sends one upload per circuit; a fifth on one circuit is
    // refused, and the circuit stays usable for fetches.
    void uploads_beyond_the_circuit_quota_are_refused() {
        World w(303, 0);
        SimNode* mallory = *w.net->add_client("mallory");
        QVERIFY(w.bootstrap());
        Uploader u(mallory, w.hsdirs[0]->hop());
        u.per_circuit = 6;
        for (int i = 0; i < 6; ++i) u.post(flood_request(w.rng, w.sim.now(), 100));
        QVERIFY(w.sim.run_until([&] { return u.answers().size() == 6; }, Duration::minutes(1)));
        QCOMPARE(u.ok(), std::size_t{4});
        QCOMPARE(u.refused_with("too many uploads on this circuit"), std::size_t{2});
        QCOMPARE(w.hsdirs[0]->stats().hsdir_uploads_over_quota, std::uint64_t{2});
        QCOMPARE(w.hsdirs[0]->stats().hsdir_descriptors, std::size_t{4});
    }

    // One link carries at most its burst (1 MiB) of uploads at once, then
    // 40 KiB/s; another link is not affected.
    void uploads_beyond_the_link_rate_are_refused() {
        World w(304, 0);
        SimNode* mallory = *w.net->add_client("mallory");
        SimNode* other = *w.net->add_client("other");
        QVERIFY(w.bootstrap());
        Uploader u(mallory, w.hsdirs[0]->hop());
        for (int i = 0; i < 80; ++i) u.post(flood_request(w.rng, w.sim.now()));
        QVERIFY(w.sim.run_until([&] { return u.answers().size() == 80; }, Duration::minutes(2)));
        const std::size_t limited = u.refused_with("upload rate limit");
        qInfo("80 uploads of 20 KiB at once over one link: %zu accepted, %zu rate-limited", u.ok(),
              limited);
        QCOMPARE(u.ok() + limited, std::size_t{80});
        QVERIFY(u.ok() >= 45 && u.ok() <= 60);
        // Meanwhile another link uploads as usual.
        Uploader v(other, w.hsdirs[0]->hop());
        v.post(flood_request(w.rng, w.sim.now()));
        QVERIFY(w.sim.run_until([&] { return v.answers().size() == 1; }, Duration::minutes(1)));
        QCOMPARE(v.ok(), std::size_t{1});
        // The bucket refills at 40 KiB/s: 30 s later it is full again.
        w.sim.run_for(Duration::seconds(30));
        const auto before = u.ok();
        for (int i = 0; i < 10; ++i) u.post(flood_request(w.rng, w.sim.now()));
        QVERIFY(w.sim.run_until([&] { return u.answers().size() == 90; }, Duration::minutes(1)));
        QCOMPARE(u.ok(), before + 10);
    }
};

QTEST_APPLESS_MAIN(TestHsDirFlood)
#include "tst_hsdir_flood.moc"
