// The messenger engine's invites (messenger.hpp, docs/messenger.md
// "Invites"): making and withdrawing codes, accepting one, the invite
// stream's Hello and the contact's Welcome that establish both sides, and
// the expiry of open invites and of unanswered requests.
#include "core/messenger/messenger.hpp"

#include <algorithm>
#include "core/contacts/invite_code.hpp"
#include "core/crypto/ed25519_x25519.hpp"
#include "core/session/session_keys.hpp"

namespace sotto::messenger {

namespace {

Errc invite_errc(contacts::InviteError e) {
    switch (e) {
        case contacts::InviteError::UnknownVersion:
            return Errc::BadVersion;
        case contacts::InviteError::Expired:
            return Errc::Expired;
        case contacts::InviteError::WrongNetwork:
            return Errc::Config;
        case contacts::InviteError::AlreadyUsed:
            return Errc::Protocol;
        default:
            return Errc::Malformed;
    }
}

TimePoint whole_seconds(TimePoint t) {
    return TimePoint::from_seconds(t.unix_seconds());
}

}  // namespace

bool Messenger::invite_open(InviteId id, TimePoint now) const {
    auto it = open_invites_.find(id);
    return it != open_invites_.end() && now < it->second;
}

bool Messenger::begin_invite_session(Stream& s, const store::InviteRecord& invite) {
    auto pairwise = session::invite_pairwise_key(invite.pairwise_seed.view());
    auto ch = session::SecureChannel::invite_answerer(prologue_,
                                                      session::invite_psk(invite.secret.view()),
                                                      crypto::x25519_from_ed25519(pairwise), rng_);
    if (!ch) return false;
    s.channel.emplace(std::move(*ch));
    return true;
}

// An invite stream ended before any Hello, whoever ended it (the other side,
// the handshake timeout, a frame that was not Hello, our withdrawing or
// going Invisible): the stream itself told them we were online.
void Messenger::count_probe(InviteId id) {
    auto rec = store_.invite(id);
    if (!rec) {
        storage_failed("could not load an invite", rec.error());
        return;
    }
    if (rec->probes < std::numeric_limits<std::uint32_t>::max()) ++rec->probes;
    if (auto ok = store_.update_invite(*rec); !ok) {
        storage_failed("could not count a use of an invite code", ok.error());
        return;
    }
    notify(InviteProbed{id, rec->probes});
}

void Messenger::expire_invite(InviteId id, TimePoint now) {
    open_invites_.erase(id);
    act(RevokeAccess{kInviteTagBit | id});
    close_invite_streams(id, now);
    auto rec = store_.invite(id);
    if (rec) {
        rec->status = store::InviteStatus::Expired;
        if (auto ok = store_.update_invite(*rec); !ok)
            storage_failed("could not mark an invite as expired", ok.error());
    } else {
        storage_failed("could not load an expired invite", rec.error());
    }
    notify(InviteExpired{id});
}

void Messenger::expire_request(ContactId contact) {
    Peer& p = peers_.at(contact);
    p.invite_expired = true;
    p.next_connect = TimePoint::never();
    if (auto ok = store_.mark_invite_expired(contact); !ok) {
        // Still Requested in the store: the next start finds it expired again.
        storage_failed("could not mark an expired invite", ok.error());
    } else {
        for (auto& u : p.unacked)
            notify(MessageStateChanged{contact, u.id, store::MessageState::Failed, std::nullopt});
        p.unacked.clear();
    }
    notify(ContactChanged{contact});
}

Result<CreatedInvite> Messenger::create_invite(std::optional<Duration> validity, TimePoint now) {
    const Duration v = validity.value_or(config_.default_invite_validity);
    if (v < Duration::seconds(1))
        return fail(Errc::Config, "an invite must be valid for at least a second");
    auto fresh = transport::issue_grants(config_.transports, rng_);
    if (!fresh) return std::unexpected(fresh.error());
    Secret<32> seed;
    rng_.fill(seed.mut());
    store::InviteRecord rec{
        .id = 0,
        .grants = transport::clone_list(fresh->grants),
        .secret = SecretBytes(rng_.bytes(contacts::kInviteSecretBytes)),
        .pairwise_seed = std::move(seed),
        .created_at = now,
        .expires_at = whole_seconds(now + v),  // the code carries whole seconds
        .name_hint =
            chat::utf8_truncate(store_.identity().display_name, contacts::kMaxNameHintBytes),
        .status = store::InviteStatus::Open,
        .used_by = std::nullopt,
    };
    const auto expires_at = rec.expires_at;
    contacts::InviteCode code;
    code.network = store_.identity().network_id;
    code.secret = SecretBytes(rec.secret.view());
    code.credentials = std::move(fresh->credentials);
    code.expires_at = expires_at;
    code.name_hint = rec.name_hint;
    auto text = contacts::format_invite(code);
    if (!text) return std::unexpected(text.error());
    auto id = store_.add_invite(std::move(rec));
    if (!id) {
        storage_failed("could not store the invite", id.error());
        return std::unexpected(id.error());
    }
    if (*id >= kInviteTagBit) return fail(Errc::Limit, "too many invites");
    open_invites_[*id] = expires_at;
    act(GrantAccess{kInviteTagBit | *id, std::move(fresh->grants), false});
    return CreatedInvite{*id, std::move(*text), expires_at};
}

Status Messenger::withdraw_invite(InviteId id, TimePoint now) {
    auto rec = store_.invite(id);
    if (!rec) return std::unexpected(rec.error());
    if (rec->status != store::InviteStatus::Open)
        return fail(Errc::Protocol, "this invite is no longer open");
    rec->status = store::InviteStatus::Withdrawn;
    if (auto ok = store_.update_invite(*rec); !ok) {
        storage_failed("could not withdraw the invite", ok.error());
        return ok;
    }
    open_invites_.erase(id);
    act(RevokeAccess{kInviteTagBit | id});
    close_invite_streams(id, now);
    return {};
}

Result<ContactId> Messenger::accept_invite(std::string_view text, TimePoint now) {
    auto code = contacts::check_invite(text, store_.identity().network_id, now);
    if (!code) return fail(invite_errc(code.error()), contacts::invite_error_message(code.error()));
    const ByteView key = code->secret.view();

    auto ours = store_.invites();
    if (!ours) return std::unexpected(ours.error());
    for (auto& inv : *ours)
        if (ct_equal(inv.secret.view(), key))
            return fail(Errc::Protocol,
                        "This is one of your own invite codes: give it to the person you want "
                        "to add.");
    // Housekeeping: the memory of used codes only needs the unexpired ones.
    if (auto purged = store_.purge_accepted_invites(now); !purged)
        storage_failed("could not forget expired invite codes", purged.error());
    auto seen = store_.accepted_invite_seen(key);
    if (!seen) return std::unexpected(seen.error());
    if (*seen)
        return fail(invite_errc(contacts::InviteError::AlreadyUsed),
                    contacts::invite_error_message(contacts::InviteError::AlreadyUsed));

    auto fresh = transport::issue_grants(config_.transports, rng_);
    if (!fresh) return std::unexpected(fresh.error());
    store::ContactRecord c{
        .id = 0,
        .state = store::ContactState::Requested,
        .name = code->name_hint,
        .nickname = {},
        .appear_offline = false,
        .our_grants = transport::clone_list(fresh->grants),
        .their_credentials = transport::clone_list(code->credentials),
        .invite_secret = SecretBytes(code->secret.view()),
        .our_pairwise = crypto::Ed25519SecretKey::generate(rng_),
        .their_pairwise = std::nullopt,
        .created_at = now,
        .invite_expires_at = code->expires_at,
    };
    auto id = store_.add_contact(std::move(c));
    if (!id) {
        storage_failed("could not store the new contact", id.error());
        return std::unexpected(id.error());
    }
    if (auto ok = store_.remember_accepted_invite(key, code->expires_at); !ok) {
        // Without the record the code could be accepted twice: undo.
        (void)store_.remove_contact(*id);
        storage_failed("could not store the new contact", ok.error());
        return std::unexpected(ok.error());
    }
    Peer p(config_);
    p.invite_expires_at = code->expires_at;
    // Accepting a code is as deliberate as sending a message: while
    // Invisible we still connect to this one inviter (they learn nothing
    // else about us until we say Hello).
    p.revealed = mode_ == PresenceMode::Invisible;
    peers_.emplace(*id, std::move(p));
    act(GrantAccess{*id, std::move(fresh->grants), false});
    notify(ContactAdded{*id});
    try_connect(*id, now);
    return *id;
}

void Messenger::on_invite_hello(StreamId stream, chat::Hello hello, TimePoint now) {
    const InviteId invite = *streams_.at(stream).invite;
    // The key it names must be the one that made the handshake.
    if (!invite_open(invite, now) || !proves_handshake_key(streams_.at(stream), hello.pairwise)) {
        close_stream(stream, now);
        return;
    }
    auto inv = store_.invite(invite);
    if (!inv) {
        storage_failed("could not load an invite", inv.error());
        close_stream(stream, now);
        return;
    }
    if (inv->status != store::InviteStatus::Open || inv->expires_at <= now) {
        close_stream(stream, now);
        return;
    }
    auto all = store_.contacts();
    if (!all) {
        storage_failed("could not load the contacts", all.error());
        close_stream(stream, now);
        return;
    }
    // The same invitee again (we stored the contact but crashed before the
    // invite was marked used): no second contact. Both its key and the grant
    // it gave us must match, so knowing a pairwise key is not enough.
    std::optional<ContactId> existing;
    for (auto& c : *all)
        if (c.their_pairwise && *c.their_pairwise == hello.pairwise &&
            transport::same_credentials(c.their_credentials, hello.grant_for_you))
            existing = c.id;

    ContactId contact;
    transport::CredentialList theirs_for_them;
    crypto::Ed25519PublicKey our_pairwise;
    std::optional<transport::GrantList> new_grants;
    if (existing) {
        contact = *existing;
        for (auto& c : *all)
            if (c.id == contact) {
                auto creds = transport::credentials_for(c.our_grants);
                if (creds) theirs_for_them = std::move(*creds);
                our_pairwise = c.our_pairwise.public_key();
            }
    } else {
        auto fresh = transport::issue_grants(config_.transports, rng_);
        if (!fresh) {
            storage_failed("could not make a grant for the new contact", fresh.error());
            close_stream(stream, now);
            return;
        }
        store::ContactRecord c{
            .id = 0,
            .state = store::ContactState::Established,
            .name = hello.name,
            .nickname = {},
            .appear_offline = false,
            .our_grants = transport::clone_list(fresh->grants),
            .their_credentials = std::move(hello.grant_for_you),
            .invite_secret = {},
            // The key our side of the invite's handshake showed.
            .our_pairwise = session::invite_pairwise_key(inv->pairwise_seed.view()),
            .their_pairwise = hello.pairwise,
            .created_at = now,
        };
        theirs_for_them = std::move(fresh->credentials);
        our_pairwise = c.our_pairwise.public_key();
        new_grants = std::move(fresh->grants);
        auto id = store_.add_contact(std::move(c));
        if (!id) {
            storage_failed("could not store the new contact", id.error());
            close_stream(stream, now);
            return;
        }
        contact = *id;
    }
    inv->status = store::InviteStatus::Used;
    inv->used_by = contact;
    if (auto ok = store_.update_invite(*inv); !ok)
        // The contact exists; the invite is revoked below anyway. After a
        // restart it is granted again but the same invitee maps to the same
        // contact (above) and anyone else holding the code gets a second
        // chance only until it expires.
        storage_failed("could not mark the invite as used", ok.error());
    open_invites_.erase(invite);

    if (!peers_.contains(contact)) {
        Peer p(config_);
        p.established = true;
        p.our_key_smaller = our_pairwise < hello.pairwise;
        p.their_static = streams_.at(stream).channel->peer_static();
        peers_.emplace(contact, std::move(p));
    }
    if (!existing) notify(ContactAdded{contact});
    notify(InviteUsed{invite, contact});
    streams_.at(stream).handshake_deadline = TimePoint::never();
    streams_.at(stream).got_frame = true;
    bind_stream(stream, contact);
    update_presence(contact);  // the session is done and the key proven: online
    send_frame(stream, chat::Welcome{our_name(), our_pairwise, std::move(theirs_for_them)});
    open_session(stream, now);
    // The code is worthless from now on. (A transport may end the invite
    // stream with the grant; the Welcome is written first, and if it is
    // lost anyway the invitee's next Hello on a contact stream gets another.)
    act(RevokeAccess{kInviteTagBit | invite});
    if (new_grants) act(GrantAccess{contact, std::move(*new_grants), false});
    close_invite_streams(invite, now);
}

void Messenger::on_hello(StreamId stream, const chat::Hello& hello, TimePoint now) {
    // The invitee says Hello again on a later stream: it has not seen our
    // Welcome (lost with the invite stream). Answer it again.
    const ContactId contact = streams_.at(stream).contact;
    auto rec = store_.contact(contact);
    if (!rec) {
        storage_failed("could not load a contact", rec.error());
        return;
    }
    if (rec->state != store::ContactState::Established || !rec->their_pairwise ||
        *rec->their_pairwise != hello.pairwise) {
        close_stream(stream, now);
        return;
    }
    auto ours = transport::credentials_for(rec->our_grants);
    if (!ours) {
        storage_failed("could not read a contact's grant", ours.error());
        return;
    }
    send_frame(stream, chat::Welcome{our_name(), rec->our_pairwise.public_key(), std::move(*ours)});
}

void Messenger::on_welcome(StreamId stream, chat::Welcome welcome, TimePoint now) {
    const ContactId contact = streams_.at(stream).contact;
    // Whoever sent it made the handshake with the key it names, or it is
    // not the inviter's.
    if (!proves_handshake_key(streams_.at(stream), welcome.pairwise)) {
        close_stream(stream, now);
        return;
    }
    auto rec = store_.contact(contact);
    if (!rec) {
        storage_failed("could not load a contact", rec.error());
        return;
    }
    if (rec->state == store::ContactState::Established) {
        // A repeated Welcome (we said Hello twice) is fine; another key is not.
        if (!rec->their_pairwise || *rec->their_pairwise != welcome.pairwise) {
            close_stream(stream, now);
            return;
        }
        // A stream held since before another stream's Welcome made them
        // Established: this Welcome proves it too.
        if (Stream& s = streams_.at(stream); s.held) {
            s.held = false;
            s.handshake_deadline = TimePoint::never();
            update_presence(contact);
            open_session(stream, now);
        }
        return;
    }
    const bool was_expired = rec->state == store::ContactState::InviteExpired;
    rec->state = store::ContactState::Established;
    rec->invite_expires_at.reset();
    rec->name = welcome.name;
    rec->their_pairwise = welcome.pairwise;
    rec->their_credentials = std::move(welcome.grant_for_you);
    rec->invite_secret = {};  // the code has done its work
    if (auto ok = store_.update_contact(*rec); !ok) {
        // Still Requested: the next stream says Hello again and gets a new Welcome.
        storage_failed("could not store the contact's answer", ok.error());
        close_stream(stream, now);
        return;
    }
    Peer& p = peers_.at(contact);
    p.established = true;
    p.invite_expired = false;
    p.invite_expires_at.reset();
    p.our_key_smaller = rec->our_pairwise.public_key() < welcome.pairwise;
    p.their_static = streams_.at(stream).channel->peer_static();
    // Secured streams wait for nothing more; those still in their handshake
    // keep its deadline.
    for (auto id : p.streams)
        if (streams_.at(id).channel->established())
            streams_.at(id).handshake_deadline = TimePoint::never();
    if (Stream& s = streams_.at(stream); s.held) {
        s.held = false;
        update_presence(contact);
        open_session(stream, now);
        if (!streams_.contains(stream)) return;
    }
    notify(ContactChanged{contact});
    if (was_expired) requeue_failed(contact, now);
    resolve_duplicates(contact, now, /*resend=*/true);
}

void Messenger::close_invite_streams(InviteId invite, TimePoint now) {
    std::vector<StreamId> ids;
    for (auto& [id, s] : streams_)
        if (s.invite == invite) ids.push_back(id);
    for (auto id : ids) close_stream(id, now);
}

}  // namespace sotto::messenger
