//! `sync`'s progress on a terminal: the CLI's [`Reporter`]. The sync itself prints nothing; the
//! server's background syncs report to no one.

use crate::sync::{Phase, PhaseReport, Reporter};

/// `sync`'s progress on the terminal: a spinner per phase, a bar over the GetMetricData calls,
/// and a line per finished phase.
#[derive(Default)]
pub struct ProgressBars {
    /// The running phase's spinner or bar, and the scope (region or `account`) it is for.
    current: std::sync::Mutex<Option<(indicatif::ProgressBar, String)>>,
}

impl ProgressBars {
    fn replace(&self, next: Option<(indicatif::ProgressBar, String)>) {
        let mut current = self.current.lock().expect("progress lock");
        if let Some((bar, _)) = current.take() {
            bar.finish_and_clear();
        }
        *current = next;
    }
}

impl Reporter for ProgressBars {
    fn phase_started(&self, phase: Phase, scope: &str) {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg}").expect("template is valid"),
        );
        bar.set_message(format!("{} ({scope})…", phase.name()));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        self.replace(Some((bar, scope.to_string())));
    }

    fn steps_planned(&self, total: u64) {
        let scope = self
            .current
            .lock()
            .expect("progress lock")
            .as_ref()
            .map(|(_, scope)| scope.clone())
            .unwrap_or_default();
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "  metrics ({msg}) [{bar:30}] {pos}/{len} GetMetricData calls, {eta} left",
            )
            .expect("template is valid")
            .progress_chars("=> "),
        );
        bar.set_message(scope.clone());
        self.replace(Some((bar, scope)));
    }

    fn step_done(&self) {
        if let Some((bar, _)) = self.current.lock().expect("progress lock").as_ref() {
            bar.inc(1);
        }
    }

    fn phase_done(&self, report: &PhaseReport) {
        self.replace(None);
        println!(
            "  {:<14} {} ({:.1} s)",
            report.phase.name(),
            report.summary,
            report.seconds
        );
    }
}
