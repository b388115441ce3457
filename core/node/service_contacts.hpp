// The contacts a private service grants access to (DESIGN §2): each one's
// grant (CK, DC), the indexes INTRODUCE2 checks look them up by, whether the
// service is hidden from them, and their descriptors' publication state
// (kept here, used by DescriptorPublisher). Shared by the private service's
// parts (private_service.hpp). Not a public header.
#pragma once

#include <cstring>
#include <map>
#include <unordered_map>

#include "core/hs/descriptor_id.hpp"
#include "core/hs/introduction_checks.hpp"
#include "core/hs/service_api.hpp"

namespace sotto::node {

struct ContactKeyHash {
    // H(CK): its first bytes are uniformly distributed.
    std::size_t operator()(const hs::ContactKey& k) const noexcept {
        std::size_t h;
        std::memcpy(&h, k.data(), sizeof h);
        return h;
    }
};

struct ServiceContact {
    hs::ContactGrant grant;
    hs::ClientKeyId ck_id;
    hs::CookieIndex index;
    bool hidden = false;
    TimePoint next_publish = TimePoint::never();
    // Descriptors of this contact waiting in the publication scheduler.
    std::size_t queued = 0;
    // The revision of this contact's last descriptor (hs::next_revision).
    std::uint64_t revision = 0;

    hs::ContactKey key() const { return hs::ContactKey::from(ck_id.view()); }
};

struct ServiceContacts {
    std::map<hs::ContactId, ServiceContact> by_id;
    // O(1): a rate-limited drop looks its contact up here (issue 9, 11).
    std::unordered_map<hs::ContactKey, hs::ContactId, ContactKeyHash> by_key;
    // What the introduction checks look a descriptor cookie up in.
    hs::CookieTable cookies;
    // Invisible: no descriptor for anyone and no introduction point.
    bool visible = true;

    ServiceContact* find(hs::ContactId id) {
        auto it = by_id.find(id);
        return it == by_id.end() ? nullptr : &it->second;
    }
    // Whether the service is there for `id`: a current contact, not hidden
    // from, and not Invisible.
    bool serves(hs::ContactId id) const {
        auto it = by_id.find(id);
        return visible && it != by_id.end() && !it->second.hidden;
    }
};

}  // namespace sotto::node
