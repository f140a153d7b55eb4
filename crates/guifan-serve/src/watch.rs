//! Reloading the rules as their files change: a change is loaded once the
//! directory's content has stayed the same for the settle interval
//! ([`guifan::ReloadGate`]), checked in full, and swapped in; a change that
//! does not load is reported and counted while the old set keeps serving.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::Shared;

/// Looks at the rule directory every `every`, and reloads a change that has
/// stayed the same for `settle`.
pub(crate) async fn watch(shared: Arc<Shared>, every: Duration, settle: Duration) {
    let mut gate = guifan::ReloadGate::new(shared.engine.loaded_fingerprint(), settle);
    loop {
        tokio::time::sleep(every).await;
        let engine = shared.clone();
        let Ok(fingerprint) =
            tokio::task::spawn_blocking(move || engine.engine.fingerprint()).await
        else {
            continue;
        };
        if !gate.observe(fingerprint, Instant::now()) {
            continue;
        }
        let before = shared.engine.rules();
        let worker = shared.clone();
        let reloaded = tokio::task::spawn_blocking(move || worker.engine.reload()).await;
        let m = &shared.metrics;
        match reloaded {
            Ok(Ok(rules)) => {
                set_failed(&shared, None);
                m.reloads.inc();
                m.set_revision(rules.revision());
                let change = guifan::PolicyChange::between(&before, &rules);
                m.policies_added.inc_by(change.added.len() as u64);
                m.policies_removed.inc_by(change.removed.len() as u64);
                m.policies
                    .set(i64::try_from(rules.policies().count()).unwrap_or(i64::MAX));
                crate::note(&format!(
                    "rules reloaded, revision {}: {change}",
                    rules.revision()
                ));
            }
            Ok(Err(e)) => {
                let first = e.problems().first().map_or_else(
                    || e.to_string(),
                    |p| format!("{}:{}: {}", p.file(), p.position().0, p.message()),
                );
                set_failed(
                    &shared,
                    Some(crate::FailedReload {
                        at: guifan::Utc::now().to_rfc3339(),
                        problems: e.problems().len().max(1),
                        first: guifan::clip::one_line(&first).into_owned(),
                    }),
                );
                m.reload_failures.inc();
                crate::note(&format!(
                    "the changed rules were not loaded; the old ones stay\n{e}"
                ));
            }
            Err(e) => {
                m.reload_failures.inc();
                crate::note(&format!("reloading failed: {e}"));
            }
        }
    }
}

/// Records the outcome of a reload for `/healthz`.
fn set_failed(shared: &Shared, failed: Option<crate::FailedReload>) {
    if let Ok(mut slot) = shared.failed_reload.lock() {
        *slot = failed;
    }
}
