// One desktop app per profile. The first `sotto` on a profile takes the
// profile lock (net::ProfileLock, owner kAppLockOwner) at start-up, before
// any passphrase is asked, and listens on DIR/app.sock (mode 0600 in the
// 0700 profile directory, same user only). A later `sotto` on that profile
// hands its command line to it instead of starting a second copy: the
// running window comes to the front and a `sotto:` link (a clicked link, the
// desktop entry's %u) is offered in Add contact, exactly like a link given
// on its own command line; then the later launch exits 0. If the profile is
// open in another program (the sotto-cli daemon), the app says so instead.
//
// The socket carries one request per connection, one line of ASCII:
//   "activate\n"              come to the front
//   "link sotto:CODE\n"       come to the front and offer the link
// and the running app answers "ok\n" (or "refused\n" and closes). Requests
// are untrusted input: at most kMaxInstanceMessage bytes, parsed strictly,
// anything else refused.
#pragma once

#include <QByteArrayView>
#include <QLocalServer>
#include <QObject>
#include <QPointer>
#include <QString>
#include <memory>
#include <optional>
#include <vector>

#include "net/profile_lock.hpp"

class QLocalSocket;
class QWindow;

namespace sotto::ui {

class SessionController;

using net::kAppLockOwner;
inline constexpr const char* kAppSocket = "app.sock";
// Invite codes are under 300 characters (core/contacts/invite_code.hpp).
inline constexpr qsizetype kMaxInviteLink = 400;
inline constexpr qsizetype kMaxInstanceMessage = 512;

struct InstanceRequest {
    QString link;  // "" (just come to the front) or is_invite_link()
    friend bool operator==(const InstanceRequest&, const InstanceRequest&) = default;
};

// Shaped like a sotto: link: "sotto:" (any case), then one or more base32
// letters, digits and '-', kMaxInviteLink characters in all. Only the shape:
// the Add contact dialog checks the code itself and says what is wrong.
bool is_invite_link(const QString& text);
// The first of a command line's positional arguments that is_invite_link();
// "" if none.
QString invite_link_from(const QStringList& arguments);

QByteArray encode_instance_request(const InstanceRequest& request);
// One whole message, newline included, and nothing else; nullopt for
// anything else (no tolerance for spaces, CR, case or trailing bytes).
std::optional<InstanceRequest> parse_instance_request(QByteArrayView message);

class AppInstance : public QObject {
    Q_OBJECT
  public:
    enum class Role {
        Primary,    // this is the profile's app: it holds the lock and listens
        Forwarded,  // the running app has the request; exit 0
        Refused,    // another program has the profile (error() says which)
    };

    explicit AppInstance(QString profile_dir, QObject* parent = nullptr);
    ~AppInstance() override;

    // Creates the profile directory (0700) if needed, then becomes the
    // profile's app, or hands `request` to the running one. Blocks for at
    // most a few seconds (a running app busy unlocking answers late).
    Role start(const InstanceRequest& request);
    QString error() const { return error_; }
    // The process the request went to (Forwarded).
    qint64 running_pid() const { return running_pid_; }
    // The lock for the profile session. Primary: the one held since start().
    // Otherwise tried again now (the other program may have quit), and on
    // success this instance becomes the primary.
    Result<std::shared_ptr<net::ProfileLock>> lock();
    QString socket_path() const;

  signals:
    // Another launch asked for this window; `link` is "" or a sotto: link.
    void requested(const QString& link);

  private:
    // Takes the lock and listens; the lock's error otherwise.
    Status become_primary();
    // The lock's message, and what to do about the program that holds it.
    static QString with_hint(const QString& message, const net::ProfileLock::Holder& holder);
    enum class HandOver { Taken, Refused, NoAnswer };
    HandOver hand_over(const QByteArray& message, int timeout_ms);
    void on_connection();
    void on_readable(QLocalSocket* socket);

    QString dir_;
    std::shared_ptr<net::ProfileLock> lock_;
    QLocalServer server_;
    std::vector<QPointer<QLocalSocket>> clients_;
    QString error_;
    qint64 running_pid_ = 0;
};

// Routes other launches' requests to this app: the window comes to the
// front, and a link becomes the session's pendingInvite (offered in Add
// contact, never accepted unasked).
void route_instance_requests(AppInstance& instance, SessionController& session, QWindow* window);

}  // namespace sotto::ui
