// The messenger engine's outbox and acks (messenger.hpp, docs/messenger.md
// "Messages"): a message is stored before it is sent, sent on the contact's
// active stream (whole outbox on every new stream, oldest first), resent
// when its ack timer runs out, and Delivered on the contact's Ack; incoming
// messages are stored once, in order, within the sender's rate limit.
#include "core/messenger/messenger.hpp"

#include <algorithm>
#include "core/messenger/reconnect_backoff.hpp"

namespace sotto::messenger {

namespace {

// A sender whose outbox never comes back to the message we held back (it was
// revoked, or its store lost it) must not be refused forever: after this
// long, we take its messages as they come again.
constexpr Duration kHoldBackLimit = Duration::minutes(10);

}  // namespace

bool Messenger::write_blocked(const Peer& p) const {
    const auto active = active_stream(p);
    return active && streams_.at(*active).blocked;
}

bool Messenger::can_write(const Peer& p) const {
    const auto active = active_stream(p);
    return active && !streams_.at(*active).blocked;
}

void Messenger::send_outbox(ContactId contact, TimePoint now, bool due_only) {
    auto pit = peers_.find(contact);
    if (pit == peers_.end() || pit->second.streams.empty()) return;
    Peer& p = pit->second;
    if (p.unacked.empty()) return;
    const auto active = active_stream(p);
    if (!active) return;
    const StreamId stream = *active;
    if (streams_.at(stream).blocked) return;  // stream_writable calls again
    auto outbox = store_.outbox(contact);
    if (!outbox) {
        storage_failed("could not load the messages waiting to be sent", outbox.error());
        return;
    }
    for (auto& m : *outbox) {
        auto u = std::find_if(p.unacked.begin(), p.unacked.end(),
                              [&](const Unacked& x) { return x.id == m.id; });
        if (u == p.unacked.end()) continue;  // acked meanwhile
        if (due_only && u->last_sent && *u->last_sent + config_.ack_timeout > now) continue;
        send_frame(stream, chat::ChatMessage{m.id, m.sent_at, m.body});
        const bool first = !u->last_sent.has_value();
        u->last_sent = now;
        if (first && m.state == store::MessageState::Queued) {
            if (auto ok = store_.set_message_state(contact, m.id, store::MessageState::Sent); !ok)
                storage_failed("could not mark a message as sent", ok.error());
            notify(MessageStateChanged{contact, m.id, store::MessageState::Sent, std::nullopt});
        }
        secure_wipe(m.body.data(), m.body.size());
    }
}

Result<store::MessageRecord> Messenger::send_message(ContactId contact, std::string body,
                                                     TimePoint now) {
    if (body.empty()) return fail(Errc::Malformed, "The message is empty.");
    if (!chat::valid_utf8(body)) return fail(Errc::Malformed, "The message is not valid text.");
    if (body.size() > chat::kMaxBodyBytes)
        return fail(Errc::TooLarge, "The message is too long (" + std::to_string(body.size()) +
                                        " bytes; at most " + std::to_string(chat::kMaxBodyBytes) +
                                        " fit in one message).");
    auto pit = peers_.find(contact);
    if (pit == peers_.end()) return fail(Errc::NotFound, "There is no such contact.");
    if (pit->second.invite_expired || pit->second.unacked.size() >= config_.outbox_limit) {
        auto rec = store_.contact(contact);
        if (!rec) return std::unexpected(rec.error());
        const std::string& name = rec->nickname.empty() ? rec->name : rec->nickname;
        if (pit->second.invite_expired)
            return fail(Errc::Expired, "The invite code from " + name +
                                           " expired before they answered: ask them for a new "
                                           "code.");
        return fail(Errc::Limit,
                    "Too many messages are waiting for " + name + "; wait until they come online.");
    }

    chat::MessageId id;
    rng_.fill(id.bytes);
    auto rec = store_.add_outgoing(contact, id, std::move(body), now);
    if (!rec) {
        storage_failed("could not store the message", rec.error());
        return std::unexpected(rec.error());
    }
    Peer& p = pit->second;
    p.unacked.push_back(Unacked{id, std::nullopt});
    notify(MessageAdded{*rec});
    notify(ContactChanged{contact});
    if (hidden_from(p)) p.revealed = true;  // sending_reveals_presence() warned the UI

    if (write_blocked(p)) {
        // Stays Queued: stream_writable sends it.
    } else if (const auto active = active_stream(p)) {
        const StreamId stream = *active;
        send_frame(stream, chat::ChatMessage{rec->id, rec->sent_at, rec->body});
        p.unacked.back().last_sent = now;
        if (auto ok = store_.set_message_state(contact, id, store::MessageState::Sent); !ok) {
            // It was written to the stream; in the store it stays Queued and
            // is sent again on the next stream (the receiver deduplicates).
            storage_failed("could not mark a message as sent", ok.error());
        } else {
            rec->state = store::MessageState::Sent;
        }
        notify(MessageStateChanged{contact, id, store::MessageState::Sent, std::nullopt});
    } else if (!p.connecting && p.streams.empty()) {
        // The user is waiting: try now rather than at the next backoff step.
        // (A stream still in its handshake carries the outbox once secured.)
        try_connect(contact, now);
    }
    return rec;
}

// Their Welcome came after we had given up on the invite: what we kept as
// Failed goes out after all. (A crash before this leaves those messages
// Failed, visible as such, for the user to send again.)
void Messenger::requeue_failed(ContactId contact, TimePoint now) {
    if (auto n = store_.requeue_failed(contact); !n) {
        storage_failed("could not queue the waiting messages again", n.error());
        return;
    }
    auto outbox = store_.outbox(contact);
    if (!outbox) {
        storage_failed("could not load the messages waiting to be sent", outbox.error());
        return;
    }
    Peer& p = peers_.at(contact);
    for (auto& m : *outbox) {
        secure_wipe(m.body.data(), m.body.size());
        const bool known = std::any_of(p.unacked.begin(), p.unacked.end(),
                                       [&](const Unacked& u) { return u.id == m.id; });
        if (known) continue;
        p.unacked.push_back(Unacked{m.id, std::nullopt});
        notify(MessageStateChanged{contact, m.id, store::MessageState::Queued, std::nullopt});
    }
    send_outbox(contact, now);
}

void Messenger::on_message(StreamId stream, chat::ChatMessage m, TimePoint now) {
    const ContactId contact = streams_.at(stream).contact;
    // Charged before the store is touched (resends too: the point is to
    // bound the work a contact can make us do). Over the limit: no store, no
    // Ack; the sender's outbox has it and sends it again.
    Peer& p = peers_.at(contact);
    if (p.held_from && m.id != *p.held_from && now < p.held_since + kHoldBackLimit) {
        secure_wipe(m.body.data(), m.body.size());
        return;
    }
    p.held_from.reset();
    if (!p.incoming.take(now)) {
        p.held_from = m.id;
        p.held_since = now;
        secure_wipe(m.body.data(), m.body.size());
        return;
    }
    auto stored = store_.add_incoming(contact, m.id, std::move(m.body), m.sent_at, now);
    if (!stored) {
        // No Ack: the sender keeps it and sends it again.
        storage_failed("could not store an incoming message", stored.error());
        return;
    }
    if (*stored) {
        notify(MessageAdded{**stored});
        notify(ContactChanged{contact});
    }
    send_frame(stream, chat::Ack{m.id});
}

void Messenger::on_ack(StreamId stream, const chat::Ack& ack, TimePoint now) {
    const ContactId contact = streams_.at(stream).contact;
    Peer& p = peers_.at(contact);
    auto u = std::find_if(p.unacked.begin(), p.unacked.end(),
                          [&](const Unacked& x) { return x.id == ack.id; });
    if (u == p.unacked.end()) return;  // unknown or already delivered
    if (auto ok = store_.set_message_state(contact, ack.id, store::MessageState::Delivered, now);
        !ok) {
        storage_failed("could not mark a message as delivered", ok.error());
        return;  // it is resent and acked again
    }
    p.unacked.erase(u);
    notify(MessageStateChanged{contact, ack.id, store::MessageState::Delivered, now});
}

Status Messenger::mark_read(ContactId contact) {
    if (auto ok = store_.mark_read(contact); !ok) return ok;
    notify(ContactChanged{contact});
    return {};
}

}  // namespace sotto::messenger
