// Directory authorities in one process: relays upload descriptors, the test
// carries every OutgoingDirRequest (through the wire encoding) between the
// Authority objects and advances the clock, with partitions, delays and
// misbehaving peers.
#include <QtTest>

#include <set>

#include "core/crypto/ed25519.hpp"
#include "core/crypto/random.hpp"
#include "core/crypto/x25519.hpp"
#include "core/dir/authority.hpp"
#include "core/util/rng.hpp"

using namespace sotto;
using namespace sotto::dir;

namespace {

constexpr std::int64_t kT = 1'700'001'000;  // a multiple of the 30-minute interval
constexpr std::int64_t kInterval = 1800;
const TimePoint kRound = TimePoint::from_seconds(kT);
const Duration kVoteDelay = AuthorityConfig{}.vote_delay;

class RecordingLog final : public LogSink {
  public:
    void log(LogLevel level, std::string_view, std::string_view message) override {
        lines.emplace_back(level, std::string(message));
    }
    std::vector<std::string> at(LogLevel level) const {
        std::vector<std::string> out;
        for (const auto& [l, m] : lines)
            if (l == level) out.push_back(m);
        return out;
    }
    std::vector<std::pair<LogLevel, std::string>> lines;
};

struct Sent {
    std::size_t from;
    OutgoingDirRequest out;
};

bool is_signature(const Sent& s) {
    return std::holds_alternative<PostSignature>(s.out.request);
}

// Crosses the wire encoding both ways, as a BEGIN_DIR stream would.
DirResponse exchange(Authority& to, const DirRequest& request, TimePoint now) {
    Bytes framed;
    DirFramer::frame(encode_dir_request(request), framed);
    DirFramer in;
    if (!in.feed(framed)) qFatal("framing failed");
    auto decoded = decode_dir_request(*in.next());
    if (!decoded) qFatal("request did not decode: %s", decoded.error().message.c_str());
    auto response = decode_dir_response(encode_dir_response(to.handle(*decoded, now)));
    if (!response) qFatal("response did not decode: %s", response.error().message.c_str());
    return *response;
}

struct Net {
    DeterministicRng rng;
    std::vector<crypto::Ed25519SecretKey> keys;  // filled before authorities point into it
    std::vector<crypto::Ed25519SecretKey> relay_keys;
    NetworkFile network;
    std::vector<std::unique_ptr<RecordingLog>> logs;
    std::vector<Authority> auths;
    std::set<std::size_t> partitioned;
    std::vector<DirResponse> responses;
    // Reachability checks the authorities asked for, and which relays do not
    // answer them (every other one does, at once).
    std::vector<ReachabilityCheck> checks;
    std::set<crypto::Ed25519PublicKey> unreachable;

    // The relays' addresses are 10.0.0.x, one each, and flags need no
    // uptime: the tests of admission set their own network file.
    explicit Net(std::size_t n, AuthorityConfig config = {}, std::uint64_t seed = 1,
                 NetworkFile settings = test_settings())
        : rng(seed), network(std::move(settings)) {
        network.name = "testnet";
        keys.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            keys.push_back(crypto::Ed25519SecretKey::generate(rng));
            network.authorities.push_back({"auth" + std::to_string(i), keys[i].public_key(),
                                           "127.0.0.1", static_cast<std::uint16_t>(7000 + i)});
        }
        for (std::size_t i = 0; i < n; ++i) {
            logs.push_back(std::make_unique<RecordingLog>());
            auto a = Authority::create(network, keys[i], config, *logs.back());
            if (!a) qFatal("create failed: %s", a.error().message.c_str());
            auths.push_back(std::move(*a));
        }
        for (int i = 0; i < 6; ++i) relay_keys.push_back(crypto::Ed25519SecretKey::generate(rng));
    }

    RelayDescriptor descriptor(std::size_t relay, std::int64_t published,
                               std::uint32_t caps = kCapHsDir, std::uint16_t port = 9001) {
        RelayDescriptor d;
        d.nickname = "relay" + std::to_string(relay);
        d.onion_key = crypto::X25519SecretKey::generate(rng).public_key();
        d.host = "10.0.0." + std::to_string(relay);
        d.port = port;
        d.capabilities = caps;
        d.published = published;
        return sign_relay_descriptor(d, relay_keys[relay]);
    }

    static NetworkFile test_settings() {
        NetworkFile nf;
        nf.allow_private_addresses = true;
        nf.flag_uptime_s = 0;
        return nf;
    }

    // The authority's node carries out its checks: every relay not in
    // `unreachable` answers with its identity.
    void answer_checks(std::size_t i, TimePoint now) {
        for (auto due = auths[i].take_checks(now); !due.empty(); due = auths[i].take_checks(now))
            for (auto& c : due) {
                checks.push_back(c);
                auths[i].check_result(c, !unreachable.contains(c.identity), now);
            }
    }
    void answer_all_checks(TimePoint now) {
        for (std::size_t i = 0; i < auths.size(); ++i) answer_checks(i, now);
    }

    // An upload, and the authority's check of the relay right after it.
    DirResponse upload(std::size_t to, const RelayDescriptor& d, TimePoint now) {
        auto r = exchange(auths[to], PostDescriptor{d}, now);
        answer_checks(to, now);
        return r;
    }
    void upload_all(const RelayDescriptor& d, TimePoint now) {
        for (std::size_t i = 0; i < auths.size(); ++i) {
            auto r = upload(i, d, now);
            if (r.status != DirStatus::Ok) qFatal("upload failed: %s", r.message.c_str());
        }
    }

    std::vector<Sent> poll(std::size_t i, TimePoint now) {
        std::vector<Sent> sent;
        answer_checks(i, now);
        for (auto& o : auths[i].poll(now)) sent.push_back({i, std::move(o)});
        return sent;
    }
    std::vector<Sent> poll_all(TimePoint now) {
        std::vector<Sent> sent;
        for (std::size_t i = 0; i < auths.size(); ++i) {
            auto s = poll(i, now);
            sent.insert(sent.end(), s.begin(), s.end());
        }
        return sent;
    }
    // Drops what crosses the partition; records every other response.
    void deliver(const std::vector<Sent>& sent, TimePoint now) {
        for (const auto& s : sent) {
            if (partitioned.contains(s.from) || partitioned.contains(s.out.authority_index))
                continue;
            responses.push_back(exchange(auths[s.out.authority_index], s.out.request, now));
        }
    }
    void step(TimePoint now) { deliver(poll_all(now), now); }
    void run_round(TimePoint round) {
        step(round);
        step(round + kVoteDelay);
    }
    bool all_responses_ok() const {
        return std::all_of(responses.begin(), responses.end(),
                           [](const DirResponse& r) { return r.status == DirStatus::Ok; });
    }
};

QString msg(const DirResponse& r) {
    return QString::fromStdString(r.message);
}

