// The encrypted introduction and the hs-ntor end-to-end handshake: both sides
// agree on keys that work as a virtual hop over a real rendezvous point in both
// directions; wrong keys, tampering and a different descriptor cookie fail;
// every INTRODUCE1 has the same length.
#include <QtTest>

#include <vector>

#include "core/crypto/random.hpp"
#include "core/hs/introduce_crypto.hpp"
#include "core/onion/ntor.hpp"
#include "core/onion/relay_crypto.hpp"
#include "core/wire/relay_cell.hpp"

using namespace sotto;
using namespace sotto::hs;

namespace {

struct Service {
    crypto::Ed25519SecretKey ik;
    crypto::X25519SecretKey enc;
};

Service make_service(Rng& rng) {
    return Service{crypto::Ed25519SecretKey::generate(rng), crypto::X25519SecretKey::generate(rng)};
}

IntroducePayload make_payload(Rng& rng, std::string host = "10.1.2.3") {
    IntroducePayload p;
    rng.fill(p.rp_identity.bytes);
    rng.fill(p.rp_onion_key.bytes);
    p.rp_host = std::move(host);
    p.rp_port = 9001;
    rng.fill(p.rendezvous_cookie.bytes);
    rng.fill(p.descriptor_cookie.mut());
    p.timestamp = 1'700'000'000;
    return p;
}

struct FixedRng : Rng {
    Bytes value;
    explicit FixedRng(std::uint8_t v) : value(32, v) {}
    void fill(MutableByteView out) override {
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = value[i % value.size()];
    }
};

bool same(const Secret<16>& a, const Secret<16>& b) {
    return ct_equal(a.view(), b.view());
}
bool same(const Secret<32>& a, const Secret<32>& b) {
    return ct_equal(a.view(), b.view());
}

bool same_keys(const onion::HopKeys& a, const onion::HopKeys& b) {
    return same(a.forward_key, b.forward_key) && same(a.backward_key, b.backward_key) &&
           same(a.forward_digest, b.forward_digest) && same(a.backward_digest, b.backward_digest);
}

onion::CellPayload cell(std::string_view text) {
    onion::CellPayload p;
    wire::RelayCell rc{wire::RelayCommand::Data, 1, Bytes(text.begin(), text.end())};
    if (!wire::encode_relay_cell(rc, p)) qFatal("encode failed");
    return p;
}

std::string text_of(const onion::CellPayload& p) {
    auto rc = wire::decode_relay_cell(p);
    if (!rc) return "<undecodable>";
    return std::string(rc->data.begin(), rc->data.end());
}

// A whole run: client -> service -> client.
struct Run {
    onion::HopKeys client;
    onion::HopKeys service;
};
Run full_run(Rng& rng, const Service& s, const IntroducePayload& payload) {
    auto c = client_introduce(payload, s.ik.public_key(), s.enc.public_key(), rng);
    if (!c) qFatal("client_introduce failed");
    auto opened = service_open_introduce(c->introduce1(), s.ik.public_key(), s.enc);
    if (!opened) qFatal("service_open_introduce failed");
    auto r = service_rendezvous(*opened, s.ik.public_key(), s.enc, rng);
    if (!r) qFatal("service_rendezvous failed");
    auto k = c->finish(r->reply.view());
    if (!k) qFatal("finish failed");
    return Run{std::move(*k), std::move(r->service_keys)};
}

// Two services from a DeterministicRng seeded `seed`, and a client's
// introduction to the first: the tests that open it with the other's keys.
struct TwoServices {
    explicit TwoServices(std::uint64_t seed)
        : rng(seed),
          s(make_service(rng)),
          other(make_service(rng)),
          c(client_introduce(make_payload(rng), s.ik.public_key(), s.enc.public_key(), rng)) {}
    DeterministicRng rng;
    Service s, other;
    Result<ClientIntroduce> c;
};

}  // namespace

