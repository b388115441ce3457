// Writing to a TCP socket without waiting for Qt's next event-loop pass.
//
// QTcpSocket::write() only appends to Qt's buffer; Qt sends it when the
// socket notifier next reports the socket writable, 16 KiB a pass. A relay
// forwarding a full stream window paid one poll and one wake-up per 16 KiB
// on every hop, and a flush() per pump sent the buffer one 16 KiB block per
// send() (issue 10 item 9). write_through() hands the bytes to the kernel in
// the call when Qt holds nothing unsent for the socket, so the order of the
// bytes on the wire stays the order of the calls.
#pragma once

#include <QTcpSocket>

#include "core/util/bytes.hpp"

namespace sotto::net {

// Sends what the kernel takes now (only while Qt's own buffer is empty) and
// leaves the rest to QTcpSocket::write(). An error other than a full send
// buffer is left to Qt too: the bytes go into its buffer, its next send
// fails the same way and it reports the error through its usual signals.
// Returns how many bytes went to the kernel here; QTcpSocket::bytesWritten()
// is emitted only for the others.
qint64 write_through(QTcpSocket& socket, ByteView data);

}  // namespace sotto::net
