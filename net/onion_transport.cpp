#include "net/onion_transport.hpp"

#include <QTimer>

namespace sotto::net {

class OnionStream final : public ServiceStream {
  public:
    OnionStream(OnionTransport& transport, quint64 stream, quint64 circuit)
        : transport_(&transport), stream_(stream), circuit_(circuit) {}
    ~OnionStream() override { close(); }

    Status write(const QByteArray& data) override {
        if (!transport_) return fail(Errc::Protocol, "the stream is closed");
        return transport_->driver_.stream_send(
            stream_, ByteView(reinterpret_cast<const std::uint8_t*>(data.constData()),
                              static_cast<std::size_t>(data.size())));
    }
    void close() override {
        if (!transport_) return;
        auto* t = transport_;
        transport_ = nullptr;
        t->forget(stream_);
        t->driver_.close_stream(stream_);
        // One conversation per rendezvous circuit: nothing else uses it.
        t->driver_.close_circuit(circuit_);
    }
    bool is_open() const override { return transport_ != nullptr; }

    // The network closed it.
    void remote_closed(const QString& reason) {
        if (!transport_) return;
        auto* t = transport_;
        transport_ = nullptr;
        t->forget(stream_);
        t->driver_.close_circuit(circuit_);
        emit closed(reason);
    }
    quint64 circuit() const { return circuit_; }

  private:
    OnionTransport* transport_;
    quint64 stream_;
    quint64 circuit_;
};

class OnionPrivateService final : public PrivateService {
  public:
    explicit OnionPrivateService(NodeDriver& driver) : driver_(driver) {}
    Status grant(hs::ContactId tag, hs::ContactGrant grant, bool hidden) override {
        return driver_.service_add_contact(tag, std::move(grant), hidden);
    }
    Status revoke(hs::ContactId tag) override { return driver_.service_revoke(tag); }
    Status hide(hs::ContactId tag, bool hidden) override {
        return driver_.service_hide(tag, hidden);
    }
    void set_visible(bool visible) override { driver_.service_set_visible(visible); }
    hs::ServiceStats stats() const override { return driver_.service_stats(); }

  private:
    NodeDriver& driver_;
};

class OnionServiceClient final : public ServiceClient {
  public:
    OnionServiceClient(OnionTransport& transport, NodeDriver& driver)
        : transport_(transport), driver_(driver) {}

    Result<AttemptId> connect_to(const hs::ContactCredentials& credentials) override {
        auto attempt = driver_.connect_service(credentials);
        if (attempt) return *attempt;
        // Not even started (e.g. no consensus yet): report it like any
        // other failure, from the event loop as the interface promises.
        const AttemptId local = kLocalAttemptBit | ++local_attempts_;
        const QString reason = QString::fromStdString(attempt.error().message);
        QTimer::singleShot(0, this, [this, local, reason] { emit unreachable(local, reason); });
        return local;
    }

    void on_connected(quint64 attempt, quint64 circuit) {
        auto stream = driver_.open_stream(circuit, "sotto", 1);
        if (!stream) {
            driver_.close_circuit(circuit);
            emit unreachable(attempt, QString::fromStdString(stream.error().message));
            return;
        }
        transport_.opening_[*stream] = attempt;
        pending_circuits_[*stream] = circuit;
    }
    std::optional<quint64> take_pending_circuit(quint64 stream) {
        auto it = pending_circuits_.find(stream);
        if (it == pending_circuits_.end()) return std::nullopt;
        auto c = it->second;
        pending_circuits_.erase(it);
        return c;
    }

  private:
    static constexpr AttemptId kLocalAttemptBit = AttemptId{1} << 63;
    OnionTransport& transport_;
    NodeDriver& driver_;
    AttemptId local_attempts_ = 0;
    std::unordered_map<quint64, quint64> pending_circuits_;  // stream → circuit
};

OnionTransport::OnionTransport(NodeDriver& driver) : driver_(driver) {}

OnionTransport::~OnionTransport() {
    for (auto& [id, s] : streams_)
        if (s) s->close();
}

Result<std::unique_ptr<OnionTransport>> OnionTransport::create(NodeDriver& driver,
                                                               hs::ServiceConfig config) {
    auto started = driver.service_start(config);
    if (!started) return std::unexpected(started.error());
    std::unique_ptr<OnionTransport> t(new OnionTransport(driver));
    t->service_ = std::make_unique<OnionPrivateService>(driver);
    auto client = std::make_unique<OnionServiceClient>(*t, driver);
    auto* c = client.get();
    t->client_ = std::move(client);
    auto* self = t.get();

    connect(&driver, &NodeDriver::incomingStream, self,
            [self](quint64 contact, quint64 stream, quint64 circuit) {
                auto* s = self->adopt_stream(stream, circuit);
                emit self->service_->incomingStream(contact, s);
            });
    connect(&driver, &NodeDriver::contactFlagged, self, [self](quint64 contact, qsizetype n) {
        emit self->service_->contactFlagged(contact, n);
    });
    connect(&driver, &NodeDriver::serviceConnected, self,
            [c](quint64 attempt, quint64 circuit) { c->on_connected(attempt, circuit); });
    connect(&driver, &NodeDriver::serviceUnreachable, self,
            [c](quint64 attempt, const QString& reason) { emit c->unreachable(attempt, reason); });
    connect(&driver, &NodeDriver::streamOpened, self, &OnionTransport::on_stream_opened);
    connect(&driver, &NodeDriver::streamData, self, &OnionTransport::on_stream_data);
    connect(&driver, &NodeDriver::streamClosed, self, &OnionTransport::on_stream_closed);
    return t;
}

PrivateService& OnionTransport::service() {
    return *service_;
}
ServiceClient& OnionTransport::client() {
    return *client_;
}

OnionStream* OnionTransport::adopt_stream(quint64 stream, quint64 circuit) {
    auto* s = new OnionStream(*this, stream, circuit);
    streams_[stream] = s;
    return s;
}

void OnionTransport::on_stream_opened(quint64 stream) {
    auto it = opening_.find(stream);
    if (it == opening_.end()) return;
    const auto attempt = it->second;
    opening_.erase(it);
    auto* c = static_cast<OnionServiceClient*>(client_.get());
    const auto circuit = c->take_pending_circuit(stream);
    auto* s = adopt_stream(stream, circuit.value_or(0));
    emit client_->connected(attempt, s);
}

void OnionTransport::on_stream_data(quint64 stream, const QByteArray& data) {
    auto it = streams_.find(stream);
    if (it == streams_.end() || !it->second) return;
    emit it->second->dataReceived(data);
}

void OnionTransport::on_stream_closed(quint64 stream, const QString& reason) {
    if (auto it = opening_.find(stream); it != opening_.end()) {
        const auto attempt = it->second;
        opening_.erase(it);
        auto* c = static_cast<OnionServiceClient*>(client_.get());
        if (auto circuit = c->take_pending_circuit(stream)) driver_.close_circuit(*circuit);
        emit client_->unreachable(attempt, reason);
        return;
    }
    auto it = streams_.find(stream);
    if (it == streams_.end()) return;
    QPointer<OnionStream> s = it->second;
    if (s) s->remote_closed(reason);
    streams_.erase(stream);
}

void OnionTransport::forget(quint64 stream) {
    streams_.erase(stream);
}

}  // namespace sotto::net
