// Fuzzes opening a profile: any file gives a store or an error, never a
// crash, and an opened store answers every query with a value or an error.
// Input byte 0 == 0: the rest is the whole file. Otherwise the input is a
// list of 4-byte edits (24-bit offset, xor byte; xor 0 truncates there)
// applied to a small valid profile made at start-up (cheap scrypt), so the
// fuzzer reaches past the passphrase check into the row check against the
// profile digest (row_integrity.hpp) and the B-trees. Almost every edit is
// refused there; with byte 0 == 1 the edited file is opened the way
// ProfileStoreTesting re-MACs it (every row taken as written by the store),
// so the sealed fields behind the row check are fuzzed too.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/crypto/random.hpp"
#include "core/store/profile_store.hpp"
#include "core/store/profile_store_testing.hpp"
#include "core/store/schema.hpp"

using namespace sotto;
using namespace sotto::store;

namespace {

constexpr std::string_view kPass = "fuzz";
std::filesystem::path g_dir;
Bytes g_template;

std::filesystem::path file() {
    return g_dir / "p.sotto";
}

void remove_all() {
    std::error_code ec;
    for (const char* s : {"", "-wal", "-shm", "-journal"})
        std::filesystem::remove(std::filesystem::path(file().string() + s), ec);
}

void make_template() {
    DeterministicRng rng(1);
    Secret<32> onion;
    rng.fill(onion.mut());
    auto s =
        ProfileStore::create(file(), kPass,
                             ProfileIdentity{"Alice", crypto::Ed25519SecretKey::generate(rng),
                                             std::move(onion), "network fuzz\n", dir::NetworkId{}},
                             rng, crypto::ScryptParams{2, 1, 1});
    if (!s) std::abort();
    for (int c = 0; c < 2; ++c) {
        auto id = (*s)->add_contact(ContactRecord{
            .state = ContactState::Established,
            .name = "Bob",
            .our_grants = transport::list_of(
                transport::issue_grant(transport::TransportKind::SottoOnion, rng)->grant.clone()),
            .their_credentials =
                transport::list_of(transport::issue_grant(transport::TransportKind::SottoOnion, rng)
                                       ->credential.clone()),
            .our_pairwise = crypto::Ed25519SecretKey::generate(rng),
            .their_pairwise = crypto::Ed25519SecretKey::generate(rng).public_key(),
            .created_at = TimePoint{1},
        });
        if (!id) std::abort();
        for (int i = 0; i < 20; ++i) {
            MessageId mid;
            rng.fill(mid.bytes);
            if (i % 2 == 0)
                (void)(*s)->add_outgoing(*id, mid, "hello there", TimePoint{i});
            else
                (void)(*s)->add_incoming(*id, mid, "hi", TimePoint{i}, TimePoint{i + 1});
        }
    }
    (void)(*s)->add_invite(InviteRecord{
        .grants = transport::list_of(
            transport::issue_grant(transport::TransportKind::SottoOnion, rng)->grant.clone()),
        .secret = SecretBytes(rng.bytes(32)),
        .created_at = TimePoint{1},
        .expires_at = TimePoint{2},
        .name_hint = "Carol"});
    (void)(*s)->set_setting("presence", "away");
    (void)(*s)->remember_accepted_invite(Bytes(32, 1), TimePoint{3});
    s->reset();  // checkpoints the WAL into the file
    std::ifstream in(file(), std::ios::binary);
    g_template.assign(std::istreambuf_iterator<char>(in), {});
    if (g_template.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // tmpfs when there is one: the store fsyncs every commit.
    char shm[] = "/dev/shm/sotto-fuzz-profile-XXXXXX";
    char tmp[] = "/tmp/sotto-fuzz-profile-XXXXXX";
    char* tmpl = std::filesystem::is_directory("/dev/shm") ? shm : tmp;
    if (mkdtemp(tmpl) == nullptr) std::abort();
    g_dir = tmpl;
    make_template();
    std::atexit([] {
        std::error_code ec;
        std::filesystem::remove_all(g_dir, ec);
    });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Bytes bytes;
    if (size > 0 && data[0] == 0) {
        bytes.assign(data + 1, data + size);
    } else {
        bytes = g_template;
        for (std::size_t i = 0; i + 4 <= size; i += 4) {
            const std::size_t off =
                (data[i] | std::size_t(data[i + 1]) << 8 | std::size_t(data[i + 2]) << 16) %
                bytes.size();
            if (data[i + 3] == 0)
                bytes.resize(off);
            else
                bytes[off] ^= data[i + 3];
            if (bytes.empty()) break;
        }
    }
    remove_all();
    {
        std::ofstream out(file(), std::ios::binary);
        out.write(reinterpret_cast<const char*>(bytes.data()),
                  static_cast<std::streamsize>(bytes.size()));
    }
    DeterministicRng rng(2);
    const bool remac = size > 0 && data[0] == 1;
    auto s = remac ? ProfileStoreTesting::open_with_migrations(file(), kPass, rng,
                                                               schema::profile_migrations(), true)
                   : ProfileStore::open(file(), kPass, rng);
    // The unmodified template must open.
    if (!s && size < 4 && (size == 0 || data[0] != 0)) __builtin_trap();
    if (!s) return 0;
    auto& store = **s;
    (void)store.identity();
    (void)store.contacts();
    (void)store.invites();
    (void)store.setting("presence");
    (void)store.accepted_invite_seen(Bytes(32, 1));
    if (auto sums = store.contact_summaries()) {
        for (const auto& c : *sums) {
            (void)store.history(c.id, std::nullopt, 100);
            (void)store.outbox(c.id);
        }
    }
    MessageId mid{};
    (void)store.add_outgoing(1, mid, "x", TimePoint{5});
    (void)store.mark_read(1);
    (void)store.remove_contact(2);
    return 0;
}