// Two descriptors of one relay in the votes: `alone` uploaded to authority
// 0, `other` to authorities 1 and 2. After the round all three publish the
// same consensus, and the relay in it has `port` (which one won).
void agree_on(Net& net, const RelayDescriptor& alone, const RelayDescriptor& other,
              std::uint16_t port) {
    const auto before = kRound - Duration::seconds(50);
    QCOMPARE(net.upload(0, alone, before).status, DirStatus::Ok);
    QCOMPARE(net.upload(1, other, before).status, DirStatus::Ok);
    QCOMPARE(net.upload(2, other, before).status, DirStatus::Ok);
    net.run_round(kRound);
    const Bytes first = encode_consensus(*net.auths[0].current_consensus());
    for (auto& auth : net.auths) {
        QCOMPARE(encode_consensus(*auth.current_consensus()), first);
        QCOMPARE(auth.current_consensus()->find(alone.identity)->port, port);
    }
}

}  // namespace

class TestAuthority : public QObject {
    Q_OBJECT
  private slots:
    void create_rejects_unknown_identity() {
        Net net(3);
        DeterministicRng rng(77);
        auto stranger = crypto::Ed25519SecretKey::generate(rng);
        auto a = Authority::create(net.network, stranger, {}, null_log());
        QVERIFY(!a.has_value());
        QCOMPARE(a.error().code, Errc::Config);
        QVERIFY(a.error().message.find("network file") != std::string::npos);
    }

    void create_rejects_bad_config_data() {
        QTest::addColumn<int>("which");
        QTest::newRow("interval below a second") << 0;
        QTest::newRow("interval fractional") << 1;
        QTest::newRow("vote_delay half interval") << 2;
        QTest::newRow("vote_delay negative") << 3;
        QTest::newRow("validity_rounds 0") << 4;
        QTest::newRow("max_descriptors 0") << 5;
        QTest::newRow("max_descriptors huge") << 6;
        QTest::newRow("lifetime 0") << 7;
        QTest::newRow("skew negative") << 8;
        QTest::newRow("interval over a week") << 9;
        QTest::newRow("validity_rounds 101") << 10;
        QTest::newRow("max_descriptors beyond one message") << 11;
        QTest::newRow("lifetime over 28 days") << 12;
        QTest::newRow("skew over a week") << 13;
        QTest::newRow("recheck_interval 0") << 14;
        QTest::newRow("check_retry over a week") << 15;
        QTest::newRow("check_timeout below a second") << 16;
        QTest::newRow("max_checks_in_flight 0") << 17;
        QTest::newRow("max_checks_in_flight 1025") << 18;
    }
    void create_rejects_bad_config() {
        QFETCH(int, which);
        Net net(1);
        AuthorityConfig c;
        switch (which) {
            case 0:
                c.interval = Duration::millis(500);
                break;
            case 1:
                c.interval = Duration::millis(1500);
                break;
            case 2:
                c.vote_delay = c.interval / 2;
                break;
            case 3:
                c.vote_delay = Duration::seconds(-1);
                break;
            case 4:
                c.validity_rounds = 0;
                break;
            case 5:
                c.max_descriptors = 0;
                break;
            case 6:
                c.max_descriptors = kMaxVoteDescriptors + 1;
                break;
            case 7:
                c.descriptor_lifetime = {};
                break;
            case 8:
                c.max_skew = Duration::seconds(-1);
                break;
            case 9:
                c.interval = Duration::hours(24 * 7 + 1);
                break;
            case 10:
                c.validity_rounds = 101;
                break;
            case 11:
                c.max_descriptors = 9535;  // 434-byte descriptors and their flags
                break;
            case 12:
                c.descriptor_lifetime = Duration::hours(24 * 28 + 1);
                break;
            case 13:
                c.max_skew = Duration::hours(24 * 7 + 1);
                break;
            case 14:
                c.recheck_interval = {};
                break;
            case 15:
                c.check_retry = Duration::hours(24 * 7 + 1);
                break;
            case 16:
                c.check_timeout = Duration::millis(999);
                break;
            case 17:
                c.max_checks_in_flight = 0;
                break;
            case 18:
                c.max_checks_in_flight = 1025;
                break;
        }
        auto a = Authority::create(net.network, net.keys[0], c, null_log());
        QVERIFY(!a.has_value());
        QCOMPARE(a.error().code, Errc::Config);
    }

    void create_accepts_limits() {
        Net net(1);
        AuthorityConfig c;
        c.interval = Duration::hours(24 * 7);
        c.vote_delay = {};
        c.validity_rounds = 100;
        c.max_descriptors = 9534;
        c.recheck_interval = Duration::hours(24 * 7);
        c.check_retry = Duration::seconds(1);
        c.check_timeout = Duration::seconds(1);
        c.max_checks_in_flight = 1024;
        c.descriptor_lifetime = Duration::hours(24 * 28);
        c.max_skew = Duration::hours(24 * 7);
        QVERIFY(Authority::create(net.network, net.keys[0], c, null_log()).has_value());
    }

    void index_is_position_in_network_file() {
        Net net(3);
        for (std::size_t i = 0; i < 3; ++i) QCOMPARE(net.auths[i].index(), i);
    }

    void zero_vote_delay_votes_and_computes_at_once() {
        AuthorityConfig config;
        config.vote_delay = {};
        config.recheck_interval = Duration::hours(1);  // no check due before the next round
        Net net(1, config);
        net.upload_all(net.descriptor(0, kT - 60), kRound - Duration::seconds(50));
        net.auths[0].poll(kRound);
        QVERIFY(net.auths[0].current_consensus() != nullptr);
        QCOMPARE(net.auths[0].next_deadline(), kRound + Duration::seconds(kInterval));
    }

    void first_round_is_next_multiple_of_interval() {
        Net net(1);
        auto& a = net.auths[0];
        QCOMPARE(a.next_deadline(), TimePoint{});
        QVERIFY(a.poll(kRound - Duration::seconds(100)).empty());
        QCOMPARE(a.next_deadline(), kRound);
        QVERIFY(a.current_consensus() == nullptr);

        Net late(1);
        late.auths[0].poll(kRound + Duration::micros(1));
        QCOMPARE(late.auths[0].next_deadline(), kRound + Duration::seconds(kInterval));

        Net exact(1);
        exact.auths[0].poll(kRound);  // votes immediately
        QCOMPARE(exact.auths[0].next_deadline(), kRound + kVoteDelay);
    }

    void deadlines_follow_the_round() {
        Net net(3);
        auto sent = net.poll(0, kRound);
        QCOMPARE(sent.size(), std::size_t{2});
        QVERIFY(std::holds_alternative<PostVote>(sent[0].out.request));
        QCOMPARE(sent[0].out.authority_index, std::size_t{1});
        QCOMPARE(sent[1].out.authority_index, std::size_t{2});
        QCOMPARE(net.auths[0].next_deadline(), kRound + kVoteDelay);
        QVERIFY(net.poll(0, kRound + kVoteDelay - Duration::micros(1)).empty());
        sent = net.poll(0, kRound + kVoteDelay);
        QCOMPARE(sent.size(), std::size_t{2});
        QVERIFY(is_signature(sent[0]));
        QCOMPARE(net.auths[0].next_deadline(), kRound + Duration::seconds(kInterval));
    }

