#include "app/sotto-cli/passphrase.hpp"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

namespace sotto::cli {

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
    if (const char* env = std::getenv("SOTTO_PASSPHRASE"); env && *env) return std::string(env);
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
