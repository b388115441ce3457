// ntor and layered relay crypto: both sides derive the same keys, a wrong
// onion key or identity is refused, and cells are recognised only by the hop
// they are meant for.
#include <QtTest>

#include "core/crypto/random.hpp"
#include "core/onion/ntor.hpp"
#include "core/onion/relay_crypto.hpp"
#include "core/wire/relay_cell.hpp"

using namespace sotto;
using namespace sotto::onion;

namespace {

struct Relay {
    crypto::Ed25519SecretKey id;
    crypto::X25519SecretKey onion;
};

Relay make_relay(Rng& rng) {
    return Relay{crypto::Ed25519SecretKey::generate(rng), crypto::X25519SecretKey::generate(rng)};
}

// Client and relay HopCrypto for one hop, via a real ntor handshake.
std::pair<HopCrypto, HopCrypto> handshake(const Relay& r, Rng& rng) {
    auto c = ClientHandshake::ntor(r.id.public_key(), r.onion.public_key(), rng);
    auto s = server_handshake(kHandshakeNtor, c.request(), r.id.public_key(), r.onion, rng);
    if (!s) qFatal("server handshake failed");
    auto ck = c.finish(s->reply);
    if (!ck) qFatal("client finish failed");
    return {std::move(*HopCrypto::create(*ck)), std::move(*HopCrypto::create(s->keys))};
}

CellPayload relay_payload(wire::RelayCommand cmd, std::string_view text) {
    CellPayload p;
    wire::RelayCell rc{cmd, 7, Bytes(text.begin(), text.end())};
    if (!wire::encode_relay_cell(rc, p)) qFatal("encode failed");
    return p;
}

// The relay's HopCrypto of a one-hop circuit (relay and handshake from a
// DeterministicRng seeded `seed`), and a DATA cell of `text` the client
// encrypted for it.
std::pair<HopCrypto, CellPayload> one_hop_cell(std::uint64_t seed, std::string_view text) {
    DeterministicRng rng(seed);
    auto r = make_relay(rng);
    auto [c, s] = handshake(r, rng);
    std::vector<HopCrypto> client;
    client.push_back(std::move(c));
    auto p = relay_payload(wire::RelayCommand::Data, text);
    client_encrypt_forward(client, 0, p);
    return {std::move(s), std::move(p)};
}

}  // namespace

class TestOnionCrypto : public QObject {
    Q_OBJECT
  private slots:
    void ntor_agrees() {
        DeterministicRng rng(1);
        auto r = make_relay(rng);
        auto c = ClientHandshake::ntor(r.id.public_key(), r.onion.public_key(), rng);
        QCOMPARE(c.request().size(), kNtorRequestLen);
        auto s = server_handshake(kHandshakeNtor, c.request(), r.id.public_key(), r.onion, rng);
        QVERIFY(s.has_value());
        QCOMPARE(s->reply.size(), kNtorReplyLen);
        auto k = c.finish(s->reply);
        QVERIFY(k.has_value());
        QVERIFY(ct_equal(k->forward_key.view(), s->keys.forward_key.view()));
        QVERIFY(ct_equal(k->backward_digest.view(), s->keys.backward_digest.view()));
    }
    void ntor_rejects_wrong_onion_key() {
        DeterministicRng rng(2);
        auto r = make_relay(rng);
        auto other = crypto::X25519SecretKey::generate(rng);
        auto c = ClientHandshake::ntor(r.id.public_key(), other.public_key(), rng);
        auto s = server_handshake(kHandshakeNtor, c.request(), r.id.public_key(), r.onion, rng);
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, Errc::BadIdentity);
    }
    void ntor_client_detects_forged_reply() {
        DeterministicRng rng(3);
        auto r = make_relay(rng);
        auto c = ClientHandshake::ntor(r.id.public_key(), r.onion.public_key(), rng);
        auto s = server_handshake(kHandshakeNtor, c.request(), r.id.public_key(), r.onion, rng);
        s->reply[40] ^= 1;
        auto k = c.finish(s->reply);
        QVERIFY(!k.has_value());
        QCOMPARE(k.error().code, Errc::BadSignature);
        QVERIFY(!c.finish(Bytes(3)).has_value());
    }
    void ntor_rejects_malformed_request() {
        DeterministicRng rng(4);
        auto r = make_relay(rng);
        QVERIFY(!server_handshake(kHandshakeNtor, Bytes(95), r.id.public_key(), r.onion, rng));
        QVERIFY(!server_handshake(99, Bytes(96), r.id.public_key(), r.onion, rng));
        QVERIFY(!server_handshake(kHandshakeFast, Bytes(31), r.id.public_key(), r.onion, rng));
    }
    void fast_handshake_agrees() {
        DeterministicRng rng(5);
        auto r = make_relay(rng);
        auto c = ClientHandshake::fast(rng);
        auto s = server_handshake(kHandshakeFast, c.request(), r.id.public_key(), r.onion, rng);
        QVERIFY(s.has_value());
        auto k = c.finish(s->reply);
        QVERIFY(k.has_value());
        QVERIFY(ct_equal(k->forward_key.view(), s->keys.forward_key.view()));
    }
    void three_hop_forward_is_recognised_only_by_target() {
        DeterministicRng rng(6);
        std::vector<Relay> relays;
        std::vector<HopCrypto> client, relay;
        for (int i = 0; i < 3; ++i) {
            relays.push_back(make_relay(rng));
            auto [c, r] = handshake(relays.back(), rng);
            client.push_back(std::move(c));
            relay.push_back(std::move(r));
        }
        for (std::size_t target = 0; target < 3; ++target) {
            auto p = relay_payload(wire::RelayCommand::Data, "hello");
            client_encrypt_forward(client, target, p);
            for (std::size_t hop = 0; hop < 3; ++hop) {
                const bool mine = relay[hop].relay_unwrap_forward(p);
                QCOMPARE(mine, hop == target);
                if (mine) break;
            }
            auto rc = wire::decode_relay_cell(p);
            QVERIFY(rc.has_value());
            QCOMPARE(std::string(rc->data.begin(), rc->data.end()), std::string("hello"));
        }
    }
    void backward_from_each_hop() {
        DeterministicRng rng(7);
        std::vector<HopCrypto> client, relay;
        for (int i = 0; i < 3; ++i) {
            auto r = make_relay(rng);
            auto [c, s] = handshake(r, rng);
            client.push_back(std::move(c));
            relay.push_back(std::move(s));
        }
        for (std::size_t origin = 0; origin < 3; ++origin) {
            auto p = relay_payload(wire::RelayCommand::Data, "back");
            relay[origin].relay_originate_backward(p);
            for (std::size_t hop = origin; hop-- > 0;) relay[hop].relay_wrap_backward(p);
            auto from = client_decrypt_backward(client, p);
            QVERIFY(from.has_value());
            QCOMPARE(*from, origin);
        }
    }
    void corrupted_cell_is_not_recognised() {
        auto [s, p] = one_hop_cell(8, "x");
        p[100] ^= 0x20;
        QVERIFY(!s.relay_unwrap_forward(p));
    }
    void replayed_cell_is_not_recognised() {
        auto [s, p] = one_hop_cell(9, "once");
        auto copy = p;
        QVERIFY(s.relay_unwrap_forward(p));
        QVERIFY(!s.relay_unwrap_forward(copy));
    }
};

QTEST_APPLESS_MAIN(TestOnionCrypto)
#include "tst_onion_crypto.moc"
