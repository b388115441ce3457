// One conversation as the chat pane shows it: the selected contact's
// messages, newest first (row 0 is the newest, for a bottom-to-top list
// view, so a new message is an insert at row 0 and an older page is an
// append at the end), loaded a page of 50 at a time from the store with
// history(contact, before, 50) and kept current by the messenger driver's
// messageAdded / messageStateChanged signals. It also carries what the
// chat header and composer need about the contact (name, presence, whether
// sending would reveal our presence) and sends.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QAbstractListModel>
#include <QDateTime>
#include <QPointer>
#include <vector>

#include "core/store/profile_store.hpp"

namespace sotto::net {
class MessengerDriver;
}

namespace sotto::ui {

class ChatModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by SessionController")
    Q_PROPERTY(quint64 contactId READ contactId WRITE setContactId NOTIFY contactIdChanged)
    Q_PROPERTY(bool hasContact READ hasContact NOTIFY contactIdChanged)
    Q_PROPERTY(QString title READ title NOTIFY contactInfoChanged)
    Q_PROPERTY(QString presence READ presence NOTIFY contactInfoChanged)
    Q_PROPERTY(bool pending READ pending NOTIFY contactInfoChanged)
    // The invite we accepted from them expired before they answered.
    Q_PROPERTY(bool inviteExpired READ inviteExpired NOTIFY contactInfoChanged)
    Q_PROPERTY(bool appearOffline READ appearOffline NOTIFY contactInfoChanged)
    // Sending now would make us visible to this contact (we are invisible,
    // or appear offline to them): the composer asks first.
    Q_PROPERTY(bool sendingRevealsPresence READ sendingRevealsPresence NOTIFY contactInfoChanged)
    Q_PROPERTY(bool canSend READ canSend NOTIFY canSendChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    Q_PROPERTY(bool hasMore READ hasMore NOTIFY countChanged)
    Q_PROPERTY(int maxBodyBytes READ maxBodyBytes CONSTANT)
    // Set by the view: the conversation is on screen in the active window,
    // so incoming messages are read as they arrive.
    Q_PROPERTY(bool viewing READ viewing WRITE setViewing NOTIFY viewingChanged)
  public:
    enum Role {
        BodyRole = Qt::UserRole + 1,
        OutgoingRole,
        StateRole,  // deliveryState: "queued", "sent", "delivered", "failed", "received"
        TimeRole,   // QDateTime: sent (outgoing) or received (incoming), local
        TimeTextRole,
        DeliveredTextRole,  // outgoing: "Delivered 14:06", else empty
        DayTextRole,        // "Today", "Yesterday", a date
        FirstOfDayRole,     // the oldest loaded message of its day: draw the separator above
        MessageIdRole,      // hex
    };
    Q_ENUM(Role)
    static constexpr std::size_t kPageSize = 50;

    explicit ChatModel(QObject* parent = nullptr);

    void set_store(store::ProfileStore* store);
    void set_messenger(net::MessengerDriver* driver);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;
    bool canFetchMore(const QModelIndex& parent = {}) const override;
    void fetchMore(const QModelIndex& parent = {}) override;
    // For QML (ListView does not page backwards on its own).
    Q_INVOKABLE void loadOlder() { fetchMore(); }

    quint64 contactId() const { return contact_; }
    void setContactId(quint64 contact);
    bool hasContact() const { return contact_ != 0; }
    QString title() const { return title_; }
    QString presence() const { return presence_; }
    bool pending() const { return pending_; }
    bool inviteExpired() const { return invite_expired_; }
    bool appearOffline() const { return appear_offline_; }
    bool sendingRevealsPresence() const;
    bool canSend() const { return driver_ != nullptr && contact_ != 0; }
    int count() const { return static_cast<int>(rows_.size()); }
    bool hasMore() const { return has_more_; }
    static int maxBodyBytes();
    bool viewing() const { return viewing_; }
    void setViewing(bool viewing);

    // Sends `body` to the contact; "" on success, else a message for the
    // user (too long, empty, storage failure...).
    Q_INVOKABLE QString send(const QString& body);
    Q_INVOKABLE int utf8Length(const QString& text) const;

  signals:
    void contactIdChanged();
    void contactInfoChanged();
    void canSendChanged();
    void countChanged();
    void viewingChanged();
    // The user has seen the conversation; the contact list marks it read.
    void readRequested(quint64 contact);
    // An incoming message for the open conversation (the view scrolls).
    void messageArrived();
    // The open contact was revoked (here or elsewhere).
    void contactRemoved();

  private:
    struct Row {
        store::MessageRowId row = 0;
        store::MessageId id;
        bool outgoing = false;
        store::MessageState state = store::MessageState::Queued;
        QString body;
        QDateTime time;
        QDateTime delivered;
    };
    static Row from_record(const store::MessageRecord& m);
    void reload();
    void refresh_info();
    void on_message_added(const store::MessageRecord& m);
    void on_state_changed(quint64 contact, const QByteArray& id, store::MessageState state,
                          qint64 delivered_us);
    // A page of the open conversation, oldest first (see MessengerDriver::history).
    Result<std::vector<store::MessageRecord>> history(
        std::optional<store::MessageRowId> before) const;
    bool first_of_day(std::size_t i) const;

    store::ProfileStore* store_ = nullptr;
    QPointer<net::MessengerDriver> driver_;
    store::ContactId contact_ = 0;
    std::vector<Row> rows_;  // newest first
    bool has_more_ = false;
    bool viewing_ = false;
    QString title_;
    QString presence_ = QStringLiteral("offline");
    bool pending_ = false;
    bool invite_expired_ = false;
    bool appear_offline_ = false;
};

}  // namespace sotto::ui
