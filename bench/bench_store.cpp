// The profile store at a realistic worst case: 1,000 contacts and 100,000
// messages (half of them with one contact, the rest spread over the others).
// Prints the unlock time (scrypt at the production cost included), the
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

#include "bench/bench_util.hpp"
#include "core/store/profile_store.hpp"
#include "core/store/profile_store_testing.hpp"

using namespace sotto;
using namespace sotto::store;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kContacts = 1000;
constexpr int kMessages = 100'000;
constexpr int kHeavy = kMessages / 2;  // messages with the first contact
constexpr std::size_t kPage = 50;
constexpr std::string_view kPass = "benchmark passphrase";
const TimePoint t0 = TimePoint::from_seconds(1'700'000'000);

double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

[[noreturn]] void die(const char* what, const Error& e) {
    std::fprintf(stderr, "%s: %s\n", what, e.message.c_str());
    std::exit(1);
}

// Runs in the child: creates and fills the profile.
int fill(const std::filesystem::path& path) {
    DeterministicRng rng(11);
    Secret<32> onion;
    rng.fill(onion.mut());
    auto store =
        ProfileStore::create(path, kPass,
                             ProfileIdentity{"Bench", crypto::Ed25519SecretKey::generate(rng),
                                             std::move(onion), "network bench\n", dir::NetworkId{}},
                             rng);
    if (!store) die("create", store.error());
    auto& s = **store;
    // Filling only: no fsync per message (the program itself keeps FULL).
    (void)ProfileStoreTesting::db(s).exec("PRAGMA synchronous = OFF");
    std::vector<ContactId> ids;
    for (int i = 0; i < kContacts; ++i) {
        auto theirs = hs::ContactGrant::generate(rng);
        auto id = s.add_contact(ContactRecord{
            .state = ContactState::Established,
            .name = "Contact " + std::to_string(i),
            .our_grant = hs::ContactGrant::generate(rng),
            .their_credentials = hs::credentials_for(theirs),
            .our_pairwise = crypto::Ed25519SecretKey::generate(rng),
            .their_pairwise = crypto::Ed25519SecretKey::generate(rng).public_key(),
            .created_at = t0,
        });
        if (!id) die("add_contact", id.error());
        ids.push_back(*id);
    }
    const std::string body(120, 'm');  // a typical short chat line
    for (int i = 0; i < kMessages; ++i) {
        const ContactId c = i < kHeavy ? ids[0] : ids[1 + (i % (kContacts - 1))];
        MessageId mid;
        rng.fill(mid.bytes);
        const TimePoint t = t0 + Duration::seconds(i);
        if (i % 2 == 0) {
            auto m = s.add_outgoing(c, mid, body, t);
            if (!m) die("add_outgoing", m.error());
            if (i % 10 != 0)
                (void)s.set_message_state(c, mid, MessageState::Delivered,
                                          t + Duration::seconds(1));
        } else {
            auto m = s.add_incoming(c, mid, body, t, t + Duration::seconds(1));
            if (!m) die("add_incoming", m.error());
        }
    }
    // Half the conversations read.
    for (int i = 0; i < kContacts; i += 2) (void)s.mark_read(ids[static_cast<std::size_t>(i)]);
    return 0;
}

}  // namespace

// bench_store [profile]: with a path, fills it once and reuses it afterwards.
int main(int argc, char** argv) {
    QTemporaryDir dir;
    if (!dir.isValid()) return 1;
    const std::filesystem::path path =
        argc > 1 ? std::filesystem::path(argv[1])
                 : std::filesystem::path(dir.path().toStdString()) / "p.sotto";

    double fill_s = 0;
    if (!std::filesystem::exists(path)) {
        auto t_fill = Clock::now();
        pid_t child = fork();
        if (child == 0) _exit(fill(path));
        int status = 0;
        waitpid(child, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
        fill_s = ms_since(t_fill) / 1000;
    }

    std::error_code ec;
    const auto bytes = std::filesystem::file_size(path, ec);

    // Unlock: scrypt (2^15, r=8) + the header checks + decrypting the identity.
    SystemRng rng;
    std::vector<double> opens;
    std::unique_ptr<ProfileStore> store;
    for (int i = 0; i < 5; ++i) {
        store.reset();
        auto t = Clock::now();
        auto s = ProfileStore::open(path, kPass, rng);
        opens.push_back(ms_since(t));
        if (!s) die("open", s.error());
        store = std::move(*s);
    }
    auto [open_p50, open_max] = bench::p50_p99(opens);
    auto t_kdf = Clock::now();
    (void)crypto::scrypt(as_bytes(kPass), Bytes(16), crypto::ScryptParams{}, 32);
    const double kdf_ms = ms_since(t_kdf);

    auto& s = *store;
    auto first = s.contact_summaries();
    if (!first || first->size() != kContacts) return 1;
    const ContactId heavy = first->front().id, light = (*first)[500].id;
    auto summaries = bench::time_runs(20, [&] { (void)s.contact_summaries(); });
    auto contacts = bench::time_runs(5, [&] { (void)s.contacts(); });

    auto newest = s.history(heavy, std::nullopt, kPage);
    if (!newest || newest->size() != kPage) return 1;
    // A cursor in the middle and near the start of the long conversation.
    MessageRowId middle = newest->front().row - kHeavy / 2;
    MessageRowId oldest = kPage + 1;
    auto p_newest = bench::time_runs(200, [&] { (void)s.history(heavy, std::nullopt, kPage); });
    auto p_middle = bench::time_runs(200, [&] { (void)s.history(heavy, middle, kPage); });
    auto p_oldest = bench::time_runs(200, [&] { (void)s.history(heavy, oldest, kPage); });
    auto p_light = bench::time_runs(200, [&] { (void)s.history(light, std::nullopt, kPage); });
    auto p_outbox = bench::time_runs(200, [&] { (void)s.outbox(heavy); });

    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);

    std::printf(
        "profile: %d contacts, %d messages (%d with one contact), %.1f MiB, filled in "
        "%.1f s\n\n",
        kContacts, kMessages, kHeavy, double(bytes) / (1 << 20), fill_s);
    std::printf("| %-44s | %10s | %10s |\n", "operation", "p50 (ms)", "p99 (ms)");
    std::printf("|----------------------------------------------|------------|------------|\n");
    auto row = [](const char* what, std::pair<double, double> t) {
        std::printf("| %-44s | %10.3f | %10.3f |\n", what, t.first, t.second);
    };
    row("open (unlock, scrypt N=2^15 r=8)", {open_p50, open_max});
    row("  of which scrypt alone", {kdf_ms, kdf_ms});
    row("contact_summaries (1,000 contacts)", summaries);
    row("contacts (1,000 full records)", contacts);
    row("history page of 50, newest (50,000 msgs)", p_newest);
    row("history page of 50, middle (50,000 msgs)", p_middle);
    row("history page of 50, oldest (50,000 msgs)", p_oldest);
    row("history page of 50, short conversation", p_light);
    row("outbox (5,000 undelivered of 50,000)", p_outbox);
    std::printf("\npeak RSS of the measuring process: %.1f MiB\n", double(ru.ru_maxrss) / 1024);
    return 0;
}
