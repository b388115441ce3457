// The service side of the private-service API (issue 3 item 11), as the
// messenger uses it: grant a contact access, revoke or hide it, show or hide
// the whole service, and receive streams tagged with the contact that opened
// them. Transport-neutral: OnionPrivateService implements it over Sotto's
// onion network (per-contact descriptors sharing introduction points, the
// paper's virtual private services); a Tor-daemon transport can implement it
// with one v3 onion service per contact.
//
// Whatever the transport, revoke and hide must leave the contact unable to
// tell the service from an offline one.
#pragma once

#include <QObject>

#include "core/hs/service_api.hpp"
#include "net/service_stream.hpp"

namespace sotto::net {

class PrivateService : public QObject {
    Q_OBJECT
  public:
    using QObject::QObject;
    ~PrivateService() override = default;

    // Publishes for this contact (unless hidden). `tag` is the application's
    // name for the grant; it comes back with every stream the contact opens.
    virtual Status grant(hs::ContactId tag, hs::ContactGrant grant, bool hidden) = 0;
    // Forgets the grant; its credentials stop working at once.
    virtual Status revoke(hs::ContactId tag) = 0;
    // Stops (or resumes) publishing for the contact, keeping the grant.
    virtual Status hide(hs::ContactId tag, bool hidden) = 0;
    // Hides (or shows) the whole service from every contact.
    virtual void set_visible(bool visible) = 0;
    virtual hs::ServiceStats stats() const = 0;

  signals:
    // The stream belongs to the receiver of the signal (parent it or
    // deleteLater it).
    void incomingStream(quint64 tag, sotto::net::ServiceStream* stream);
    // A contact exceeded its introduction rate limit (a rogue contact).
    void contactFlagged(quint64 tag, qsizetype violations);
};

}  // namespace sotto::net
