// The messenger engine's presence and social actions (messenger.hpp,
// docs/messenger.md "Presence", "Revocation"): the presence mode (Visible, Away,
// Invisible), appearing offline to one contact, revoking one, and what each
// contact's presence is as we see it. What hides us from a contact is the
// transport's (HideAccess, SetServiceVisible, RevokeAccess); here is when.
#include "core/messenger/messenger.hpp"

#include <algorithm>
#include "core/messenger/presence_mode_setting.hpp"

namespace sotto::messenger {

void Messenger::update_presence(ContactId contact) {
    Peer& p = peers_.at(contact);
    if (!active_stream(p))
        set_presence(p, contact, ContactPresence::Offline);
    else if (p.presence == ContactPresence::Offline)
        set_presence(p, contact, ContactPresence::Online);
}

void Messenger::set_presence(Peer& p, ContactId contact, ContactPresence presence) {
    if (p.presence == presence) return;
    p.presence = presence;
    notify(ContactChanged{contact});
}

void Messenger::set_presence_mode(PresenceMode mode, TimePoint now) {
    if (mode == mode_) return;
    // Privacy first: the mode applies even if it cannot be saved.
    if (auto ok = store_.set_setting(kPresenceModeSetting, mode_name(mode)); !ok)
        storage_failed("could not save the presence mode (it applies until Sotto restarts)",
                       ok.error());
    const PresenceMode old = mode_;
    mode_ = mode;
    if (mode == PresenceMode::Invisible) {
        act(SetServiceVisible{false});
        for (auto& [id, p] : peers_) {
            p.revealed = false;
            p.next_connect = TimePoint::never();
        }
        std::vector<StreamId> ids;
        for (auto& [id, s] : streams_) ids.push_back(id);
        for (auto id : ids) close_stream(id, now);
    } else if (old == PresenceMode::Invisible) {
        act(SetServiceVisible{true});
        for (auto& [id, p] : peers_) {
            p.revealed = false;
            p.failures = 0;
        }
        spread_connects(now);
        // Streams kept open for contacts we revealed ourselves to carry the
        // new state.
        for (auto& [id, s] : streams_)
            if (s.usable()) send_frame(id, chat::Presence{our_presence()});
    } else {
        for (auto& [id, s] : streams_)
            if (s.usable()) send_frame(id, chat::Presence{our_presence()});
    }
    notify(PresenceModeChanged{mode});
}

Status Messenger::set_appear_offline(ContactId contact, bool hidden, TimePoint now) {
    auto pit = peers_.find(contact);
    if (pit == peers_.end()) return fail(Errc::NotFound, "There is no such contact.");
    auto rec = store_.contact(contact);
    if (!rec) return std::unexpected(rec.error());
    if (rec->appear_offline != hidden) {
        rec->appear_offline = hidden;
        if (auto ok = store_.update_contact(*rec); !ok) {
            storage_failed("could not change whom you appear offline to", ok.error());
            return ok;
        }
    }
    Peer& p = pit->second;
    const bool changed = p.appear_offline != hidden || p.revealed;
    p.appear_offline = hidden;
    p.revealed = false;
    act(HideAccess{contact, hidden});
    if (hidden_from(p)) {
        close_contact_streams(contact, now);
        p.next_connect = TimePoint::never();
    } else if (p.streams.empty()) {
        p.failures = 0;
        try_connect(contact, now);
    }
    if (changed) notify(ContactChanged{contact});
    return {};
}

ContactPresence Messenger::presence_of(ContactId contact) const {
    auto it = peers_.find(contact);
    if (it == peers_.end() || it->second.streams.empty()) return ContactPresence::Offline;
    return it->second.presence;
}

bool Messenger::sending_reveals_presence(ContactId contact) const {
    auto it = peers_.find(contact);
    // Nothing goes to a contact whose invite expired: sending is refused.
    return it != peers_.end() && hidden_from(it->second) && !it->second.invite_expired;
}

Status Messenger::revoke(ContactId contact, TimePoint now) {
    if (!peers_.contains(contact)) return fail(Errc::NotFound, "There is no such contact.");
    if (auto ok = store_.remove_contact(contact); !ok) {
        storage_failed("could not remove the contact", ok.error());
        return ok;
    }
    // Silent: no frame, just gone, exactly as if we went offline for good.
    act(RevokeAccess{contact});
    const auto ids = peers_.at(contact).streams;
    for (auto id : ids) {
        act(Close{id});
        streams_.erase(id);
    }
    peers_.erase(contact);
    (void)now;
    notify(ContactRemoved{contact});
    return {};
}

bool Messenger::hidden_from(const Peer& p) const {
    return (mode_ == PresenceMode::Invisible || p.appear_offline) && !p.revealed;
}

chat::PresenceState Messenger::our_presence() const {
    return mode_ == PresenceMode::Away ? chat::PresenceState::Away : chat::PresenceState::Online;
}

void Messenger::on_presence(StreamId stream, const chat::Presence& presence) {
    const ContactId contact = streams_.at(stream).contact;
    set_presence(peers_.at(contact), contact,
                 presence.state == chat::PresenceState::Away ? ContactPresence::Away
                                                             : ContactPresence::Online);
}

}  // namespace sotto::messenger
