// The consensus: the list of relays every client uses to pick paths, signed
// by the directory authorities. A client accepts one only with valid
// signatures from a majority of the authorities in its network file and only
// inside [valid_after, valid_until].
#pragma once

#include <cstdint>
#include <vector>

#include "core/crypto/hash.hpp"
#include "core/dir/network_file.hpp"
#include "core/dir/relay_descriptor.hpp"

namespace sotto::dir {

inline constexpr std::uint8_t kConsensusVersion = 1;
inline constexpr std::size_t kMaxConsensusLen = 4 * 1024 * 1024;
inline constexpr std::size_t kMaxConsensusRelays = 10000;
inline constexpr std::size_t kMaxConsensusSignatures = kMaxAuthorities;

enum RelayFlag : std::uint32_t {
    kFlagRunning = 1u << 0,
    kFlagHsDir = 1u << 1,
    kFlagExit = 1u << 2,
    kFlagIntroRend = 1u << 3,
    kFlagAuthority = 1u << 4,
};

struct ConsensusEntry {
    std::string nickname;
    crypto::Ed25519PublicKey identity;
    crypto::X25519PublicKey onion_key;
    std::string host;
    std::uint16_t port = 0;
    std::uint32_t flags = 0;
    std::int64_t published = 0;
    friend bool operator==(const ConsensusEntry&, const ConsensusEntry&) = default;
};

struct ConsensusSignature {
    crypto::Ed25519PublicKey authority;
    crypto::Ed25519Signature signature;
    friend bool operator==(const ConsensusSignature&, const ConsensusSignature&) = default;
};

struct Consensus {
    std::string network;  // must match the network file's name
    std::int64_t valid_after = 0;
    std::int64_t fresh_until = 0;
    std::int64_t valid_until = 0;
    std::vector<ConsensusEntry> relays;  // sorted by identity, no duplicates
    std::vector<ConsensusSignature> signatures;

    const ConsensusEntry* find(const crypto::Ed25519PublicKey& id) const;
    friend bool operator==(const Consensus&, const Consensus&) = default;
};

// Digest of everything but the signatures; what authorities sign (with the
// prefix "sotto-consensus-v1").
crypto::Digest256 consensus_digest(const Consensus& c);
// An authority's signature: Ed25519 over the 32 digest bytes.
ConsensusSignature sign_consensus_digest(const crypto::Digest256& digest,
                                         const crypto::Ed25519SecretKey& authority_key);
bool verify_consensus_signature(const crypto::Digest256& digest, const ConsensusSignature& sig);
Bytes encode_consensus(const Consensus& c);
// Structural checks only (sorting, bounds, duplicates); signatures are checked
// by verify_consensus.
Result<Consensus> decode_consensus(ByteView in);
// Valid signatures from a majority of `network`'s authorities (each counted
// once, unknown signers ignored), network name matches, and now inside the
// validity interval. Errors say how many valid signatures were found.
Status verify_consensus(const Consensus& c, const NetworkFile& network, std::int64_t now_unix);

}  // namespace sotto::dir
