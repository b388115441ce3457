// The one fake transport of the tests (issue 10, item 8): in-process
// endpoints implementing the transport seam (core/transport/transport.hpp)
// with no network at all, so several profiles run in one test process. The
// engine tests (tests/unit/tst_messenger.cpp, tst_messenger_host.cpp) run
// their profiles through messenger::MessengerHost on it; the UI tests and the
// UI benchmark through net::MessengerDriver with a LoopbackAdapter
// (tests/common/loopback_adapter.hpp, the only part that needs Qt). No test
// has a transport of its own.
//
// A connect succeeds iff some endpoint on the same LoopbackNetwork granted
// the grant that goes with the credential (transport::credential_for), its
// service is visible and it does not hide that tag — the rule the onion
// transport enforces with descriptors and introduction checks. As the onion
// transport does, a revoke ends the streams under that tag, and hiding a tag
// (or the whole service) ends the service's streams under it. What one
// endpoint does reaches the others only as their events (take_events),
// never from inside the call.
//
// Controls for tests that step a conversation:
// - Delivery::Queued: what crosses the network (data, closes, connects) waits
//   in one queue, in order, until deliver_one(); a connect is decided when it
//   is delivered. Delivery::Immediate (the default) delivers
//   at once.
// - observe(): every service call, connect and send, for the test's records.
// - vanish(): an endpoint crashes unnoticed, its peers' streams half-open.
// - set_stream_capacity() / drain(): back-pressure.
//
// Tests only: the app always uses a real transport.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/transport/transport.hpp"

namespace sotto::testing {

class LoopbackNetwork;

class LoopbackTransport final : public transport::Transport {
  public:
    explicit LoopbackTransport(LoopbackNetwork& network);
    // Its streams end; the other ends see them close. What it sent that was
    // not delivered yet is lost with it.
    ~LoopbackTransport() override;
    LoopbackTransport(const LoopbackTransport&) = delete;
    LoopbackTransport& operator=(const LoopbackTransport&) = delete;

    transport::TransportKind kind() const override { return transport::TransportKind::SottoOnion; }
    Status grant(transport::Tag tag, const transport::Grant& grant, bool hidden,
                 TimePoint now) override;
    Status revoke(transport::Tag tag, TimePoint now) override;
    Status hide(transport::Tag tag, bool hidden, TimePoint now) override;
    void set_visible(bool visible, TimePoint now) override;
    transport::AttemptId connect(const transport::Credential& credential, TimePoint now) override;
    Status send(transport::StreamId stream, ByteView data, TimePoint now) override;
    std::size_t pending(transport::StreamId stream) const override;
    void close(transport::StreamId stream, TimePoint now) override;
    void tick(TimePoint) override {}
    TimePoint next_deadline() const override { return TimePoint::never(); }
    std::vector<transport::Event> take_events() override;

    // Called when events arrive from another endpoint (not from this one's
    // own calls, whose caller takes the events anyway).
    void set_wake(std::function<void()> wake) { wake_ = std::move(wake); }

    // Back-pressure tests: a stream takes at most `bytes` (counted in
    // pending()) until drain(); a send over it fails with Errc::Limit.
    // What a stream took is delivered all the same.
    void set_stream_capacity(std::optional<std::size_t> bytes) { capacity_ = bytes; }
    // Everything sent has left: pending() is zero again, and each stream
    // whose send was refused gets its StreamWritable.
    void drain();
    std::uint64_t sends_refused() const { return refused_; }

    // A crash nobody noticed: the endpoint leaves the network with its
    // grants and streams, and its peers are not told — their streams stay
    // open, half-open: what they send goes nowhere and no close comes. Its
    // own calls find no stream afterwards; destroy it next.
    void vanish();

    struct Granted {
        transport::Credential credential;  // what reaches it
        bool hidden = false;
    };
    // The grant under `tag`, or nullptr.
    const Granted* granted(transport::Tag tag) const;
    bool visible() const { return visible_; }
    std::size_t grant_count() const { return grants_.size(); }
    std::uint64_t attempts() const { return next_attempt_ - 1; }
    std::uint64_t introductions_accepted() const { return introductions_; }
    // Open streams whose other end is `other` (not half-open ones).
    std::size_t streams_to(const LoopbackTransport& other) const;

