//! One timer's state machine: invariants T1, T2 and T5 in `README.md`.

use std::fmt;

use weftkit_shim::time::{Duration, Instant};
use weftkit_sync::{Condition, Lock, StopToken};

use crate::current::{current_info, known_current_ident};
use crate::error::JoinError;
use crate::excepthook::run_reporting;
use crate::registry::remove_pending;
use crate::runtime::Runtime;

/// What a timer runs.
pub(crate) enum Callback {
    Once(Box<dyn FnOnce() + Send>),
    Every(Box<dyn FnMut() + Send>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting in the heap for its next due time.
    Scheduled,
    /// Claimed by the dispatcher; a runner thread runs (or is about to run) it.
    Running,
    /// Cancelled; it will not run again.
    Cancelled,
    /// A one-shot timer that has run.
    Done,
}

#[derive(Debug)]
struct Phase {
    state: State,
    /// The ident of the thread running the callback, while it runs.
    runner: Option<u64>,
    /// A `cancel` came while `Running`: end the timer when the run ends.
    cancel_requested: bool,
}

impl Phase {
    fn is_over(&self) -> bool {
        matches!(self.state, State::Cancelled | State::Done)
    }
}

/// What the dispatcher should do with a due entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// It is now `Running`: start a runner.
    Run,
    /// An every-timer whose previous run is still going: skip this tick (T4).
    Skip,
    /// Cancelled or done: drop it.
    Discard,
}

/// One timer, shared by its handle, the heap and its runner threads.
pub(crate) struct Entry {
    pub(crate) ident: u64,
    pub(crate) name: String,
    pub(crate) daemon: bool,
    /// `None` for a one-shot timer.
    pub(crate) period: Option<Duration>,
    pub(crate) start: Instant,
    /// Fired by `cancel` while a run is in progress.
    pub(crate) stop: StopToken,
    phase: Condition<Phase>,
    /// Taken out by the runner while it runs, so no lock is held during the callback.
    callback: Lock<Option<Callback>>,
}

impl Entry {
    pub(crate) fn new(
        ident: u64,
        name: String,
        daemon: bool,
        start: Instant,
        callback: Callback,
        period: Option<Duration>,
    ) -> Self {
        Self {
            ident,
            name,
            daemon,
            period,
            start,
            stop: StopToken::new(),
            phase: Condition::new(Phase {
                state: State::Scheduled,
                runner: None,
                cancel_requested: false,
            }),
            callback: Lock::new(Some(callback)),
        }
    }

    /// The dispatcher's claim on a due entry (T1).
    pub(crate) fn claim(&self) -> Claim {
        let mut phase = self.phase.lock();
        match phase.state {
            State::Scheduled => {
                phase.state = State::Running;
                Claim::Run
            }
            State::Running => Claim::Skip,
            State::Cancelled | State::Done => Claim::Discard,
        }
    }

    /// Undoes a claim whose runner thread the OS refused; whether the timer is
    /// still scheduled (`false`: a cancel came meanwhile and it is now cancelled).
    pub(crate) fn unclaim(&self, rt: &Runtime) -> bool {
        let mut phase = self.phase.lock();
        let cancelled = phase.cancel_requested;
        phase.state = if cancelled {
            State::Cancelled
        } else {
            State::Scheduled
        };
        if cancelled && !self.daemon {
            remove_pending(rt, self.ident);
        }
        phase.notify_all();
        !cancelled
    }

    /// The runner thread's body: one run of the callback, then the state moves on.
    pub(crate) fn run(&self, rt: &Runtime) {
        let me = current_info();
        self.phase.lock().runner = Some(me.ident);
        let callback = self.callback.lock().take();
        let kept = match callback {
            Some(Callback::Once(f)) => {
                // A panic is reported to the excepthook inside; nothing else to do.
                let _ = run_reporting(&me, f);
                None
            }
            Some(Callback::Every(mut f)) => {
                let _ = run_reporting(&me, &mut f);
                Some(Callback::Every(f))
            }
            None => None,
        };
        if kept.is_some() {
            *self.callback.lock() = kept;
        }
        self.finish_run(rt);
        if !self.is_alive() {
            // Cancelled from inside its own callback: nobody else will let go of it.
            self.release_callback();
        }
    }

    /// T2: the run has ended; a one-shot is done, a cancelled every-timer is over.
    fn finish_run(&self, rt: &Runtime) {
        let mut phase = self.phase.lock();
        phase.runner = None;
        phase.state = match self.period {
            None => State::Done,
            Some(_) if phase.cancel_requested => State::Cancelled,
            Some(_) => State::Scheduled,
        };
        if phase.is_over() && !self.daemon {
            remove_pending(rt, self.ident);
        }
        phase.notify_all();
    }

    /// Cancels; `true` if that prevented a run (T1, T2). Waits for a run in
    /// progress to end, unless called from that run.
    pub(crate) fn cancel(&self, rt: &Runtime) -> bool {
        let me = known_current_ident();
        let mut phase = self.phase.lock();
        match phase.state {
            State::Scheduled => {
                phase.state = State::Cancelled;
                if !self.daemon {
                    remove_pending(rt, self.ident);
                }
                phase.notify_all();
                drop(phase);
                rt.timers.lock().note_dead();
                self.release_callback();
                true
            }
            State::Running => {
                let first = !phase.cancel_requested;
                phase.cancel_requested = true;
                self.stop.stop();
                if phase.runner.is_some() && phase.runner == me {
                    // From inside the callback: it cannot wait for itself. An
                    // every-timer will not run again; a one-shot is running now.
                    return first && self.period.is_some();
                }
                phase.wait_for(|p| p.state != State::Running);
                let prevented = first && phase.state == State::Cancelled;
                drop(phase);
                self.release_callback();
                prevented
            }
            State::Cancelled | State::Done => false,
        }
    }

    /// Drops the callback of a timer that will not run again, with no lock held (its
    /// captures' `drop` may call anything), so that what it captured is freed as soon
    /// as the timer is over, not when its due time comes up in the heap (or never,
    /// for a due time beyond representation).
    fn release_callback(&self) {
        let callback = self.callback.lock().take();
        drop(callback);
    }

    /// Whether the timer may still run (scheduled, or running now).
    pub(crate) fn is_alive(&self) -> bool {
        !self.phase.lock().is_over()
    }

    /// Waits until the timer is over: done, or cancelled with no run in progress.
    pub(crate) fn join(&self) -> Result<(), JoinError> {
        let me = known_current_ident();
        let mut phase = self.phase.lock();
        if phase.runner.is_some() && phase.runner == me {
            return Err(JoinError::CurrentThread {
                name: self.name.clone(),
            });
        }
        phase.wait_for(|p| p.is_over());
        Ok(())
    }

    /// Like `join`, for at most `timeout`; whether the timer is over.
    pub(crate) fn wait_timeout(&self, timeout: Duration) -> bool {
        self.phase.lock().wait_for_timeout(|p| p.is_over(), timeout)
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("name", &self.name)
            .field("ident", &self.ident)
            .field("daemon", &self.daemon)
            .field("period", &self.period)
            .finish_non_exhaustive()
    }
}
