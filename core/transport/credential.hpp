// Transport-tagged grants and credentials: what the messenger stores, puts
// in invite codes and Hello/Welcome frames, and hands back to a transport,
// without ever looking inside (issue 10, item 2). A grant is the service
// side's secret for one contact on one transport; the credential is what
// that contact needs to reach us over it. Their bytes belong to the
// transport named by the tag (core/transport/onion_transport for Sotto's own
// network; a Tor transport has its own layout), so a profile can run several
// transports and two contacts use whichever both of them run.
//
// Lists travel and are stored as:
//   count u8 (1..kMaxTransports) | count × (transport u8 | length u16 BE |
//   bytes (1..kMaxEntryBytes))
// Kinds this program does not know are kept (a contact may run a newer
// transport) but a kind given twice, an empty entry or trailing bytes are
// malformed. Both kinds of entry are secret (whoever holds a credential
// reaches us while we publish it) and wiped.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/util/bytes.hpp"
#include "core/util/error.hpp"
#include "core/util/rng.hpp"

namespace sotto::transport {

// Wire values (invite codes, frames, the store): never reuse one.
enum class TransportKind : std::uint8_t {
    SottoOnion = 1,  // Sotto's own onion network (the paper's protocol)
    TorOnion = 2,    // the Tor network (issue 11)
};
// "Sotto onion network", "Tor", or "transport 7" for kinds we do not know.
std::string transport_name(TransportKind kind);

inline constexpr std::size_t kMaxTransports = 8;
inline constexpr std::size_t kMaxEntryBytes = 1024;

// One transport's secret for one contact; move-only, wiped.
template <typename Tag>
struct TransportSecret {
    TransportKind transport = TransportKind::SottoOnion;
    SecretBytes bytes;
    TransportSecret clone() const { return {transport, SecretBytes(bytes.view())}; }
};
struct GrantTag;
struct CredentialTag;
// Kept by the service to honour a contact (ours to them).
using Grant = TransportSecret<GrantTag>;
// Given to the contact (theirs to us), opaque to everyone but the transport.
using Credential = TransportSecret<CredentialTag>;
using GrantList = std::vector<Grant>;
using CredentialList = std::vector<Credential>;

template <typename Tag>
std::vector<TransportSecret<Tag>> clone_list(const std::vector<TransportSecret<Tag>>& list) {
    std::vector<TransportSecret<Tag>> out;
    out.reserve(list.size());
    for (const auto& e : list) out.push_back(e.clone());
    return out;
}

template <typename Tag>
std::vector<TransportSecret<Tag>> list_of(TransportSecret<Tag> entry) {
    std::vector<TransportSecret<Tag>> out;
    out.push_back(std::move(entry));
    return out;
}

// The entry for `kind`, if the list has one.
template <typename Tag>
const TransportSecret<Tag>* find_transport(const std::vector<TransportSecret<Tag>>& list,
                                           TransportKind kind) {
    for (const auto& e : list)
        if (e.transport == kind) return &e;
    return nullptr;
}

// The layout above. Encoding fails (Errc::TooLarge / Malformed) for a list
// the decoder would refuse; the output is secret too.
Result<SecretBytes> encode_grants(const GrantList& list);
Result<SecretBytes> encode_credentials(const CredentialList& list);
Result<GrantList> decode_grants(ByteView bytes);
Result<CredentialList> decode_credentials(ByteView bytes);

// A fresh grant and its credential for a contact on `kind` (no I/O: keys
// and cookies come from `rng`). Errc::Config for a kind this build cannot
// issue.
struct IssuedGrant {
    Grant grant;
    Credential credential;
};
Result<IssuedGrant> issue_grant(TransportKind kind, Rng& rng);
// The credential that goes with a stored grant (what Welcome and the invite
// code carry), for kinds this build knows; and for every grant of a list.
Result<Credential> credential_for(const Grant& grant);
Result<CredentialList> credentials_for(const GrantList& grants);
// One grant per kind, freshly issued, as the two lists that are stored
// (ours) and sent (theirs), in the same order.
struct IssuedGrants {
    GrantList grants;
    CredentialList credentials;
};
Result<IssuedGrants> issue_grants(std::span<const TransportKind> kinds, Rng& rng);

// a | b as one secret: how a transport lays out its key material in an
// entry (onion_credentials, tor_credentials).
SecretBytes join_secrets(ByteView a, ByteView b);

// Same kinds, same bytes, same order (bytes compared in constant time).
bool same_credentials(const CredentialList& a, const CredentialList& b);

}  // namespace sotto::transport
