#include "net/unix_signals.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace sotto::net {

namespace {
sigset_t termination_set() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return set;
}
}  // namespace

Status TerminationSignals::block() {
    // An ignored signal is discarded before it can reach the signalfd, and
    // ignoring is inherited through exec (a non-interactive shell's `&` does
    // it for SIGINT): restore the default first; blocking makes it harmless.
    std::signal(SIGTERM, SIG_DFL);
    std::signal(SIGINT, SIG_DFL);
    const sigset_t set = termination_set();
    if (int err = pthread_sigmask(SIG_BLOCK, &set, nullptr); err != 0)
        return fail(Errc::Io, std::string("cannot block SIGTERM/SIGINT: ") + std::strerror(err));
    return {};
}

Result<std::unique_ptr<TerminationSignals>> TerminationSignals::install(QObject* parent) {
    if (auto s = block(); !s) return std::unexpected(s.error());
    const sigset_t set = termination_set();
    int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) return fail(Errc::Io, std::string("signalfd: ") + std::strerror(errno));
    return std::unique_ptr<TerminationSignals>(new TerminationSignals(fd, parent));
}

TerminationSignals::TerminationSignals(int fd, QObject* parent)
    : QObject(parent), fd_(fd), notifier_(fd, QSocketNotifier::Read) {
    connect(&notifier_, &QSocketNotifier::activated, this, &TerminationSignals::on_readable);
}

TerminationSignals::~TerminationSignals() {
    notifier_.setEnabled(false);
    ::close(fd_);
}

void TerminationSignals::on_readable() {
    signalfd_siginfo info{};
    for (;;) {
        ssize_t n = ::read(fd_, &info, sizeof info);
        if (n < 0 && errno == EINTR) continue;
        if (n != static_cast<ssize_t>(sizeof info)) return;  // EAGAIN: drained
        emit terminationRequested(static_cast<int>(info.ssi_signo));
    }
}

}  // namespace sotto::net
