#include "ui/contact_actions.hpp"

#include "net/messenger_driver.hpp"

namespace sotto::ui {

ContactActions::ContactActions(QObject* parent) : QObject(parent) {}

void ContactActions::set_messenger(net::MessengerDriver* driver) {
    driver_ = driver;
    emit availableChanged();
}

QString ContactActions::unavailable() const {
    return tr("Not connected yet: wait until Sotto is online.");
}

QString ContactActions::rename(quint64 contact, const QString& name) {
    if (!driver_) return unavailable();
    auto r = driver_->rename(contact, name.trimmed());
    return r ? QString() : QString::fromStdString(r.error().message);
}

QString ContactActions::safetyNumber(quint64 contact) const {
    if (!driver_) return {};
    auto r = driver_->safety_number(contact);
    return r ? QString::fromStdString(*r) : QString();
}

QString ContactActions::setAppearOffline(quint64 contact, bool hidden) {
    if (!driver_) return unavailable();
    auto r = driver_->set_appear_offline(contact, hidden);
    return r ? QString() : QString::fromStdString(r.error().message);
}

bool ContactActions::appearsOffline(quint64 contact) const {
    if (!driver_) return false;
    auto rec = driver_->store().contact(contact);
    return rec && rec->appear_offline;
}

QString ContactActions::revoke(quint64 contact) {
    if (!driver_) return unavailable();
    auto r = driver_->revoke(contact);
    return r ? QString() : QString::fromStdString(r.error().message);
}

bool ContactActions::sendingRevealsPresence(quint64 contact) const {
    return driver_ && driver_->sending_reveals_presence(contact);
}

}  // namespace sotto::ui
