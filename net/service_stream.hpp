// One bidirectional byte stream between a private service and one of its
// contacts, as the messenger sees it: transport-neutral, so the same chat
// code runs over Sotto's own onion network and, later, over a Tor daemon.
// Bytes arrive in order and unmodified (the transport's end-to-end channel
// is authenticated and encrypted) but in arbitrary pieces.
#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>

#include "core/util/error.hpp"

namespace sotto::net {

class ServiceStream : public QObject {
    Q_OBJECT
  public:
    using QObject::QObject;
    ~ServiceStream() override = default;

    // Queues bytes for sending; fails once the stream is closed.
    virtual Status write(const QByteArray& data) = 0;
    // Closes the stream (and whatever the transport holds for it). Emits
    // nothing; the object may be deleted afterwards (deleteLater).
    virtual void close() = 0;
    virtual bool is_open() const = 0;

  signals:
    void dataReceived(const QByteArray& data);
    // The other side or the network closed it. Emitted once.
    void closed(const QString& reason);
};

}  // namespace sotto::net
