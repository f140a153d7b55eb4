//! The server's metrics, in the Prometheus text format (`GET /metrics`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// Labels of a request: its route and response status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RequestLabels {
    pub(crate) route: &'static str,
    pub(crate) status: u16,
}

/// Labels of the rule set in force.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RevisionLabels {
    pub(crate) revision: String,
}

/// Every metric, registered under `guifan_`.
pub(crate) struct Metrics {
    registry: Registry,
    pub(crate) requests: Family<RequestLabels, Counter>,
    pub(crate) records: Counter,
    pub(crate) decisions: Counter,
    pub(crate) record_errors: Counter,
    pub(crate) rule_errors: Counter,
    pub(crate) latency: Histogram,
    pub(crate) revision: Family<RevisionLabels, Gauge>,
    pub(crate) reloads: Counter,
    pub(crate) reload_failures: Counter,
    pub(crate) policies: Gauge,
    pub(crate) policies_added: Counter,
    pub(crate) policies_removed: Counter,
    pub(crate) log: crate::decision_log::LogCounters,
    pub(crate) connections: Gauge,
    pub(crate) connections_refused: Counter,
    pub(crate) busy: Counter,
    pub(crate) unauthorized: Counter,
}

impl Metrics {
    pub(crate) fn new() -> Metrics {
        let mut registry = Registry::with_prefix("guifan");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "HTTP requests answered, by route and status",
            requests.clone(),
        );
        let records = Counter::default();
        registry.register("records", "Records received for decision", records.clone());
        let decisions = Counter::default();
        registry.register("decisions", "Rules that fired", decisions.clone());
        let record_errors = Counter::default();
        registry.register(
            "record_errors",
            "Records that did not fit their kind",
            record_errors.clone(),
        );
        let rule_errors = Counter::default();
        registry.register(
            "rule_errors",
            "Rules that could not be evaluated on a record",
            rule_errors.clone(),
        );
        // 50 µs to about 13 s.
        let latency = Histogram::new(exponential_buckets(0.000_05, 2.0, 18));
        registry.register(
            "request_duration_seconds",
            "Time to answer a decide request",
            latency.clone(),
        );
        let revision = Family::<RevisionLabels, Gauge>::default();
        registry.register(
            "rules_revision",
            "The rule set in force (1 for its revision)",
            revision.clone(),
        );
        let reloads = Counter::default();
        registry.register(
            "reloads",
            "Rule sets swapped in after a change",
            reloads.clone(),
        );
        let reload_failures = Counter::default();
        registry.register(
            "reload_failures",
            "Changed rule files that did not load or check (the old set stayed)",
            reload_failures.clone(),
        );
        let policies = Gauge::default();
        registry.register(
            "policies",
            "Policies in the rule set in force",
            policies.clone(),
        );
        let policies_added = Counter::default();
        registry.register(
            "reload_policies_added",
            "Policies that reloads added",
            policies_added.clone(),
        );
        let policies_removed = Counter::default();
        registry.register(
            "reload_policies_removed",
            "Policies that reloads removed",
            policies_removed.clone(),
        );
        let log = crate::decision_log::LogCounters::default();
        registry.register(
            "decision_log_records",
            "Decided records written to the decision log",
            log.written.clone(),
        );
        registry.register(
            "decision_log_dropped",
            "Decided records not logged because the log's queue was full",
            log.dropped.clone(),
        );
        registry.register(
            "decision_log_errors",
            "Decided records not logged because writing failed",
            log.errors.clone(),
        );
        let connections = Gauge::default();
        registry.register("connections", "Connections open", connections.clone());
        let connections_refused = Counter::default();
        registry.register(
            "connections_refused",
            "Connections closed at once because the connection limit was reached",
            connections_refused.clone(),
        );
        let busy = Counter::default();
        registry.register(
            "busy",
            "Requests answered 503 because the bytes in flight were at their limit",
            busy.clone(),
        );
        let unauthorized = Counter::default();
        registry.register(
            "unauthorized",
            "Requests refused for a missing or wrong bearer token",
            unauthorized.clone(),
        );
        Metrics {
            registry,
            requests,
            records,
            decisions,
            record_errors,
            rule_errors,
            latency,
            revision,
            reloads,
            reload_failures,
            policies,
            policies_added,
            policies_removed,
            log,
            connections,
            connections_refused,
            busy,
            unauthorized,
        }
    }

    /// Marks `revision` as the rule set in force.
    pub(crate) fn set_revision(&self, revision: &str) {
        self.revision.clear();
        self.revision
            .get_or_create(&RevisionLabels {
                revision: revision.to_string(),
            })
            .set(1);
    }

    /// The metrics as Prometheus text.
    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
