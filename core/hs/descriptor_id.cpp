#include "core/hs/descriptor_id.hpp"

#include "core/crypto/hash.hpp"

namespace sotto::hs {

namespace {
constexpr std::string_view kClientKeyIdLabel = "sotto-client-key-id";
constexpr std::string_view kSecretIdLabel = "sotto-secret-id";
constexpr std::string_view kDescriptorIdLabel = "sotto-descriptor-id";
}  // namespace

ClientKeyId client_key_id(const crypto::Ed25519PublicKey& ck) {
    return ClientKeyId::from(
        crypto::sha3_256_parts({as_bytes(kClientKeyIdLabel), ck.view()}).view());
}

SecretIdPart secret_id_part(const DescriptorCookie& dc, std::int64_t tp, std::uint8_t replica) {
    std::uint8_t tp_be[8];
    const auto u = static_cast<std::uint64_t>(tp);
    for (int i = 0; i < 8; ++i) tp_be[i] = static_cast<std::uint8_t>(u >> (56 - 8 * i));
    const std::uint8_t ri[1] = {replica};
    return SecretIdPart::from(
        crypto::sha3_256_parts({as_bytes(kSecretIdLabel), dc.view(), tp_be, ri}).view());
}

DescriptorId descriptor_id(const ClientKeyId& ck_id, const SecretIdPart& s) {
    return DescriptorId::from(
        crypto::sha3_256_parts({as_bytes(kDescriptorIdLabel), ck_id.view(), s.view()}).view());
}

}  // namespace sotto::hs
