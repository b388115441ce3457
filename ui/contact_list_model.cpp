#include "ui/contact_list_model.hpp"

#include <algorithm>

#include "net/messenger_driver.hpp"
#include "ui/time_format.hpp"

namespace sotto::ui {

QString presence_name(messenger::ContactPresence presence) {
    switch (presence) {
        case messenger::ContactPresence::Online:
            return QStringLiteral("online");
        case messenger::ContactPresence::Away:
            return QStringLiteral("away");
        case messenger::ContactPresence::Offline:
            break;
    }
    return QStringLiteral("offline");
}

QString initials_of(const QString& display) {
    const auto words = display.simplified().split(u' ', Qt::SkipEmptyParts);
    QString out;
    for (qsizetype i = 0; i < words.size() && i < 2; ++i) {
        const QString& w = words[i];
        // A whole code point: an emoji name gives an emoji, not half of one.
        const qsizetype n = w.at(0).isHighSurrogate() && w.size() > 1 ? 2 : 1;
        out += w.left(n).toUpper();
    }
    return out.isEmpty() ? QStringLiteral("?") : out;
}

ContactListModel::ContactListModel(QObject* parent) : QAbstractListModel(parent) {}

bool ContactListModel::before(const Row& a, const Row& b) {
    if (a.last != b.last) {
        if (!a.last) return false;
        if (!b.last) return true;
        return *a.last > *b.last;
    }
    if (const int c = a.display.localeAwareCompare(b.display); c != 0) return c < 0;
    return a.id < b.id;
}

void ContactListModel::set_store(store::ProfileStore* store) {
    beginResetModel();
    store_ = store;
    rows_.clear();
    if (store_) {
        if (auto list = store_->contact_summaries()) {
            rows_.reserve(list->size());
            for (auto& s : *list)
                rows_.push_back(Row{
                    .id = s.id,
                    .display = QString::fromStdString(s.display),
                    .pending = s.state == store::ContactState::Requested,
                    .invite_expired = s.state == store::ContactState::InviteExpired,
                    .appear_offline = s.appear_offline,
                    .unread = s.unread,
                    .last = s.last_message_at,
                    .presence = messenger::ContactPresence::Offline,
                });
        }
        std::ranges::sort(rows_, before);
    }
    endResetModel();
    emit countChanged();
    emit totalUnreadChanged();
}

void ContactListModel::set_messenger(net::MessengerDriver* driver) {
    if (driver_) driver_->disconnect(this);
    driver_ = driver;
    if (driver_) {
        connect(driver_, &net::MessengerDriver::contactAdded, this,
                &ContactListModel::on_contact_added);
        connect(driver_, &net::MessengerDriver::contactChanged, this,
                &ContactListModel::on_contact_changed);
        connect(driver_, &net::MessengerDriver::contactRemoved, this,
                &ContactListModel::on_contact_removed);
        connect(driver_, &net::MessengerDriver::messageAdded, this,
                &ContactListModel::on_message_added);
    }
    refresh_presence();
}

void ContactListModel::refresh_presence() {
    for (std::size_t i = 0; i < rows_.size(); ++i) {
        const auto p =
            driver_ ? driver_->presence_of(rows_[i].id) : messenger::ContactPresence::Offline;
        if (p == rows_[i].presence) continue;
        rows_[i].presence = p;
        const auto ix = index(static_cast<int>(i));
        emit dataChanged(ix, ix, {PresenceRole});
    }
}

int ContactListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : count();
}

QVariant ContactListModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() < 0 || index.row() >= count()) return {};
    const Row& r = rows_[static_cast<std::size_t>(index.row())];
    switch (role) {
        case ContactIdRole:
            return QVariant::fromValue<quint64>(r.id);
        case Qt::DisplayRole:
        case DisplayRole:
            return r.display;
        case InitialsRole:
            return initials_of(r.display);
        case PresenceRole:
            return presence_name(r.presence);
        case UnreadRole:
            return static_cast<int>(r.unread);
        case LastActivityRole:
            return r.last ? to_local(*r.last) : QDateTime();
        case LastActivityTextRole:
            return r.last ? list_time_text(to_local(*r.last), QDateTime::currentDateTime())
                          : QString();
        case AppearOfflineRole:
            return r.appear_offline;
        case PendingRole:
            return r.pending;
        case InviteExpiredRole:
            return r.invite_expired;
        default:
            return {};
    }
}

QHash<int, QByteArray> ContactListModel::roleNames() const {
    return {
        {ContactIdRole, "contactId"},
        {DisplayRole, "name"},
        {InitialsRole, "initials"},
        {PresenceRole, "presence"},
        {UnreadRole, "unread"},
        {LastActivityRole, "lastActivity"},
        {LastActivityTextRole, "lastActivityText"},
        {AppearOfflineRole, "appearOffline"},
        {PendingRole, "pending"},
        {InviteExpiredRole, "inviteExpired"},
    };
}

int ContactListModel::totalUnread() const {
    int n = 0;
    for (auto& r : rows_) n += static_cast<int>(r.unread);
    return n;
}

