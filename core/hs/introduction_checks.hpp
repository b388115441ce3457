// The service's decision on every INTRODUCE2 (DESIGN §2 "service-side
// checks", paper 4.6), taken before it spends anything on a rendezvous
// circuit. In this order:
//   1. decrypt with the introduction point's keys (IK_i, b_i)  Undecryptable
//   2. the descriptor cookie names a current contact           UnknownCookie
//   3. ... who is not hidden from                              HiddenContact
//   4. not a replay (same client key X accepted within the horizon) Replay
//   5. timestamp within ±window of now                          StaleTimestamp
//   6. within the contact's rate limit                          RateLimited
// and only then is X entered into the replay cache.
// Why this order: the cheap public check (decryption) comes first; steps 2-3
// identify the contact, so nothing later spends state on a stranger (a
// stranger's request never enters the replay cache or the rate limiter);
// replay before the timestamp so a replayed copy is reported as what it is;
// the rate limit last so that replays and stale copies relayed by an
// introduction point are not charged to the contact.
// Why the cache is written last: it then holds only accepted requests, at
// most the rate limit's count per contact and window, so a rogue contact's
// flood of rate-limited requests cannot fill it and evict the entries that
// stop real replays; and a request the limiter refused (or a stale one) is
// not marked as seen, so the same request sent again once the contact is
// within its limit is judged afresh instead of being called a replay. The
// price: a copy of a refused request replayed by an introduction point is
// refused by the limiter again and counted as another violation, which only
// adds to the report on a contact that was already over its limit.
//
// Dropping is silent: the caller sends nothing back and builds no circuit,
// so a hidden or revoked contact learns nothing (requirement 3). This unit
// only decides and counts; it has no I/O.
#pragma once

#include <array>
#include <optional>
#include <unordered_map>
#include <variant>

#include "core/hs/introduce_crypto.hpp"
#include "core/hs/rate_limiter.hpp"
#include "core/hs/replay_cache.hpp"
#include "core/util/time.hpp"

namespace sotto::hs {

struct CookieIndexTag {};
// H("sotto-cookie-index", DC): the key of the service's cookie table. Found in
// O(1) per request, without trial decryption per contact, and the table never
// holds the cookies themselves as keys.
using CookieIndex = FixedBytes<32, CookieIndexTag>;
CookieIndex cookie_index(const Secret<32>& descriptor_cookie);

struct CookieIndexHash {
    // The index is a SHA3 output: its first bytes are uniformly distributed.
    std::size_t operator()(const CookieIndex& k) const noexcept;
};

struct CookieEntry {
    ContactKey contact;
    bool hidden = false;  // the user hides presence from this contact
};
// Current contacts only: a revoked contact's cookie is removed from it.
using CookieTable = std::unordered_map<CookieIndex, CookieEntry, CookieIndexHash>;

struct IntroductionPolicy {
    Duration timestamp_window = Duration::minutes(10);
    // Per contact (paper: "e.g. 10 per hour").
    RateLimitConfig rate_limit{};
    std::size_t replay_max_entries = 8192;
};

enum class DropReason : std::uint8_t {
    Undecryptable,
    UnknownCookie,
    HiddenContact,
    Replay,
    StaleTimestamp,
    RateLimited,
};
inline constexpr std::size_t kDropReasonCount = 6;
const char* drop_reason_name(DropReason r);

struct Accepted {
    ContactKey contact;
    OpenedIntroduce introduce;
};
struct Dropped {
    DropReason reason;
    // RateLimited: the contact over its limit, so the service can report it
    // with one lookup. Empty for the other reasons.
    std::optional<ContactKey> contact;
};
using IntroductionVerdict = std::variant<Accepted, Dropped>;

class IntroductionChecks {
  public:
    explicit IntroductionChecks(IntroductionPolicy policy = {});

    // `auth_key`/`enc_key`: the keys of the introduction circuit the
    // INTRODUCE2 arrived on.
    IntroductionVerdict check(ByteView introduce2_body, const crypto::Ed25519PublicKey& auth_key,
                              const crypto::X25519SecretKey& enc_key, const CookieTable& contacts,
                              TimePoint now);

    std::uint64_t dropped(DropReason r) const { return dropped_[static_cast<std::size_t>(r)]; }
    std::uint64_t accepted() const { return accepted_; }
    // Rate-limit refusals of one contact, to report a rogue contact.
    std::size_t violations(const ContactKey& contact) const { return limiter_.violations(contact); }
    // On revocation: forgets the contact's rate-limit state.
    void forget_contact(const ContactKey& contact) { limiter_.forget(contact); }
    // Housekeeping, e.g. hourly: expires replay entries, forgets idle contacts.
    void prune(TimePoint now);

    const IntroductionPolicy& policy() const { return policy_; }
    const ReplayCache& replay_cache() const { return replay_; }

  private:
    IntroductionVerdict drop(DropReason r);

    IntroductionPolicy policy_;
    ReplayCache replay_;
    RateLimiter limiter_;
    std::array<std::uint64_t, kDropReasonCount> dropped_{};
    std::uint64_t accepted_ = 0;
};

}  // namespace sotto::hs
