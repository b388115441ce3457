// Who is on the other end of a local socket, in the kernel's word. The app's
// single-instance socket (ui/app_instance) and the sotto-cli daemon's control
// socket both serve only the user who runs them: a socket file's mode and its
// folder's are not the only guard against another user's process (a folder
// made group-readable, a shared home, root's files under sudo -u).
#pragma once

class QLocalSocket;

namespace sotto::net {

// True when the connected peer runs with this process's effective uid
// (SO_PEERCRED); false for another user or when the kernel does not say.
bool peer_is_same_user(QLocalSocket* socket);

}  // namespace sotto::net
