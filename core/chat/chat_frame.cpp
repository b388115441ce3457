// The chat frame codec (chat_frame.hpp). Layout of one frame:
//
//   total u32 BE | type u8 | content length u32 BE | content | zero padding
//
// `total` counts the whole frame including its own four bytes, so a frame
// on the wire is exactly one of kSizeClasses long; the encoder picks the
// smallest class that fits and the decoder refuses a larger one, so every
// frame has exactly one encoding (the fuzz target checks decode→encode).
//
// Content by type:
//   1 Hello, 2 Welcome: name length u8 (≤ kMaxNameBytes) | UTF-8 name |
//                       pairwise key (32) | credential list (the rest;
//                       core/transport/credential.hpp)
//   3 Message:          id (16) | sent_at u64 µs | UTF-8 body (the rest,
//                       ≤ kMaxBodyBytes)
//   4 Ack:              id (16)
//   5 Presence:         state u8 (1 online, 2 away)
#include "core/chat/chat_frame.hpp"

#include "core/wire/reader.hpp"

namespace sotto::chat {

namespace {

constexpr std::size_t kLengthBytes = 4;
constexpr std::size_t kHeaderBytes = kLengthBytes + 1 + 4;  // total, type, content length

enum class Type : std::uint8_t { Hello = 1, Welcome = 2, Message = 3, Ack = 4, Presence = 5 };

bool is_size_class(std::size_t n) {
    for (auto c : kSizeClasses)
        if (c == n) return true;
    return false;
}

std::size_t class_for(std::size_t content) {
    for (auto c : kSizeClasses)
        if (kHeaderBytes + content <= c) return c;
    return 0;
}

Status check_name(const std::string& name) {
    if (name.size() > kMaxNameBytes)
        return fail(Errc::TooLarge,
                    "name is longer than " + std::to_string(kMaxNameBytes) + " bytes");
    if (!valid_utf8(name)) return fail(Errc::Malformed, "name is not valid UTF-8");
    return {};
}

template <typename Intro>
Result<Bytes> encode_intro(const Intro& f) {
    if (auto ok = check_name(f.name); !ok) return std::unexpected(ok.error());
    wire::Writer w;
    w.u8(static_cast<std::uint8_t>(f.name.size()));
    w.bytes(as_bytes(f.name));
    w.fixed(f.pairwise);
    auto creds = transport::encode_credentials(f.grant_for_you);
    if (!creds) return std::unexpected(creds.error());
    w.bytes(creds->view());
    Bytes out = w.take();
    return out;
}

Result<Bytes> encode_content(const Frame& frame) {
    return std::visit(
        [](const auto& f) -> Result<Bytes> {
            using T = std::decay_t<decltype(f)>;
            if constexpr (std::is_same_v<T, Hello> || std::is_same_v<T, Welcome>) {
                return encode_intro(f);
            } else if constexpr (std::is_same_v<T, ChatMessage>) {
                if (f.body.size() > kMaxBodyBytes)
                    return fail(Errc::TooLarge, "message body is longer than " +
                                                    std::to_string(kMaxBodyBytes) + " bytes");
                if (!valid_utf8(f.body))
                    return fail(Errc::Malformed, "message body is not valid UTF-8");
                wire::Writer w(16 + 8 + f.body.size());
                w.fixed(f.id);
                w.u64(static_cast<std::uint64_t>(f.sent_at.us));
                w.bytes(as_bytes(f.body));
                return w.take();
            } else if constexpr (std::is_same_v<T, Ack>) {
                wire::Writer w;
                w.fixed(f.id);
                return w.take();
            } else {
                static_assert(std::is_same_v<T, Presence>);
                if (f.state != PresenceState::Online && f.state != PresenceState::Away)
                    return fail(Errc::Malformed, "unknown presence state");
                wire::Writer w;
                w.u8(static_cast<std::uint8_t>(f.state));
                return w.take();
            }
        },
        frame);
}

Type type_of(const Frame& frame) {
    static constexpr Type kTypes[] = {Type::Hello, Type::Welcome, Type::Message, Type::Ack,
                                      Type::Presence};
    return kTypes[frame.index()];
}

template <typename Intro>
Result<Frame> decode_intro(wire::Reader& r) {
    auto len = r.u8();
    if (!len) return std::unexpected(len.error());
    if (*len > kMaxNameBytes) return fail(Errc::TooLarge, "name is too long");
    auto name = r.bytes(*len);
    if (!name) return std::unexpected(name.error());
    auto pairwise = r.fixed<crypto::Ed25519PublicKey>();
    if (!pairwise) return std::unexpected(pairwise.error());
    auto creds = transport::decode_credentials(r.rest());
    if (!creds) return std::unexpected(creds.error());
    Intro f{std::string(reinterpret_cast<const char*>(name->data()), name->size()), *pairwise,
            std::move(*creds)};
    if (!valid_utf8(f.name)) return fail(Errc::Malformed, "name is not valid UTF-8");
    return Frame{std::move(f)};
}

Result<Frame> decode_content(Type type, ByteView content) {
    wire::Reader r(content);
    Result<Frame> out = fail(Errc::Malformed, "unknown frame type");
    switch (type) {
        case Type::Hello:
            out = decode_intro<Hello>(r);
            break;
        case Type::Welcome:
            out = decode_intro<Welcome>(r);
            break;
        case Type::Message: {
            auto id = r.fixed<MessageId>();
            if (!id) return std::unexpected(id.error());
            auto at = r.u64();
            if (!at) return std::unexpected(at.error());
            auto body = r.rest();
            if (body.size() > kMaxBodyBytes)
                return fail(Errc::TooLarge, "message body is too long");
            ChatMessage m{*id, TimePoint{static_cast<std::int64_t>(*at)},
                          std::string(reinterpret_cast<const char*>(body.data()), body.size())};
            if (!valid_utf8(m.body))
                return fail(Errc::Malformed, "message body is not valid UTF-8");
            out = Frame{std::move(m)};
            break;
        }
        case Type::Ack: {
            auto id = r.fixed<MessageId>();
            if (!id) return std::unexpected(id.error());
            out = Frame{Ack{*id}};
            break;
        }
        case Type::Presence: {
            auto s = r.u8();
            if (!s) return std::unexpected(s.error());
            if (*s != static_cast<std::uint8_t>(PresenceState::Online) &&
                *s != static_cast<std::uint8_t>(PresenceState::Away))
                return fail(Errc::Malformed, "unknown presence state");
            out = Frame{Presence{static_cast<PresenceState>(*s)}};
            break;
        }
    }
    if (!out) return out;
    if (auto end = r.expect_end("chat frame content"); !end) return std::unexpected(end.error());
    return out;
}

// Checks the length prefix: it must name a size class.
Result<std::size_t> frame_length(ByteView prefix) {
    const std::size_t total = wire::get_u32(prefix.data());
    if (!is_size_class(total))
        return fail(Errc::Malformed,
                    "chat frame length " + std::to_string(total) + " is not a size class");
    return total;
}

}  // namespace

std::string utf8_truncate(std::string s, std::size_t max) {
    if (s.size() <= max) return s;
    std::size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
    s.resize(n);
    return s;
}

bool valid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        std::uint32_t cp;
        std::uint32_t min;
        if ((c & 0xe0) == 0xc0) {
            len = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return false;  // stray continuation byte or 0xf8..0xff
        }
        if (n - i < len) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const unsigned cc = p[i + k];
            if ((cc & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        if (cp < min) return false;                      // overlong
        if (cp > 0x10ffff) return false;                 // beyond Unicode
        if (cp >= 0xd800 && cp <= 0xdfff) return false;  // surrogate
        i += len;
    }
    return true;
}

Result<Bytes> encode_frame(const Frame& frame) {
    auto content = encode_content(frame);
    if (!content) return std::unexpected(content.error());
    const std::size_t total = class_for(content->size());
    if (total == 0)
        return fail(Errc::TooLarge, "chat frame content of " + std::to_string(content->size()) +
                                        " bytes does not fit the largest size class");
    wire::Writer w(total);
    w.u32(static_cast<std::uint32_t>(total));
    w.u8(static_cast<std::uint8_t>(type_of(frame)));
    w.u32(static_cast<std::uint32_t>(content->size()));
    w.bytes(*content);
    Bytes out = w.take();
    out.resize(total, 0);
    return out;
}

Result<Frame> decode_frame(ByteView wire) {
    if (wire.size() < kLengthBytes)
        return fail(Errc::Truncated, "chat frame shorter than its length");
    auto total = frame_length(wire.first(kLengthBytes));
    if (!total) return std::unexpected(total.error());
    if (wire.size() != *total)
        return fail(wire.size() < *total ? Errc::Truncated : Errc::Malformed,
                    "chat frame is " + std::to_string(wire.size()) + " bytes, its length says " +
                        std::to_string(*total));
    wire::Reader r(wire.subspan(kLengthBytes));
    auto type = r.u8();
    if (!type) return std::unexpected(type.error());
    auto len = r.u32();
    if (!len) return std::unexpected(len.error());
    if (*len > r.remaining())
        return fail(Errc::Malformed, "chat frame content runs past the frame");
    if (class_for(*len) != *total)
        return fail(Errc::Malformed, "chat frame is padded beyond the smallest size class");
    auto content = r.bytes(*len);
    if (!content) return std::unexpected(content.error());
    for (auto b : r.rest())
        if (b != 0) return fail(Errc::Malformed, "chat frame padding is not zero");
    const auto t = static_cast<Type>(*type);
    if (*type < static_cast<std::uint8_t>(Type::Hello) ||
        *type > static_cast<std::uint8_t>(Type::Presence))
        return fail(Errc::Malformed, "unknown chat frame type " + std::to_string(*type));
    return decode_content(t, *content);
}

Result<std::vector<Frame>> FrameDecoder::feed(ByteView data) {
    if (failed_) return fail(Errc::Protocol, "chat stream already failed");
    std::vector<Frame> frames;
    std::size_t pos = 0;
    auto failed = [this](Error e) -> Result<std::vector<Frame>> {
        failed_ = true;
        secure_wipe(buf_.data(), buf_.size());
        buf_.clear();
        return std::unexpected(std::move(e));
    };
    while (pos < data.size()) {
        // Top up the length prefix first, so a bad length fails at once
        // instead of after buffering a whole class worth of garbage.
        if (buf_.size() < kLengthBytes) {
            const std::size_t take = std::min(kLengthBytes - buf_.size(), data.size() - pos);
            buf_.insert(buf_.end(), data.begin() + pos, data.begin() + pos + take);
            pos += take;
            if (buf_.size() < kLengthBytes) break;
        }
        auto total = frame_length(ByteView(buf_).first(kLengthBytes));
        if (!total) return failed(total.error());
        if (buf_.size() < *total) {
            const std::size_t take = std::min(*total - buf_.size(), data.size() - pos);
            buf_.insert(buf_.end(), data.begin() + pos, data.begin() + pos + take);
            pos += take;
            if (buf_.size() < *total) break;
        }
        auto frame = decode_frame(buf_);
        if (!frame) return failed(frame.error());
        frames.push_back(std::move(*frame));
        // Frames carry message bodies: do not leave copies in freed memory.
        secure_wipe(buf_.data(), buf_.size());
        buf_.clear();
    }
    return frames;
}

}  // namespace sotto::chat
