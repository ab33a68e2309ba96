//! The transcript: each step timed, printed as it ends, and a failure turned into the end of
//! the walk.

use std::time::{Duration, Instant};

use super::STEP_TIMEOUT;

type StepResult = Result<Vec<String>, String>;

/// What a step's work gives: a value for the next steps and the lines to print, or what went
/// wrong.
pub(super) type Step<T> = Result<(T, Vec<String>), String>;

/// Prints the transcript as the walk goes.
pub(super) struct Transcript {
    pub(super) steps: u32,
}

impl Transcript {
    fn record(&mut self, title: &str, elapsed: Duration, result: &StepResult) {
        self.steps += 1;
        let verdict = if result.is_ok() { "ok" } else { "FAILED" };
        println!(
            "[{}] {title:<40} {:>7.1} ms  {verdict}",
            self.steps,
            elapsed.as_secs_f64() * 1000.0
        );
        match result {
            Ok(lines) => {
                for line in lines {
                    println!("      {line}");
                }
            }
            Err(error) => println!("      error: {error}"),
        }
    }
}

/// Runs one step: times it, prints it, and turns a failure into `Err(())`.
pub(super) async fn step<F, T>(transcript: &mut Transcript, title: &str, work: F) -> Result<T, ()>
where
    F: Future<Output = Step<T>>,
{
    let start = Instant::now();
    let outcome = match tokio::time::timeout(STEP_TIMEOUT, work).await {
        Ok(outcome) => outcome,
        Err(_) => Err(format!("no result within {} s", STEP_TIMEOUT.as_secs())),
    };
    let elapsed = start.elapsed();
    match outcome {
        Ok((value, lines)) => {
            transcript.record(title, elapsed, &Ok(lines));
            Ok(value)
        }
        Err(error) => {
            transcript.record(title, elapsed, &Err(error));
            Err(())
        }
    }
}
