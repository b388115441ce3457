// An in-process test transport: endpoints implementing the transport seam
// (core/transport/transport.hpp) with no network at all, so several
// profiles run in one test process (the UI tests, the UI benchmark). A
// connect succeeds iff some endpoint on the same LoopbackNetwork granted the
// grant that goes with the credential (transport::credential_for), its
// service is visible and it does not hide that tag — the rule the onion
// transport enforces with descriptors and introduction checks. What one
// endpoint does reaches the others only as their events (take_events),
// never from inside the call; in a Qt event loop a LoopbackAdapter wakes
// its messenger driver with a queued call, as a socket would.
//
// Tests only: the app always uses a real transport.
#pragma once

#include <QObject>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "core/transport/transport.hpp"
#include "net/transport_adapter.hpp"

namespace sotto::testing {

class LoopbackNetwork;

class LoopbackTransport final : public transport::Transport {
  public:
    explicit LoopbackTransport(LoopbackNetwork& network);
    // Its streams end; the other ends see them close.
    ~LoopbackTransport() override;

    transport::TransportKind kind() const override { return transport::TransportKind::SottoOnion; }
    Status grant(transport::Tag tag, const transport::Grant& grant, bool hidden,
                 TimePoint now) override;
    Status revoke(transport::Tag tag, TimePoint now) override;
    Status hide(transport::Tag tag, bool hidden, TimePoint now) override;
    void set_visible(bool visible, TimePoint) override { visible_ = visible; }
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
    // What a stream took is delivered at once all the same.
    void set_stream_capacity(std::optional<std::size_t> bytes) { capacity_ = bytes; }
    // Everything sent has left: pending() is zero again, and each stream
    // whose send was refused gets its StreamWritable.
    void drain();
    std::uint64_t sends_refused() const { return refused_; }

    bool visible() const { return visible_; }
    std::size_t grant_count() const { return grants_.size(); }
    std::uint64_t attempts() const { return next_attempt_ - 1; }
    std::uint64_t introductions_accepted() const { return introductions_; }

  private:
    friend class LoopbackNetwork;
    struct Granted {
        transport::Credential credential;
        bool hidden = false;
    };
    struct End {
        LoopbackTransport* peer;
        transport::StreamId peer_stream;
        std::optional<transport::Tag> tag;  // service side: the grant it came under
        std::size_t in_flight = 0;          // since the last drain()
        bool refused = false;               // a send failed for capacity
    };
    std::optional<transport::Tag> admits(const transport::Credential& c) const;
    transport::StreamId open_end(LoopbackTransport* peer, transport::StreamId peer_stream,
                                 std::optional<transport::Tag> tag);
    void post(transport::Event e, bool wake);
    // The other end went away.
    void peer_closed(transport::StreamId stream);

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

// A LoopbackTransport in a Qt event loop (for net::MessengerDriver): ready
// at once, and activity() is queued whenever another endpoint sent it
// something.
class LoopbackAdapter final : public net::TransportAdapter {
    Q_OBJECT
  public:
    explicit LoopbackAdapter(LoopbackNetwork& network);
    transport::Transport& transport() override { return transport_; }
    LoopbackTransport& loopback() { return transport_; }
    QString status() const override { return QStringLiteral("loopback"); }

  private:
    LoopbackTransport transport_;
    bool woken_ = false;
};

// The registry of services a client can reach.
class LoopbackNetwork {
  public:
    std::unique_ptr<LoopbackAdapter> endpoint() { return std::make_unique<LoopbackAdapter>(*this); }
    std::unique_ptr<LoopbackTransport> transport() {
        return std::make_unique<LoopbackTransport>(*this);
    }

  private:
    friend class LoopbackTransport;
    std::vector<LoopbackTransport*> services_;
};

}  // namespace sotto::testing
