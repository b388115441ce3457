#include "core/tor/control_events.hpp"

#include <charconv>

#include "core/tor/control_fields.hpp"

namespace sotto::tor {

namespace {

Result<StatusSeverity> parse_severity(const ControlField& f) {
    if (!f.value) {
        if (f.key == "NOTICE") return StatusSeverity::Notice;
        if (f.key == "WARN") return StatusSeverity::Warn;
        if (f.key == "ERR") return StatusSeverity::Err;
    }
    return fail(Errc::Malformed, "status event: unknown severity");
}

// Decimal; with allow_sign a leading '+' or '-', without it neither.
template <typename Int>
std::optional<Int> parse_int(std::string_view s, bool allow_sign) {
    if (allow_sign && !s.empty() && s.front() == '+') {
        s.remove_prefix(1);
        if (!s.empty() && s.front() == '-') return std::nullopt;
    }
    if (!allow_sign && !s.empty() && s.front() == '-') return std::nullopt;
    Int v{};
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string value_or_empty(const std::vector<ControlField>& f, std::string_view key) {
    const std::string* v = find_value(f, key);
    return v ? *v : std::string();
}

// The fields after the event's type, for an event of that type.
Result<std::vector<ControlField>> event_fields(const ControlReply& event, std::string_view type) {
    if (event.code != 650) return fail(Errc::Protocol, std::string(type) + ": not an event");
    auto fields = split_fields(event.head());
    if (!fields) return fields;
    if (fields->empty() || fields->front().value || fields->front().key != type)
        return fail(Errc::Protocol, "event is not " + std::string(type));
    fields->erase(fields->begin());
    return fields;
}

// Fields from the severity on: "<severity> BOOTSTRAP PROGRESS=..".
Result<BootstrapStatus> bootstrap_from(const std::vector<ControlField>& f) {
    if (f.size() < 2 || f[1].value || f[1].key != "BOOTSTRAP")
        return fail(Errc::Protocol, "STATUS_CLIENT: not BOOTSTRAP");
    auto severity = parse_severity(f[0]);
    if (!severity) return std::unexpected(severity.error());
    BootstrapStatus s;
    s.severity = *severity;
    const std::string* progress = find_value(f, "PROGRESS");
    auto p = progress ? parse_int<int>(*progress, false) : std::nullopt;
    if (!p || *p > 100) return fail(Errc::Malformed, "BOOTSTRAP: PROGRESS is not 0..100");
    s.progress = *p;
    s.tag = value_or_empty(f, "TAG");
    if (s.tag.empty()) return fail(Errc::Malformed, "BOOTSTRAP: no TAG");
    s.summary = value_or_empty(f, "SUMMARY");
    s.warning = value_or_empty(f, "WARNING");
    s.reason = value_or_empty(f, "REASON");
    s.recommendation = value_or_empty(f, "RECOMMENDATION");
    s.host_addr = value_or_empty(f, "HOSTADDR");
    if (const std::string* c = find_value(f, "COUNT")) {
        s.count = parse_int<int>(*c, false);
        if (!s.count) return fail(Errc::Malformed, "BOOTSTRAP: COUNT is not a number");
    }
    return s;
}

}  // namespace

std::string_view event_name(const ControlReply& reply) {
    if (!reply.is_event()) return {};
    std::string_view head = reply.head();
    return head.substr(0, head.find(' '));
}

Result<BootstrapStatus> parse_bootstrap_event(const ControlReply& event) {
    auto f = event_fields(event, "STATUS_CLIENT");
    if (!f) return std::unexpected(f.error());
    return bootstrap_from(*f);
}

Result<BootstrapStatus> parse_bootstrap_phase(std::string_view value) {
    auto f = split_fields(value);
    if (!f) return std::unexpected(f.error());
    return bootstrap_from(*f);
}

Result<HsDescEvent> parse_hs_desc(const ControlReply& event) {
    auto f = event_fields(event, "HS_DESC");
    if (!f) return std::unexpected(f.error());
    // Action, address, auth type and HSDir are positional and required.
    if (f->size() < 4) return fail(Errc::Malformed, "HS_DESC: too few arguments");
    for (int i = 0; i < 4; ++i)
        if ((*f)[i].value) return fail(Errc::Malformed, "HS_DESC: keyword in a positional place");
    static constexpr std::pair<std::string_view, HsDescAction> kActions[] = {
        {"REQUESTED", HsDescAction::Requested}, {"UPLOAD", HsDescAction::Upload},
        {"RECEIVED", HsDescAction::Received},   {"UPLOADED", HsDescAction::Uploaded},
        {"IGNORE", HsDescAction::Ignore},       {"FAILED", HsDescAction::Failed},
        {"CREATED", HsDescAction::Created}};
    HsDescEvent e;
    bool known = false;
    for (auto [name, action] : kActions)
        if ((*f)[0].key == name) e.action = action, known = true;
    if (!known) return fail(Errc::Malformed, "HS_DESC: unknown action");
    const std::string& address = (*f)[1].key;
    if (address != "UNKNOWN") {
        auto id = OnionServiceId::parse(address);
        if (!id) return std::unexpected(id.error());
        e.service = std::move(*id);
    }
    e.auth_type = (*f)[2].key;
    e.hsdir = (*f)[3].key;
    if (f->size() > 4 && !(*f)[4].value) e.descriptor_id = (*f)[4].key;
    e.reason = value_or_empty(*f, "REASON");
    return e;
}

Result<ClockSkew> parse_clock_skew(const ControlReply& event) {
    auto f = event_fields(event, "STATUS_GENERAL");
    if (!f) return std::unexpected(f.error());
    if (f->size() < 2 || (*f)[1].value || (*f)[1].key != "CLOCK_SKEW")
        return fail(Errc::Protocol, "STATUS_GENERAL: not CLOCK_SKEW");
    auto severity = parse_severity((*f)[0]);
    if (!severity) return std::unexpected(severity.error());
    ClockSkew c;
    c.severity = *severity;
    const std::pair<std::string_view, std::optional<std::int64_t>*> skews[] = {
        {"SKEW", &c.skew_seconds}, {"MIN_SKEW", &c.min_skew_seconds}};
    for (auto [key, out] : skews) {
        if (const std::string* v = find_value(*f, key)) {
            *out = parse_int<std::int64_t>(*v, true);
            if (!*out) return fail(Errc::Malformed, "CLOCK_SKEW: skew is not a number");
        }
    }
    if (!c.skew_seconds && !c.min_skew_seconds)
        return fail(Errc::Malformed, "CLOCK_SKEW: neither SKEW nor MIN_SKEW");
    c.source = value_or_empty(*f, "SOURCE");
    return c;
}

}  // namespace sotto::tor
