// Typed readings of the asynchronous events Sotto subscribes to with
// SETEVENTS (control-spec §4.1): STATUS_CLIENT BOOTSTRAP (progress and
// tor's own reason when it is stuck, for the bootstrap screen), HS_DESC
// (descriptor uploads and fetches of our services and our contacts'), and
// STATUS_GENERAL CLOCK_SKEW (the one bootstrap failure the user can fix).
// As §4.1 requires, unknown arguments and extra lines are ignored and
// arguments may come in any order; what a field must look like is checked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/tor/control_reply.hpp"
#include "core/tor/service_id.hpp"

namespace sotto::tor {

// The event's keyword: the first word of its first line ("STATUS_CLIENT",
// "HS_DESC"), empty for a reply that is not an event.
std::string_view event_name(const ControlReply& reply);

enum class StatusSeverity { Notice, Warn, Err };

struct BootstrapStatus {
    StatusSeverity severity = StatusSeverity::Notice;
    int progress = 0;     // 0..100
    std::string tag;      // e.g. "handshake", "done" (control-spec §5.5)
    std::string summary;  // tor's phase text, for the progress bar
    // A problem report (severity Warn or Err) adds these; empty otherwise.
    std::string warning;         // human-readable, not to be parsed
    std::string reason;          // a stable tag: "DONE", "NOROUTE", "TIMEOUT", ...
    std::string recommendation;  // "ignore" or "warn"
    std::optional<int> count;    // problems so far in this phase
    std::string host_addr;       // "address:port" tor was trying

    bool is_problem() const { return severity != StatusSeverity::Notice; }
    bool is_done() const { return progress == 100; }
};
// "650 STATUS_CLIENT <severity> BOOTSTRAP ..."
Result<BootstrapStatus> parse_bootstrap_event(const ControlReply& event);
// GETINFO status/bootstrap-phase: "<severity> BOOTSTRAP ..." (how the state
// is read once, right after connecting, before any event came).
Result<BootstrapStatus> parse_bootstrap_phase(std::string_view value);

enum class HsDescAction { Requested, Upload, Received, Uploaded, Ignore, Failed, Created };

struct HsDescEvent {
    HsDescAction action = HsDescAction::Requested;
    std::optional<OnionServiceId> service;  // none when tor says "UNKNOWN"
    std::string auth_type;                  // "NO_AUTH", ... (tor sends NO_AUTH for v3)
    std::string hsdir;                      // "$FINGERPRINT~nick", a fingerprint or "UNKNOWN"
    std::string descriptor_id;              // the blinded key, empty if absent
    std::string reason;  // for Failed: "NOT_FOUND", "UPLOAD_REJECTED", ...; else empty
};
// "650 HS_DESC <action> <address> <auth> <hsdir> [<descid>] [REASON=...] ..."
Result<HsDescEvent> parse_hs_desc(const ControlReply& event);

struct ClockSkew {
    StatusSeverity severity = StatusSeverity::Warn;
    std::optional<std::int64_t> skew_seconds;      // SKEW: how far our clock is off
    std::optional<std::int64_t> min_skew_seconds;  // MIN_SKEW: a lower bound of it
    std::string source;                            // "CONSENSUS", "OR:ip:port", ...
};
// "650 STATUS_GENERAL <severity> CLOCK_SKEW ..."
Result<ClockSkew> parse_clock_skew(const ControlReply& event);

}  // namespace sotto::tor
