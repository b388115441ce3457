// The profile store at a realistic worst case: 1,000 contacts and 100,000
// messages (half of them with one contact, the rest spread over the others).
// Prints the unlock time (scrypt at the production cost and the check of
// every row's MAC against the profile digest included, next to each alone
// and to the 2^15 that profiles made before used), the
// contact list (one decrypted name, flag and newest timestamp per contact),
// history pages of 50 messages (newest, middle and oldest of the long
// conversation, and a short one) and the peak RSS of the measuring process.
// The database is filled in a child process so its peak RSS is not counted.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <QTemporaryDir>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "bench/bench_profile.hpp"
#include "bench/bench_util.hpp"
#include "core/crypto/random.hpp"
#include "core/store/profile_store.hpp"
#include "core/store/profile_store_testing.hpp"

using namespace sotto;
using namespace sotto::store;
using Clock = std::chrono::steady_clock;

namespace {

using bench::die;
constexpr std::size_t kPage = 50;

}  // namespace

// bench_store [profile]: with a path, fills it once and reuses it afterwards.
int main(int argc, char** argv) {
    QTemporaryDir dir;
    if (!dir.isValid()) return 1;
    const std::filesystem::path path =
        argc > 1 ? std::filesystem::path(argv[1])
                 : std::filesystem::path(dir.path().toStdString()) / "p.sotto";

    // Every tenth message stays queued: an outbox of 5,000 with the first contact.
    const double fill_s =
        bench::fill_profile_once(path, {.seed = 11,
                                        .first_message = TimePoint::from_seconds(1'700'000'000),
                                        .undelivered_every = 10});
    if (fill_s < 0) return 1;

    std::error_code ec;
    const auto bytes = std::filesystem::file_size(path, ec);

    // Unlock: scrypt (2^17, r=8) + the header checks + every row's MAC
    // against the digest + decrypting the identity.
    SystemRng rng;
    std::vector<double> opens;
    std::unique_ptr<ProfileStore> store;
    for (int i = 0; i < 5; ++i) {
        store.reset();
        auto t = Clock::now();
        auto s = ProfileStore::open(path, bench::kProfilePass, rng);
        opens.push_back(bench::ms_since(t));
        if (!s) die("open", s.error().message);
        store = std::move(*s);
    }
    auto [open_p50, open_max] = bench::p50_p99(opens);
    auto kdf = bench::time_runs(3, [&] {
        (void)crypto::scrypt(as_bytes(bench::kProfilePass), Bytes(16), kProfileScrypt, 32);
    });
    auto kdf_old = bench::time_runs(3, [&] {
        (void)crypto::scrypt(as_bytes(bench::kProfilePass), Bytes(16),
                             crypto::ScryptParams{1u << 15, 8, 1}, 32);
    });

    auto& s = *store;
    auto first = s.contact_summaries();
    if (!first || first->size() != bench::kProfileContacts) return 1;
    const ContactId heavy = first->front().id, light = (*first)[500].id;
    auto summaries = bench::time_runs(20, [&] { (void)s.contact_summaries(); });
    auto contacts = bench::time_runs(5, [&] { (void)s.contacts(); });

    auto newest = s.history(heavy, std::nullopt, kPage);
    if (!newest || newest->size() != kPage) return 1;
    // A cursor in the middle and near the start of the long conversation.
    MessageRowId middle = newest->front().row - bench::kProfileHeavy / 2;
    MessageRowId oldest = kPage + 1;
    auto p_newest = bench::time_runs(200, [&] { (void)s.history(heavy, std::nullopt, kPage); });
    auto p_middle = bench::time_runs(200, [&] { (void)s.history(heavy, middle, kPage); });
    auto p_oldest = bench::time_runs(200, [&] { (void)s.history(heavy, oldest, kPage); });
    auto p_light = bench::time_runs(200, [&] { (void)s.history(light, std::nullopt, kPage); });
    auto p_outbox = bench::time_runs(200, [&] { (void)s.outbox(heavy); });
    // A write: the row, its MAC and the digest in one transaction. Without
    // the fsync of every commit (synchronous = FULL in the program), which
    // would measure the disk instead.
    (void)ProfileStoreTesting::db(s).exec("PRAGMA synchronous = OFF");
    DeterministicRng ids(5);
    auto w_outgoing = bench::time_runs(200, [&] {
        MessageId mid;
        ids.fill(mid.bytes);
        if (!s.add_outgoing(light, mid, std::string(120, 'w'), TimePoint::from_seconds(1)))
            die("add_outgoing", "failed");
    });

    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);

    std::printf(
        "profile: %d contacts, %d messages (%d with one contact), %.1f MiB, filled in "
        "%.1f s\n\n",
        bench::kProfileContacts, bench::kProfileMessages, bench::kProfileHeavy,
        double(bytes) / (1 << 20), fill_s);
    std::printf("| %-44s | %10s | %10s |\n", "operation", "p50 (ms)", "p99 (ms)");
    std::printf("|----------------------------------------------|------------|------------|\n");
    auto row = [](const char* what, std::pair<double, double> t) {
        std::printf("| %-44s | %10.3f | %10.3f |\n", what, t.first, t.second);
    };
    row("open (unlock, scrypt N=2^17 r=8, row MACs)", {open_p50, open_max});
    row("  of which scrypt N=2^17 r=8 alone", kdf);
    row("  the rest: header, 101k row MACs, identity",
        {open_p50 - kdf.first, open_max - kdf.first});
    row("  (scrypt N=2^15 r=8, profiles made before)", kdf_old);
    row("contact_summaries (1,000 contacts)", summaries);
    row("contacts (1,000 full records)", contacts);
    row("history page of 50, newest (50,000 msgs)", p_newest);
    row("history page of 50, middle (50,000 msgs)", p_middle);
    row("history page of 50, oldest (50,000 msgs)", p_oldest);
    row("history page of 50, short conversation", p_light);
    row("outbox (5,000 undelivered of 50,000)", p_outbox);
    row("add_outgoing, no fsync (row + MAC + digest)", w_outgoing);
    std::printf("\npeak RSS of the measuring process: %.1f MiB\n", double(ru.ru_maxrss) / 1024);
    return 0;
}