    void single_authority_publishes_alone() {
        Net net(1);
        const auto upload_time = kRound - Duration::seconds(50);
        for (std::size_t r = 0; r < 3; ++r) net.upload_all(net.descriptor(r, kT - 60), upload_time);
        QCOMPARE(net.auths[0].descriptor_count(), std::size_t{3});
        QVERIFY(net.auths[0].poll(kRound).empty());
        QVERIFY(net.auths[0].current_consensus() == nullptr);
        QVERIFY(net.auths[0].poll(kRound + kVoteDelay).empty());
        const Consensus* c = net.auths[0].current_consensus();
        QVERIFY(c != nullptr);
        QCOMPARE(c->relays.size(), std::size_t{3});
        QCOMPARE(c->signatures.size(), std::size_t{1});
        QCOMPARE(c->valid_after, kT);
        QCOMPARE(c->fresh_until, kT + kInterval);
        QCOMPARE(c->valid_until, kT + 3 * kInterval);
        QVERIFY(verify_consensus(*c, net.network, kT + 1).has_value());
        auto info = net.logs[0]->at(LogLevel::Info);
        QCOMPARE(info.size(), std::size_t{1});
        QCOMPARE(QString::fromStdString(info[0]),
                 QStringLiteral("round 1700001000: 3 relays from 1 votes, signed"));
    }

    void get_consensus_before_and_after() {
        Net net(1);
        auto r = exchange(net.auths[0], GetConsensus{}, kRound - Duration::seconds(10));
        QCOMPARE(r.status, DirStatus::NotFound);
        QVERIFY(!r.consensus.has_value());
        QVERIFY(!r.message.empty());
        net.upload_all(net.descriptor(0, kT - 60), kRound - Duration::seconds(10));
        net.run_round(kRound);
        r = exchange(net.auths[0], GetConsensus{}, kRound + Duration::seconds(60));
        QCOMPARE(r.status, DirStatus::Ok);
        QVERIFY(r.consensus.has_value());
        QVERIFY(*r.consensus == *net.auths[0].current_consensus());
    }

    void three_authorities_agree() {
        Net net(3);
        const auto before = kRound - Duration::seconds(50);
        for (std::size_t r = 0; r < 4; ++r) net.upload_all(net.descriptor(r, kT - 60), before);
        net.run_round(kRound);
        QVERIFY(net.all_responses_ok());
        const Bytes first = encode_consensus(*net.auths[0].current_consensus());
        for (auto& a : net.auths) {
            const Consensus* c = a.current_consensus();
            QVERIFY(c != nullptr);
            QCOMPARE(c->signatures.size(), std::size_t{3});
            QCOMPARE(c->relays.size(), std::size_t{4});
            QCOMPARE(encode_consensus(*c), first);
            QVERIFY(verify_consensus(*c, net.network, kT).has_value());
        }
        for (auto& log : net.logs) {
            auto info = log->at(LogLevel::Info);
            QCOMPARE(info.size(), std::size_t{1});
            QCOMPARE(QString::fromStdString(info[0]),
                     QStringLiteral("round 1700001000: 4 relays from 3 votes, signed"));
        }
        // A client fetching from any authority gets the same document.
        for (auto& a : net.auths) {
            auto r = exchange(a, GetConsensus{}, kRound + Duration::minutes(5));
            QCOMPARE(encode_consensus(*r.consensus), first);
        }
    }

    void five_authorities_agree() {
        Net net(5);
        for (std::size_t r = 0; r < 5; ++r)
            net.upload_all(net.descriptor(r, kT - 60), kRound - Duration::seconds(50));
        net.run_round(kRound);
        QVERIFY(net.all_responses_ok());
        const Bytes first = encode_consensus(*net.auths[0].current_consensus());
        for (auto& a : net.auths) {
            QVERIFY(a.current_consensus() != nullptr);
            QCOMPARE(a.current_consensus()->signatures.size(), std::size_t{5});
            QCOMPARE(encode_consensus(*a.current_consensus()), first);
        }
        QVERIFY(
            verify_consensus(*net.auths[4].current_consensus(), net.network, kT + 60).has_value());
    }

    void five_authorities_two_partitioned() {
        Net net(5);
        for (std::size_t r = 0; r < 3; ++r)
            net.upload_all(net.descriptor(r, kT - 60), kRound - Duration::seconds(50));
        net.partitioned = {1, 3};
        net.run_round(kRound);
        for (std::size_t i : {0, 2, 4}) {
            const Consensus* c = net.auths[i].current_consensus();
            QVERIFY(c != nullptr);
            QCOMPARE(c->signatures.size(), std::size_t{3});
            QCOMPARE(c->relays.size(), std::size_t{3});
        }
        QVERIFY(net.auths[1].current_consensus() == nullptr);
        QVERIFY(net.auths[3].current_consensus() == nullptr);
    }

    void partitioned_authority_does_not_stop_majority() {
        Net net(3);
        for (std::size_t r = 0; r < 3; ++r)
            net.upload_all(net.descriptor(r, kT - 60), kRound - Duration::seconds(50));
        net.partitioned = {2};
        net.run_round(kRound);
        QVERIFY(net.all_responses_ok());
        for (std::size_t i : {0, 1}) {
            const Consensus* c = net.auths[i].current_consensus();
            QVERIFY(c != nullptr);
            QCOMPARE(c->signatures.size(), std::size_t{2});
            QCOMPARE(c->relays.size(), std::size_t{3});
            QVERIFY(verify_consensus(*c, net.network, kT).has_value());
        }
        QCOMPARE(encode_consensus(*net.auths[0].current_consensus()),
                 encode_consensus(*net.auths[1].current_consensus()));
        // Alone, the third sees its own vote only: no relay has a majority and
        // its one signature is not enough to publish.
        QVERIFY(net.auths[2].current_consensus() == nullptr);
        QCOMPARE(QString::fromStdString(net.logs[2]->at(LogLevel::Info).at(0)),
                 QStringLiteral("round 1700001000: 0 relays from 1 votes, signed"));
    }

