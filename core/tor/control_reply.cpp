#include "core/tor/control_reply.hpp"

#include <algorithm>

namespace sotto::tor {

namespace {

void wipe(std::string& s) {
    if (!s.empty()) secure_wipe(s.data(), s.size());
}

void wipe_lines(std::vector<ControlLine>& lines) {
    for (auto& l : lines) {
        wipe(l.text);
        if (l.data) wipe(*l.data);
    }
}

}  // namespace

ControlReply& ControlReply::operator=(ControlReply&& o) noexcept {
    if (this != &o) {
        wipe_lines(lines);
        code = o.code;
        lines = std::move(o.lines);
        o.lines.clear();
    }
    return *this;
}

ControlReply::~ControlReply() {
    wipe_lines(lines);
}

const std::string& ControlReply::head() const {
    static const std::string kEmpty;
    return lines.empty() ? kEmpty : lines.front().text;
}

ControlReplyParser::ControlReplyParser(ControlLimits limits) : limits_(limits) {
    // One allocation for the life of the parser: a growing line would leave
    // copies of what it held (a private key, in one reply) in freed memory.
    line_.reserve(std::min<std::size_t>(limits_.max_line, 1024 * 1024));
}

ControlReplyParser::~ControlReplyParser() {
    clear_line();
}

void ControlReplyParser::clear_line() {
    wipe(line_);
    line_.clear();
}

Status ControlReplyParser::fail_with(Errc c, std::string msg) {
    error_ = Error{c, "tor control reply: " + std::move(msg)};
    clear_line();
    return std::unexpected(*error_);
}

Status ControlReplyParser::feed(ByteView bytes) {
    if (error_) return std::unexpected(*error_);
    for (std::uint8_t b : bytes) {
        char c = static_cast<char>(b);
        if (saw_cr_) {
            saw_cr_ = false;
            if (c == '\n') {
                auto done = on_line(line_);
                clear_line();
                if (!done) return done;
                continue;
            }
            // A CR inside a line: CmdData allows it (LineItem = 1*CR NonCRLF);
            // a reply line never has one.
            if (!in_data_) return fail_with(Errc::Malformed, "CR without LF");
            line_.push_back('\r');
        }
        if (c == '\r') {
            saw_cr_ = true;
            continue;
        }
        if (c == '\n') return fail_with(Errc::Malformed, "LF without CR");
        line_.push_back(c);
        // The CR counts too: max_line is the whole line on the wire.
        if (line_.size() + 2 > limits_.max_line) return fail_with(Errc::TooLarge, "line too long");
        if (ready_bytes_ + current_bytes_ + line_.size() > limits_.max_buffered)
            return fail_with(Errc::Limit, "too many bytes not yet taken");
    }
    return {};
}

Status ControlReplyParser::on_line(std::string_view line) {
    current_bytes_ += line.size() + 2;
    if (ready_bytes_ + current_bytes_ > limits_.max_buffered)
        return fail_with(Errc::Limit, "too many bytes not yet taken");
    return in_data_ ? on_data_line(line) : on_reply_line(line);
}

Status ControlReplyParser::on_data_line(std::string_view line) {
    auto& data = *current_.lines.back().data;
    if (line == ".") {
        in_data_ = false;
        return {};
    }
    // RFC 2821 §4.5.2, as control-spec's CmdData says: a leading dot is
    // removed (tor doubles every leading dot it writes).
    if (line.starts_with('.')) line.remove_prefix(1);
    if (data.size() + line.size() + 1 > limits_.max_data)
        return fail_with(Errc::TooLarge, "data block too large");
    data.append(line);
    data.push_back('\n');
    return {};
}

Status ControlReplyParser::on_reply_line(std::string_view line) {
    if (line.size() < 4) return fail_with(Errc::Malformed, "line shorter than a status code");
    for (int i = 0; i < 3; ++i)
        if (line[i] < '0' || line[i] > '9') return fail_with(Errc::Malformed, "bad status code");
    // The classes control-spec §4 defines; anything else is not tor.
    if (line[0] != '2' && line[0] != '4' && line[0] != '5' && line[0] != '6')
        return fail_with(Errc::Malformed, "status code of an unknown class");
    int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (current_.code != 0 && code != current_.code)
        return fail_with(Errc::Protocol, "status code changed within a reply");
    if (line.find('\0') != std::string_view::npos)
        return fail_with(Errc::Malformed, "NUL in a reply line");
    char sep = line[3];
    if (sep != '-' && sep != '+' && sep != ' ')
        return fail_with(Errc::Malformed, "bad separator after the status code");
    if (current_.lines.size() >= limits_.max_lines)
        return fail_with(Errc::TooLarge, "too many lines in one reply");
    current_.code = code;
    ControlLine l{std::string(line.substr(4)), std::nullopt};
    if (sep == '+') {
        l.data.emplace();
        in_data_ = true;
    }
    current_.lines.push_back(std::move(l));
    if (sep == ' ') {
        ready_.emplace_back(std::move(current_), current_bytes_);
        ready_bytes_ += current_bytes_;
        current_ = ControlReply{};
        current_bytes_ = 0;
    }
    return {};
}

std::optional<ControlReply> ControlReplyParser::next() {
    if (ready_.empty()) return std::nullopt;
    auto [reply, bytes] = std::move(ready_.front());
    ready_.pop_front();
    ready_bytes_ -= bytes;
    return std::move(reply);
}

Status expect_ok(const ControlReply& reply) {
    if (reply.is_ok()) return {};
    std::string text = reply.head().substr(0, 200);
    // Tor's text goes to logs and dialogs: no terminal control bytes.
    for (auto& ch : text)
        if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F) ch = '?';
    return fail(Errc::Protocol, "tor replied " + std::to_string(reply.code) + " " + text);
}

}  // namespace sotto::tor
