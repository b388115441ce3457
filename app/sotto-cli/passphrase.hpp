// Where sotto-cli gets a passphrase: a file (--passphrase-file, first line),
// the SOTTO_PASSPHRASE environment variable (for scripts and tests), or a
// prompt on the terminal with echo off. Never printed or logged.
#pragma once

#include <optional>
#include <string>

namespace sotto::cli {

// `file` empty: environment, then prompt. Returns nullopt with `error` set.
std::optional<std::string> read_passphrase(const std::string& file, const std::string& prompt,
                                           std::string& error);

}  // namespace sotto::cli
