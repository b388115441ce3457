// The client side of the private-service API (issue 3 item 11): reach a
// contact's service with the credentials they granted us and get a stream,
// or a failure that reads the same whether they are offline, hiding from us
// or have revoked us. Transport-neutral (see private_service.hpp).
#pragma once

#include <QObject>
#include <QString>

#include "core/hs/service_api.hpp"
#include "net/service_stream.hpp"

namespace sotto::net {

using AttemptId = quint64;

class ServiceClient : public QObject {
    Q_OBJECT
  public:
    using QObject::QObject;
    ~ServiceClient() override = default;

    // Starts an attempt; exactly one of connected/unreachable follows for it
    // (never from inside this call).
    virtual Result<AttemptId> connect_to(const hs::ContactCredentials& credentials) = 0;

  signals:
    void connected(sotto::net::AttemptId attempt, sotto::net::ServiceStream* stream);
    void unreachable(sotto::net::AttemptId attempt, const QString& reason);
};

}  // namespace sotto::net