class TestIntroduceCrypto : public QObject {
    Q_OBJECT
  private slots:
    void payload_round_trip_and_padding() {
        DeterministicRng rng(1);
        auto p = make_payload(rng);
        auto enc = encode_introduce_payload(p);
        QVERIFY(enc.has_value());
        QCOMPARE(enc->size(), kIntroducePlaintextLen);
        auto d = decode_introduce_payload(enc->view());
        QVERIFY(d.has_value());
        QCOMPARE(d->rp_identity, p.rp_identity);
        QCOMPARE(d->rp_onion_key, p.rp_onion_key);
        QCOMPARE(d->rp_host, p.rp_host);
        QCOMPARE(d->rp_port, p.rp_port);
        QCOMPARE(d->rendezvous_cookie, p.rendezvous_cookie);
        QVERIFY(same(d->descriptor_cookie, p.descriptor_cookie));
        QCOMPARE(d->timestamp, p.timestamp);
        // Non-zero padding, wrong sizes, version, host and port are refused.
        Bytes bad(enc->view().begin(), enc->view().end());
        bad.back() = 1;
        QCOMPARE(decode_introduce_payload(bad).error().code, Errc::Malformed);
        bad.back() = 0;
        QCOMPARE(decode_introduce_payload(ByteView(bad).first(bad.size() - 1)).error().code,
                 Errc::Truncated);
        bad.push_back(0);
        QCOMPARE(decode_introduce_payload(bad).error().code, Errc::Malformed);
        bad.pop_back();
        bad[0] = 2;
        QCOMPARE(decode_introduce_payload(bad).error().code, Errc::BadVersion);
        p.version = 2;
        QCOMPARE(encode_introduce_payload(p).error().code, Errc::BadVersion);
        p.version = 1;
        p.rp_port = 0;
        QCOMPARE(encode_introduce_payload(p).error().code, Errc::Malformed);
        p.rp_port = 1;
        p.rp_host = "has space";
        QCOMPARE(encode_introduce_payload(p).error().code, Errc::Malformed);
        p.rp_host = std::string(256, 'a');
        QCOMPARE(encode_introduce_payload(p).error().code, Errc::Malformed);
        p.rp_host = std::string(255, 'a');
        QVERIFY(encode_introduce_payload(p).has_value());
    }

    void handshake_agrees_and_directions_swap() {
        DeterministicRng rng(2);
        auto s = make_service(rng);
        auto payload = make_payload(rng);
        auto c = client_introduce(payload, s.ik.public_key(), s.enc.public_key(), rng);
        QVERIFY(c.has_value());
        QCOMPARE(c->introduce1().size(), kIntroduce1Len);
        QCOMPARE(c->introduce1().size(), wire::kRelayDataMax);
        auto opened = service_open_introduce(c->introduce1(), s.ik.public_key(), s.enc);
        QVERIFY(opened.has_value());
        QCOMPARE(opened->auth_key_id, auth_key_id(s.ik.public_key()));
        QCOMPARE(opened->payload.rp_host, payload.rp_host);
        QCOMPARE(opened->payload.rendezvous_cookie, payload.rendezvous_cookie);
        QVERIFY(same(opened->payload.descriptor_cookie, payload.descriptor_cookie));
        auto r = service_rendezvous(*opened, s.ik.public_key(), s.enc, rng);
        QVERIFY(r.has_value());
        auto rv1 = decode_rendezvous1(r->rendezvous1);
        QVERIFY(rv1.has_value());
        QCOMPARE(rv1->cookie, payload.rendezvous_cookie);
        QCOMPARE(rv1->reply, r->reply);
        auto k = c->finish(encode_rendezvous2(rv1->reply));
        QVERIFY(k.has_value());
        // The service's keys are the client's with the directions swapped.
        QVERIFY(same(k->forward_key, r->service_keys.backward_key));
        QVERIFY(same(k->backward_key, r->service_keys.forward_key));
        QVERIFY(same(k->forward_digest, r->service_keys.backward_digest));
        QVERIFY(same(k->backward_digest, r->service_keys.forward_digest));
        QVERIFY(same_keys(*k, swap_directions(std::move(r->service_keys))));
        // One try only.
        QCOMPARE(c->finish(r->reply.view()).error().code, Errc::Protocol);
    }

    void virtual_hop_over_a_rendezvous_point() {
        DeterministicRng rng(3);
        auto s = make_service(rng);
        auto run = full_run(rng, s, make_payload(rng));
        // The rendezvous point: one real hop on each circuit.
        auto rp_id = crypto::Ed25519SecretKey::generate(rng);
        auto rp_onion = crypto::X25519SecretKey::generate(rng);
        // {client side, relay side} of one ntor hop to the RP.
        auto hop = [&] {
            auto h = onion::ClientHandshake::ntor(rp_id.public_key(), rp_onion.public_key(), rng);
            auto sh = onion::server_handshake(onion::kHandshakeNtor, h.request(),
                                              rp_id.public_key(), rp_onion, rng);
            auto ck = h.finish(sh->reply);
            return std::pair{std::move(*onion::HopCrypto::create(*ck)),
                             std::move(*onion::HopCrypto::create(sh->keys))};
        };
        auto [client_rp, rp_for_client] = hop();
        auto [service_rp, rp_for_service] = hop();
        std::vector<onion::HopCrypto> client_path, service_path;
        client_path.push_back(std::move(client_rp));
        client_path.push_back(std::move(*onion::HopCrypto::create(run.client)));
        service_path.push_back(std::move(service_rp));
        service_path.push_back(std::move(*onion::HopCrypto::create(run.service)));

        for (int i = 0; i < 5; ++i) {
            // Client -> service: the RP does not recognise the cell and splices it
            // onto the service's circuit, where it travels backward.
            auto p = cell("hello bob " + std::to_string(i));
            onion::client_encrypt_forward(client_path, 1, p);
            QVERIFY(!rp_for_client.relay_unwrap_forward(p));
            rp_for_service.relay_wrap_backward(p);
            auto at = onion::client_decrypt_backward(service_path, p);
            QCOMPARE(at, std::optional<std::size_t>(1));
            QCOMPARE(text_of(p), "hello bob " + std::to_string(i));

            // Service -> client, the same way round.
            auto q = cell("hello alice " + std::to_string(i));
            onion::client_encrypt_forward(service_path, 1, q);
            QVERIFY(!rp_for_service.relay_unwrap_forward(q));
            rp_for_client.relay_wrap_backward(q);
            at = onion::client_decrypt_backward(client_path, q);
            QCOMPARE(at, std::optional<std::size_t>(1));
            QCOMPARE(text_of(q), "hello alice " + std::to_string(i));
        }
    }

