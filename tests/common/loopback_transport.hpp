// An in-process test transport for the messenger: implements the private
// service API (net::PrivateService / ServiceClient / ServiceStream) with no
// network at all, so several profiles run in one test process (the UI tests,
// the UI benchmark). A connect_to succeeds iff some endpoint on the same
// LoopbackNetwork granted credentials equal to hs::credentials_for(grant),
// its service is visible and it does not hide that tag — the rule the onion
// transport enforces with descriptors and introduction checks. Everything
// reaches the other side by queued invocation, never from inside the call
// that caused it, as over a real network.
//
// Tests only: the app always uses the onion transport (net/onion_transport).
#pragma once

#include <QObject>
#include <QPointer>
#include <map>
#include <memory>
#include <vector>

#include "net/private_service.hpp"
#include "net/service_client.hpp"
#include "net/service_stream.hpp"

namespace sotto::testing {

class LoopbackNetwork;

class LoopbackStream final : public net::ServiceStream {
    Q_OBJECT
  public:
    ~LoopbackStream() override;
    // Two connected ends; the caller owns both until it hands them out.
    static std::pair<LoopbackStream*, LoopbackStream*> make_pair();

    Status write(const QByteArray& data) override;
    void close() override;
    bool is_open() const override { return open_; }

  private:
    friend class LoopbackService;
    LoopbackStream() = default;
    // The transport ends the stream (a revoked grant): both ends report
    // closed.
    void drop();
    // The peer went away: report it once, later, like a network would.
    void peer_closed();

    QPointer<LoopbackStream> peer_;
    bool open_ = true;
};

class LoopbackService final : public net::PrivateService {
    Q_OBJECT
  public:
    explicit LoopbackService(LoopbackNetwork& network);
    ~LoopbackService() override;

    Status grant(hs::ContactId tag, hs::ContactGrant grant, bool hidden) override;
    Status revoke(hs::ContactId tag) override;
    Status hide(hs::ContactId tag, bool hidden) override;
    void set_visible(bool visible) override { visible_ = visible; }
    hs::ServiceStats stats() const override { return stats_; }

    bool visible() const { return visible_; }
    std::size_t grant_count() const { return grants_.size(); }

  private:
    friend class LoopbackClient;
    struct Grant {
        hs::ContactCredentials credentials;
        bool hidden = false;
    };
    // The tag whose grant matches, if a client may reach us with these.
    std::optional<hs::ContactId> admits(const hs::ContactCredentials& c) const;
    void accept(hs::ContactId tag, LoopbackStream* ours);

    LoopbackNetwork& network_;
    std::map<hs::ContactId, Grant> grants_;
    // Service-side ends per tag, so a revoke ends them at once.
    std::multimap<hs::ContactId, QPointer<LoopbackStream>> streams_;
    bool visible_ = true;
    hs::ServiceStats stats_;
};

class LoopbackClient final : public net::ServiceClient {
    Q_OBJECT
  public:
    explicit LoopbackClient(LoopbackNetwork& network) : network_(network) {}
    Result<net::AttemptId> connect_to(const hs::ContactCredentials& credentials) override;

    std::uint64_t attempts() const { return next_attempt_ - 1; }

  private:
    LoopbackNetwork& network_;
    net::AttemptId next_attempt_ = 1;
};

// One profile's transport: its service and its client.
struct LoopbackEndpoint {
    explicit LoopbackEndpoint(LoopbackNetwork& network) : service(network), client(network) {}
    LoopbackService service;
    LoopbackClient client;
};

// The registry of services a client can reach.
class LoopbackNetwork {
  public:
    std::unique_ptr<LoopbackEndpoint> endpoint() {
        return std::make_unique<LoopbackEndpoint>(*this);
    }

  private:
    friend class LoopbackService;
    friend class LoopbackClient;
    std::vector<LoopbackService*> services_;
};

}  // namespace sotto::testing
