#include "net/peer_credentials.hpp"

#include <sys/socket.h>
#include <unistd.h>
#include <QLocalSocket>

namespace sotto::net {

bool peer_is_same_user(QLocalSocket* socket) {
    struct ucred cred {};
    socklen_t len = sizeof cred;
    const auto fd = socket->socketDescriptor();
    if (fd < 0 || ::getsockopt(int(fd), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
    return cred.uid == ::geteuid();
}

}  // namespace sotto::net
