// The system-tray icon: Sotto's icon with the total unread count as a badge
// and in the tooltip, a desktop notification for each message the user is
// not looking at, and a menu to show the window or quit. Clicking the icon
// or a notification brings the window back (showRequested). Does nothing
// where the desktop has no tray (the app works without it).
#pragma once

#include <QObject>
#include <QPointer>
#include <QSystemTrayIcon>
#include <memory>

class QMenu;

namespace sotto::ui {

class SessionController;

class TrayIcon : public QObject {
    Q_OBJECT
  public:
    explicit TrayIcon(SessionController& session, QObject* parent = nullptr);
    ~TrayIcon() override;
    static bool available();

  signals:
    void showRequested();
    // A notification for this contact was clicked.
    void openContact(quint64 contact);
    void quitRequested();

  private:
    void update_badge();

    SessionController& session_;
    std::unique_ptr<QMenu> menu_;
    std::unique_ptr<QSystemTrayIcon> tray_;
    int shown_badge_ = -1;
    quint64 last_notified_ = 0;
};

}  // namespace sotto::ui
