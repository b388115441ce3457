// Directory request and response bodies: a type (or status) byte, then fields.
#include "core/dir/dir_message.hpp"

#include "core/wire/reader.hpp"

namespace sotto::dir {

namespace {

enum class RequestType : std::uint8_t {
    PostDescriptor = 1,
    GetConsensus = 2,
    PostVote = 3,
    PostSignature = 4,
};

std::unexpected<Error> too_large(std::string_view what, std::size_t n) {
    return fail(Errc::TooLarge, std::string(what) + " of " + std::to_string(n) +
                                    " bytes exceeds the limit of " +
                                    std::to_string(kMaxDirMessageLen));
}

bool is_message_char(char c) {
    return c >= 0x20 && c < 0x7f;
}

Result<PostSignature> read_post_signature(wire::Reader& r) {
    PostSignature p;
    auto digest = r.fixed<crypto::Digest256>();
    if (!digest) return std::unexpected(digest.error());
    p.consensus_digest = *digest;
    auto valid_after = r.u64();
    if (!valid_after) return std::unexpected(valid_after.error());
    p.valid_after = static_cast<std::int64_t>(*valid_after);
    auto authority = r.fixed<crypto::Ed25519PublicKey>();
    if (!authority) return std::unexpected(authority.error());
    p.signature.authority = *authority;
    auto sig = r.fixed<crypto::Ed25519Signature>();
    if (!sig) return std::unexpected(sig.error());
    p.signature.signature = *sig;
    if (auto end = r.expect_end("signature request"); !end) return std::unexpected(end.error());
    return p;
}

}  // namespace

Bytes encode_dir_request(const DirRequest& r) {
    wire::Writer w;
    if (const auto* p = std::get_if<PostDescriptor>(&r)) {
        w.u8(static_cast<std::uint8_t>(RequestType::PostDescriptor))
            .bytes(encode_relay_descriptor(p->descriptor));
    } else if (std::holds_alternative<GetConsensus>(r)) {
        w.u8(static_cast<std::uint8_t>(RequestType::GetConsensus));
    } else if (const auto* v = std::get_if<PostVote>(&r)) {
        w.u8(static_cast<std::uint8_t>(RequestType::PostVote)).bytes(encode_vote(v->vote));
    } else if (const auto* s = std::get_if<PostSignature>(&r)) {
        w.u8(static_cast<std::uint8_t>(RequestType::PostSignature))
            .fixed(s->consensus_digest)
            .u64(static_cast<std::uint64_t>(s->valid_after))
            .fixed(s->signature.authority)
            .fixed(s->signature.signature);
    }
    return w.take();
}

Result<DirRequest> decode_dir_request(ByteView in) {
    if (in.size() > kMaxDirMessageLen) return too_large("directory request", in.size());
    wire::Reader r(in);
    auto type = r.u8();
    if (!type) return std::unexpected(type.error());
    switch (static_cast<RequestType>(*type)) {
        case RequestType::PostDescriptor: {
            auto d = decode_relay_descriptor(r.rest());
            if (!d) return std::unexpected(d.error());
            return PostDescriptor{std::move(*d)};
        }
        case RequestType::GetConsensus:
            if (auto end = r.expect_end("consensus request"); !end)
                return std::unexpected(end.error());
            return GetConsensus{};
        case RequestType::PostVote: {
            auto v = decode_vote(r.rest());
            if (!v) return std::unexpected(v.error());
            return PostVote{std::move(*v)};
        }
        case RequestType::PostSignature: {
            auto s = read_post_signature(r);
            if (!s) return std::unexpected(s.error());
            return *s;
        }
    }
    return fail(Errc::Malformed, "unknown directory request type " + std::to_string(*type) +
                                     "; the peer may run a newer version");
}

Bytes encode_dir_response(const DirResponse& r) {
    std::string message = r.message.substr(0, kMaxDirResponseMessageLen);
    for (char& c : message)
        if (!is_message_char(c)) c = '?';
    wire::Writer w;
    w.u8(static_cast<std::uint8_t>(r.status)).string16(message);
    w.u8(r.consensus ? 1 : 0);
    if (r.consensus) w.bytes(encode_consensus(*r.consensus));
    return w.take();
}

Result<DirResponse> decode_dir_response(ByteView in) {
    if (in.size() > kMaxDirMessageLen) return too_large("directory response", in.size());
    wire::Reader r(in);
    auto status = r.u8();
    if (!status) return std::unexpected(status.error());
    if (*status > static_cast<std::uint8_t>(DirStatus::Malformed))
        return fail(Errc::Malformed,
                    "unknown directory response status " + std::to_string(*status));
    DirResponse resp;
    resp.status = static_cast<DirStatus>(*status);
    auto message = r.string16(kMaxDirResponseMessageLen);
    if (!message) return std::unexpected(message.error());
    for (char c : *message)
        if (!is_message_char(c))
            return fail(Errc::Malformed,
                        "directory response message must be one line of printable ASCII");
    resp.message = std::move(*message);
    auto has_consensus = r.u8();
    if (!has_consensus) return std::unexpected(has_consensus.error());
    if (*has_consensus > 1)
        return fail(Errc::Malformed, "directory response consensus flag must be 0 or 1");
    if (*has_consensus == 1) {
        if (resp.status != DirStatus::Ok)
            return fail(Errc::Malformed, "directory response carries a consensus with an error");
        auto c = decode_consensus(r.rest());
        if (!c) return std::unexpected(c.error());
        resp.consensus = std::move(*c);
    }
    if (auto end = r.expect_end("directory response"); !end) return std::unexpected(end.error());
    return resp;
}

}  // namespace sotto::dir
