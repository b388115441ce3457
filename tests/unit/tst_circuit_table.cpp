// The node's circuit table: each circuit's handler hears of it (ready, the
// cells it is given, the close) with the owner key it registered under;
// circuits without a handler are the application's; a circuit shown to the
// application is reported to both on closing; one given to it leaves its
// component; the rendezvous hop is added by join_end_to_end_hop alone.
#include <QtTest>

#include "core/crypto/random.hpp"
#include "core/node/circuit_table.hpp"
#include "core/util/rng.hpp"

using namespace sotto;
using namespace sotto::node;

namespace {

struct Recorder final : CircuitHandler {
    struct Call {
        char what;  // 'r'eady, 'c'ell, 'x' closed
        CircuitRef circuit;
        std::uint64_t owner;
        std::size_t hop = 0;
        std::string reason;
    };
    std::vector<Call> calls;
    void on_ready(CircuitRef c, std::uint64_t owner, TimePoint) override {
        calls.push_back({'r', c, owner});
    }
    void on_cell(CircuitRef c, std::uint64_t owner, FromHop from, wire::RelayCell&,
                 TimePoint) override {
        calls.push_back({'c', c, owner, from.index});
    }
    void on_closed(CircuitRef c, std::uint64_t owner, const std::string& reason,
                   TimePoint) override {
        calls.push_back({'x', c, owner, 0, reason});
    }
};

OriginCircuit circuit(CircuitRef ref, CircuitHandler* handler, std::uint64_t owner) {
    OriginCircuit c;
    c.ref = ref;
    c.handler = handler;
    c.owner = owner;
    c.app_visible = handler == nullptr;
    return c;
}

onion::HopKeys keys(Rng& rng) {
    return onion::split_hop_keys(rng.bytes(onion::kHopKeyMaterialLen));
}

const TimePoint t0 = TimePoint::from_seconds(1'700'000'000);

}  // namespace

class TestCircuitTable : public QObject {
    Q_OBJECT
  private slots:
    void dispatches_to_the_registered_handler() {
        Recorder app, component;
        CircuitTable table(app);
        table.add(circuit(1, &component, 42));
        table.add(circuit(2, nullptr, 0));
        wire::RelayCell rc{wire::RelayCommand::Introduce2, 0, {}};
        table.ready(*table.find(1), t0);
        table.cell(*table.find(1), FromHop{2, true}, rc, t0);
        table.ready(*table.find(2), t0);
        QCOMPARE(component.calls.size(), std::size_t(2));
        QCOMPARE(component.calls[0].what, 'r');
        QCOMPARE(component.calls[0].owner, std::uint64_t(42));
        QCOMPARE(component.calls[1].what, 'c');
        QCOMPARE(component.calls[1].hop, std::size_t(2));
        QCOMPARE(app.calls.size(), std::size_t(1));
        QCOMPARE(app.calls[0].circuit, CircuitRef(2));
    }

    void internal_circuit_closes_quietly_until_shown() {
        Recorder app, component;
        CircuitTable table(app);
        table.add(circuit(1, &component, 7));
        table.add(circuit(2, &component, 8));
        table.show_to_application(2);
        for (CircuitRef ref : {CircuitRef(1), CircuitRef(2)}) {
            auto c = table.take(ref);
            QVERIFY(c);
            table.closed(*c, "gone", t0);
        }
        QCOMPARE(table.size(), std::size_t(0));
        QVERIFY(!table.take(1));
        // The component hears of both, first; the application only of the shown one.
        QCOMPARE(component.calls.size(), std::size_t(2));
        QCOMPARE(component.calls[1].owner, std::uint64_t(8));
        QCOMPARE(app.calls.size(), std::size_t(1));
        QCOMPARE(app.calls[0].circuit, CircuitRef(2));
        QCOMPARE(app.calls[0].reason, std::string("gone"));
    }

    void given_circuit_leaves_its_component() {
        Recorder app, component;
        CircuitTable table(app);
        table.add(circuit(5, &component, 9));
        table.give_to_application(5);
        wire::RelayCell rc{wire::RelayCommand::Begin, 1, {}};
        table.cell(*table.find(5), FromHop{3, true}, rc, t0);
        auto c = table.take(5);
        table.closed(*c, "done", t0);
        QVERIFY(component.calls.empty());
        QCOMPARE(app.calls.size(), std::size_t(2));
        QCOMPARE(app.calls[0].what, 'c');
        QCOMPARE(app.calls[1].what, 'x');
    }

    void joins_the_end_to_end_hop() {
        Recorder app;
        CircuitTable table(app);
        DeterministicRng rng(3);
        table.add(circuit(1, nullptr, 0));
        const auto k = keys(rng);
        QVERIFY(table.join_end_to_end_hop(1, k));
        const auto* c = table.find(1);
        QCOMPARE(c->hops.size(), std::size_t(1));
        QCOMPARE(c->bindings.size(), std::size_t(1));
        QVERIFY(c->bindings.back() == onion::circuit_binding(k));
        QVERIFY(!table.join_end_to_end_hop(99, k));
    }
};

QTEST_APPLESS_MAIN(TestCircuitTable)
#include "tst_circuit_table.moc"
