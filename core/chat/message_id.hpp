// A chat message's id: 16 random bytes chosen by the sender. The receiver
// stores (contact, id) and acknowledges by id, so a message resent after a
// crash or a broken stream is stored once.
#pragma once

#include "core/util/bytes.hpp"

namespace sotto::chat {

struct MessageIdTag {};
using MessageId = FixedBytes<16, MessageIdTag>;

}  // namespace sotto::chat
