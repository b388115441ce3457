// Authority votes: the signed list of descriptors one authority saw for a round.
#include <algorithm>

#include "core/dir/dir_message.hpp"
#include "core/util/log.hpp"
#include "core/wire/reader.hpp"

namespace sotto::dir {

namespace {

constexpr std::string_view kSignaturePrefix = "sotto-vote-v1";
// Length prefix plus the smallest valid descriptor, plus its flags.
constexpr std::size_t kMinEntryLen = 2 + (1 + 2 + 1 + 32 + 32 + 2 + 1 + 2 + 4 + 8 + 64) + 4;

// Everything before the signature.
void write_body(const Vote& v, wire::Writer& w) {
    w.u8(kVoteVersion)
        .fixed(v.authority)
        .u64(static_cast<std::uint64_t>(v.valid_after))
        .u32(static_cast<std::uint32_t>(v.descriptors.size()));
    for (std::size_t i = 0; i < v.descriptors.size(); ++i)
        w.var16(encode_relay_descriptor(v.descriptors[i]))
            .u32(i < v.flags.size() ? v.flags[i] : 0u);
}

Bytes signed_part(const Vote& v) {
    wire::Writer w(kSignaturePrefix.size() + 64 + v.descriptors.size() * 200);
    w.bytes(as_bytes(kSignaturePrefix));
    write_body(v, w);
    return w.take();
}

}  // namespace

Vote sign_vote(Vote v, const crypto::Ed25519SecretKey& authority_key) {
    v.authority = authority_key.public_key();
    v.signature = authority_key.sign(signed_part(v));
    return v;
}

bool verify_vote_signature(const Vote& v) {
    return crypto::ed25519_verify(v.authority, signed_part(v), v.signature);
}

Bytes encode_vote(const Vote& v) {
    wire::Writer w(64 + v.descriptors.size() * 200);
    write_body(v, w);
    w.fixed(v.signature);
    return w.take();
}

Result<Vote> decode_vote(ByteView in) {
    if (in.size() > kMaxDirMessageLen)
        return fail(Errc::TooLarge, "vote of " + std::to_string(in.size()) +
                                        " bytes exceeds the limit of " +
                                        std::to_string(kMaxDirMessageLen));
    wire::Reader r(in);
    auto version = r.u8();
    if (!version) return std::unexpected(version.error());
    if (*version != kVoteVersion)
        return fail(Errc::BadVersion, "vote version " + std::to_string(*version) +
                                          " is not supported (expected " +
                                          std::to_string(kVoteVersion) + ")");
    Vote v;
    auto authority = r.fixed<crypto::Ed25519PublicKey>();
    if (!authority) return std::unexpected(authority.error());
    v.authority = *authority;
    auto valid_after = r.u64();
    if (!valid_after) return std::unexpected(valid_after.error());
    v.valid_after = static_cast<std::int64_t>(*valid_after);
    auto count = r.u32();
    if (!count) return std::unexpected(count.error());
    if (*count > kMaxVoteDescriptors)
        return fail(Errc::TooLarge, "vote lists " + std::to_string(*count) +
                                        " descriptors; the limit is " +
                                        std::to_string(kMaxVoteDescriptors));
    if (*count > r.remaining() / kMinEntryLen)
        return fail(Errc::Truncated, "vote lists " + std::to_string(*count) +
                                         " descriptors but only " + std::to_string(r.remaining()) +
                                         " bytes follow");
    v.descriptors.reserve(*count);
    v.flags.reserve(*count);
    for (std::uint32_t i = 0; i < *count; ++i) {
        auto bytes = r.var16(kMaxRelayDescriptorLen);
        if (!bytes) return std::unexpected(bytes.error());
        auto d = decode_relay_descriptor(*bytes);
        if (!d) return std::unexpected(Error{d.error().code, "vote: " + d.error().message});
        if (!v.descriptors.empty() && !(v.descriptors.back().identity < d->identity))
            return fail(Errc::Malformed,
                        "vote descriptors must be sorted by identity without duplicates");
        v.descriptors.push_back(std::move(*d));
        auto flags = r.u32();
        if (!flags) return std::unexpected(flags.error());
        v.flags.push_back(*flags);
    }
    auto signature = r.fixed<crypto::Ed25519Signature>();
    if (!signature) return std::unexpected(signature.error());
    v.signature = *signature;
    if (auto end = r.expect_end("vote"); !end) return std::unexpected(end.error());
    // The encoding is canonical, so the input itself is the signed body.
    wire::Writer signed_bytes(kSignaturePrefix.size() + in.size());
    signed_bytes.bytes(as_bytes(kSignaturePrefix)).bytes(in.first(in.size() - v.signature.size));
    if (!crypto::ed25519_verify(v.authority, signed_bytes.data(), v.signature))
        return fail(Errc::BadSignature, "vote signature of authority " +
                                            short_id(v.authority.view()) + " does not verify");
    return v;
}

}  // namespace sotto::dir
