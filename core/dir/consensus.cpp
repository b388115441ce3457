#include "core/dir/consensus.hpp"

#include <algorithm>
#include <set>

#include "core/util/log.hpp"
#include "core/wire/reader.hpp"

namespace sotto::dir {

namespace {

constexpr std::string_view kDigestPrefix = "sotto-consensus-v1";
// Smallest possible encoded entry, to cap reservations by the input length.
constexpr std::size_t kMinEntryLen = 2 + 1 + 32 + 32 + 2 + 1 + 2 + 4 + 8;

void write_unsigned_part(const Consensus& c, wire::Writer& w) {
    w.u8(kConsensusVersion)
        .string16(c.network)
        .u64(static_cast<std::uint64_t>(c.valid_after))
        .u64(static_cast<std::uint64_t>(c.fresh_until))
        .u64(static_cast<std::uint64_t>(c.valid_until))
        .u32(static_cast<std::uint32_t>(c.relays.size()));
    for (const auto& e : c.relays)
        w.string16(e.nickname)
            .fixed(e.identity)
            .fixed(e.onion_key)
            .string16(e.host)
            .u16(e.port)
            .u32(e.flags)
            .u64(static_cast<std::uint64_t>(e.published));
}

Result<std::int64_t> read_time(wire::Reader& r) {
    auto v = r.u64();
    if (!v) return std::unexpected(v.error());
    return static_cast<std::int64_t>(*v);
}

Result<ConsensusEntry> read_entry(wire::Reader& r) {
    ConsensusEntry e;
    auto nickname = r.string16(kMaxNicknameLen);
    if (!nickname) return std::unexpected(nickname.error());
    if (!is_valid_nickname(*nickname))
        return fail(Errc::Malformed, "consensus entry nickname must be 1.." +
                                         std::to_string(kMaxNicknameLen) +
                                         " visible ASCII characters");
    e.nickname = std::move(*nickname);
    auto identity = r.fixed<crypto::Ed25519PublicKey>();
    if (!identity) return std::unexpected(identity.error());
    e.identity = *identity;
    auto onion_key = r.fixed<crypto::X25519PublicKey>();
    if (!onion_key) return std::unexpected(onion_key.error());
    e.onion_key = *onion_key;
    auto host = r.string16(kMaxHostLen);
    if (!host) return std::unexpected(host.error());
    if (!is_valid_host(*host))
        return fail(Errc::Malformed, "consensus entry host must be 1.." +
                                         std::to_string(kMaxHostLen) + " visible ASCII characters");
    e.host = std::move(*host);
    auto port = r.u16();
    if (!port) return std::unexpected(port.error());
    if (*port == 0) return fail(Errc::Malformed, "consensus entry port must not be 0");
    e.port = *port;
    auto flags = r.u32();
    if (!flags) return std::unexpected(flags.error());
    e.flags = *flags;
    auto published = read_time(r);
    if (!published) return std::unexpected(published.error());
    e.published = *published;
    return e;
}

std::string plural(std::size_t n, std::string_view word) {
    return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

}  // namespace

const ConsensusEntry* Consensus::find(const crypto::Ed25519PublicKey& id) const {
    auto it =
        std::lower_bound(relays.begin(), relays.end(), id,
                         [](const ConsensusEntry& e, const auto& k) { return e.identity < k; });
    return it != relays.end() && it->identity == id ? &*it : nullptr;
}

crypto::Digest256 consensus_digest(const Consensus& c) {
    wire::Writer w(kDigestPrefix.size() + 64 + c.relays.size() * 160);
    w.bytes(as_bytes(kDigestPrefix));
    write_unsigned_part(c, w);
    return crypto::sha3_256(w.data());
}

ConsensusSignature sign_consensus_digest(const crypto::Digest256& digest,
                                         const crypto::Ed25519SecretKey& authority_key) {
    return {authority_key.public_key(), authority_key.sign(digest.view())};
}

bool verify_consensus_signature(const crypto::Digest256& digest, const ConsensusSignature& sig) {
    return crypto::ed25519_verify(sig.authority, digest.view(), sig.signature);
}

Bytes encode_consensus(const Consensus& c) {
    wire::Writer w(64 + c.relays.size() * 160 + c.signatures.size() * 96);
    write_unsigned_part(c, w);
    w.u16(static_cast<std::uint16_t>(c.signatures.size()));
    for (const auto& s : c.signatures) w.fixed(s.authority).fixed(s.signature);
    return w.take();
}

Result<Consensus> decode_consensus(ByteView in) {
    if (in.size() > kMaxConsensusLen)
        return fail(Errc::TooLarge, "consensus of " + std::to_string(in.size()) +
                                        " bytes exceeds the limit of " +
                                        std::to_string(kMaxConsensusLen));
    wire::Reader r(in);
    auto version = r.u8();
    if (!version) return std::unexpected(version.error());
    if (*version != kConsensusVersion)
        return fail(Errc::BadVersion, "consensus version " + std::to_string(*version) +
                                          " is not supported (expected " +
                                          std::to_string(kConsensusVersion) + ")");
    Consensus c;
    auto network = r.string16(kMaxNetworkNameLen);
    if (!network) return std::unexpected(network.error());
    if (!is_valid_network_name(*network))
        return fail(Errc::Malformed, "consensus network name must be 1.." +
                                         std::to_string(kMaxNetworkNameLen) +
                                         " visible ASCII characters");
    c.network = std::move(*network);
    auto valid_after = read_time(r);
    if (!valid_after) return std::unexpected(valid_after.error());
    auto fresh_until = read_time(r);
    if (!fresh_until) return std::unexpected(fresh_until.error());
    auto valid_until = read_time(r);
    if (!valid_until) return std::unexpected(valid_until.error());
    if (!(*valid_after < *fresh_until && *fresh_until <= *valid_until))
        return fail(Errc::Malformed,
                    "consensus times must satisfy valid_after < fresh_until <= valid_until");
    c.valid_after = *valid_after;
    c.fresh_until = *fresh_until;
    c.valid_until = *valid_until;

    auto count = r.u32();
    if (!count) return std::unexpected(count.error());
    if (*count > kMaxConsensusRelays)
        return fail(Errc::TooLarge, "consensus lists " + std::to_string(*count) +
                                        " relays; the limit is " +
                                        std::to_string(kMaxConsensusRelays));
    if (*count > r.remaining() / kMinEntryLen)
        return fail(Errc::Truncated, "consensus lists " + std::to_string(*count) +
                                         " relays but only " + std::to_string(r.remaining()) +
                                         " bytes follow");
    c.relays.reserve(*count);
    for (std::uint32_t i = 0; i < *count; ++i) {
        auto e = read_entry(r);
        if (!e) return std::unexpected(e.error());
        // Strict order makes the encoding canonical and rules out duplicates.
        if (!c.relays.empty() && !(c.relays.back().identity < e->identity))
            return fail(Errc::Malformed,
                        "consensus entries must be sorted by identity without duplicates");
        c.relays.push_back(std::move(*e));
    }

    auto sig_count = r.u16();
    if (!sig_count) return std::unexpected(sig_count.error());
    if (*sig_count > kMaxConsensusSignatures)
        return fail(Errc::TooLarge, "consensus carries " + std::to_string(*sig_count) +
                                        " signatures; the limit is " +
                                        std::to_string(kMaxConsensusSignatures));
    std::set<crypto::Ed25519PublicKey> signers;
    for (std::uint16_t i = 0; i < *sig_count; ++i) {
        ConsensusSignature s;
        auto authority = r.fixed<crypto::Ed25519PublicKey>();
        if (!authority) return std::unexpected(authority.error());
        s.authority = *authority;
        auto sig = r.fixed<crypto::Ed25519Signature>();
        if (!sig) return std::unexpected(sig.error());
        s.signature = *sig;
        if (!signers.insert(s.authority).second)
            return fail(Errc::Malformed, "consensus carries two signatures from authority " +
                                             short_id(s.authority.view()));
        c.signatures.push_back(s);
    }
    if (auto end = r.expect_end("consensus"); !end) return std::unexpected(end.error());
    return c;
}

Status verify_consensus(const Consensus& c, const NetworkFile& network, std::int64_t now_unix) {
    if (c.network != network.name)
        return fail(Errc::BadIdentity, "consensus is for network '" + c.network +
                                           "' but the network file names '" + network.name +
                                           "'; use the matching network file");
    const auto digest = consensus_digest(c);
    std::set<crypto::Ed25519PublicKey> counted;
    for (const auto& s : c.signatures) {
        if (counted.contains(s.authority) || network.find(s.authority) == nullptr) continue;
        if (verify_consensus_signature(digest, s)) counted.insert(s.authority);
    }
    const std::size_t needed = network.majority();
    if (counted.size() < needed)
        return fail(Errc::BadSignature,
                    "consensus has " + plural(counted.size(), "valid signature") + " of the " +
                        std::to_string(needed) + " needed from " +
                        std::to_string(network.authorities.size()) +
                        (network.authorities.size() == 1 ? " authority" : " authorities"));
    if (now_unix < c.valid_after)
        return fail(Errc::NotYetValid, "consensus is not valid until " +
                                           std::to_string(c.valid_after) + " (now " +
                                           std::to_string(now_unix) + "); check the system clock");
    if (now_unix > c.valid_until)
        return fail(Errc::Expired, "consensus expired at " + std::to_string(c.valid_until) +
                                       " (now " + std::to_string(now_unix) +
                                       "); fetch a fresh one from a directory");
    return {};
}

}  // namespace sotto::dir
