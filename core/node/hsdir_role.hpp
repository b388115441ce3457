// The HSDir relay role (paper Fig. 3, steps 3-4 and 6-7): stores the
// per-contact descriptors services upload, after verifying them (4.3,
// hs::HsDirStore), and serves them to clients asking by descriptor id. Runs
// on BEGIN_DIR streams that end at this relay, beside the relay directory
// (directory_jobs.cpp). Not a public header.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/hs/hsdir_store.hpp"
#include "core/node/node_context.hpp"

namespace sotto::node {

class HsdirRole {
  public:
    HsdirRole(NodeContext& node, hs::HsDirConfig config);

    // Refusal reason when an upload of `bytes` over the asking circuit is
    // over its quotas (Limits::hsdir_*); charges it otherwise.
    using UploadQuota = std::function<std::optional<std::string>(std::size_t bytes)>;
    // The answer to an HSDir request, none if `body` is not one. `via`: the
    // link the request's circuit came in on (none: Node::serve_hsdir_request,
    // charged to no link); uploads and withdrawals over a link go through
    // `quota` first.
    std::optional<Bytes> serve(ByteView body, TimePoint now, std::optional<LinkId> via,
                               const UploadQuota& quota);

    hs::HsDirStore& store() { return store_; }
    const hs::HsDirStore& store() const { return store_; }
    // Uploads accepted (Misbehaviour::record_hsdir_uploads only).
    const std::vector<std::pair<hs::DescriptorId, TimePoint>>& upload_log() const {
        return upload_log_;
    }
    std::uint64_t uploads_over_quota() const { return uploads_over_quota_; }

  private:
    NodeContext& node_;
    hs::HsDirStore store_;
    std::vector<std::pair<hs::DescriptorId, TimePoint>> upload_log_;
    std::uint64_t uploads_over_quota_ = 0;
};

}  // namespace sotto::node
