#include "ui/tray_icon.hpp"

#include <QMenu>

#include "ui/app_icon.hpp"
#include "ui/session_controller.hpp"

namespace sotto::ui {

bool TrayIcon::available() {
    return QSystemTrayIcon::isSystemTrayAvailable();
}

TrayIcon::TrayIcon(SessionController& session, QObject* parent)
    : QObject(parent), session_(session) {
    if (!available()) return;
    menu_ = std::make_unique<QMenu>();
    menu_->addAction(tr("Show Sotto"), this, &TrayIcon::showRequested);
    menu_->addSeparator();
    menu_->addAction(tr("Quit"), this, &TrayIcon::quitRequested);
    tray_ = std::make_unique<QSystemTrayIcon>();
    tray_->setContextMenu(menu_.get());
    connect(tray_.get(), &QSystemTrayIcon::activated, this,
            [this](QSystemTrayIcon::ActivationReason reason) {
                if (reason == QSystemTrayIcon::Trigger || reason == QSystemTrayIcon::DoubleClick)
                    emit showRequested();
            });
    connect(tray_.get(), &QSystemTrayIcon::messageClicked, this, [this] {
        emit showRequested();
        if (last_notified_ != 0) emit openContact(last_notified_);
    });
    connect(session_.contacts(), &ContactListModel::totalUnreadChanged, this,
            &TrayIcon::update_badge);
    connect(&session_, &SessionController::notify, this,
            [this](quint64 contact, const QString& title, const QString& body) {
                if (!QSystemTrayIcon::supportsMessages()) return;
                last_notified_ = contact;
                // Enough to recognise the message; the rest is in the app.
                const QString shown = body.size() > 160 ? body.left(157) + u'…' : body;
                tray_->showMessage(title, shown, app_icon(), 8000);
            });
    update_badge();
    tray_->show();
}

TrayIcon::~TrayIcon() = default;

void TrayIcon::update_badge() {
    if (!tray_) return;
    const int unread = session_.contacts()->totalUnread();
    if (unread == shown_badge_) return;
    shown_badge_ = unread;
    tray_->setIcon(app_icon(unread));
    tray_->setToolTip(unread == 0 ? tr("Sotto") : tr("Sotto — %n unread", nullptr, unread));
}

}  // namespace sotto::ui
