#include "core/store/sealed_box.hpp"

#include "core/crypto/kdf.hpp"

namespace sotto::store {

namespace {

constexpr std::string_view kFieldKeyInfo = "sotto/profile/v1/field-key";
constexpr std::string_view kIndexKeyInfo = "sotto/profile/v1/index-key";
constexpr std::string_view kRowKeyInfo = "sotto/profile/v1/row-mac-key";
constexpr std::size_t kSha256Block = 64;
constexpr std::string_view kFieldAadLabel = "sotto/profile/v1/field";
constexpr std::size_t kMinSealed = crypto::kAeadNonceLen + crypto::kAeadTagLen;

// Sized up front and filled by index: GCC 12 at -O3 misreads the
// insert-into-reserved-vector form as an overflow (-Wstringop-overflow).
Bytes field_aad(const FieldRef& f) {
    const auto row = le64(f.row);
    Bytes aad(kFieldAadLabel.size() + f.table.size() + f.column.size() + 3 + row.size() +
              f.extra.size());
    std::size_t at = 0;
    auto put = [&](ByteView b) {
        std::copy(b.begin(), b.end(), aad.begin() + static_cast<std::ptrdiff_t>(at));
        at += b.size();
    };
    const std::uint8_t zero = 0;
    for (auto s : {kFieldAadLabel, f.table, f.column}) {
        put(as_bytes(s));
        put(ByteView(&zero, 1));
    }
    put(row);
    put(f.extra);
    return aad;
}

Error field_error(const FieldRef& f, std::string_view what) {
    return Error{Errc::BadSignature,
                 "profile field " + SealedBox::describe(f) + " " + std::string(what)};
}

}  // namespace

std::array<std::uint8_t, 8> le64(std::int64_t v) {
    std::array<std::uint8_t, 8> out{};
    auto u = static_cast<std::uint64_t>(v);
    for (std::size_t i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(u >> (8 * i));
    return out;
}

std::string SealedBox::describe(const FieldRef& f) {
    std::string s(f.table);
    s += '.';
    s += f.column;
    if (f.row != 0) s += " (row " + std::to_string(f.row) + ")";
    return s;
}

Result<SealedBox> SealedBox::from_data_key(const DataKey& data_key, Rng& rng) {
    auto fk = crypto::hkdf(crypto::HkdfHash::Sha3_256, data_key.view(), {}, as_bytes(kFieldKeyInfo),
                           crypto::kAeadKeyLen);
    if (!fk) return std::unexpected(fk.error());
    auto ik =
        crypto::hkdf(crypto::HkdfHash::Sha3_256, data_key.view(), {}, as_bytes(kIndexKeyInfo), 32);
    if (!ik) return std::unexpected(ik.error());
    auto rk =
        crypto::hkdf(crypto::HkdfHash::Sha3_256, data_key.view(), {}, as_bytes(kRowKeyInfo), 32);
    if (!rk) return std::unexpected(rk.error());
    // HMAC (RFC 2104) with the two keyed states computed here once.
    SecretBytes pad(kSha256Block);
    auto keyed = [&](std::uint8_t with) {
        for (std::size_t i = 0; i < kSha256Block; ++i)
            pad.mut()[i] = static_cast<std::uint8_t>((i < 32 ? rk->data()[i] : 0) ^ with);
        crypto::RunningDigest d(crypto::RunningDigest::Algorithm::Sha256);
        d.update(pad.view());
        return d;
    };
    auto inner = keyed(0x36);
    auto outer = keyed(0x5c);
    return SealedBox(crypto::AeadKey(fk->view()), Secret<32>(ik->view()), std::move(inner),
                     std::move(outer), rng);
}

Result<Bytes> SealedBox::seal(const FieldRef& f, ByteView plain) const {
    crypto::AeadNonce nonce;
    rng_->fill(nonce.bytes);
    Bytes out(nonce.bytes.begin(), nonce.bytes.end());
    out.reserve(crypto::kAeadNonceLen + plain.size() + crypto::kAeadTagLen);
    if (auto s = crypto::aead_seal_append(field_key_, nonce, field_aad(f), plain, out); !s)
        return std::unexpected(s.error());
    return out;
}

Result<SecretBytes> SealedBox::open(const FieldRef& f, ByteView sealed) const {
    if (sealed.size() < kMinSealed) return std::unexpected(field_error(f, "is truncated"));
    auto nonce = crypto::AeadNonce::from(sealed.first(crypto::kAeadNonceLen));
    auto plain =
        crypto::aead_open(field_key_, nonce, field_aad(f), sealed.subspan(crypto::kAeadNonceLen));
    if (!plain) {
        if (plain.error().code == Errc::BadSignature)
            return std::unexpected(field_error(f, "does not authenticate (tampered or corrupt)"));
        return std::unexpected(plain.error());
    }
    SecretBytes out(*plain);
    secure_wipe(plain->data(), plain->size());
    return out;
}

Result<Bytes> SealedBox::seal_text(const FieldRef& f, std::string_view text) const {
    return seal(f, as_bytes(text));
}

Result<Bytes> SealedBox::seal_time(const FieldRef& f, TimePoint t) const {
    auto b = le64(t.us);
    return seal(f, b);
}

Result<Bytes> SealedBox::seal_u64(const FieldRef& f, std::uint64_t v) const {
    auto b = le64(static_cast<std::int64_t>(v));
    return seal(f, b);
}

Result<Bytes> SealedBox::seal_bool(const FieldRef& f, bool v) const {
    const std::uint8_t b = v ? 1 : 0;
    return seal(f, ByteView(&b, 1));
}

Result<std::string> SealedBox::open_text(const FieldRef& f, ByteView sealed) const {
    auto p = open(f, sealed);
    if (!p) return std::unexpected(p.error());
    return std::string(reinterpret_cast<const char*>(p->data()), p->size());
}

Result<SecretBytes> SealedBox::open_exact(const FieldRef& f, ByteView sealed, std::size_t n) const {
    auto p = open(f, sealed);
    if (!p) return std::unexpected(p.error());
    if (p->size() != n)
        return std::unexpected(
            Error{Errc::Malformed, "profile field " + describe(f) + " has the wrong length"});
    return p;
}

Result<std::uint64_t> SealedBox::open_u64(const FieldRef& f, ByteView sealed) const {
    auto p = open_exact(f, sealed, 8);
    if (!p) return std::unexpected(p.error());
    std::uint64_t u = 0;
    for (std::size_t i = 0; i < 8; ++i) u |= std::uint64_t(p->data()[i]) << (8 * i);
    return u;
}

Result<TimePoint> SealedBox::open_time(const FieldRef& f, ByteView sealed) const {
    auto u = open_u64(f, sealed);
    if (!u) return std::unexpected(u.error());
    return TimePoint{static_cast<std::int64_t>(*u)};
}

Result<bool> SealedBox::open_bool(const FieldRef& f, ByteView sealed) const {
    auto p = open_exact(f, sealed, 1);
    if (!p) return std::unexpected(p.error());
    if (p->data()[0] > 1)
        return std::unexpected(
            Error{Errc::Malformed, "profile field " + describe(f) + " is not a boolean"});
    return p->data()[0] == 1;
}

crypto::Digest256 SealedBox::row_mac(ByteView encoding) const {
    row_inner_.copy_to(row_mac_scratch_);
    row_mac_scratch_.update(encoding);
    const auto inner = row_mac_scratch_.peek();
    row_outer_.copy_to(row_mac_scratch_);
    row_mac_scratch_.update(inner.view());
    return row_mac_scratch_.peek();
}

Result<Bytes> SealedBox::index_tag(std::string_view domain, ByteView value) const {
    Bytes msg(domain.begin(), domain.end());
    msg.push_back(0);
    msg.insert(msg.end(), value.begin(), value.end());
    auto tag = crypto::hmac_sha3_256(index_key_.view(), msg);
    secure_wipe(msg.data(), msg.size());
    return tag;
}

}  // namespace sotto::store