    void unswapped_keys_do_not_work() {
        DeterministicRng rng(4);
        auto s = make_service(rng);
        auto run = full_run(rng, s, make_payload(rng));
        auto client = std::move(*onion::HopCrypto::create(run.client));
        auto wrong = std::move(*onion::HopCrypto::create(swap_directions(std::move(run.service))));
        auto p = cell("x");
        client.client_seal_forward(p);
        client.client_wrap_forward(p);
        QVERIFY(!wrong.client_unwrap_backward(p));
    }

    void wrong_introduction_keys_fail() {
        TwoServices t(5);
        auto& [rng, s, other, c] = t;
        // Another IK: the id does not match.
        auto a = service_open_introduce(c->introduce1(), other.ik.public_key(), s.enc);
        QVERIFY(!a.has_value());
        QCOMPARE(a.error().code, Errc::BadIdentity);
        // Right IK, wrong encryption key: the tag fails.
        auto b = service_open_introduce(c->introduce1(), s.ik.public_key(), other.enc);
        QVERIFY(!b.has_value());
        QCOMPARE(b.error().code, Errc::BadSignature);
        // A client that used the wrong B for a right IK.
        auto c2 =
            client_introduce(make_payload(rng), s.ik.public_key(), other.enc.public_key(), rng);
        QCOMPARE(service_open_introduce(c2->introduce1(), s.ik.public_key(), s.enc).error().code,
                 Errc::BadSignature);
    }

    void tampered_body_fails() {
        DeterministicRng rng(6);
        auto s = make_service(rng);
        auto c = client_introduce(make_payload(rng), s.ik.public_key(), s.enc.public_key(), rng);
        const Bytes body = c->introduce1();
        for (std::size_t i = 0; i < body.size(); ++i) {
            Bytes bad = body;
            bad[i] ^= 0x80;
            auto o = service_open_introduce(bad, s.ik.public_key(), s.enc);
            QVERIFY2(!o.has_value(), qPrintable(QString("byte %1").arg(i)));
            // The id is checked first; X changes the key (or is refused as a
            // small-order point); everything after is the AEAD.
            if (i < 32)
                QCOMPARE(o.error().code, Errc::BadIdentity);
            else if (i >= 64)
                QCOMPARE(o.error().code, Errc::BadSignature);
        }
        QVERIFY(
            !service_open_introduce(ByteView(body).first(body.size() - 1), s.ik.public_key(), s.enc)
                 .has_value());
        // A small-order client key is refused, not used.
        Bytes zero_x = body;
        std::fill(zero_x.begin() + 32, zero_x.begin() + 64, 0);
        QCOMPARE(service_open_introduce(zero_x, s.ik.public_key(), s.enc).error().code,
                 Errc::Crypto);
    }

    void tampered_reply_fails() {
        DeterministicRng rng(7);
        auto s = make_service(rng);
        for (std::size_t i : {0u, 31u, 32u, 63u}) {
            auto c =
                client_introduce(make_payload(rng), s.ik.public_key(), s.enc.public_key(), rng);
            auto opened = service_open_introduce(c->introduce1(), s.ik.public_key(), s.enc);
            auto r = service_rendezvous(*opened, s.ik.public_key(), s.enc, rng);
            auto bad = r->reply;
            bad.bytes[i] ^= 0x01;
            auto k = c->finish(bad.view());
            QVERIFY(!k.has_value());
            QVERIFY(k.error().code == Errc::BadSignature || k.error().code == Errc::Crypto);
            // No second chance after a forged reply.
            QCOMPARE(c->finish(r->reply.view()).error().code, Errc::Protocol);
        }
        auto c = client_introduce(make_payload(rng), s.ik.public_key(), s.enc.public_key(), rng);
        QCOMPARE(c->finish(Bytes(63)).error().code, Errc::Malformed);
    }

