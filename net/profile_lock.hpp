// The exclusive lock on a profile directory. Whoever has a profile open
// holds it for as long as it does: a ProfileSession (the app once unlocked,
// the sotto-cli daemon), the desktop app from start-up, and the sotto-cli
// commands that write the store themselves (init, passwd). Two programs on
// one profile would run the same private service and the same outbox:
// duplicate sends, and two nodes publishing one identity, which links us.
//
// DIR/profile.lock, flock(2)ed: the kernel drops the lock when the holder's
// last descriptor closes, so a crash or kill -9 never leaves a stale lock and
// nothing has to guess whether a recorded process is still alive. The file
// stays (removing it would race with a concurrent open); while held it
// names the holder, "PID OWNER", for the message a second opener gets.
#pragma once

#include <QString>
#include <memory>
#include <optional>

#include "core/util/error.hpp"

namespace sotto::net {

inline constexpr const char* kProfileLockFile = "profile.lock";
// The owner word the desktop app records, so sotto-cli can tell the user
// that it is the app, not a stopped daemon, that has the profile.
inline constexpr const char* kAppLockOwner = "sotto-app";

class ProfileLock {
  public:
    struct Holder {
        qint64 pid = 0;
        // A short word ([A-Za-z0-9_-], at most 32): the desktop app's is
        // kAppLockOwner, anyone else's its executable's name by default.
        QString owner;
    };

    // Takes DIR's lock (DIR must exist). If another program (or another
    // ProfileLock in this one) holds it, fails with Errc::Config and
    // already_open_message().
    static Result<std::shared_ptr<ProfileLock>> acquire(const QString& dir, QString owner = {});
    // What the lock file says about its holder, without taking the lock:
    // nullopt if nobody recorded one. The record may be stale a moment after
    // the holder died; acquire() is the only test of whether it still holds.
    static std::optional<Holder> recorded_holder(const QString& dir);
    // "This profile is already open in another Sotto program (process N)."
    static QString already_open_message(std::optional<qint64> pid);

    ProfileLock(const ProfileLock&) = delete;
    ProfileLock& operator=(const ProfileLock&) = delete;
    ~ProfileLock();

    // DIR, canonical (symbolic links resolved).
    QString dir() const { return dir_; }
    // Whether this lock is the one for `dir` (any spelling of the path).
    bool covers(const QString& dir) const;

  private:
    ProfileLock(int fd, QString dir) : fd_(fd), dir_(std::move(dir)) {}
    int fd_;
    QString dir_;
};

}  // namespace sotto::net
