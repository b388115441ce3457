// The root object the QML views talk to: which screen to show (first-run
// wizard, unlock, main window), creating and unlocking the profile, the
// network state for the status indicator, the global presence switch, and
// the view-models of the main window (contacts, the open chat, contact
// actions, invites), which it hands the profile store as soon as the
// profile is unlocked (the list and history show while the network is still
// bootstrapping) and the messenger once the network is up.
//
// The app runs a profile through net::ProfileSession (the onion transport).
// Tests and the benchmark attach a store and a messenger they made
// themselves (attach()), e.g. over the in-process loopback transport.
// The profile lock comes from the lock source when there is one (the app:
// its AppInstance, which holds the lock from start-up); otherwise
// ProfileSession takes it when the profile is created or unlocked.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QObject>
#include <QPointer>
#include <QSortFilterProxyModel>
#include <QUrl>
#include <functional>
#include <memory>

#include "net/profile_session.hpp"
#include "ui/chat_model.hpp"
#include "ui/contact_actions.hpp"
#include "ui/contact_list_model.hpp"
#include "ui/image_provider.hpp"
#include "ui/invite_controller.hpp"

namespace sotto::ui {

class SessionController : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("created by the application")
    Q_PROPERTY(Stage stage READ stage NOTIFY stageChanged)
    Q_PROPERTY(QString profileDir READ profileDir CONSTANT)
    Q_PROPERTY(QString networkFilePath READ networkFilePath CONSTANT)
    // The --network file's text, for the wizard to start from.
    Q_PROPERTY(QString defaultNetworkText READ defaultNetworkText CONSTANT)
    // What the wizard's "The Tor network" choice creates a profile with.
    Q_PROPERTY(QString torNetworkText READ torNetworkText CONSTANT)
    // tor's bootstrap, 0-100, or -1 (a network that does not say).
    Q_PROPERTY(int networkProgress READ networkProgress NOTIFY networkChanged)
    Q_PROPERTY(QString displayName READ displayName NOTIFY profileChanged)
    Q_PROPERTY(bool online READ online NOTIFY networkChanged)
    Q_PROPERTY(QString networkDetail READ networkDetail NOTIFY networkChanged)
    Q_PROPERTY(bool networkFailed READ networkFailed NOTIFY networkChanged)
    Q_PROPERTY(
        Presence presenceMode READ presenceMode WRITE setPresenceMode NOTIFY presenceModeChanged)
    Q_PROPERTY(sotto::ui::ContactListModel* contacts READ contacts CONSTANT)
    Q_PROPERTY(QAbstractItemModel* contactsView READ contactsView CONSTANT)
    Q_PROPERTY(sotto::ui::ChatModel* chat READ chat CONSTANT)
    Q_PROPERTY(sotto::ui::ContactActions* contactActions READ contactActions CONSTANT)
    Q_PROPERTY(sotto::ui::InviteController* invites READ invites CONSTANT)
    // A `sotto:` invite the app was opened with (a clicked link, the desktop
    // entry's %u); the main view offers it in the add-contact dialog once.
    Q_PROPERTY(
        QString pendingInvite READ pendingInvite WRITE setPendingInvite NOTIFY pendingInviteChanged)
    // Why the profile cannot be opened now (another Sotto program has it),
    // for the unlock screen; "" otherwise. Unlocking tries again.
    Q_PROPERTY(QString profileBusy READ profileBusy NOTIFY profileBusyChanged)
  public:
    enum class Stage { FirstRun, Unlock, Main };
    Q_ENUM(Stage)
    // The QML face of messenger::PresenceMode; converted by name
    // (presence_of_mode / mode_of_presence), never by value.
    enum class Presence { Visible = 1, Away = 2, Invisible = 3 };
    Q_ENUM(Presence)
    static constexpr int kMinPassphraseLength = 8;

    // `network_file`: the file the wizard offers by default (--network).
    SessionController(QString profile_dir, QString network_file, net::SessionOptions options = {},
                      QObject* parent = nullptr);
    ~SessionController() override;

