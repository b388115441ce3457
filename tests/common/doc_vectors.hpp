// Test vectors printed in the protocol documents: the tests parse the
// ```vector NAME blocks of docs/*.md and check the code against them, so a
// document and the implementation cannot drift apart.
#pragma once

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "core/util/bytes.hpp"
#include "core/util/rng.hpp"

namespace sotto::test {

// The `key = value` lines of the ```vector NAME block of docs/DOC.
inline std::map<std::string, std::string> read_doc_vector(const std::string& doc,
                                                          const std::string& name) {
    std::ifstream in(std::string(SOTTO_SOURCE_DIR "/docs/") + doc);
    std::map<std::string, std::string> out;
    std::string line;
    bool inside = false;
    while (std::getline(in, line)) {
        if (line == "```vector " + name) {
            inside = true;
            continue;
        }
        if (inside && line.starts_with("```")) break;
        if (!inside) continue;
        std::istringstream ls(line);
        std::string key, eq, value;
        ls >> key >> eq >> value;
        if (eq == "=") out[key] = value;
    }
    return out;
}

// The same block with every hex value decoded (non-hex values left out).
inline std::map<std::string, Bytes> read_doc_vector_hex(const std::string& doc,
                                                        const std::string& name) {
    std::map<std::string, Bytes> out;
    for (auto& [key, value] : read_doc_vector(doc, name)) {
        Bytes b;
        if (from_hex(value, b)) out[key] = std::move(b);
    }
    return out;
}

// Returns `value` over and over: the "ephemeral" secrets of a vector.
struct FixedRng : Rng {
    Bytes value;
    void fill(MutableByteView out) override {
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = value[i % value.size()];
    }
};

}  // namespace sotto::test
