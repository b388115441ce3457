// PrivateService and ServiceClient over Sotto's own onion network: the
// virtual-private-services protocol run by one NodeDriver (core/node). One
// node serves both roles, as in the messenger: our service for our contacts,
// and client connections to theirs.
//
// Streams: an incoming stream is the one the contact opens on its rendezvous
// circuit; an outgoing one is opened by us on the circuit the node reports
// in ServiceConnected. Closing a stream closes its rendezvous circuit too,
// so no circuit outlives its conversation.
#pragma once

#include <QPointer>
#include <memory>
#include <unordered_map>

#include "net/node_driver.hpp"
#include "net/private_service.hpp"
#include "net/service_client.hpp"

namespace sotto::net {

class OnionStream;

class OnionTransport : public QObject {
    Q_OBJECT
  public:
    // Starts the node's private service with `config`. The driver must
    // outlive the transport.
    static Result<std::unique_ptr<OnionTransport>> create(NodeDriver& driver,
                                                          hs::ServiceConfig config);
    ~OnionTransport() override;

    PrivateService& service();
    ServiceClient& client();
    NodeDriver& driver() { return driver_; }

  private:
    friend class OnionStream;
    friend class OnionPrivateService;
    friend class OnionServiceClient;
    explicit OnionTransport(NodeDriver& driver);

    OnionStream* adopt_stream(quint64 stream, quint64 circuit);
    void on_stream_opened(quint64 stream);
    void on_stream_data(quint64 stream, const QByteArray& data);
    void on_stream_closed(quint64 stream, const QString& reason);
    void forget(quint64 stream);

    NodeDriver& driver_;
    std::unique_ptr<PrivateService> service_;
    std::unique_ptr<ServiceClient> client_;
    std::unordered_map<quint64, QPointer<OnionStream>> streams_;  // by node stream
    // Outgoing streams waiting for StreamOpened: stream → attempt.
    std::unordered_map<quint64, AttemptId> opening_;
};

}  // namespace sotto::net
