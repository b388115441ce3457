// Runs the messenger engine on the transports a profile has (issue 10, item
// 2), sans-I/O: the engine's transport actions are carried out on the
// transports — a grant list split among the transports it names, a connect
// over the first of the contact's credentials whose transport runs here —
// and the transports' events come back to the engine, with the streams of
// every transport numbered in one space for it. One deadline covers the
// engine and the transports.
//
// Whoever owns a host feeds it the time: net/MessengerDriver from a Qt event
// loop, a simulation from its virtual clock, a unit test by hand. After any
// input (a user action on engine(), a transport event) call pump().
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "core/messenger/messenger.hpp"
#include "core/transport/transport.hpp"

namespace sotto::messenger {

class MessengerHost {
  public:
    // The store, rng and transports must outlive the host.
    MessengerHost(store::MessengerStore& store, Rng& rng,
                  std::vector<transport::Transport*> transports, MessengerConfig config = {});
    // Closes the streams it still has (the other ends see them close).
    ~MessengerHost();
    MessengerHost(const MessengerHost&) = delete;
    MessengerHost& operator=(const MessengerHost&) = delete;

    Messenger& engine() { return engine_; }
    const Messenger& engine() const { return engine_; }

    // engine().start, then pump.
    void start(TimePoint now);
    // Carries out the engine's actions and feeds the transports' events to
    // the engine until neither has anything left, calling `after_round` (a
    // driver's own work: passing events on, its transports' I/O) after each
    // round. A pump called meanwhile (from `after_round`, e.g. a user action
    // in a slot, or a transport's news) only makes the running one go round
    // again, so drivers need no re-entrancy guard of their own.
    void pump(TimePoint now, const std::function<void()>& after_round = {});
    // Expired deadlines of the engine and the transports, then pump.
    void tick(TimePoint now);
    TimePoint next_deadline() const;
    // The engine's events and the transports' ContactFlagged, in order.
    std::vector<Event> take_events();

    // Streams open between the engine and the transports (tests, stats).
    std::size_t open_streams() const { return routes_.size(); }

  private:
    struct Route {
        std::size_t transport;
        transport::StreamId stream;
        // Back-pressure (issue 10, item 3): sealed records the transport
        // refused for a full buffer, in order, until its StreamWritable. The
        // engine stops sending messages meanwhile (Messenger::stream_blocked),
        // so only what was already on its way and small control frames wait
        // here; the session's counters forbid dropping or reordering them.
        std::deque<Bytes> waiting;
        std::size_t waiting_bytes = 0;
    };
    using Key = std::pair<std::size_t, std::uint64_t>;  // transport index, its id

    void run_until_quiet(TimePoint now);
    // Hands `data` to the stream's transport, or queues it behind what
    // already waits; closes the stream (drop_route) on any other failure.
    void send_or_wait(StreamId id, Route& r, Bytes data, TimePoint now);
    // The transport has room again: what waited goes out, in order.
    void drain(StreamId id, TimePoint now);
    // Closes the route and tells the engine (which then has no stream).
    void drop_route(StreamId id, TimePoint now);
    void execute(Action& action, TimePoint now);
    void on_event(std::size_t t, transport::Event& event, TimePoint now);
    StreamId adopt(std::size_t t, transport::StreamId stream);
    std::optional<std::size_t> transport_of(transport::TransportKind kind) const;

    Messenger engine_;
    std::vector<transport::Transport*> transports_;
    std::map<StreamId, Route> routes_;
    std::map<Key, StreamId> by_transport_;
    std::map<Key, ContactId> attempts_;
    StreamId next_stream_ = 1;
    std::vector<Event> events_;
    TimePoint last_now_;  // of the last pump
    bool pumping_ = false;
    bool again_ = false;
};

}  // namespace sotto::messenger