    // For tests and the benchmark: run the UI on a store and messenger made
    // elsewhere (they must outlive the controller or be detached first).
    void attach(store::ProfileStore* store, net::MessengerDriver* driver);
    void attach_messenger(net::MessengerDriver* driver);
    std::shared_ptr<ScreenGrab> screen_grab() const { return screen_; }
    net::ProfileSession* session() { return session_.get(); }
    using LockSource = std::function<Result<std::shared_ptr<net::ProfileLock>>()>;
    void setLockSource(LockSource source) { lock_source_ = std::move(source); }
    QString profileBusy() const { return profile_busy_; }
    void setProfileBusy(const QString& message);

    Stage stage() const { return stage_; }
    QString profileDir() const { return profile_dir_; }
    QString networkFilePath() const { return network_file_; }
    QString defaultNetworkText() const { return default_network_text_; }
    static QString torNetworkText();
    int networkProgress() const;
    QString displayName() const;
    bool online() const { return online_; }
    QString networkDetail() const { return network_detail_; }
    bool networkFailed() const { return network_failed_; }
    Presence presenceMode() const { return presence_; }
    void setPresenceMode(Presence mode);

    ContactListModel* contacts() { return &contacts_; }
    QAbstractItemModel* contactsView() { return &contacts_view_; }
    ChatModel* chat() { return &chat_; }
    ContactActions* contactActions() { return &actions_; }
    InviteController* invites() { return &invites_; }

    // Creates the profile and unlocks it; "" on success, else what to fix.
    // The stage stays FirstRun (the wizard shows the bootstrap) until
    // finishSetup().
    Q_INVOKABLE QString createProfile(const QString& name, const QString& passphrase,
                                      const QString& confirmation, const QString& network_text);
    Q_INVOKABLE void finishSetup();
    // "" on success; a wrong passphrase says so and changes nothing.
    Q_INVOKABLE QString unlock(const QString& passphrase);
    Q_INVOKABLE QString changePassphrase(const QString& old_passphrase, const QString& passphrase,
                                         const QString& confirmation);
    // The text of a network file (the wizard's "Open file..."); "" if unreadable.
    Q_INVOKABLE QString readNetworkFile(const QUrl& file) const;
    Q_INVOKABLE void setContactFilter(const QString& text);
    // The contact `delta` rows away from `current` in the (filtered) list,
    // clamped to its ends; the first one if `current` is not shown; 0 if
    // the list is empty (Alt+Up / Alt+Down).
    Q_INVOKABLE quint64 stepContact(quint64 current, int delta) const;
    // The contact's row in the filtered list, -1 if not shown.
    Q_INVOKABLE int viewRowOf(quint64 contact) const;

    QString pendingInvite() const { return pending_invite_; }
    void setPendingInvite(const QString& code) {
        if (code == pending_invite_) return;
        pending_invite_ = code;
        emit pendingInviteChanged();
    }

  signals:
    void pendingInviteChanged();
    void profileBusyChanged();
    void stageChanged();
    void profileChanged();
    void networkChanged();
    void presenceModeChanged();
    // A message arrived that the user is not looking at (for the tray's
    // desktop notification).
    void notify(quint64 contact, const QString& title, const QString& body);
    void storageFailed(const QString& message);

  private:
    QString pending_invite_;
    void set_stage(Stage s);
    void open_session(const QString& passphrase, QString* error);
    // The lock source's lock (null without a source); false and `error` set
    // if another program has the profile.
    bool take_lock(std::shared_ptr<net::ProfileLock>* lock, QString* error);

    QString profile_dir_;
    QString network_file_;
    QString default_network_text_;
    net::SessionOptions options_;
    LockSource lock_source_;
    QString profile_busy_;
    std::unique_ptr<net::ProfileSession> session_;
    store::ProfileStore* store_ = nullptr;
    QPointer<net::MessengerDriver> driver_;
    std::shared_ptr<ScreenGrab> screen_ = std::make_shared<ScreenGrab>();
    ContactListModel contacts_;
    QSortFilterProxyModel contacts_view_;
    ChatModel chat_;
    ContactActions actions_;
    InviteController invites_;
    Stage stage_ = Stage::FirstRun;
    bool online_ = false;
    bool network_failed_ = false;
    QString network_detail_;
    Presence presence_ = Presence::Visible;
};

}  // namespace sotto::ui
