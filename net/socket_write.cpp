#include "net/socket_write.hpp"

#include <sys/socket.h>
#include <cerrno>

namespace sotto::net {

qint64 write_through(QTcpSocket& socket, ByteView data) {
    const auto* bytes = reinterpret_cast<const char*>(data.data());
    const auto size = static_cast<qint64>(data.size());
    qint64 sent = 0;
    const qintptr fd = socket.socketDescriptor();
    if (fd >= 0 && socket.state() == QAbstractSocket::ConnectedState &&
        socket.bytesToWrite() == 0) {
        while (sent < size) {
            const ssize_t n =
                ::send(static_cast<int>(fd), bytes + sent, static_cast<std::size_t>(size - sent),
                       MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                sent += n;
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            break;  // EAGAIN (a full send buffer) or an error for Qt to report
        }
    }
    if (sent < size) socket.write(bytes + sent, size - sent);
    return sent;
}

}  // namespace sotto::net