    void service_without_b_cannot_answer() {
        // Someone who saw INTRODUCE2 (the introduction point) but does not
        // hold b cannot make a reply the client accepts: it can only guess.
        DeterministicRng rng(8);
        auto s = make_service(rng);
        auto c = client_introduce(make_payload(rng), s.ik.public_key(), s.enc.public_key(), rng);
        auto opened = service_open_introduce(c->introduce1(), s.ik.public_key(), s.enc);
        auto impostor = crypto::X25519SecretKey::generate(rng);
        // Same public B in the transcript, wrong secret behind it.
        auto r = service_rendezvous(*opened, s.ik.public_key(), impostor, rng);
        QVERIFY(r.has_value());
        auto k = c->finish(r->reply.view());
        QVERIFY(!k.has_value());
        QCOMPARE(k.error().code, Errc::BadSignature);
    }

    void descriptor_cookie_changes_keys() {
        auto s_rng = DeterministicRng(9);
        auto s = make_service(s_rng);
        DeterministicRng prng(10);
        auto p1 = make_payload(prng);
        // Same x, y and everything else; only DC differs.
        IntroducePayload p2;
        p2.rp_identity = p1.rp_identity;
        p2.rp_onion_key = p1.rp_onion_key;
        p2.rp_host = p1.rp_host;
        p2.rp_port = p1.rp_port;
        p2.rendezvous_cookie = p1.rendezvous_cookie;
        p2.descriptor_cookie = p1.descriptor_cookie.clone();
        p2.descriptor_cookie.mut()[0] ^= 1;
        p2.timestamp = p1.timestamp;
        FixedRng x1(0x11), y1(0x22), x2(0x11), y2(0x22);
        auto run = [&](const IntroducePayload& p, Rng& x, Rng& y) {
            auto c = client_introduce(p, s.ik.public_key(), s.enc.public_key(), x);
            auto o = service_open_introduce(c->introduce1(), s.ik.public_key(), s.enc);
            auto r = service_rendezvous(*o, s.ik.public_key(), s.enc, y);
            return std::move(*c->finish(r->reply.view()));
        };
        auto k1 = run(p1, x1, y1);
        auto k2 = run(p2, x2, y2);
        QVERIFY(!same(k1.forward_key, k2.forward_key));
        QVERIFY(!same(k1.backward_digest, k2.backward_digest));

        // A service that answered with another DC than the client's fails AUTH:
        // the client is bound to its own cookie.
        auto c = client_introduce(p1, s.ik.public_key(), s.enc.public_key(), s_rng);
        auto o = service_open_introduce(c->introduce1(), s.ik.public_key(), s.enc);
        o->payload.descriptor_cookie.mut()[5] ^= 1;
        auto r = service_rendezvous(*o, s.ik.public_key(), s.enc, s_rng);
        QCOMPARE(c->finish(r->reply.view()).error().code, Errc::BadSignature);
    }

    void introduce1_length_is_constant() {
        DeterministicRng rng(11);
        auto s = make_service(rng);
        for (std::size_t n : {1u, 9u, 15u, 64u, 200u, 255u}) {
            auto c = client_introduce(make_payload(rng, std::string(n, 'h')), s.ik.public_key(),
                                      s.enc.public_key(), rng);
            QVERIFY(c.has_value());
            QCOMPARE(c->introduce1().size(), kIntroduce1Len);
            QVERIFY(service_open_introduce(c->introduce1(), s.ik.public_key(), s.enc).has_value());
        }
    }

    void fresh_ephemeral_each_time() {
        DeterministicRng rng(12);
        auto s = make_service(rng);
        auto p = make_payload(rng);
        auto a = client_introduce(p, s.ik.public_key(), s.enc.public_key(), rng);
        auto b = client_introduce(p, s.ik.public_key(), s.enc.public_key(), rng);
        QVERIFY(a->introduce1() != b->introduce1());
        auto oa = service_open_introduce(a->introduce1(), s.ik.public_key(), s.enc);
        auto ob = service_open_introduce(b->introduce1(), s.ik.public_key(), s.enc);
        QVERIFY(oa->client_key != ob->client_key);
    }

    void rendezvous_refuses_opened_with_other_ik() {
        TwoServices t(13);
        auto& [rng, s, other, c] = t;
        auto o = service_open_introduce(c->introduce1(), s.ik.public_key(), s.enc);
        QCOMPARE(service_rendezvous(*o, other.ik.public_key(), s.enc, rng).error().code,
                 Errc::BadIdentity);
    }
};

QTEST_APPLESS_MAIN(TestIntroduceCrypto)
#include "tst_introduce_crypto.moc"
