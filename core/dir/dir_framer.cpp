// Length-prefixed framing of directory messages on a BEGIN_DIR stream.
#include <algorithm>

#include "core/dir/dir_message.hpp"
#include "core/wire/reader.hpp"

namespace sotto::dir {

namespace {
constexpr std::size_t kHeaderLen = 4;
}

DirFramer::DirFramer(std::size_t max_message)
    : max_message_(std::min(max_message, kMaxDirMessageLen)) {}

void DirFramer::frame(ByteView body, Bytes& out) {
    const std::size_t base = out.size();
    out.resize(base + kHeaderLen);
    wire::put_u32(out.data() + base, static_cast<std::uint32_t>(body.size()));
    out.insert(out.end(), body.begin(), body.end());
}

Status DirFramer::feed(ByteView bytes) {
    if (failed_) return fail(Errc::Protocol, "directory stream already failed; close it");
    auto refuse = [&](std::string why) -> Status {
        failed_ = true;
        buf_ = Bytes{};  // gives the memory back, not just the size
        head_ = checked_ = 0;
        return fail(Errc::TooLarge, std::move(why) + "; closing the stream");
    };
    // Complete frames the reader has not taken count too: without this bound
    // a peer could send small frames without end and this buffer would grow
    // with them, whatever the limit on one frame.
    if (buf_.size() - head_ + bytes.size() > kHeaderLen + max_message_)
        return refuse("more than one directory message of at most " + std::to_string(max_message_) +
                      " bytes waiting to be read");
    // Checks every length now visible, so an oversize frame is refused as soon
    // as its header arrives instead of after buffering its body.
    buf_.insert(buf_.end(), bytes.begin(), bytes.end());
    while (buf_.size() - checked_ >= kHeaderLen) {
        const std::size_t len = wire::get_u32(buf_.data() + checked_);
        if (len > max_message_)
            return refuse("directory message of " + std::to_string(len) +
                          " bytes exceeds the limit of " + std::to_string(max_message_));
        if (buf_.size() - checked_ - kHeaderLen < len) break;
        checked_ += kHeaderLen + len;
    }
    return {};
}

std::optional<Bytes> DirFramer::next() {
    // Only frames that feed() has length-checked and seen complete.
    if (failed_ || head_ == checked_) return std::nullopt;
    const std::size_t len = wire::get_u32(buf_.data() + head_);
    auto first = buf_.begin() + static_cast<std::ptrdiff_t>(head_ + kHeaderLen);
    Bytes body(first, first + static_cast<std::ptrdiff_t>(len));
    head_ += kHeaderLen + len;
    // Compacts lazily so that many small frames do not cost quadratic copying.
    if (head_ == buf_.size()) {
        buf_.clear();
        head_ = checked_ = 0;
    } else if (head_ > buf_.size() / 2) {
        buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(head_));
        checked_ -= head_;
        head_ = 0;
    }
    return body;
}

}  // namespace sotto::dir
