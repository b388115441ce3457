// Tor's control-port replies and asynchronous events (control-spec §2.3,
// §4), read incrementally from the bytes of the control connection. A reply
// is one or more lines sharing one three-digit status code: "250-" lines
// continue it, a "250+" line carries a data block (dot-encoded lines up to
// a lone "."), a "250 " line ends it. Codes 6xx are events, which tor may
// send between a command and its reply but never inside another reply.
//
// The parser is strict, because what it reads decides which onion services
// exist: CRLF line ends exactly as tor writes them (a bare LF or CR is an
// error), three digits with a first digit tor uses (2, 4, 5, 6), one code
// per reply, no NUL in a reply line. It is bounded (ControlLimits): a line,
// a reply's line count, a data block and the bytes held for the caller all
// have a maximum. Any error is final: the parser keeps returning it, and the
// caller closes the connection, because after a framing error nothing that
// follows can be trusted to line up with the commands sent.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "core/util/bytes.hpp"
#include "core/util/error.hpp"

namespace sotto::tor {

struct ControlLimits {
    // One line, CRLF included. Tor's longest lines for Sotto's commands are
    // events with a descriptor id and HSDir index (~300 bytes).
    std::size_t max_line = 16 * 1024;
    // Lines of one reply, data lines not counted.
    std::size_t max_lines = 4096;
    // One decoded data block (HS_DESC_CONTENT carries a descriptor, ≤ 50 KB).
    std::size_t max_data = 1024 * 1024;
    // Wire bytes held: the reply in progress plus the replies not yet taken
    // with next(). A peer that floods events faster than they are taken
    // fails the parser instead of growing it.
    std::size_t max_buffered = 4 * 1024 * 1024;
};

struct ControlLine {
    std::string text;                 // after "250-" / "250+" / "250 ", no CRLF
    std::optional<std::string> data;  // a "+" line's block: dots decoded, lines end in '\n'
};

// Wipes its text on destruction: the reply to ADD_ONION NEW:... carries the
// new service's private key.
struct ControlReply {
    int code = 0;  // 100..699
    std::vector<ControlLine> lines;

    ControlReply() = default;
    ControlReply(ControlReply&&) noexcept = default;
    ControlReply& operator=(ControlReply&&) noexcept;
    ControlReply(const ControlReply&) = delete;
    ControlReply& operator=(const ControlReply&) = delete;
    ~ControlReply();

    bool is_event() const { return code / 100 == 6; }
    bool is_ok() const { return code / 100 == 2; }
    // The first line's text: the whole reply for one-line replies, the
    // event's name and arguments for an event.
    const std::string& head() const;
};

class ControlReplyParser {
  public:
    explicit ControlReplyParser(ControlLimits limits = {});
    ~ControlReplyParser();
    ControlReplyParser(const ControlReplyParser&) = delete;
    ControlReplyParser& operator=(const ControlReplyParser&) = delete;

    // Reads as many complete replies as `bytes` finishes; a partial line is
    // kept for the next call. Returns the (final) error once one occurred.
    Status feed(ByteView bytes);
    // The oldest complete reply or event not yet taken, in arrival order.
    std::optional<ControlReply> next();
    bool failed() const { return error_.has_value(); }

  private:
    Status on_line(std::string_view line);
    Status on_data_line(std::string_view line);
    Status on_reply_line(std::string_view line);
    Status fail_with(Errc c, std::string msg);
    void clear_line();

    ControlLimits limits_;
    std::string line_;      // the partial line, without its CR
    bool saw_cr_ = false;   // the last byte fed was a CR
    ControlReply current_;  // the reply in progress (code 0: none)
    bool in_data_ = false;  // reading current_.lines.back()'s data block
    std::size_t current_bytes_ = 0;
    std::deque<std::pair<ControlReply, std::size_t>> ready_;  // with wire sizes
    std::size_t ready_bytes_ = 0;
    std::optional<Error> error_;
};

// Ok for a 2xx reply; otherwise an Error (Errc::Protocol) naming tor's code
// and its one-line text, cut to 200 bytes. Tor's text can echo an argument
// (an address, a key name), so callers do not log it for commands that
// carried a secret.
Status expect_ok(const ControlReply& reply);

}  // namespace sotto::tor
