// Safety numbers: a number both sides of a contact can read to each other
// (or compare on screen) to check that nobody else used the invite code and
// sits between them. It is derived from the two pairwise identity keys the
// contacts exchanged during the invite handshake; the keys are pairwise (one
// per contact) so that two contacts comparing numbers learn nothing that links
// them. Same value on both sides: the keys are sorted before hashing.
#pragma once

#include <string>

#include "core/crypto/ed25519.hpp"

namespace sotto::contacts {

// 60 decimal digits in 12 groups of 5, separated by spaces
// ("12345 67890 ..."), from SHA3-256("sotto-safety-number-v1" | lo | hi)
// where lo < hi are the two keys; each group is 5 digits of a 40-bit chunk
// mod 100000 (chunks taken from a SHAKE-256 expansion so each group is
// independent).
std::string safety_number(const crypto::Ed25519PublicKey& a, const crypto::Ed25519PublicKey& b);

}  // namespace sotto::contacts
