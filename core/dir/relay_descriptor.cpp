#include "core/dir/relay_descriptor.hpp"

#include <algorithm>

#include "core/util/log.hpp"
#include "core/wire/reader.hpp"

namespace sotto::dir {

namespace {

constexpr std::string_view kSignaturePrefix = "sotto-relay-descriptor-v1";

bool is_visible_ascii(std::string_view s, std::size_t max) {
    return !s.empty() && s.size() <= max &&
           std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

void write_body(const RelayDescriptor& d, wire::Writer& w) {
    w.u8(kRelayDescriptorVersion)
        .string16(d.nickname)
        .fixed(d.identity)
        .fixed(d.onion_key)
        .string16(d.host)
        .u16(d.port)
        .u32(d.capabilities)
        .u64(static_cast<std::uint64_t>(d.published));
}

Status check_fields(const RelayDescriptor& d) {
    if (!is_valid_nickname(d.nickname))
        return fail(Errc::Malformed, "relay descriptor nickname must be 1.." +
                                         std::to_string(kMaxNicknameLen) +
                                         " visible ASCII characters");
    if (!is_valid_host(d.host))
        return fail(Errc::Malformed, "relay descriptor host must be 1.." +
                                         std::to_string(kMaxHostLen) + " visible ASCII characters");
    if (d.port == 0) return fail(Errc::Malformed, "relay descriptor port must not be 0");
    return {};
}

}  // namespace

bool is_valid_nickname(std::string_view s) {
    return is_visible_ascii(s, kMaxNicknameLen);
}
bool is_valid_host(std::string_view s) {
    return is_visible_ascii(s, kMaxHostLen);
}

Bytes relay_descriptor_signed_part(const RelayDescriptor& d) {
    wire::Writer w(kSignaturePrefix.size() + 128 + d.host.size());
    w.bytes(as_bytes(kSignaturePrefix));
    write_body(d, w);
    return w.take();
}

RelayDescriptor sign_relay_descriptor(RelayDescriptor d, const crypto::Ed25519SecretKey& identity) {
    d.identity = identity.public_key();
    d.signature = identity.sign(relay_descriptor_signed_part(d));
    return d;
}

Bytes encode_relay_descriptor(const RelayDescriptor& d) {
    wire::Writer w(128 + d.host.size() + d.signature.size);
    write_body(d, w);
    w.fixed(d.signature);
    return w.take();
}

Status check_relay_descriptor(const RelayDescriptor& d) {
    if (auto s = check_fields(d); !s) return s;
    if (!crypto::ed25519_verify(d.identity, relay_descriptor_signed_part(d), d.signature))
        return fail(Errc::BadSignature, "relay descriptor signature of " +
                                            short_id(d.identity.view()) +
                                            " does not verify; the relay must sign it again");
    return {};
}

Result<RelayDescriptor> decode_relay_descriptor(ByteView in) {
    if (in.size() > kMaxRelayDescriptorLen)
        return fail(Errc::TooLarge, "relay descriptor of " + std::to_string(in.size()) +
                                        " bytes exceeds the limit of " +
                                        std::to_string(kMaxRelayDescriptorLen));
    wire::Reader r(in);
    auto version = r.u8();
    if (!version) return std::unexpected(version.error());
    if (*version != kRelayDescriptorVersion)
        return fail(Errc::BadVersion, "relay descriptor version " + std::to_string(*version) +
                                          " is not supported (expected " +
                                          std::to_string(kRelayDescriptorVersion) + ")");
    RelayDescriptor d;
    auto nickname = r.string16(kMaxNicknameLen);
    if (!nickname) return std::unexpected(nickname.error());
    d.nickname = std::move(*nickname);
    auto identity = r.fixed<crypto::Ed25519PublicKey>();
    if (!identity) return std::unexpected(identity.error());
    d.identity = *identity;
    auto onion_key = r.fixed<crypto::X25519PublicKey>();
    if (!onion_key) return std::unexpected(onion_key.error());
    d.onion_key = *onion_key;
    auto host = r.string16(kMaxHostLen);
    if (!host) return std::unexpected(host.error());
    d.host = std::move(*host);
    auto port = r.u16();
    if (!port) return std::unexpected(port.error());
    d.port = *port;
    auto caps = r.u32();
    if (!caps) return std::unexpected(caps.error());
    d.capabilities = *caps;
    auto published = r.u64();
    if (!published) return std::unexpected(published.error());
    d.published = static_cast<std::int64_t>(*published);
    auto signature = r.fixed<crypto::Ed25519Signature>();
    if (!signature) return std::unexpected(signature.error());
    d.signature = *signature;
    if (auto end = r.expect_end("relay descriptor"); !end) return std::unexpected(end.error());
    if (auto ok = check_relay_descriptor(d); !ok) return std::unexpected(ok.error());
    return d;
}

}  // namespace sotto::dir
