// The contact list as the main window shows it: one row per contact with
// their name, presence (online, away, offline), unread count, the time of
// the last message and whether we appear offline to them, most recent
// activity first. Loaded once from the profile store (so the list shows
// while the network is still bootstrapping) and then kept current by the
// messenger driver's signals; nothing polls.
//
// Unread counts are the store's at load time and are then counted from
// messageAdded and reset by markRead, which is the only way the UI marks a
// conversation read: re-reading every contact's summary on each event would
// cost O(contacts) per message.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QAbstractListModel>
#include <QDateTime>
#include <QPointer>
#include <optional>
#include <vector>

#include "core/messenger/messenger.hpp"
#include "core/store/profile_store.hpp"

namespace sotto::net {
class MessengerDriver;
}

namespace sotto::ui {

class ContactListModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by SessionController")
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    Q_PROPERTY(int totalUnread READ totalUnread NOTIFY totalUnreadChanged)
  public:
    enum Role {
        ContactIdRole = Qt::UserRole + 1,
        DisplayRole,
        InitialsRole,
        PresenceRole,  // "online", "away", "offline"
        UnreadRole,
        LastActivityRole,      // QDateTime, invalid if never
        LastActivityTextRole,  // "14:05", "Yesterday", ...
        AppearOfflineRole,
        PendingRole,        // we accepted their invite and wait for their answer
        InviteExpiredRole,  // ... and it expired before they answered: ask for a new code
    };
    Q_ENUM(Role)

    explicit ContactListModel(QObject* parent = nullptr);

    // Loads every contact from the store (the store must outlive the model
    // or be detached with nullptr first).
    void set_store(store::ProfileStore* store);
    // Starts following the messenger's events (nullptr: stop).
    void set_messenger(net::MessengerDriver* driver);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    int count() const { return static_cast<int>(rows_.size()); }
    int totalUnread() const;

    Q_INVOKABLE int indexOf(quint64 contact) const;
    Q_INVOKABLE quint64 contactAt(int row) const;
    Q_INVOKABLE QString displayOf(quint64 contact) const;
    Q_INVOKABLE QString presenceOf(quint64 contact) const;
    // Whether the invite we accepted from them expired unanswered.
    Q_INVOKABLE bool inviteExpiredOf(quint64 contact) const;
    // Marks the conversation read in the store and zeroes the badge.
    Q_INVOKABLE void markRead(quint64 contact);

  signals:
    void countChanged();
    void totalUnreadChanged();

  private:
    struct Row {
        store::ContactId id = 0;
        QString display;
        bool pending = false;
        bool invite_expired = false;
        bool appear_offline = false;
        std::uint32_t unread = 0;
        std::optional<TimePoint> last;  // last message, or when added in this session
        messenger::ContactPresence presence = messenger::ContactPresence::Offline;
    };
    static bool before(const Row& a, const Row& b);
    void on_contact_added(quint64 id);
    void on_contact_changed(quint64 id);
    void on_contact_removed(quint64 id);
    void on_message_added(const store::MessageRecord& m);
    void refresh_presence();
    // Reloads one row's name, state and flags from the store and presence
    // from the engine; false if the contact is gone.
    bool reload(Row& row) const;
    // Moves row `i` to where the sort order wants it (after its key changed).
    void reposition(int i);
    int find(store::ContactId id) const;

    store::ProfileStore* store_ = nullptr;
    QPointer<net::MessengerDriver> driver_;
    std::vector<Row> rows_;
};

// The QML face of a contact's presence: "online", "away", "offline".
QString presence_name(messenger::ContactPresence presence);
QString initials_of(const QString& display);

}  // namespace sotto::ui