  private:
    friend class LoopbackNetwork;
    struct End {
        LoopbackTransport* peer;  // nullptr: half-open, the other end vanished
        transport::StreamId peer_stream;
        std::optional<transport::Tag> tag;  // service side: the grant it came under
        std::size_t in_flight = 0;          // since the last drain()
        bool refused = false;               // a send failed for capacity
    };
    std::optional<transport::Tag> admits(const transport::Credential& c) const;
    // Decides a connect of ours (at once, or when the network delivers it).
    void dial(transport::AttemptId attempt, const transport::Credential& credential, TimePoint now);
    transport::StreamId open_end(LoopbackTransport* peer, transport::StreamId peer_stream,
                                 std::optional<transport::Tag> tag);
    // An event for our owner. Built in place from the alternative: moving a
    // whole Event through a temporary makes GCC 12 see it "maybe
    // uninitialized" (as in Messenger::act).
    template <typename E>
    void post(E e, bool wake) {
        if constexpr (std::is_same_v<E, transport::Event>)
            events_.push_back(std::move(e));
        else
            events_.emplace_back(std::in_place_type<E>, std::move(e));
        if (wake && wake_) wake_();
    }
    // Ends our service's streams whose tag `which` selects; both sides hear.
    void end_service_streams(const std::function<bool(transport::Tag)>& which,
                             const std::string& reason);
    // Ends our end `id`; the other end hears of it through the network.
    void drop_end(transport::StreamId id);
    // The other end went away (`by`: that endpoint; nullptr if it is gone).
    void peer_closed(transport::StreamId stream, LoopbackTransport* by);
    // The other end vanished (vanish()).
    void peer_vanished(transport::StreamId stream);
    void observed(const std::string& call);

    LoopbackNetwork& network_;
    std::map<transport::Tag, Granted> grants_;
    std::map<transport::StreamId, End> ends_;
    bool visible_ = true;
    transport::AttemptId next_attempt_ = 1;
    transport::StreamId next_stream_ = 1;
    std::uint64_t introductions_ = 0;
    std::optional<std::size_t> capacity_;
    std::uint64_t refused_ = 0;
    std::vector<transport::Event> events_;
    std::function<void()> wake_;
};

// The registry of services a client can reach, and what is on its way
// between the endpoints.
class LoopbackNetwork {
  public:
    enum class Delivery { Immediate, Queued };
    explicit LoopbackNetwork(Delivery delivery = Delivery::Immediate) : delivery_(delivery) {}
    LoopbackNetwork(const LoopbackNetwork&) = delete;
    LoopbackNetwork& operator=(const LoopbackNetwork&) = delete;

    std::unique_ptr<LoopbackTransport> transport() {
        return std::make_unique<LoopbackTransport>(*this);
    }

    // Delivery::Queued: delivers the oldest item on its way (data or a close
    // to its endpoint's events, or a connect decided now); false if none.
    bool deliver_one(TimePoint now);

    // What the endpoints do, as it happens (the tests' records). Each may
    // be empty.
    struct Observer {
        // A service call: "grant 5", "revoke 5", "hide 5 1", "visible 0".
        std::function<void(const LoopbackTransport& at, const std::string& call)> service;
        // A connect decided: `to` let it in (nullptr: Unreachable).
        std::function<void(const LoopbackTransport& from, const transport::Credential& credential,
                           const LoopbackTransport* to, TimePoint now)>
            connect;
        // A send that reached a stream's other end.
        std::function<void(const LoopbackTransport& from, const LoopbackTransport& to,
                           std::size_t bytes)>
            send;
    };
    void observe(Observer observer) { observer_ = std::move(observer); }

  private:
    friend class LoopbackTransport;
    // A connect waiting to be decided (Delivery::Queued).
    struct Dial {
        transport::AttemptId attempt;
        transport::Credential credential;
    };
    struct Item {
        LoopbackTransport* from;  // nullptr once it is gone
        LoopbackTransport* to;
        std::variant<transport::Event, Dial> what;
    };
    // `from` (nullptr: an endpoint that is gone) sends `event` to `to`: at
    // once, or into the queue.
    void carry(LoopbackTransport* from, LoopbackTransport& to, transport::Event event);
    void leave(LoopbackTransport& endpoint);

    Delivery delivery_;
    std::vector<LoopbackTransport*> services_;
    std::deque<Item> queue_;
    Observer observer_;
};

}  // namespace sotto::testing
