#include "ui/chat_model.hpp"

#include <algorithm>

#include "core/chat/chat_frame.hpp"
#include "net/messenger_driver.hpp"
#include "ui/contact_list_model.hpp"
#include "ui/time_format.hpp"

namespace sotto::ui {

namespace {

QString state_name(store::MessageState s) {
    switch (s) {
        case store::MessageState::Queued:
            return QStringLiteral("queued");
        case store::MessageState::Sent:
            return QStringLiteral("sent");
        case store::MessageState::Delivered:
            return QStringLiteral("delivered");
        case store::MessageState::Failed:
            return QStringLiteral("failed");
        case store::MessageState::Received:
            break;
    }
    return QStringLiteral("received");
}

}  // namespace

ChatModel::ChatModel(QObject* parent) : QAbstractListModel(parent) {}

ChatModel::Row ChatModel::from_record(const store::MessageRecord& m) {
    const bool out = m.direction == store::Direction::Outgoing;
    // Our own clock for both directions (the receive time for incoming), so
    // the conversation reads in the order it happened here.
    const TimePoint shown = out ? m.sent_at : m.delivered_at.value_or(m.sent_at);
    return Row{
        .row = m.row,
        .id = m.id,
        .outgoing = out,
        .state = m.state,
        .body = QString::fromStdString(m.body),
        .time = to_local(shown),
        .delivered = out && m.delivered_at ? to_local(*m.delivered_at) : QDateTime(),
    };
}

void ChatModel::set_store(store::ProfileStore* store) {
    store_ = store;
    if (!store_) contact_ = 0;
    reload();
    refresh_info();
}

void ChatModel::set_messenger(net::MessengerDriver* driver) {
    if (driver_) driver_->disconnect(this);
    driver_ = driver;
    if (driver_) {
        connect(driver_, &net::MessengerDriver::messageAdded, this, &ChatModel::on_message_added);
        connect(driver_, &net::MessengerDriver::messageStateChanged, this,
                &ChatModel::on_state_changed);
        connect(driver_, &net::MessengerDriver::contactChanged, this, [this](quint64 id) {
            if (id == contact_) refresh_info();
        });
        connect(driver_, &net::MessengerDriver::presenceModeChanged, this,
                [this] { emit contactInfoChanged(); });
        connect(driver_, &net::MessengerDriver::contactRemoved, this, [this](quint64 id) {
            if (id != contact_) return;
            setContactId(0);
            emit contactRemoved();
        });
    }
    refresh_info();
    emit canSendChanged();
}

void ChatModel::setContactId(quint64 contact) {
    if (contact == contact_) return;
    contact_ = contact;
    reload();
    refresh_info();
    emit contactIdChanged();
    emit canSendChanged();
    if (viewing_ && contact_ != 0) emit readRequested(contact_);
}

void ChatModel::setViewing(bool viewing) {
    if (viewing == viewing_) return;
    viewing_ = viewing;
    emit viewingChanged();
    if (viewing_ && contact_ != 0) emit readRequested(contact_);
}

void ChatModel::reload() {
    beginResetModel();
    rows_.clear();
    has_more_ = false;
    if (store_ && contact_ != 0) {
        if (auto page = history(std::nullopt)) {
            rows_.reserve(page->size());
            for (auto it = page->rbegin(); it != page->rend(); ++it)
                rows_.push_back(from_record(*it));
            has_more_ = page->size() == kPageSize;
        }
    }
    endResetModel();
    emit countChanged();
}

void ChatModel::refresh_info() {
    title_.clear();
    pending_ = false;
    invite_expired_ = false;
    appear_offline_ = false;
    presence_ = QStringLiteral("offline");
    if (store_ && contact_ != 0) {
        if (auto rec = store_->contact(contact_)) {
            title_ = QString::fromStdString(rec->nickname.empty() ? rec->name : rec->nickname);
            pending_ = rec->state == store::ContactState::Requested;
            invite_expired_ = rec->state == store::ContactState::InviteExpired;
            appear_offline_ = rec->appear_offline;
        }
        if (driver_) presence_ = presence_name(driver_->presence_of(contact_));
    }
    emit contactInfoChanged();
}

Result<std::vector<store::MessageRecord>> ChatModel::history(
    std::optional<store::MessageRowId> before) const {
    if (driver_) return driver_->history(contact_, before, kPageSize);
    // Before the network is up there is no messenger yet, but the
    // conversation already shows (SessionController hands the store first).
    return store_->history(contact_, before, kPageSize);
}

bool ChatModel::canFetchMore(const QModelIndex& parent) const {
    return !parent.isValid() && has_more_;
}

void ChatModel::fetchMore(const QModelIndex& parent) {
    if (parent.isValid() || !has_more_ || !store_ || rows_.empty()) return;
    auto page = history(rows_.back().row);
    if (!page) return;
    has_more_ = page->size() == kPageSize;
    if (!page->empty()) {
        const int first = count();
        beginInsertRows({}, first, first + static_cast<int>(page->size()) - 1);
        for (auto it = page->rbegin(); it != page->rend(); ++it) rows_.push_back(from_record(*it));
        endInsertRows();
        // The previously oldest row may now share its day with older ones.
        const auto ix = index(first - 1);
        emit dataChanged(ix, ix, {FirstOfDayRole});
    }
    emit countChanged();
}

bool ChatModel::first_of_day(std::size_t i) const {
    return i + 1 >= rows_.size() || rows_[i + 1].time.date() != rows_[i].time.date();
}

int ChatModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : count();
}

