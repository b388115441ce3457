#include "ui/session_controller.hpp"

#include <QFile>

#include "core/dir/tor_network_file.hpp"
#include "net/messenger_driver.hpp"

namespace sotto::ui {

namespace {

using Presence = SessionController::Presence;

Presence presence_of_mode(messenger::PresenceMode mode) {
    switch (mode) {
        case messenger::PresenceMode::Away:
            return Presence::Away;
        case messenger::PresenceMode::Invisible:
            return Presence::Invisible;
        case messenger::PresenceMode::Visible:
            break;
    }
    return Presence::Visible;
}

messenger::PresenceMode mode_of_presence(Presence presence) {
    switch (presence) {
        case Presence::Away:
            return messenger::PresenceMode::Away;
        case Presence::Invisible:
            return messenger::PresenceMode::Invisible;
        case Presence::Visible:
            break;
    }
    return messenger::PresenceMode::Visible;
}

}  // namespace

SessionController::SessionController(QString profile_dir, QString network_file,
                                     net::SessionOptions options, QObject* parent)
    : QObject(parent),
      profile_dir_(std::move(profile_dir)),
      network_file_(std::move(network_file)),
      options_(std::move(options)),
      invites_(screen_) {
    contacts_view_.setSourceModel(&contacts_);
    contacts_view_.setFilterRole(ContactListModel::DisplayRole);
    contacts_view_.setFilterCaseSensitivity(Qt::CaseInsensitive);
    if (!network_file_.isEmpty())
        default_network_text_ = readNetworkFile(QUrl::fromLocalFile(network_file_));
    stage_ = net::ProfileSession::profile_exists(profile_dir_) ? Stage::Unlock : Stage::FirstRun;

    // Reading a conversation clears its badge; the contact list owns that.
    connect(&chat_, &ChatModel::readRequested, &contacts_, &ContactListModel::markRead);
}

SessionController::~SessionController() {
    // The models hold raw pointers into the session: let go first.
    attach(nullptr, nullptr);
}

QString SessionController::displayName() const {
    return store_ ? QString::fromStdString(store_->identity().display_name) : QString();
}

void SessionController::set_stage(Stage s) {
    if (s == stage_) return;
    stage_ = s;
    emit stageChanged();
}

void SessionController::attach(store::ProfileStore* store, net::MessengerDriver* driver) {
    if (!store) attach_messenger(nullptr);
    store_ = store;
    contacts_.set_store(store);
    chat_.set_store(store);
    emit profileChanged();
    if (store) {
        attach_messenger(driver);
        set_stage(Stage::Main);
    }
}

void SessionController::attach_messenger(net::MessengerDriver* driver) {
    if (driver_) driver_->disconnect(this);
    driver_ = driver;
    contacts_.set_messenger(driver);
    chat_.set_messenger(driver);
    actions_.set_messenger(driver);
    invites_.set_messenger(driver);
    if (driver_) {
        presence_ = presence_of_mode(driver_->presence_mode());
        connect(driver_, &net::MessengerDriver::presenceModeChanged, this,
                [this](messenger::PresenceMode mode) {
                    presence_ = presence_of_mode(mode);
                    emit presenceModeChanged();
                });
        connect(driver_, &net::MessengerDriver::storageFailed, this,
                &SessionController::storageFailed);
        connect(driver_, &net::MessengerDriver::messageAdded, this,
                [this](const store::MessageRecord& m) {
                    if (m.direction != store::Direction::Incoming) return;
                    if (chat_.viewing() && chat_.contactId() == m.contact) return;
                    emit notify(m.contact, contacts_.displayOf(m.contact),
                                QString::fromStdString(m.body));
                });
        // Without a ProfileSession (tests) the messenger is the network.
        if (!session_) {
            online_ = true;
            emit networkChanged();
        }
    }
    emit presenceModeChanged();
}

void SessionController::setPresenceMode(Presence mode) {
    if (!driver_) return;
    driver_->set_presence_mode(mode_of_presence(mode));
}

void SessionController::setProfileBusy(const QString& message) {
    if (message == profile_busy_) return;
    profile_busy_ = message;
    emit profileBusyChanged();
}

bool SessionController::take_lock(std::shared_ptr<net::ProfileLock>* lock, QString* error) {
    if (!lock_source_) return true;
    auto taken = lock_source_();
    if (!taken) {
        *error = QString::fromStdString(taken.error().message);
        setProfileBusy(*error);
        return false;
    }
    *lock = std::move(*taken);
    setProfileBusy({});
    return true;
}

void SessionController::open_session(const QString& passphrase, QString* error) {
    std::shared_ptr<net::ProfileLock> lock;
    if (!take_lock(&lock, error)) return;
    auto opened = net::ProfileSession::open(profile_dir_, passphrase, options_, std::move(lock));
    if (!opened) {
        *error = opened.error().message == store::kWrongPassphrase
                     ? tr("Wrong passphrase. Check Caps Lock and try again.")
                     : QString::fromStdString(opened.error().message);
        return;
    }
    session_ = std::move(*opened);
    online_ = false;
    network_failed_ = false;
    network_detail_ = session_->transport().status();
    emit networkChanged();
    connect(session_.get(), &net::ProfileSession::networkChanged, this,
            [this](net::NetworkState state, const QString& detail) {
                online_ = state == net::NetworkState::Online;
                network_detail_ = detail;
                emit networkChanged();
            });
    connect(session_.get(), &net::ProfileSession::ready, this,
            [this] { attach_messenger(session_->messenger()); });
    connect(session_.get(), &net::ProfileSession::failed, this, [this](const QString& message) {
        network_failed_ = true;
        network_detail_ = message;
        emit networkChanged();
    });
    store_ = &session_->store();
    contacts_.set_store(store_);
    chat_.set_store(store_);
    emit profileChanged();
}

QString SessionController::torNetworkText() {
    return QString::fromLatin1(dir::kPublicTorNetworkFile.data(),
                               qsizetype(dir::kPublicTorNetworkFile.size()));
}

int SessionController::networkProgress() const {
    if (!session_) return -1;
    if (online_) return 100;
    return session_->transport().bootstrap_percent();
}

QString SessionController::createProfile(const QString& name, const QString& passphrase,
                                         const QString& confirmation, const QString& network_text) {
    if (name.trimmed().isEmpty()) return tr("Choose a name: your contacts see it.");
    if (passphrase.size() < kMinPassphraseLength)
        return tr("Choose a passphrase of at least %1 characters.").arg(kMinPassphraseLength);
    if (passphrase != confirmation) return tr("The two passphrases differ.");
    if (network_text.trimmed().isEmpty())
        return tr("Open or paste the network file you were given.");
    std::shared_ptr<net::ProfileLock> lock;
    if (QString error; !take_lock(&lock, &error)) return error;
    auto created = net::ProfileSession::create_profile(profile_dir_, passphrase, name, network_text,
                                                       options_.scrypt, std::move(lock));
    if (!created) return QString::fromStdString(created.error().message);
    QString error;
    open_session(passphrase, &error);
    return error;
}

void SessionController::finishSetup() {
    if (store_) set_stage(Stage::Main);
}

QString SessionController::unlock(const QString& passphrase) {
    if (passphrase.isEmpty()) return tr("Enter your passphrase.");
    if (session_) return {};
    QString error;
    open_session(passphrase, &error);
    if (error.isEmpty()) set_stage(Stage::Main);
    return error;
}

QString SessionController::changePassphrase(const QString& old_passphrase,
                                            const QString& passphrase,
                                            const QString& confirmation) {
    if (!store_) return tr("Unlock the profile first.");
    if (passphrase.size() < kMinPassphraseLength)
        return tr("Choose a passphrase of at least %1 characters.").arg(kMinPassphraseLength);
    if (passphrase != confirmation) return tr("The two new passphrases differ.");
    const QByteArray o = old_passphrase.toUtf8(), n = passphrase.toUtf8();
    auto r = store_->change_passphrase(
        std::string_view(o.constData(), static_cast<std::size_t>(o.size())),
        std::string_view(n.constData(), static_cast<std::size_t>(n.size())), options_.scrypt);
    if (!r)
        return r.error().message == store::kWrongPassphrase
                   ? tr("The current passphrase is wrong.")
                   : QString::fromStdString(r.error().message);
    return {};
}

QString SessionController::readNetworkFile(const QUrl& file) const {
    QFile f(file.isLocalFile() ? file.toLocalFile() : file.toString());
    if (!f.open(QIODevice::ReadOnly)) return {};
    // Network files are a few kilobytes; refuse anything absurd.
    return QString::fromUtf8(f.read(1 << 20));
}

void SessionController::setContactFilter(const QString& text) {
    contacts_view_.setFilterFixedString(text.trimmed());
}

int SessionController::viewRowOf(quint64 contact) const {
    const int source = contacts_.indexOf(contact);
    return source < 0 ? -1 : contacts_view_.mapFromSource(contacts_.index(source)).row();
}

quint64 SessionController::stepContact(quint64 current, int delta) const {
    const int n = contacts_view_.rowCount();
    if (n == 0) return 0;
    int row = viewRowOf(current);
    row = row < 0 ? 0 : std::clamp(row + delta, 0, n - 1);
    const auto ix = contacts_view_.mapToSource(contacts_view_.index(row, 0));
    return contacts_.contactAt(ix.row());
}

}  // namespace sotto::ui
