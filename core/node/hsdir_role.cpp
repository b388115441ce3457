#include "core/node/hsdir_role.hpp"

#include "core/hs/hsdir_messages.hpp"

namespace sotto::node {

HsdirRole::HsdirRole(NodeContext& node, hs::HsDirConfig config)
    : node_(node), store_(std::move(config)) {}

std::optional<Bytes> HsdirRole::serve(ByteView body, TimePoint now, std::optional<LinkId> via,
                                      const UploadQuota& quota) {
    if (!hs::is_hsdir_request(body)) return std::nullopt;
    const auto& config = node_.config();
    const bool hsdir = config.relay && config.relay->hsdir;
    hs::HsDirResponse resp;
    auto req = hs::decode_hsdir_request(body);
    const bool changes_store = req && !std::holds_alternative<hs::GetHsDescriptor>(*req);
    std::optional<std::string> over_quota;
    if (req && via && changes_store && hsdir) over_quota = quota(body.size());
    // Charged to the link the circuit arrived on; each link is one source.
    const hs::UploadSource source = via ? hs::UploadSource{*via} : hs::kLocalUpload;
    if (!req) {
        resp.status = hs::HsDirStatus::Malformed;
        resp.message = req.error().message;
    } else if (!hsdir) {
        resp.status = hs::HsDirStatus::Rejected;
        resp.message = "this relay is not an HSDir";
    } else if (over_quota) {
        ++uploads_over_quota_;
        resp.status = hs::HsDirStatus::Rejected;
        resp.message = *over_quota;
    } else if (auto* post = std::get_if<hs::PostHsDescriptor>(&*req)) {
        // Step 4: stored only once the descriptor verifies.
        if (auto s = store_.store(post->id, post->descriptor, now, source); !s) {
            resp.status = hs::HsDirStatus::Rejected;
            resp.message = s.error().message;
        } else if (config.misbehaviour.record_hsdir_uploads) {
            upload_log_.push_back({post->id, now});
        }
    } else if (auto* get = std::get_if<hs::GetHsDescriptor>(&*req)) {
        // Step 7: the descriptor a client asks for by id.
        if (const Bytes* d = store_.fetch(get->id, now)) {
            resp.descriptor = *d;
        } else {
            resp.status = hs::HsDirStatus::NotFound;
            resp.message = "no descriptor under this id";
        }
    } else if (auto* w = std::get_if<hs::WithdrawHsDescriptor>(&*req)) {
        if (auto s = store_.withdraw(w->withdrawal, now); !s) {
            resp.status = s.error().code == Errc::NotFound ? hs::HsDirStatus::NotFound
                                                           : hs::HsDirStatus::Rejected;
            resp.message = s.error().message;
        }
    }
    if (resp.message.size() > 200) resp.message.resize(200);
    return hs::encode_hsdir_response(resp);
}

}  // namespace sotto::node
