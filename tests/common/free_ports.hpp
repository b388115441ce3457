// A block of consecutive free TCP ports on 127.0.0.1 for a sotto-localnet
// started by an integration test, so parallel tests (and a demo network
// someone left running) don't collide.
#pragma once

#include <QRandomGenerator>
#include <QTcpServer>

namespace sotto::testing {

inline bool port_free(quint16 port) {
    QTcpServer probe;
    return probe.listen(QHostAddress::LocalHost, port);
}

// 0 when no block was found.
inline quint16 free_port_block(int count) {
    for (int attempt = 0; attempt < 200; ++attempt) {
        const auto base = static_cast<quint16>(12000 + QRandomGenerator::global()->bounded(18000));
        bool ok = true;
        for (int i = 0; i < count && ok; ++i) ok = port_free(static_cast<quint16>(base + i));
        if (ok) return base;
    }
    return 0;
}

}  // namespace sotto::testing
