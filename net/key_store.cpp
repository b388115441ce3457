#include "net/key_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

namespace sotto::net {

namespace {

std::string errno_text(int err) {
    return std::strerror(err);
}

// A file descriptor that closes itself.
class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    int release() {
        int f = fd_;
        fd_ = -1;
        return f;
    }

  private:
    int fd_;
};

Status ensure_dir(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(Errc::Io, "cannot create data directory " + dir + ": " + ec.message());
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0)
        return fail(Errc::Io, "cannot use data directory " + dir + ": " + errno_text(errno));
    if (!S_ISDIR(st.st_mode)) return fail(Errc::Config, dir + " is not a directory");
    // Only tighten a directory we own; someone else's directory (e.g. a shared
    // parent) is left alone and the key files' own modes protect the keys.
    if (st.st_uid == ::geteuid() && (st.st_mode & 077) != 0) ::chmod(dir.c_str(), 0700);
    return {};
}

// Reads exactly 32 bytes into `out`. NotFound when the file does not exist.
Status read_key(const std::string& path, Secret<32>& out) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (fd.get() < 0) {
        if (errno == ENOENT) return fail(Errc::NotFound, path + " does not exist");
        return fail(Errc::Io, "cannot read " + path + ": " + errno_text(errno));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return fail(Errc::Io, "cannot read " + path + ": " + errno_text(errno));
    if (!S_ISREG(st.st_mode)) return fail(Errc::Config, path + " is not a regular file");
    if ((st.st_mode & 077) != 0)
        return fail(Errc::Config, path + " is readable by other users; run: chmod 600 " + path);
    if (st.st_size != 32)
        return fail(Errc::Config, path + " is " + std::to_string(st.st_size) +
                                      " bytes, a key file must be exactly 32; restore it from a "
                                      "backup or move it away to create a new identity");
    std::size_t got = 0;
    while (got < 32) {
        ssize_t n = ::read(fd.get(), out.data() + got, 32 - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return fail(Errc::Io, "cannot read " + path + ": short read");
        got += static_cast<std::size_t>(n);
    }
    return {};
}

// Writes the key to a temporary file and renames it into place, so a crash
// never leaves a truncated key behind.
Status write_key(const std::string& path, ByteView key) {
    const std::string tmp = path + ".tmp";
    ::unlink(tmp.c_str());
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (fd.get() < 0) return fail(Errc::Io, "cannot create " + tmp + ": " + errno_text(errno));
    std::size_t done = 0;
    while (done < key.size()) {
        ssize_t n = ::write(fd.get(), key.data() + done, key.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int err = errno;
            ::unlink(tmp.c_str());
            return fail(Errc::Io, "cannot write " + tmp + ": " + errno_text(err));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0 || ::close(fd.release()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return fail(Errc::Io, "cannot write " + tmp + ": " + errno_text(err));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return fail(Errc::Io, "cannot create " + path + ": " + errno_text(err));
    }
    return {};
}

}  // namespace

Result<node::NodeKeys> load_or_create_keys(const std::string& dir, Rng& rng) {
    if (auto s = ensure_dir(dir); !s) return std::unexpected(s.error());
    const std::string id_path = (std::filesystem::path(dir) / kIdentityKeyFile).string();
    const std::string onion_path = (std::filesystem::path(dir) / kOnionKeyFile).string();

    std::optional<crypto::Ed25519SecretKey> identity;
    {
        Secret<32> seed;
        auto r = read_key(id_path, seed);
        if (r) {
            auto k = crypto::Ed25519SecretKey::from_seed(seed.view());
            if (!k) return fail(Errc::Config, id_path + ": " + k.error().message);
            identity.emplace(std::move(*k));
        } else if (r.error().code == Errc::NotFound) {
            identity.emplace(crypto::Ed25519SecretKey::generate(rng));
            if (auto w = write_key(id_path, identity->seed()); !w)
                return std::unexpected(w.error());
        } else {
            return std::unexpected(r.error());
        }
    }  // `seed` is wiped here by Secret's destructor.

    std::optional<crypto::X25519SecretKey> onion;
    {
        Secret<32> scalar;
        auto r = read_key(onion_path, scalar);
        if (r) {
            auto k = crypto::X25519SecretKey::from_bytes(scalar.view());
            if (!k) return fail(Errc::Config, onion_path + ": " + k.error().message);
            onion.emplace(std::move(*k));
        } else if (r.error().code == Errc::NotFound) {
            onion.emplace(crypto::X25519SecretKey::generate(rng));
            if (auto w = write_key(onion_path, onion->secret_bytes()); !w)
                return std::unexpected(w.error());
        } else {
            return std::unexpected(r.error());
        }
    }
    return node::NodeKeys{std::move(*identity), std::move(*onion)};
}

}  // namespace sotto::net