QVariant ChatModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() < 0 || index.row() >= count()) return {};
    const auto i = static_cast<std::size_t>(index.row());
    const Row& r = rows_[i];
    switch (role) {
        case Qt::DisplayRole:
        case BodyRole:
            return r.body;
        case OutgoingRole:
            return r.outgoing;
        case StateRole:
            return state_name(r.state);
        case TimeRole:
            return r.time;
        case TimeTextRole:
            return bubble_time_text(r.time);
        case DeliveredTextRole:
            return r.delivered.isValid() ? tr("Delivered %1").arg(bubble_time_text(r.delivered))
                                         : QString();
        case DayTextRole:
            return day_text(r.time.date(), QDate::currentDate());
        case FirstOfDayRole:
            return first_of_day(i);
        case MessageIdRole:
            return QString::fromStdString(r.id.hex());
        default:
            return {};
    }
}

QHash<int, QByteArray> ChatModel::roleNames() const {
    return {
        {BodyRole, "body"},           {OutgoingRole, "outgoing"},
        {StateRole, "deliveryState"}, {TimeRole, "time"},
        {TimeTextRole, "timeText"},   {DeliveredTextRole, "deliveredText"},
        {DayTextRole, "dayText"},     {FirstOfDayRole, "firstOfDay"},
        {MessageIdRole, "messageId"},
    };
}

bool ChatModel::sendingRevealsPresence() const {
    return driver_ && contact_ != 0 && driver_->sending_reveals_presence(contact_);
}

int ChatModel::maxBodyBytes() {
    return static_cast<int>(chat::kMaxBodyBytes);
}

int ChatModel::utf8Length(const QString& text) const {
    return static_cast<int>(text.toUtf8().size());
}

QString ChatModel::send(const QString& body) {
    if (!driver_) return tr("Not connected yet: wait until Sotto is online.");
    if (contact_ == 0) return tr("Choose a contact first.");
    const QString text = body.trimmed();
    if (text.isEmpty()) return tr("The message is empty.");
    auto sent = driver_->send_message(contact_, text);
    if (!sent) return QString::fromStdString(sent.error().message);
    // messageAdded already put it in the list; the warning may no longer
    // apply (we revealed ourselves to this contact).
    emit contactInfoChanged();
    return {};
}

void ChatModel::on_message_added(const store::MessageRecord& m) {
    if (m.contact != contact_) return;
    if (std::ranges::any_of(rows_, [&](const Row& r) { return r.row == m.row; })) return;
    beginInsertRows({}, 0, 0);
    rows_.insert(rows_.begin(), from_record(m));
    endInsertRows();
    emit countChanged();
    if (m.direction == store::Direction::Incoming) {
        emit messageArrived();
        if (viewing_) emit readRequested(contact_);
    }
}

void ChatModel::on_state_changed(quint64 contact, const QByteArray& id, store::MessageState state,
                                 qint64 delivered_us) {
    if (contact != contact_) return;
    const auto mid =
        store::MessageId::from(ByteView(reinterpret_cast<const std::uint8_t*>(id.constData()),
                                        static_cast<std::size_t>(id.size())));
    for (std::size_t i = 0; i < rows_.size(); ++i) {
        Row& r = rows_[i];
        if (r.id != mid) continue;
        // Delivered is final: a late Sent (a resend) must not undo it.
        if (r.state == store::MessageState::Delivered) return;
        r.state = state;
        if (delivered_us != 0) r.delivered = to_local(TimePoint{delivered_us});
        const auto ix = index(static_cast<int>(i));
        emit dataChanged(ix, ix, {StateRole, DeliveredTextRole});
        return;
    }
}

}  // namespace sotto::ui
