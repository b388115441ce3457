#include "core/hs/hsdir_messages.hpp"

#include "core/wire/reader.hpp"

namespace sotto::hs {

namespace {

bool is_message_char(char c) {
    return c >= 0x20 && c < 0x7f;
}

std::unexpected<Error> too_large(std::string_view what, std::size_t n, std::size_t max) {
    return fail(Errc::TooLarge, std::string(what) + " of " + std::to_string(n) +
                                    " bytes exceeds the limit of " + std::to_string(max));
}

}  // namespace

bool is_hsdir_request(ByteView body) {
    return !body.empty() &&
           body[0] >= static_cast<std::uint8_t>(HsDirRequestType::PostHsDescriptor) &&
           body[0] <= static_cast<std::uint8_t>(HsDirRequestType::WithdrawHsDescriptor);
}

Bytes encode_hsdir_request(const HsDirRequest& r) {
    wire::Writer w;
    if (const auto* p = std::get_if<PostHsDescriptor>(&r)) {
        w.u8(static_cast<std::uint8_t>(HsDirRequestType::PostHsDescriptor))
            .fixed(p->id)
            .bytes(p->descriptor);
    } else if (const auto* g = std::get_if<GetHsDescriptor>(&r)) {
        w.u8(static_cast<std::uint8_t>(HsDirRequestType::GetHsDescriptor)).fixed(g->id);
    } else if (const auto* x = std::get_if<WithdrawHsDescriptor>(&r)) {
        w.u8(static_cast<std::uint8_t>(HsDirRequestType::WithdrawHsDescriptor))
            .bytes(encode_hs_withdrawal(x->withdrawal));
    }
    return w.take();
}

Result<HsDirRequest> decode_hsdir_request(ByteView in) {
    if (in.size() > kMaxHsDirMessageLen)
        return too_large("HSDir request", in.size(), kMaxHsDirMessageLen);
    wire::Reader r(in);
    auto type = r.u8();
    if (!type) return std::unexpected(type.error());
    switch (static_cast<HsDirRequestType>(*type)) {
        case HsDirRequestType::PostHsDescriptor: {
            auto id = r.fixed<DescriptorId>();
            if (!id) return std::unexpected(id.error());
            auto body = r.rest();
            if (body.empty())
                return fail(Errc::Truncated, "descriptor upload carries no descriptor");
            return PostHsDescriptor{*id, Bytes(body.begin(), body.end())};
        }
        case HsDirRequestType::GetHsDescriptor: {
            auto id = r.fixed<DescriptorId>();
            if (!id) return std::unexpected(id.error());
            if (auto end = r.expect_end("descriptor fetch"); !end)
                return std::unexpected(end.error());
            return GetHsDescriptor{*id};
        }
        case HsDirRequestType::WithdrawHsDescriptor: {
            auto w = decode_hs_withdrawal(r.rest());
            if (!w) return std::unexpected(w.error());
            return WithdrawHsDescriptor{*w};
        }
    }
    return fail(Errc::Malformed, "unknown HSDir request type " + std::to_string(*type) +
                                     "; the peer may run a newer version");
}

Bytes encode_hsdir_response(const HsDirResponse& r) {
    std::string message = r.message.substr(0, kMaxHsDirResponseMessageLen);
    for (char& c : message)
        if (!is_message_char(c)) c = '?';
    const bool with_descriptor = r.descriptor && r.status == HsDirStatus::Ok &&
                                 !r.descriptor->empty() &&
                                 r.descriptor->size() <= kMaxHsDescriptorLen;
    wire::Writer w;
    w.u8(static_cast<std::uint8_t>(r.status)).string16(message).u8(with_descriptor ? 1 : 0);
    if (with_descriptor) w.bytes(*r.descriptor);
    return w.take();
}

Result<HsDirResponse> decode_hsdir_response(ByteView in) {
    const std::size_t max = 1 + 2 + kMaxHsDirResponseMessageLen + 1 + kMaxHsDescriptorLen;
    if (in.size() > max) return too_large("HSDir response", in.size(), max);
    wire::Reader r(in);
    auto status = r.u8();
    if (!status) return std::unexpected(status.error());
    if (*status > static_cast<std::uint8_t>(HsDirStatus::Malformed))
        return fail(Errc::Malformed, "unknown HSDir response status " + std::to_string(*status));
    HsDirResponse resp;
    resp.status = static_cast<HsDirStatus>(*status);
    auto message = r.string16(kMaxHsDirResponseMessageLen);
    if (!message) return std::unexpected(message.error());
    for (char c : *message)
        if (!is_message_char(c))
            return fail(Errc::Malformed,
                        "HSDir response message must be one line of printable ASCII");
    resp.message = std::move(*message);
    auto present = r.u8();
    if (!present) return std::unexpected(present.error());
    if (*present > 1) return fail(Errc::Malformed, "HSDir response descriptor flag must be 0 or 1");
    if (*present == 1) {
        if (resp.status != HsDirStatus::Ok)
            return fail(Errc::Malformed, "HSDir response carries a descriptor with an error");
        auto body = r.rest();
        if (body.empty()) return fail(Errc::Truncated, "HSDir response descriptor is empty");
        if (body.size() > kMaxHsDescriptorLen)
            return too_large("HSDir response descriptor", body.size(), kMaxHsDescriptorLen);
        resp.descriptor = Bytes(body.begin(), body.end());
    }
    if (auto end = r.expect_end("HSDir response"); !end) return std::unexpected(end.error());
    return resp;
}

}  // namespace sotto::hs
