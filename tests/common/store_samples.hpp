// Sample records for the store tests (tst_profile_store, tst_messenger_store):
// an identity, contacts, invites and message ids from a test Rng, at a fixed
// time t0, and field-by-field comparisons of what a store gives back.
#pragma once

#include <optional>
#include <string>

#include "core/store/records.hpp"
#include "core/util/rng.hpp"
#include "tests/common/test_grants.hpp"

namespace sotto::testing {

using store::ContactRecord;
using store::ContactState;
using store::InviteRecord;
using store::InviteStatus;
using store::MessageId;
using store::MessageRecord;
using store::ProfileIdentity;

inline const TimePoint t0 = TimePoint::from_seconds(1'700'000'000);

inline ProfileIdentity make_identity(Rng& rng) {
    Secret<32> onion;
    rng.fill(onion.mut());
    dir::NetworkId nid;
    rng.fill(nid.bytes);
    return ProfileIdentity{"Alice", crypto::Ed25519SecretKey::generate(rng), std::move(onion),
                           "network sotto-test\nauthority a 127.0.0.1:5000\n", nid};
}

inline ContactRecord make_contact(Rng& rng, std::string name, bool with_pairwise = true) {
    auto grants = onion_grants(rng);
    auto theirs = onion_credentials(rng);
    std::optional<crypto::Ed25519PublicKey> their_pairwise;
    if (with_pairwise) their_pairwise = crypto::Ed25519SecretKey::generate(rng).public_key();
    return ContactRecord{
        .id = 0,
        .state = with_pairwise ? ContactState::Established : ContactState::Requested,
        .name = std::move(name),
        .nickname = "",
        .appear_offline = false,
        .our_grants = std::move(grants),
        .their_credentials = std::move(theirs),
        .invite_secret = with_pairwise ? SecretBytes() : SecretBytes(rng.bytes(32)),
        .our_pairwise = crypto::Ed25519SecretKey::generate(rng),
        .their_pairwise = their_pairwise,
        .created_at = t0,
        .invite_expires_at = with_pairwise ? std::nullopt : std::optional(t0 + Duration::hours(1)),
    };
}

inline InviteRecord make_invite(Rng& rng, std::string hint) {
    return InviteRecord{
        .id = 0,
        .grants = onion_grants(rng),
        .secret = SecretBytes(rng.bytes(32)),
        .pairwise_seed = Secret<32>(rng.bytes(32)),
        .created_at = t0,
        .expires_at = t0 + Duration::hours(48),
        .name_hint = std::move(hint),
        .status = InviteStatus::Open,
        .used_by = std::nullopt,
    };
}

inline MessageId msg_id(Rng& rng) {
    MessageId id;
    rng.fill(id.bytes);
    return id;
}

inline bool same(const ContactRecord& a, const ContactRecord& b) {
    return a.id == b.id && a.state == b.state && a.name == b.name && a.nickname == b.nickname &&
           a.appear_offline == b.appear_offline && a.our_grants.size() == b.our_grants.size() &&
           a.our_grants[0].transport == b.our_grants[0].transport &&
           ct_equal(a.our_grants[0].bytes.view(), b.our_grants[0].bytes.view()) &&
           transport::same_credentials(a.their_credentials, b.their_credentials) &&
           ct_equal(a.invite_secret.view(), b.invite_secret.view()) &&
           ct_equal(a.our_pairwise.seed(), b.our_pairwise.seed()) &&
           a.their_pairwise == b.their_pairwise && a.created_at == b.created_at &&
           a.invite_expires_at == b.invite_expires_at;
}

inline bool same(const MessageRecord& a, const MessageRecord& b) {
    return a.row == b.row && a.contact == b.contact && a.id == b.id && a.direction == b.direction &&
           a.state == b.state && a.body == b.body && a.sent_at == b.sent_at &&
           a.delivered_at == b.delivered_at && a.read == b.read;
}

}  // namespace sotto::testing
