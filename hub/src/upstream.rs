//! Hub to hub: a district hub syncs with its upstream (state or national) hub whenever it is
//! reachable, through the same protocol a phone uses — a hub is just another peer.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use sangam_core::sync::client::SyncOptions;
use sangam_core::sync::media::MediaOptions;
use sangam_core::Store;

use crate::metrics::Metrics;

pub async fn run(store: Arc<Store>, url: String, token: String, interval: Duration, metrics: Arc<Metrics>) {
    let mut wait = interval;
    loop {
        let (s, u, t) = (store.clone(), url.clone(), token.clone());
        let result = tokio::task::spawn_blocking(move || {
            let report = s.sync(&u, &t, &SyncOptions::default())?;
            // Records first, then the files they name, both ways.
            match s.sync_media(&u, &t, &MediaOptions::default()) {
                Ok(m) => tracing::info!(uploaded = m.uploaded, downloaded = m.downloaded, waiting = m.waiting, "media synced with upstream"),
                Err(e) => tracing::warn!(error = %e, "upstream media sync failed; will retry"),
            }
            Ok::<_, sangam_core::Error>(report)
        })
        .await;
        match result {
            Ok(Ok(report)) => {
                metrics.upstream_syncs.fetch_add(1, Relaxed);
                tracing::info!(
                    sent = report.progress.docs_sent,
                    received = report.progress.docs_received,
                    rejected = report.rejected.len(),
                    "synced with upstream"
                );
                wait = interval;
            }
            Ok(Err(e)) => {
                metrics.upstream_failures.fetch_add(1, Relaxed);
                tracing::warn!(error = %e, "upstream sync failed; will retry");
                wait = (wait * 2).min(Duration::from_secs(600)).max(interval);
            }
            Err(_) => {
                metrics.upstream_failures.fetch_add(1, Relaxed);
                wait = interval;
            }
        }
        tokio::time::sleep(wait).await;
    }
}
