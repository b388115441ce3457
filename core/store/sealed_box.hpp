// Field sealing for the profile database: each sealed column value is
// nonce (12 random bytes) || ChaCha20-Poly1305 ciphertext || tag (16), under
// a field key derived from the profile's data key. The associated data binds
// the table, the column and the row (its id, plus whatever else must not
// change, e.g. a message's contact and direction), so a value copied into
// another row, column or table does not open.
//
// Lookups by a secret value (a message id, a setting's name, an accepted
// invite's H(CK)) go through keyed index tags (HMAC-SHA3-256 under a second
// key derived from the data key), so the clear database does not carry
// values that the contact's disk or the network also holds.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/crypto/aead.hpp"
#include "core/crypto/hash.hpp"
#include "core/util/bytes.hpp"
#include "core/util/error.hpp"
#include "core/util/rng.hpp"
#include "core/util/time.hpp"

namespace sotto::store {

using DataKey = Secret<32>;

// Where a sealed value lives. `row` is the row id (0 for rows keyed by a tag);
// `extra` is further binding (a tag key, a message's contact and direction).
struct FieldRef {
    std::string_view table;
    std::string_view column;
    std::int64_t row = 0;
    ByteView extra = {};
};

class SealedBox {
  public:
    // Derives the field and index keys from the data key. `rng` supplies the
    // nonces and must outlive the box.
    static Result<SealedBox> from_data_key(const DataKey& data_key, Rng& rng);

    SealedBox(SealedBox&&) noexcept = default;
    SealedBox& operator=(SealedBox&&) noexcept = default;

    Result<Bytes> seal(const FieldRef& f, ByteView plain) const;
    // Fails with BadSignature naming the field (table.column and row) when
    // the value does not authenticate; the plaintext is wiped when dropped.
    Result<SecretBytes> open(const FieldRef& f, ByteView sealed) const;

    // Typed helpers. Times are 8 bytes little-endian microseconds.
    Result<Bytes> seal_text(const FieldRef& f, std::string_view text) const;
    Result<Bytes> seal_time(const FieldRef& f, TimePoint t) const;
    Result<Bytes> seal_bool(const FieldRef& f, bool v) const;
    // Counters: 8 bytes little-endian.
    Result<Bytes> seal_u64(const FieldRef& f, std::uint64_t v) const;
    Result<std::string> open_text(const FieldRef& f, ByteView sealed) const;
    Result<TimePoint> open_time(const FieldRef& f, ByteView sealed) const;
    Result<bool> open_bool(const FieldRef& f, ByteView sealed) const;
    Result<std::uint64_t> open_u64(const FieldRef& f, ByteView sealed) const;
    // Opens a value that must be exactly `n` bytes long.
    Result<SecretBytes> open_exact(const FieldRef& f, ByteView sealed, std::size_t n) const;

    // HMAC-SHA3-256(index key, domain || 0 || value): a stable lookup key.
    Result<Bytes> index_tag(std::string_view domain, ByteView value) const;

    // HMAC-SHA-256(row key, encoding): the MAC of a whole row
    // (row_integrity.hpp). SHA-256 rather than the SHA3 used elsewhere
    // because unlock MACs every row of the profile: with the SHA extensions
    // it is about three times faster, and the keyed inner and outer states
    // are computed once, so each row costs two state copies and its bytes.
    crypto::Digest256 row_mac(ByteView encoding) const;

    // "contacts.name (row 3)": for error messages.
    static std::string describe(const FieldRef& f);

  private:
    SealedBox(crypto::AeadKey field_key, Secret<32> index_key, crypto::RunningDigest row_inner,
              crypto::RunningDigest row_outer, Rng& rng)
        : field_key_(std::move(field_key)),
          index_key_(std::move(index_key)),
          row_inner_(std::move(row_inner)),
          row_outer_(std::move(row_outer)),
          rng_(&rng) {}
    crypto::AeadKey field_key_;
    Secret<32> index_key_;
    // SHA-256 states that have absorbed the row key XOR ipad and XOR opad.
    crypto::RunningDigest row_inner_, row_outer_;
    mutable crypto::RunningDigest row_mac_scratch_{crypto::RunningDigest::Algorithm::Sha256};
    Rng* rng_;
};

// Little-endian encoding of a row id (used in associated data and tags).
std::array<std::uint8_t, 8> le64(std::int64_t v);

}  // namespace sotto::store
