// The profile the store and UI benchmarks measure: 1,000 contacts and
// 100,000 messages (half with the first contact, the rest spread over the
// others), filled in a child process so the filling's memory does not count
// towards the measuring process's peak RSS. Benchmarks only.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/crypto/random.hpp"
#include "core/store/profile_store.hpp"
#include "core/store/profile_store_testing.hpp"
#include "tests/common/test_grants.hpp"

namespace sotto::bench {

inline constexpr int kProfileContacts = 1000;
inline constexpr int kProfileMessages = 100'000;
inline constexpr int kProfileHeavy = kProfileMessages / 2;  // with the first contact
inline constexpr std::string_view kProfilePass = "benchmark passphrase";

struct ProfileFill {
    std::uint64_t seed = 11;
    // The production cost unless a benchmark needs less.
    crypto::ScryptParams scrypt = store::kProfileScrypt;
    TimePoint first_message;  // message i is sent one second after message i - 1
    // Every n-th message (n > 0) stays Queued: an outbox to measure.
    int undelivered_every = 0;
};

[[noreturn]] inline void die(const char* what, const std::string& why) {
    std::fprintf(stderr, "%s: %s\n", what, why.c_str());
    std::exit(1);
}

// Creates and fills the profile at `path` (in this process).
inline void fill_profile(const std::filesystem::path& path, const ProfileFill& f) {
    using namespace store;
    DeterministicRng rng(f.seed);
    Secret<32> onion;
    rng.fill(onion.mut());
    auto created =
        ProfileStore::create(path, kProfilePass,
                             ProfileIdentity{"Bench", crypto::Ed25519SecretKey::generate(rng),
                                             std::move(onion), "network bench\n", dir::NetworkId{}},
                             rng, f.scrypt);
    if (!created) die("create", created.error().message);
    auto& s = **created;
    // Filling only: no fsync per message (the program itself keeps FULL).
    (void)ProfileStoreTesting::db(s).exec("PRAGMA synchronous = OFF");
    std::vector<ContactId> ids;
    for (int i = 0; i < kProfileContacts; ++i) {
        auto id = s.add_contact(ContactRecord{
            .state = ContactState::Established,
            .name = "Contact " + std::to_string(i),
            .our_grants = sotto::testing::onion_grants(rng),
            .their_credentials = sotto::testing::onion_credentials(rng),
            .our_pairwise = crypto::Ed25519SecretKey::generate(rng),
            .their_pairwise = crypto::Ed25519SecretKey::generate(rng).public_key(),
            .created_at = f.first_message,
        });
        if (!id) die("add_contact", id.error().message);
        ids.push_back(*id);
    }
    const std::string body(120, 'm');  // a typical short chat line
    for (int i = 0; i < kProfileMessages; ++i) {
        const ContactId c = i < kProfileHeavy ? ids[0] : ids[1 + (i % (kProfileContacts - 1))];
        MessageId mid;
        rng.fill(mid.bytes);
        const TimePoint t = f.first_message + Duration::seconds(i);
        if (i % 2 == 0) {
            if (auto m = s.add_outgoing(c, mid, body, t); !m)
                die("add_outgoing", m.error().message);
            if (f.undelivered_every <= 0 || i % f.undelivered_every != 0)
                (void)s.set_message_state(c, mid, MessageState::Delivered,
                                          t + Duration::seconds(1));
        } else if (auto m = s.add_incoming(c, mid, body, t, t + Duration::seconds(1)); !m) {
            die("add_incoming", m.error().message);
        }
    }
    // Half the conversations read.
    for (int i = 0; i < kProfileContacts; i += 2)
        (void)s.mark_read(ids[static_cast<std::size_t>(i)]);
}

// fill_profile in a child process unless `path` exists; the seconds it
// took (0 if it existed), or -1 if the child failed.
inline double fill_profile_once(const std::filesystem::path& path, const ProfileFill& f) {
    if (std::filesystem::exists(path)) return 0;
    const auto start = std::chrono::steady_clock::now();
    const pid_t child = fork();
    if (child == 0) {
        fill_profile(path, f);
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace sotto::bench
