#include "app/sotto-cli/passphrase.hpp"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string_view>
#include <utility>
#include <vector>

#include "core/util/bytes.hpp"

extern char** environ;

namespace sotto::cli {

namespace {

// Not left for /proc/PID/environ, a core dump or a child process: out of the
// environment, and the original "SOTTO_PASSPHRASE=..." bytes (which
// unsetenv leaves where they are, in the block the kernel shows as
// /proc/PID/environ) overwritten.
void forget_environment_passphrase() {
    constexpr std::string_view kEntry = "SOTTO_PASSPHRASE=";
    std::vector<std::pair<char*, std::size_t>> entries;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e)
        if (std::string_view(*e).starts_with(kEntry)) entries.emplace_back(*e, std::strlen(*e));
    ::unsetenv("SOTTO_PASSPHRASE");
    for (auto [p, n] : entries) secure_wipe(p, n);
}

}  // namespace

std::optional<std::string> read_passphrase(const std::string& file, const std::string& prompt,
                                           std::string& error) {
    std::string line;
    if (!file.empty()) {
        std::ifstream in(file);
        if (!in || !std::getline(in, line)) {
            error = "cannot read the passphrase file " + file;
            return std::nullopt;
        }
        return line;
    }
    if (const char* env = std::getenv("SOTTO_PASSPHRASE"); env && *env) {
        std::string pass(env);
        forget_environment_passphrase();
        return pass;
    }
    const bool tty = isatty(STDIN_FILENO);
    termios old{};
    if (tty) {
        std::fprintf(stderr, "%s", prompt.c_str());
        std::fflush(stderr);
        tcgetattr(STDIN_FILENO, &old);
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    const bool ok = static_cast<bool>(std::getline(std::cin, line));
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
        std::fprintf(stderr, "\n");
    }
    if (!ok) {
        error = "no passphrase given (use --passphrase-file, SOTTO_PASSPHRASE or a terminal)";
        return std::nullopt;
    }
    return line;
}

}  // namespace sotto::cli