int ContactListModel::find(store::ContactId id) const {
    for (std::size_t i = 0; i < rows_.size(); ++i)
        if (rows_[i].id == id) return static_cast<int>(i);
    return -1;
}

int ContactListModel::indexOf(quint64 contact) const {
    return find(contact);
}

quint64 ContactListModel::contactAt(int row) const {
    return row >= 0 && row < count() ? rows_[static_cast<std::size_t>(row)].id : 0;
}

QString ContactListModel::displayOf(quint64 contact) const {
    const int i = find(contact);
    return i < 0 ? QString() : rows_[static_cast<std::size_t>(i)].display;
}

QString ContactListModel::presenceOf(quint64 contact) const {
    const int i = find(contact);
    return presence_name(i < 0 ? messenger::ContactPresence::Offline
                               : rows_[static_cast<std::size_t>(i)].presence);
}

bool ContactListModel::inviteExpiredOf(quint64 contact) const {
    const int i = find(contact);
    return i >= 0 && rows_[static_cast<std::size_t>(i)].invite_expired;
}

void ContactListModel::markRead(quint64 contact) {
    const int i = find(contact);
    if (i < 0) return;
    auto& r = rows_[static_cast<std::size_t>(i)];
    if (r.unread == 0) return;
    if (driver_) {
        if (!driver_->mark_read(contact)) return;
    } else if (store_) {
        if (!store_->mark_read(contact)) return;
    }
    r.unread = 0;
    const auto ix = index(i);
    emit dataChanged(ix, ix, {UnreadRole});
    emit totalUnreadChanged();
}

bool ContactListModel::reload(Row& row) const {
    if (!store_) return false;
    auto rec = store_->contact(row.id);
    if (!rec) return false;
    row.display = QString::fromStdString(rec->nickname.empty() ? rec->name : rec->nickname);
    row.pending = rec->state == store::ContactState::Requested;
    row.invite_expired = rec->state == store::ContactState::InviteExpired;
    row.appear_offline = rec->appear_offline;
    row.presence = driver_ ? driver_->presence_of(row.id) : messenger::ContactPresence::Offline;
    return true;
}

void ContactListModel::reposition(int i) {
    const auto from = static_cast<std::size_t>(i);
    // Where the row belongs among the others.
    std::size_t to = 0;
    for (std::size_t j = 0; j < rows_.size(); ++j)
        if (j != from && before(rows_[j], rows_[from])) ++to;
    if (to == from) return;
    // Qt's destination is "before this row" in the list before the move.
    const int dest = static_cast<int>(to > from ? to + 1 : to);
    beginMoveRows({}, i, i, {}, dest);
    Row r = std::move(rows_[from]);
    rows_.erase(rows_.begin() + static_cast<std::ptrdiff_t>(from));
    rows_.insert(rows_.begin() + static_cast<std::ptrdiff_t>(to), std::move(r));
    endMoveRows();
}

void ContactListModel::on_contact_added(quint64 id) {
    if (find(id) >= 0) return on_contact_changed(id);
    Row row{.id = id};
    if (!reload(row)) return;
    // A contact added just now goes to the top: the user is about to talk
    // to them.
    row.last = net::MessengerDriver::now();
    const auto pos = std::ranges::lower_bound(rows_, row, before) - rows_.begin();
    beginInsertRows({}, static_cast<int>(pos), static_cast<int>(pos));
    rows_.insert(rows_.begin() + pos, std::move(row));
    endInsertRows();
    emit countChanged();
}

void ContactListModel::on_contact_changed(quint64 id) {
    const int i = find(id);
    if (i < 0) return on_contact_added(id);
    auto& row = rows_[static_cast<std::size_t>(i)];
    const QString old_display = row.display;
    if (!reload(row)) return;
    const auto ix = index(i);
    emit dataChanged(ix, ix);
    if (row.display != old_display) reposition(i);
}

void ContactListModel::on_contact_removed(quint64 id) {
    const int i = find(id);
    if (i < 0) return;
    beginRemoveRows({}, i, i);
    const bool had_unread = rows_[static_cast<std::size_t>(i)].unread > 0;
    rows_.erase(rows_.begin() + i);
    endRemoveRows();
    emit countChanged();
    if (had_unread) emit totalUnreadChanged();
}

void ContactListModel::on_message_added(const store::MessageRecord& m) {
    const int i = find(m.contact);
    if (i < 0) return;
    auto& row = rows_[static_cast<std::size_t>(i)];
    // The store's rule: sent_at for outgoing, the receive time for incoming.
    row.last =
        m.direction == store::Direction::Incoming ? m.delivered_at.value_or(m.sent_at) : m.sent_at;
    const bool counts = m.direction == store::Direction::Incoming && !m.read;
    if (counts) ++row.unread;
    const auto ix = index(i);
    emit dataChanged(ix, ix, {UnreadRole, LastActivityRole, LastActivityTextRole});
    if (counts) emit totalUnreadChanged();
    reposition(i);
}

}  // namespace sotto::ui
