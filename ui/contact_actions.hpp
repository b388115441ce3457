// What the contact menu does: rename, show the safety number, appear
// offline to one contact, and revoke. Each call returns "" on success or a
// message for the user; the contact list and chat models learn the outcome
// from the messenger's signals, like every other change.
//
// Revoke is silent by design (no message is sent; to the ex-contact we just
// look offline forever) and cannot be undone, so the view confirms first.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QObject>
#include <QPointer>

namespace sotto::net {
class MessengerDriver;
}

namespace sotto::ui {

class ContactActions : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by SessionController")
    Q_PROPERTY(bool available READ available NOTIFY availableChanged)
  public:
    explicit ContactActions(QObject* parent = nullptr);
    void set_messenger(net::MessengerDriver* driver);
    bool available() const { return driver_ != nullptr; }

    // An empty name goes back to what the contact calls themselves.
    Q_INVOKABLE QString rename(quint64 contact, const QString& name);
    // Grouped digits both sides see the same way; "" if unavailable.
    Q_INVOKABLE QString safetyNumber(quint64 contact) const;
    Q_INVOKABLE QString setAppearOffline(quint64 contact, bool hidden);
    Q_INVOKABLE bool appearsOffline(quint64 contact) const;
    Q_INVOKABLE QString revoke(quint64 contact);
    Q_INVOKABLE bool sendingRevealsPresence(quint64 contact) const;

  signals:
    void availableChanged();

  private:
    QString unavailable() const;
    QPointer<net::MessengerDriver> driver_;
};

}  // namespace sotto::ui
