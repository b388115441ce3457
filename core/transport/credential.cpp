#include "core/transport/credential.hpp"

#include <algorithm>

#include "core/transport/onion_credentials.hpp"
#include "core/transport/tor_credentials.hpp"
#include "core/wire/reader.hpp"

namespace sotto::transport {

namespace {

template <typename Tag>
Result<SecretBytes> encode_list(const std::vector<TransportSecret<Tag>>& list) {
    if (list.empty() || list.size() > kMaxTransports)
        return fail(Errc::TooLarge, "a credential list holds 1 to " +
                                        std::to_string(kMaxTransports) + " transports");
    std::size_t total = 1;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto& e = list[i];
        if (e.bytes.size() == 0 || e.bytes.size() > kMaxEntryBytes)
            return fail(Errc::TooLarge,
                        "a credential is 1 to " + std::to_string(kMaxEntryBytes) + " bytes long");
        for (std::size_t j = 0; j < i; ++j)
            if (list[j].transport == e.transport)
                return fail(Errc::Malformed, "a credential list names a transport twice");
        total += 3 + e.bytes.size();
    }
    SecretBytes out(total);
    std::uint8_t* p = out.data();
    *p++ = static_cast<std::uint8_t>(list.size());
    for (const auto& e : list) {
        *p++ = static_cast<std::uint8_t>(e.transport);
        wire::put_u16(p, static_cast<std::uint16_t>(e.bytes.size()));
        p += 2;
        std::copy(e.bytes.view().begin(), e.bytes.view().end(), p);
        p += e.bytes.size();
    }
    return out;
}

template <typename Tag>
Result<std::vector<TransportSecret<Tag>>> decode_list(ByteView bytes) {
    wire::Reader r(bytes);
    auto n = r.u8();
    if (!n) return std::unexpected(n.error());
    if (*n == 0 || *n > kMaxTransports)
        return fail(Errc::Malformed, "a credential list holds 1 to " +
                                         std::to_string(kMaxTransports) + " transports");
    std::vector<TransportSecret<Tag>> out;
    out.reserve(*n);
    for (std::size_t i = 0; i < *n; ++i) {
        auto kind = r.u8();
        if (!kind) return std::unexpected(kind.error());
        auto body = r.var16(kMaxEntryBytes);
        if (!body) return std::unexpected(body.error());
        if (body->empty()) return fail(Errc::Malformed, "an empty credential");
        const auto k = static_cast<TransportKind>(*kind);
        if (find_transport(out, k))
            return fail(Errc::Malformed, "a credential list names a transport twice");
        out.push_back({k, SecretBytes(*body)});
    }
    if (auto end = r.expect_end("credential list"); !end) return std::unexpected(end.error());
    return out;
}

}  // namespace

std::string transport_name(TransportKind kind) {
    switch (kind) {
        case TransportKind::SottoOnion:
            return "Sotto onion network";
        case TransportKind::TorOnion:
            return "Tor";
    }
    return "transport " + std::to_string(static_cast<unsigned>(kind));
}

Result<SecretBytes> encode_grants(const GrantList& list) {
    return encode_list(list);
}
Result<SecretBytes> encode_credentials(const CredentialList& list) {
    return encode_list(list);
}
Result<GrantList> decode_grants(ByteView bytes) {
    return decode_list<GrantTag>(bytes);
}
Result<CredentialList> decode_credentials(ByteView bytes) {
    return decode_list<CredentialTag>(bytes);
}

Result<IssuedGrant> issue_grant(TransportKind kind, Rng& rng) {
    if (kind == TransportKind::SottoOnion) {
        auto g = hs::ContactGrant::generate(rng);
        return IssuedGrant{onion_grant(g), onion_credential(hs::credentials_for(g))};
    }
    if (kind == TransportKind::TorOnion) {
        auto g = generate_tor_grant(rng);
        return IssuedGrant{tor_grant(g), tor_credential(tor_credential_for(g))};
    }
    return fail(Errc::Config, "this build cannot issue grants for " + transport_name(kind));
}

Result<Credential> credential_for(const Grant& grant) {
    if (grant.transport == TransportKind::SottoOnion) {
        auto g = open_onion_grant(grant);
        if (!g) return std::unexpected(g.error());
        return onion_credential(hs::credentials_for(*g));
    }
    if (grant.transport == TransportKind::TorOnion) {
        auto g = open_tor_grant(grant);
        if (!g) return std::unexpected(g.error());
        return tor_credential(tor_credential_for(*g));
    }
    return fail(Errc::Config, "this build does not know " + transport_name(grant.transport));
}

Result<CredentialList> credentials_for(const GrantList& grants) {
    CredentialList out;
    out.reserve(grants.size());
    for (const auto& g : grants) {
        auto c = credential_for(g);
        if (!c) return std::unexpected(c.error());
        out.push_back(std::move(*c));
    }
    return out;
}

Result<IssuedGrants> issue_grants(std::span<const TransportKind> kinds, Rng& rng) {
    if (kinds.empty()) return fail(Errc::Config, "no transport to issue a grant for");
    IssuedGrants out;
    for (auto k : kinds) {
        auto g = issue_grant(k, rng);
        if (!g) return std::unexpected(g.error());
        out.grants.push_back(std::move(g->grant));
        out.credentials.push_back(std::move(g->credential));
    }
    return out;
}

SecretBytes join_secrets(ByteView a, ByteView b) {
    SecretBytes out(a.size() + b.size());
    std::copy(a.begin(), a.end(), out.data());
    std::copy(b.begin(), b.end(), out.data() + a.size());
    return out;
}

bool same_credentials(const CredentialList& a, const CredentialList& b) {
    if (a.size() != b.size()) return false;
    bool same = true;
    for (std::size_t i = 0; i < a.size(); ++i)
        same &= a[i].transport == b[i].transport && ct_equal(a[i].bytes.view(), b[i].bytes.view());
    return same;
}

}  // namespace sotto::transport