    void minority_signatures_fail_verification() {
        Net net(3);
        net.upload_all(net.descriptor(0, kT - 60), kRound - Duration::seconds(50));
        net.run_round(kRound);
        Consensus c = *net.auths[0].current_consensus();
        c.signatures.resize(1);
        auto s = verify_consensus(c, net.network, kT + 10);
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, Errc::BadSignature);
        QCOMPARE(QString::fromStdString(s.error().message),
                 QStringLiteral("consensus has 1 valid signature of the 2 needed from 3 "
                                "authorities"));
    }

    void expired_consensus_fails_verification() {
        Net net(3);
        net.upload_all(net.descriptor(0, kT - 60), kRound - Duration::seconds(50));
        net.run_round(kRound);
        const Consensus& c = *net.auths[1].current_consensus();
        QVERIFY(verify_consensus(c, net.network, c.valid_until).has_value());
        auto s = verify_consensus(c, net.network, c.valid_until + 1);
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, Errc::Expired);
        s = verify_consensus(c, net.network, kT - 1);
        QCOMPARE(s.error().code, Errc::NotYetValid);
    }

    void late_signatures_are_added() {
        Net net(3);
        for (std::size_t r = 0; r < 2; ++r)
            net.upload_all(net.descriptor(r, kT - 60), kRound - Duration::seconds(50));
        net.step(kRound);
        auto sent = net.poll_all(kRound + kVoteDelay);
        std::vector<Sent> now, late;
        for (auto& s : sent) (s.from == 2 ? late : now).push_back(s);
        net.deliver(now, kRound + kVoteDelay);
        for (std::size_t i : {0, 1})
            QCOMPARE(net.auths[i].current_consensus()->signatures.size(), std::size_t{2});
        // Authority 2 has only its own and authority 0's and 1's: published too.
        QCOMPARE(net.auths[2].current_consensus()->signatures.size(), std::size_t{3});

        net.deliver(late, kRound + Duration::minutes(5));
        QVERIFY(net.all_responses_ok());
        const Bytes first = encode_consensus(*net.auths[0].current_consensus());
        for (auto& a : net.auths) {
            QCOMPARE(a.current_consensus()->signatures.size(), std::size_t{3});
            QCOMPARE(encode_consensus(*a.current_consensus()), first);
        }
        // A repeated signature changes nothing.
        net.deliver(late, kRound + Duration::minutes(6));
        QCOMPARE(net.auths[0].current_consensus()->signatures.size(), std::size_t{3});
    }

    void early_signatures_are_applied() {
        Net net(3);
        net.upload_all(net.descriptor(0, kT - 60), kRound - Duration::seconds(50));
        net.step(kRound);
        // Authorities 1 and 2 compute first; their signatures reach 0 before 0
        // has computed anything.
        auto early = net.poll(1, kRound + kVoteDelay);
        auto early2 = net.poll(2, kRound + kVoteDelay);
        early.insert(early.end(), early2.begin(), early2.end());
        net.responses.clear();
        net.deliver(early, kRound + kVoteDelay);
        QVERIFY(net.all_responses_ok());
        QVERIFY(net.auths[0].current_consensus() == nullptr);
        std::size_t held = 0;
        for (const auto& r : net.responses) {
            QVERIFY(r.message == "signature added" ||
                    r.message.starts_with("signature held until round"));
            held += r.message.starts_with("signature held") ? 1 : 0;
        }
        QCOMPARE(held, std::size_t{2});
        auto from0 = net.poll(0, kRound + kVoteDelay + Duration::seconds(1));
        QVERIFY(net.auths[0].current_consensus() != nullptr);
        QCOMPARE(net.auths[0].current_consensus()->signatures.size(), std::size_t{3});
        net.deliver(from0, kRound + kVoteDelay + Duration::seconds(1));
        for (auto& a : net.auths)
            QCOMPARE(a.current_consensus()->signatures.size(), std::size_t{3});
    }

    void relay_needs_a_majority_of_votes() {
        Net net(3);
        const auto before = kRound - Duration::seconds(50);
        auto only_one = net.descriptor(0, kT - 60);
        auto two = net.descriptor(1, kT - 60);
        auto all = net.descriptor(2, kT - 60);
        QCOMPARE(net.upload(0, only_one, before).status, DirStatus::Ok);
        QCOMPARE(net.upload(0, two, before).status, DirStatus::Ok);
        QCOMPARE(net.upload(2, two, before).status, DirStatus::Ok);
        net.upload_all(all, before);
        net.run_round(kRound);
        const Consensus* c = net.auths[1].current_consensus();
        QVERIFY(c != nullptr);
        QCOMPARE(c->relays.size(), std::size_t{2});
        QVERIFY(c->find(only_one.identity) == nullptr);
        QVERIFY(c->find(two.identity) != nullptr);
        QVERIFY(c->find(all.identity) != nullptr);
    }

    void flags_come_from_capabilities() {
        Net net(1);
        const auto before = kRound - Duration::seconds(50);
        auto plain = net.descriptor(0, kT - 60, 0);
        auto hsdir = net.descriptor(1, kT - 60, kCapHsDir);
        auto exit = net.descriptor(2, kT - 60, kCapExit | kCapIntroRend);
        // An authority that also relays gets the Authority flag.
        RelayDescriptor self_relay;
        self_relay.nickname = "auth0";
        self_relay.host = "127.0.0.1";
        self_relay.port = 9100;
        self_relay.capabilities = kCapHsDir | kCapExit | kCapIntroRend;
        self_relay.published = kT - 60;
        self_relay = sign_relay_descriptor(self_relay, net.keys[0]);
        for (const auto& d : {plain, hsdir, exit, self_relay}) net.upload_all(d, before);
        net.run_round(kRound);
        const Consensus* c = net.auths[0].current_consensus();
        QVERIFY(c != nullptr);
        QCOMPARE(c->find(plain.identity)->flags, std::uint32_t{kFlagRunning});
        QCOMPARE(c->find(hsdir.identity)->flags, std::uint32_t{kFlagRunning | kFlagHsDir});
        QCOMPARE(c->find(exit.identity)->flags,
                 std::uint32_t{kFlagRunning | kFlagExit | kFlagIntroRend});
        QCOMPARE(
            c->find(self_relay.identity)->flags,
            std::uint32_t{kFlagRunning | kFlagHsDir | kFlagExit | kFlagIntroRend | kFlagAuthority});
        const auto* e = c->find(exit.identity);
        QCOMPARE(QString::fromStdString(e->nickname), QStringLiteral("relay2"));
        QCOMPARE(e->onion_key, exit.onion_key);
        QCOMPARE(QString::fromStdString(e->host), QStringLiteral("10.0.0.2"));
        QCOMPARE(e->port, exit.port);
        QCOMPARE(e->published, exit.published);
    }

    void newest_descriptor_wins_across_votes() {
        Net net(3);
        auto older = net.descriptor(0, kT - 600, kCapHsDir, 1111);
        auto newer = net.descriptor(0, kT - 60, kCapHsDir, 2222);
        agree_on(net, newer, older, 2222);
    }

    void publication_ties_pick_the_smaller_encoding() {
        Net net(3);
        auto a = net.descriptor(0, kT - 60, kCapHsDir, 1111);
        auto b = net.descriptor(0, kT - 60, kCapHsDir, 2222);
        const auto& expect = encode_relay_descriptor(a) < encode_relay_descriptor(b) ? a : b;
        agree_on(net, a, b, expect.port);
    }

    void descriptor_upload_rules() {
        AuthorityConfig config;
        config.max_descriptors = 2;
        Net net(1, config);
        const auto now = kRound - Duration::seconds(50);
        const std::int64_t now_s = now.unix_seconds();

        auto d0 = net.descriptor(0, now_s - 60);
        auto r = net.upload(0, d0, now);
        QCOMPARE(r.status, DirStatus::Ok);
        QCOMPARE(msg(r), QStringLiteral("descriptor accepted"));
        r = net.upload(0, d0, now);
        QCOMPARE(r.status, DirStatus::Ok);
        QCOMPARE(msg(r), QStringLiteral("descriptor already known"));

        // Same publication time, different content: the relay must move on.
        auto d0_other = net.descriptor(0, now_s - 60, kCapExit);
        r = net.upload(0, d0_other, now);
        QCOMPARE(r.status, DirStatus::Rejected);
        auto d0_older = net.descriptor(0, now_s - 120);
        QCOMPARE(net.upload(0, d0_older, now).status, DirStatus::Rejected);

        // In the future within the tolerated skew: accepted; beyond: refused.
        auto d0_newer = net.descriptor(0, now_s + 600);
        QCOMPARE(net.upload(0, d0_newer, now).status, DirStatus::Ok);
        r = net.upload(0, net.descriptor(1, now_s + 601), now);
        QCOMPARE(r.status, DirStatus::Rejected);
        QVERIFY(msg(r).contains(QStringLiteral("future")));

        // Older than the lifetime.
        r = net.upload(0, net.descriptor(1, now_s - 3 * 3600 - 1), now);
        QCOMPARE(r.status, DirStatus::Rejected);
        QVERIFY(msg(r).contains(QStringLiteral("older than")));
        QCOMPARE(net.upload(0, net.descriptor(1, now_s - 3 * 3600), now).status, DirStatus::Ok);

        // Full: a new relay is refused, an update of a known one is not.
        QCOMPARE(net.auths[0].descriptor_count(), std::size_t{2});
        r = net.upload(0, net.descriptor(2, now_s), now);
        QCOMPARE(r.status, DirStatus::Rejected);
        QVERIFY(msg(r).contains(QStringLiteral("full")));
        QCOMPARE(net.upload(0, net.descriptor(1, now_s), now).status, DirStatus::Ok);
        QCOMPARE(net.auths[0].descriptor_count(), std::size_t{2});
    }

    void bad_descriptor_structs_are_refused() {
        Net net(1);
        const auto now = kRound - Duration::seconds(50);
        auto d = net.descriptor(0, kT - 60);
        d.port = 1234;  // changed after signing
        auto r = net.auths[0].handle(PostDescriptor{d}, now);
        QCOMPARE(r.status, DirStatus::Rejected);
        QVERIFY(msg(r).contains(QStringLiteral("signature")));
        d = net.descriptor(0, kT - 60);
        d.nickname = "bad nick";
        d = sign_relay_descriptor(d, net.relay_keys[0]);
        QCOMPARE(net.auths[0].handle(PostDescriptor{d}, now).status, DirStatus::Rejected);
        QCOMPARE(net.auths[0].descriptor_count(), std::size_t{0});
    }

    void full_directory_has_room_again_after_expiry() {
        AuthorityConfig config;
        config.max_descriptors = 1;
        Net net(1, config);
        const auto now = kRound - Duration::seconds(50);
        QCOMPARE(net.upload(0, net.descriptor(0, now.unix_seconds()), now).status, DirStatus::Ok);
        const auto later = now + Duration::hours(3) + Duration::seconds(1);
        QCOMPARE(net.upload(0, net.descriptor(1, later.unix_seconds()), later).status,
                 DirStatus::Ok);
        QCOMPARE(net.auths[0].descriptor_count(), std::size_t{1});
    }

    void old_descriptors_drop_out_of_votes() {
        AuthorityConfig config;
        config.descriptor_lifetime = Duration::hours(1);
        Net net(1, config);
        net.upload_all(net.descriptor(0, kT - 60), kRound - Duration::seconds(50));
        net.upload_all(net.descriptor(1, kT - 31 * 60), kRound - Duration::seconds(50));
        net.run_round(kRound);
        QCOMPARE(net.auths[0].current_consensus()->relays.size(), std::size_t{2});
        const auto next = kRound + Duration::seconds(kInterval);
        net.run_round(next);
        // Relay 1 was published 61 minutes before the second round: gone.
        QCOMPARE(net.auths[0].current_consensus()->valid_after, kT + kInterval);
        QCOMPARE(net.auths[0].current_consensus()->relays.size(), std::size_t{1});
        QCOMPARE(net.auths[0].descriptor_count(), std::size_t{1});
    }

    void newer_round_replaces_published() {
        Net net(3);
        net.upload_all(net.descriptor(0, kT - 60), kRound - Duration::seconds(50));
        net.run_round(kRound);
        net.upload_all(net.descriptor(1, kT + 60), kRound + Duration::minutes(2));
        const auto next = kRound + Duration::seconds(kInterval);
        net.run_round(next);
        QVERIFY(net.all_responses_ok());
        for (auto& a : net.auths) {
            QCOMPARE(a.current_consensus()->valid_after, kT + kInterval);
            QCOMPARE(a.current_consensus()->relays.size(), std::size_t{2});
            QCOMPARE(a.current_consensus()->signatures.size(), std::size_t{3});
        }
        QCOMPARE(net.logs[0]->at(LogLevel::Info).size(), std::size_t{2});
    }

    void missed_rounds_resume_with_current() {
        AuthorityConfig config;
        config.recheck_interval = Duration::hours(1);  // no check due before the next round
        Net net(1, config);
        net.upload_all(net.descriptor(0, kT - 60), kRound - Duration::seconds(50));
        net.run_round(kRound);
        // The driver sleeps for three rounds.
        const auto wake = kRound + Duration::seconds(3 * kInterval) + kVoteDelay;
        net.poll(0, wake);
        QCOMPARE(net.auths[0].current_consensus()->valid_after, kT + 3 * kInterval);
        auto warnings = net.logs[0]->at(LogLevel::Warning);
        QCOMPARE(warnings.size(), std::size_t{1});
        QVERIFY(warnings[0].find("missed rounds") != std::string::npos);
        QCOMPARE(net.auths[0].next_deadline(), kRound + Duration::seconds(4 * kInterval));
    }

    void votes_are_checked() {
        Net net(3);
        auto& a0 = net.auths[0];
        const auto now = kRound - Duration::seconds(5);
        a0.poll(now);
        auto make = [&](std::size_t signer, std::int64_t round) {
            Vote v;
            v.valid_after = round;
            v.descriptors.push_back(net.descriptor(0, kT - 60));
            v.flags.push_back(kFlagRunning | kFlagHsDir);
            return sign_vote(v, net.keys[signer]);
        };
        auto r = a0.handle(PostVote{make(1, kT)}, now);
        QCOMPARE(r.status, DirStatus::Ok);
        QCOMPARE(msg(r), QStringLiteral("vote accepted"));
        r = a0.handle(PostVote{make(1, kT)}, now);
        QCOMPARE(msg(r), QStringLiteral("vote already received"));

        r = a0.handle(PostVote{make(0, kT)}, now);
        QCOMPARE(r.status, DirStatus::Rejected);
        QVERIFY(msg(r).contains(QStringLiteral("this authority")));

        DeterministicRng rng(3);
        auto stranger = crypto::Ed25519SecretKey::generate(rng);
        Vote sv;
        sv.valid_after = kT;
        r = a0.handle(PostVote{sign_vote(sv, stranger)}, now);
        QCOMPARE(r.status, DirStatus::Rejected);
        QVERIFY(msg(r).contains(QStringLiteral("not an authority")));

        auto forged = make(2, kT);
        forged.valid_after = kT - kInterval;
        r = a0.handle(PostVote{forged}, now);
        QCOMPARE(r.status, DirStatus::Rejected);
        QVERIFY(msg(r).contains(QStringLiteral("signature")));

        // Before round T starts the current round is T - interval; one older is
        // still taken, two older is not.
        r = a0.handle(PostVote{make(2, kT - 3 * kInterval)}, now);
        QCOMPARE(r.status, DirStatus::Rejected);
        QVERIFY(msg(r).contains(QStringLiteral("not collecting")));
        r = a0.handle(PostVote{make(2, kT + kInterval)}, now);
        QCOMPARE(r.status, DirStatus::Rejected);
        r = a0.handle(PostVote{make(2, kT + 7)}, now);  // not a round start
        QCOMPARE(r.status, DirStatus::Rejected);
        QCOMPARE(a0.handle(PostVote{make(2, kT - 2 * kInterval)}, now).status, DirStatus::Ok);

        // Descriptors out of order, or one the relay did not sign.
        Vote unsorted;
        unsorted.valid_after = kT;
        unsorted.descriptors = {net.descriptor(0, kT - 60), net.descriptor(1, kT - 60)};
        unsorted.flags = {kFlagRunning, kFlagRunning};
        if (unsorted.descriptors[0].identity < unsorted.descriptors[1].identity)
            std::swap(unsorted.descriptors[0], unsorted.descriptors[1]);
        r = a0.handle(PostVote{sign_vote(unsorted, net.keys[2])}, now);
        QCOMPARE(r.status, DirStatus::Rejected);
        QVERIFY(msg(r).contains(QStringLiteral("sorted")));
        Vote bad_desc = make(2, kT);
        bad_desc.descriptors[0].port += 1;
        r = a0.handle(PostVote{sign_vote(bad_desc, net.keys[2])}, now);
        QCOMPARE(r.status, DirStatus::Rejected);
        // Every descriptor needs its flags.
        Vote no_flags = make(2, kT);
        no_flags.flags.clear();
        r = a0.handle(PostVote{sign_vote(no_flags, net.keys[2])}, now);
        QCOMPARE(r.status, DirStatus::Rejected);
        QVERIFY(msg(r).contains(QStringLiteral("flags")));

        // After the consensus for the round is computed, votes are late.
        a0.poll(kRound + kVoteDelay);
        r = a0.handle(PostVote{make(2, kT)}, kRound + kVoteDelay);
        QCOMPARE(r.status, DirStatus::Rejected);
        QVERIFY(msg(r).contains(QStringLiteral("after its consensus was computed")));
    }

    void signatures_are_checked() {
        Net net(3);
        net.upload_all(net.descriptor(0, kT - 60), kRound - Duration::seconds(50));
        net.partitioned = {2};
        net.run_round(kRound);
        auto& a0 = net.auths[0];
        const auto now = kRound + Duration::minutes(1);
        const Consensus published = *a0.current_consensus();
        const auto digest = consensus_digest(published);

        // Authority 2 signed its own (empty) consensus: a different document.
        Consensus other = published;
        other.relays.clear();
        other.signatures.clear();
        const auto other_digest = consensus_digest(other);
        auto r = a0.handle(
            PostSignature{other_digest, kT, sign_consensus_digest(other_digest, net.keys[2])}, now);
        QCOMPARE(r.status, DirStatus::Rejected);
        QVERIFY(msg(r).contains(QStringLiteral("different consensus")));

        auto bad = sign_consensus_digest(digest, net.keys[2]);
        bad.signature.bytes[5] ^= 1;
        r = a0.handle(PostSignature{digest, kT, bad}, now);
        QCOMPARE(r.status, DirStatus::Rejected);
        QVERIFY(msg(r).contains(QStringLiteral("does not verify")));

        DeterministicRng rng(4);
        auto stranger = crypto::Ed25519SecretKey::generate(rng);
        r = a0.handle(PostSignature{digest, kT, sign_consensus_digest(digest, stranger)}, now);
        QCOMPARE(r.status, DirStatus::Rejected);

        r = a0.handle(PostSignature{digest, kT, sign_consensus_digest(digest, net.keys[0])}, now);
        QCOMPARE(r.status, DirStatus::Rejected);

        r = a0.handle(
            PostSignature{digest, kT - 5 * kInterval, sign_consensus_digest(digest, net.keys[2])},
            now);
        QCOMPARE(r.status, DirStatus::Rejected);
        QVERIFY(msg(r).contains(QStringLiteral("does not hold")));

        QCOMPARE(a0.current_consensus()->signatures.size(), std::size_t{2});
        r = a0.handle(PostSignature{digest, kT, sign_consensus_digest(digest, net.keys[2])}, now);
        QCOMPARE(r.status, DirStatus::Ok);
        QCOMPARE(a0.current_consensus()->signatures.size(), std::size_t{3});
        QVERIFY(verify_consensus(*a0.current_consensus(), net.network, kT).has_value());
    }

    // Issue 9, finding 3: 5,000 self-signed descriptors (keys anyone can
    // make, addresses where nothing answers) filled the directory and every
    // real relay was refused from then on. Now none of the junk is listed, and
    // a real relay is admitted and listed in the next round.
    void junk_descriptors_do_not_lock_out_a_real_relay() {
        Net net(1);
        const auto before = kRound - Duration::seconds(50);
        const std::size_t full = AuthorityConfig{}.max_descriptors;
        DeterministicRng junk_rng(99);
        for (std::size_t i = 0; i < full; ++i) {
            auto key = crypto::Ed25519SecretKey::generate(junk_rng);
            RelayDescriptor d;
            d.nickname = "junk";
            d.onion_key = crypto::X25519SecretKey::generate(junk_rng).public_key();
            d.host = "198.18." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
            d.port = 9001;
            d.capabilities = kCapHsDir | kCapIntroRend;
            d.published = before.unix_seconds();
            d = sign_relay_descriptor(d, key);
            net.unreachable.insert(d.identity);
            // The first half checked (and failed), the second still waiting.
            auto r = i >= full / 2 ? exchange(net.auths[0], PostDescriptor{d}, before)
                                   : net.upload(0, d, before);
            if (r.status != DirStatus::Ok) QFAIL(r.message.c_str());
        }
        QCOMPARE(net.auths[0].descriptor_count(), full);
        QCOMPARE(net.auths[0].reachable_count(before), std::size_t{0});

        auto real = net.descriptor(0, before.unix_seconds());
        const std::size_t checks_before = net.checks.size();
        auto r = net.upload(0, real, before);
        QVERIFY2(r.status == DirStatus::Ok, r.message.c_str());
        QCOMPARE(net.auths[0].descriptor_count(), full);
        net.run_round(kRound);
        const Consensus* c = net.auths[0].current_consensus();
        QVERIFY(c != nullptr);
        QCOMPARE(c->relays.size(), std::size_t{1});
        QVERIFY(c->find(real.identity) != nullptr);
        // Its check was not queued behind the junk's still waiting.
        QVERIFY(net.checks.size() > checks_before + 1);
        QCOMPARE(net.checks[checks_before].identity, real.identity);
    }

    // Listed only once reached; dropped when a check fails; listed again
    // when a retry succeeds.
    void relays_are_listed_only_while_reachable() {
        Net net(3);
        const auto before = kRound - Duration::seconds(50);
        auto a = net.descriptor(0, kT - 60), b = net.descriptor(1, kT - 60);
        net.unreachable.insert(b.identity);
        net.upload_all(a, before);
        net.upload_all(b, before);
        net.run_round(kRound);
        const Consensus* c = net.auths[0].current_consensus();
        QVERIFY(c != nullptr);
        QVERIFY(c->find(a.identity) != nullptr);
        QVERIFY(c->find(b.identity) == nullptr);
        // b comes up; the failed check is retried after check_retry.
        net.unreachable.clear();
        const auto round2 = kRound + Duration::seconds(kInterval);
        net.run_round(round2);
        QVERIFY(net.auths[1].current_consensus()->find(b.identity) != nullptr);
        // a stops answering: its next check (20 minutes after the last)
        // fails before the third round, and it is not voted for.
        net.unreachable.insert(a.identity);
        const auto round3 = round2 + Duration::seconds(kInterval);
        net.run_round(round3);
        c = net.auths[2].current_consensus();
        QCOMPARE(c->valid_after, kT + 2 * kInterval);
        QVERIFY(c->find(a.identity) == nullptr);
        QVERIFY(c->find(b.identity) != nullptr);
        QVERIFY(net.logs[0]->at(LogLevel::Info).size() >= 1);
    }

    // Checks take a link handshake: at most max_checks_in_flight at once,
    // and one the node never answers counts as failed after check_timeout.
    void checks_are_bounded_and_time_out() {
        AuthorityConfig config;
        config.max_checks_in_flight = 3;
        Net net(1, config);
        const auto t0 = kRound - Duration::seconds(300);
        for (std::size_t i = 0; i < 5; ++i)
            QCOMPARE(exchange(net.auths[0], PostDescriptor{net.descriptor(i, kT - 400)}, t0).status,
                     DirStatus::Ok);
        QCOMPARE(net.auths[0].next_deadline(), t0);
        auto first = net.auths[0].take_checks(t0);
        QCOMPARE(first.size(), std::size_t{3});
        QVERIFY(net.auths[0].take_checks(t0).empty());
        QCOMPARE(net.auths[0].next_deadline(), t0 + config.check_timeout);
        // One answer frees a slot at once.
        net.auths[0].check_result(first[0], true, t0);
        QCOMPARE(net.auths[0].take_checks(t0).size(), std::size_t{1});
        // An answer for something not asked is ignored.
        auto other = first[1];
        other.port += 1;
        net.auths[0].check_result(other, true, t0);
        QCOMPARE(net.auths[0].reachable_count(t0), std::size_t{1});
        // The rest time out: failed, retried after check_retry.
        const auto late = t0 + config.check_timeout;
        auto next = net.auths[0].take_checks(late);
        QCOMPARE(next.size(), std::size_t{1});  // the fifth, now that slots are free
        QCOMPARE(net.auths[0].reachable_count(late), std::size_t{1});
        net.auths[0].check_result(next[0], true, late);
        QCOMPARE(net.auths[0].reachable_count(late), std::size_t{2});
        net.answer_checks(0, late + config.check_retry);
        QCOMPARE(net.auths[0].reachable_count(late + config.check_retry), std::size_t{5});
    }

    void relays_per_address_are_limited() {
        auto at = [](Net& net, std::size_t relay, const std::string& host, std::uint16_t port) {
            auto d = net.descriptor(relay, kT - 60, kCapHsDir, port);
            d.host = host;
            return sign_relay_descriptor(d, net.relay_keys[relay]);
        };
        const auto before = kRound - Duration::seconds(50);
        Net net(1);
        QCOMPARE(net.upload(0, at(net, 0, "10.0.0.7", 9001), before).status, DirStatus::Ok);
        QCOMPARE(net.upload(0, at(net, 1, "10.0.0.7", 9002), before).status, DirStatus::Ok);
        // The same address spelled another way is still that address.
        auto r = net.upload(0, at(net, 2, "10.0.7", 9003), before);
        QCOMPARE(r.status, DirStatus::Rejected);
        QVERIFY(msg(r).contains(QStringLiteral("per address")));
        QCOMPARE(net.upload(0, at(net, 3, "10.0.0.8", 9001), before).status, DirStatus::Ok);
        net.run_round(kRound);
        QCOMPARE(net.auths[0].current_consensus()->relays.size(), std::size_t{3});
        // When one of the two stops answering, the third gets its place.
        net.unreachable.insert(net.relay_keys[0].public_key());
        const auto later = before + Duration::minutes(21);
        net.answer_checks(0, later);
        QCOMPARE(net.upload(0, at(net, 2, "10.0.0.7", 9003), later).status, DirStatus::Ok);
        net.run_round(kRound + Duration::seconds(kInterval));
        const Consensus* c = net.auths[0].current_consensus();
        QVERIFY(c->find(net.relay_keys[2].public_key()) != nullptr);
        QVERIFY(c->find(net.relay_keys[0].public_key()) == nullptr);

        // A network file can allow more (sotto-localnet: all on 127.0.0.1).
        NetworkFile more = Net::test_settings();
        more.relays_per_address = 3;
        Net roomy(1, {}, 2, more);
        for (std::size_t i = 0; i < 3; ++i)
            QCOMPARE(roomy.upload(0, at(roomy, i, "10.0.0.7", 9001 + i), before).status,
                     DirStatus::Ok);
        QCOMPARE(roomy.upload(0, at(roomy, 3, "10.0.0.7", 9009), before).status,
                 DirStatus::Rejected);
        roomy.run_round(kRound);
        QCOMPARE(roomy.auths[0].current_consensus()->relays.size(), std::size_t{3});
    }

    // A public network's authority never lists (nor connects to) a relay on a
    // loopback, private or link-local address.
    void non_public_relay_addresses_are_refused_unless_allowed() {
        NetworkFile public_net;  // the defaults
        Net net(1, {}, 1, public_net);
        const auto before = kRound - Duration::seconds(50);
        std::size_t i = 0;
        for (const char* host : {"127.0.0.1", "10.0.0.1", "192.168.1.5", "169.254.0.1", "::1",
                                 "fe80::1", "localhost", "127.1"}) {
            auto d = net.descriptor(i % 6, kT - 60 + static_cast<std::int64_t>(i));
            d.host = host;
            d = sign_relay_descriptor(d, net.relay_keys[i % 6]);
            ++i;
            auto r = net.upload(0, d, before);
            QCOMPARE(r.status, DirStatus::Rejected);
            QVERIFY2(msg(r).contains(QStringLiteral("not public")), host);
        }
        QVERIFY(net.checks.empty());
        auto d = net.descriptor(0, kT - 30);
        d.host = "198.51.100.20";
        d = sign_relay_descriptor(d, net.relay_keys[0]);
        QCOMPARE(net.upload(0, d, before).status, DirStatus::Ok);
        QCOMPARE(net.checks.size(), std::size_t{1});
    }

    // HSDir and Intro/Rend only after flag-uptime without a failed check;
    // Running and Exit at once.
    void private_service_flags_need_the_flag_uptime() {
        NetworkFile nf = Net::test_settings();
        nf.flag_uptime_s = 3600;
        Net net(1, {}, 1, nf);
        const auto before = kRound - Duration::seconds(50);
        auto d = net.descriptor(0, kT - 60, kCapHsDir | kCapExit | kCapIntroRend);
        QCOMPARE(net.upload(0, d, before).status, DirStatus::Ok);
        auto flags = [&] { return net.auths[0].current_consensus()->find(d.identity)->flags; };
        net.run_round(kRound);
        QCOMPARE(flags(), std::uint32_t{kFlagRunning | kFlagExit});
        net.run_round(kRound + Duration::seconds(kInterval));  // up 30 min
        QCOMPARE(flags(), std::uint32_t{kFlagRunning | kFlagExit});
        net.run_round(kRound + Duration::seconds(2 * kInterval));  // up 60 min 50 s
        QCOMPARE(flags(), std::uint32_t{kFlagRunning | kFlagExit | kFlagHsDir | kFlagIntroRend});
        // A failed check starts the hour again.
        net.unreachable.insert(d.identity);
        net.answer_checks(0, kRound + Duration::seconds(2 * kInterval) + Duration::minutes(21));
        net.unreachable.clear();
        net.run_round(kRound + Duration::seconds(3 * kInterval));
        QCOMPARE(flags(), std::uint32_t{kFlagRunning | kFlagExit});
    }

    // Flags are voted: the consensus gives one that a strict majority of the
    // authorities give, so one authority alone cannot hand out HSDir.
    void flags_follow_the_majority_of_votes() {
        NetworkFile nf = Net::test_settings();
        nf.flag_uptime_s = 3600;
        Net net(3, {}, 1, nf);
        const auto early = kRound - Duration::hours(2);
        const auto before = kRound - Duration::seconds(50);
        auto two = net.descriptor(0, kT - 2 * 3600 - 10);  // seen early by two authorities
        auto one = net.descriptor(1, kT - 2 * 3600 - 10);  // by one
        QCOMPARE(net.upload(0, two, early).status, DirStatus::Ok);
        QCOMPARE(net.upload(1, two, early).status, DirStatus::Ok);
        QCOMPARE(net.upload(2, two, before).status, DirStatus::Ok);
        QCOMPARE(net.upload(0, one, early).status, DirStatus::Ok);
        QCOMPARE(net.upload(1, one, before).status, DirStatus::Ok);
        QCOMPARE(net.upload(2, one, before).status, DirStatus::Ok);
        net.run_round(kRound);
        QVERIFY(net.all_responses_ok());
        const Bytes first = encode_consensus(*net.auths[0].current_consensus());
        for (auto& a : net.auths) QCOMPARE(encode_consensus(*a.current_consensus()), first);
        const Consensus* c = net.auths[0].current_consensus();
        QCOMPARE(c->find(two.identity)->flags, std::uint32_t{kFlagRunning | kFlagHsDir});
        QCOMPARE(c->find(one.identity)->flags, std::uint32_t{kFlagRunning});
    }

    // When the directory is full of reachable relays, a relay the current
    // consensus lists (back after its descriptor lapsed) still gets in, in
    // place of a reachable relay the consensus does not list.
    void listed_relay_gets_in_when_the_directory_is_full() {
        AuthorityConfig config;
        config.max_descriptors = 2;
        config.descriptor_lifetime = Duration::hours(1);
        Net net(1, config);
        const auto before = kRound - Duration::seconds(50);
        auto r0 = net.descriptor(0, kT - 60), r1 = net.descriptor(1, kT - 60);
        QCOMPARE(net.upload(0, r0, before).status, DirStatus::Ok);
        QCOMPARE(net.upload(0, r1, before).status, DirStatus::Ok);
        net.run_round(kRound);
        QCOMPARE(net.auths[0].current_consensus()->relays.size(), std::size_t{2});
        // Relay 0 stops republishing for a while; its descriptor lapses and a
        // newcomer takes the slot; relay 1 republishes.
        const auto later = kRound + Duration::minutes(65);
        QCOMPARE(net.upload(0, net.descriptor(1, later.unix_seconds()), later).status,
                 DirStatus::Ok);
        auto newcomer = net.descriptor(2, later.unix_seconds());
        QCOMPARE(net.upload(0, newcomer, later).status, DirStatus::Ok);
        QCOMPARE(net.auths[0].descriptor_count(), std::size_t{2});
        // A stranger is refused: both held relays are reachable.
        auto r = net.upload(0, net.descriptor(3, later.unix_seconds()), later);
        QCOMPARE(r.status, DirStatus::Rejected);
        QVERIFY(msg(r).contains(QStringLiteral("full")));
        // Relay 0 is back: the current consensus lists it, the newcomer not.
        QCOMPARE(net.upload(0, net.descriptor(0, later.unix_seconds()), later).status,
                 DirStatus::Ok);
        QCOMPARE(net.auths[0].descriptor_count(), std::size_t{2});
        net.run_round(kRound + Duration::seconds(3 * kInterval));
        const Consensus* c = net.auths[0].current_consensus();
        QVERIFY(c->find(r0.identity) != nullptr);
        QVERIFY(c->find(newcomer.identity) == nullptr);
    }

    void authority_is_movable() {
        Net net(1);
        Authority moved = std::move(net.auths[0]);
        Authority again = std::move(moved);
        again.handle(PostDescriptor{net.descriptor(0, kT - 60)}, kRound - Duration::seconds(5));
        for (auto& c : again.take_checks(kRound - Duration::seconds(5)))
            again.check_result(c, true, kRound - Duration::seconds(5));
        again.poll(kRound);
        again.poll(kRound + kVoteDelay);
        QVERIFY(again.current_consensus() != nullptr);
        QCOMPARE(again.current_consensus()->relays.size(), std::size_t{1});
    }

    void logs_hold_no_key_material() {
        Net net(3);
        net.upload_all(net.descriptor(0, kT - 60), kRound - Duration::seconds(50));
        net.partitioned = {2};
        net.run_round(kRound);
        net.partitioned.clear();
        net.auths[0].poll(kRound + Duration::seconds(10 * kInterval));
        for (const auto& log : net.logs)
            for (const auto& [level, line] : log->lines)
                for (const auto& k : net.keys) {
                    QVERIFY(line.find(to_hex(k.seed())) == std::string::npos);
                    QVERIFY(line.find(k.public_key().hex()) == std::string::npos);
                }
    }
};

QTEST_APPLESS_MAIN(TestAuthority)
#include "tst_authority.moc"
