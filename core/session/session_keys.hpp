// Where the keys of the sessions between contacts come from (docs/messenger.md,
// "Sessions"): nothing new is stored. The static keys are the X25519 forms of
// the pairwise Ed25519 keys the safety number is computed from; the invite's
// pre-shared key derives from the invite code's session secret, the
// inviter's pairwise key for whoever redeems an invite from a seed the
// invite keeps (store::InviteRecord).
#pragma once

#include "core/crypto/ed25519.hpp"
#include "core/util/bytes.hpp"
#include "core/util/error.hpp"

namespace sotto::session {

// Bound into every handshake (Noise's prologue): the protocol, its version
// and the network, so a session never completes across networks.
Bytes session_prologue(ByteView network_id);

// The pre-shared key of an invite's handshake, from the session secret the
// code carries (32 random bytes; a version-1 code's H(CK) | DC). Only those
// who hold the code can open the invite's handshake.
Secret<32> invite_psk(ByteView invite_secret);

// The inviter's pairwise key for the contact an invite will make: one key per
// invite, derived from the invite's pairwise seed, so that every handshake
// on the invite (a retry, or one after a crash) shows the same key, and the
// contact stored from it keeps that key. (Invites made before the store's
// version 5 have their client key's seed as the pairwise seed, so their key
// is what it always was.)
crypto::Ed25519SecretKey invite_pairwise_key(ByteView pairwise_seed);

}  // namespace sotto::session
