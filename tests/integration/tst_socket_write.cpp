// net::write_through (net/socket_write.hpp) on a real loopback TCP pair: the
// bytes of many calls arrive complete and in call order when the kernel's
// send buffer fills in the middle (the receiver does not read until the end,
// so most calls find Qt's buffer non-empty and must queue behind it), and a
// write after the peer has gone is reported by Qt as an error, not lost
// silently as a success.
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>
#include <cstring>
#include <memory>

#include "net/socket_write.hpp"

using namespace sotto;

namespace {

// Call i writes `kCallBytes` bytes, each (i + position) mod 251: a byte out
// of place or a call missing shows in the check.
constexpr int kCalls = 400;
constexpr std::size_t kCallBytes = 40000;  // 16 MB in all: far above any socket buffer

Bytes call_bytes(int i) {
    Bytes b(kCallBytes);
    for (std::size_t k = 0; k < b.size(); ++k)
        b[k] = static_cast<std::uint8_t>((static_cast<std::size_t>(i) + k) % 251);
    return b;
}

struct Pair {
    QTcpServer server;
    QTcpSocket client;
    std::unique_ptr<QTcpSocket> accepted;

    bool open() {
        if (!server.listen(QHostAddress::LocalHost, 0)) return false;
        QSignalSpy spy(&server, &QTcpServer::newConnection);
        client.connectToHost(QHostAddress::LocalHost, server.serverPort());
        if (!client.waitForConnected(5000) || !spy.wait(5000)) return false;
        accepted.reset(server.nextPendingConnection());
        return accepted != nullptr;
    }
};

}  // namespace

class TestSocketWrite : public QObject {
    Q_OBJECT

  private slots:
    void bytes_arrive_whole_and_in_order_past_a_full_send_buffer() {
        Pair p;
        QVERIFY(p.open());
        qint64 direct = 0, queued_calls = 0;
        for (int i = 0; i < kCalls; ++i) {
            const bool qt_buffer_empty = p.client.bytesToWrite() == 0;
            const qint64 d = net::write_through(p.client, call_bytes(i));
            direct += d;
            queued_calls += d < static_cast<qint64>(kCallBytes);
            // Straight to the kernel only while Qt holds nothing unsent.
            if (!qt_buffer_empty) QCOMPARE(d, qint64(0));
        }
        // Both paths were taken: some bytes went directly, the kernel buffer
        // filled and later calls queued behind Qt's buffer.
        QVERIFY(direct > 0);
        QVERIFY(queued_calls > 0);
        const qint64 total = static_cast<qint64>(kCalls) * static_cast<qint64>(kCallBytes);
        QByteArray got;
        got.reserve(total);
        while (got.size() < total) {
            if (p.accepted->bytesAvailable() == 0) QVERIFY(p.accepted->waitForReadyRead(10000));
            got += p.accepted->readAll();
            // Qt sends its buffered remainder only from the event loop.
            QCoreApplication::processEvents();
        }
        QCOMPARE(got.size(), total);
        for (int i = 0; i < kCalls; ++i) {
            const Bytes want = call_bytes(i);
            const auto at = static_cast<qsizetype>(i) * static_cast<qsizetype>(kCallBytes);
            QVERIFY2(std::memcmp(got.constData() + at, want.data(), want.size()) == 0,
                     qPrintable(QStringLiteral("call %1 arrived out of place").arg(i)));
        }
    }

    void a_write_to_a_closed_peer_is_an_error() {
        Pair p;
        QVERIFY(p.open());
        QSignalSpy errors(&p.client, &QAbstractSocket::errorOccurred);
        p.accepted->abort();  // RST: the peer is gone
        // The first send may still succeed (the RST is not there yet); keep
        // writing until the socket reports the error.
        for (int i = 0; i < 100 && errors.isEmpty(); ++i) {
            (void)net::write_through(p.client, call_bytes(i));
            if (errors.isEmpty()) errors.wait(100);
        }
        QVERIFY(!errors.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestSocketWrite)
#include "tst_socket_write.moc"
