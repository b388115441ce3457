#include "core/store/records.hpp"

#include <cstdlib>

namespace sotto::store {

ContactRecord clone(const ContactRecord& r) {
    // Only an OpenSSL failure can refuse a key's own seed; like
    // Ed25519SecretKey::generate, that is not something to carry on from.
    auto pairwise = crypto::Ed25519SecretKey::from_seed(r.our_pairwise.seed());
    if (!pairwise) std::abort();
    return ContactRecord{
        .id = r.id,
        .state = r.state,
        .name = r.name,
        .nickname = r.nickname,
        .appear_offline = r.appear_offline,
        .our_grants = transport::clone_list(r.our_grants),
        .their_credentials = transport::clone_list(r.their_credentials),
        .invite_secret = SecretBytes(r.invite_secret.view()),
        .our_pairwise = std::move(*pairwise),
        .their_pairwise = r.their_pairwise,
        .created_at = r.created_at,
        .invite_expires_at = r.invite_expires_at,
    };
}

InviteRecord clone(const InviteRecord& r) {
    return InviteRecord{
        .id = r.id,
        .grants = transport::clone_list(r.grants),
        .secret = SecretBytes(r.secret.view()),
        .pairwise_seed = r.pairwise_seed.clone(),
        .created_at = r.created_at,
        .expires_at = r.expires_at,
        .name_hint = r.name_hint,
        .status = r.status,
        .used_by = r.used_by,
        .probes = r.probes,
    };
}

}  // namespace sotto::store
