#include "core/store/messenger_store.hpp"

namespace sotto::store {

MessageRecord MessengerStore::outgoing_message(ContactId contact, const MessageId& id,
                                               std::string body, TimePoint sent_at) {
    return MessageRecord{
        .contact = contact,
        .id = id,
        .direction = Direction::Outgoing,
        .state = MessageState::Queued,
        .body = std::move(body),
        .sent_at = sent_at,
        .read = true,
    };
}

MessageRecord MessengerStore::incoming_message(ContactId contact, const MessageId& id,
                                               std::string body, TimePoint sent_at,
                                               TimePoint received_at) {
    return MessageRecord{
        .contact = contact,
        .id = id,
        .direction = Direction::Incoming,
        .state = MessageState::Received,
        .body = std::move(body),
        .sent_at = sent_at,
        .delivered_at = received_at,
        .read = false,
    };
}

Status MessengerStore::check_settable(MessageState state) {
    if (state != MessageState::Queued && state != MessageState::Sent &&
        state != MessageState::Delivered)
        return fail(Errc::Protocol, "only outgoing message states can be set");
    return {};
}

}  // namespace sotto::store
