//! Async streams of events (feature `tokio`): the live socket and followed
//! files as `futures_core::Stream<Item = Result<EventBuf, Error>>`.
//!
//! - [`LiveStream`] waits on the netlink socket's readiness (`AsyncFd`) and
//!   on a timer for the wall-clock work (timed-out events, the kernel's lost
//!   counter): `poll_next` never blocks on the socket and no thread is
//!   spawned per source. (Once a second it reads the kernel's status with a
//!   control request, answered at once by the kernel.)
//! - [`FollowStream`] reads a followed file as far as it goes, and waits on a
//!   timer for it to grow. (Reading a regular file waits on the disk only.)
//! - Both are cancellation-safe: every piece of state lives in the stream,
//!   so a `next()` dropped in a `select!` loses nothing.
//! - Overflow: by default the consumer is the back pressure (nothing is read
//!   while it does not poll; the kernel then queues, and past its backlog
//!   drops and counts). [`Queued`] reads on in a task into a bounded queue
//!   instead and, when the queue is full, drops events and reports them as
//!   [`LossSource::Consumer`] events.
//!
//! Needs a runtime with IO and time enabled (`#[tokio::main]` has both).
//!
//! ```no_run
//! use auditstream::source::tokio::LiveStream;
//! use auditstream::{LiveConfig, LiveEvents, Mode};
//!
//! # async fn run() -> Result<(), auditstream::Error> {
//! let live = LiveEvents::with_config(LiveConfig::new(Mode::Daemon))?;
//! let mut events = LiveStream::new(live)?;
//! loop {
//!     tokio::select! {
//!         ev = events.next() => match ev {
//!             Some(ev) => println!("{:?}", ev?.event()),
//!             None => break,
//!         },
//!         _ = tokio::signal::ctrl_c() => break,
//!     }
//! }
//! let closed = events.close().await?; // drains, restores the kernel
//! # Ok(()) }
//! ```

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use ::tokio::sync::{mpsc, Notify};
use ::tokio::task::JoinHandle;
use ::tokio::time::{Instant, Sleep};
use futures_core::Stream;

use super::{EventSource, FollowEvents, SourceStats};
use crate::error::Error;
use crate::event::{EventBuf, LossSource};
use crate::record::EventId;

#[cfg(all(feature = "netlink", target_os = "linux"))]
use super::{netlink::LiveEvents, Closed};
#[cfg(target_os = "linux")]
use ::tokio::io::unix::AsyncFd;
#[cfg(target_os = "linux")]
use std::os::fd::{AsFd, OwnedFd};

/// The next item of a stream, as a future (what `StreamExt::next` of the
/// futures or tokio-stream crates does, without needing them).
async fn next_of<S>(s: &mut S) -> Option<S::Item>
where
    S: Stream + Unpin + ?Sized,
{
    std::future::poll_fn(|cx| Pin::new(&mut *s).poll_next(cx)).await
}

/// Datagrams or records one poll handles before it yields to the runtime.
const BUDGET: usize = 256;

/// The longest a waiting stream goes without looking at its stop flag.
const STOP_CHECK: Duration = Duration::from_millis(100);

/// The socket's descriptor (a duplicate), in the reactor or out of it.
#[cfg(all(feature = "netlink", target_os = "linux"))]
enum Registration {
    Registered(AsyncFd<OwnedFd>),
    Parked(OwnedFd),
    /// Only while moving between the two (or after a failed registration).
    Gone,
}

#[cfg(all(feature = "netlink", target_os = "linux"))]
impl Registration {
    /// In the reactor (registering when not).
    fn register(&mut self) -> std::io::Result<&AsyncFd<OwnedFd>> {
        *self = match std::mem::replace(self, Registration::Gone) {
            Registration::Parked(fd) => {
                Registration::Registered(crate::sys::register_readable(fd)?)
            }
            other => other,
        };
        match self {
            Registration::Registered(fd) => Ok(fd),
            _ => Err(std::io::Error::other(
                "the socket's registration failed before",
            )),
        }
    }

    /// Out of the reactor.
    fn park(&mut self) {
        *self = match std::mem::replace(self, Registration::Gone) {
            Registration::Registered(fd) => Registration::Parked(fd.into_inner()),
            other => other,
        };
    }
}

/// The live socket as a `Stream`; see the [module documentation](self).
#[cfg(all(feature = "netlink", target_os = "linux"))]
pub struct LiveStream {
    /// A duplicate of the socket's descriptor, registered with the reactor
    /// while the stream waits for the socket.
    fd: Registration,
    timer: Pin<Box<Sleep>>,
    /// Whether it paused since the socket was last found empty.
    napped: bool,
    live: LiveEvents,
}

#[cfg(all(feature = "netlink", target_os = "linux"))]
impl LiveStream {
    /// Streams the events of `live`. Call it within a runtime with IO and
    /// time enabled.
    pub fn new(live: LiveEvents) -> Result<LiveStream, Error> {
        let dup = live.session().socket().as_fd().try_clone_to_owned();
        let fd = Registration::Parked(dup.map_err(Error::Io)?);
        Ok(LiveStream {
            fd,
            timer: Box::pin(::tokio::time::sleep(Duration::ZERO)),
            napped: false,
            live,
        })
    }

    /// The next event: `None` once stopped. Cancellation-safe: a call
    /// dropped before it completes (in a `select!`) loses nothing.
    pub async fn next(&mut self) -> Option<Result<EventBuf, Error>> {
        next_of(self).await
    }

    /// A flag that ends the stream when set: `poll_next` gives `None` at
    /// its next call, at most 100 ms later for a waiting task. (In async code
    /// a `select!` with a shutdown future does the same without a flag.)
    pub fn stop_handle(&self) -> Arc<AtomicBool> {
        self.live.stop_handle()
    }

    /// The counters so far.
    pub fn stats(&self) -> SourceStats {
        self.live.stats()
    }

    /// The blocking source inside.
    pub fn get_ref(&self) -> &LiveEvents {
        &self.live
    }

    /// Drains (what is queued in the socket, the events in flight) and
    /// restores the kernel, on a blocking thread; the events not yet handed
    /// out and the final counters.
    pub async fn close(self) -> Result<Closed, Error> {
        let LiveStream { fd, live, .. } = self;
        drop(fd);
        match ::tokio::task::spawn_blocking(move || live.close()).await {
            Ok(r) => r,
            Err(e) => Err(Error::Io(std::io::Error::other(e))),
        }
    }
}

#[cfg(all(feature = "netlink", target_os = "linux"))]
impl Stream for LiveStream {
    type Item = Result<EventBuf, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.live.stopped() {
                return Poll::Ready(None);
            }
            if let Some(ev) = this.live.pop_ready() {
                return Poll::Ready(Some(Ok(ev)));
            }
            match this.live.receive_ready(BUDGET) {
                Err(e) => return Poll::Ready(Some(Err(e))),
                Ok(true) => {
                    this.napped = false;
                    if !this.live.has_ready() {
                        // a full budget read and nothing complete: yield
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                    continue;
                }
                Ok(false) => {}
            }
            if this.live.has_ready() {
                continue;
            }
            let now = Instant::now();
            let due = now + this.live.next_due().min(STOP_CHECK);
            // The socket just became empty: pause (LiveConfig::coalesce) to
            // let a batch gather, as the blocking reader does, rather than
            // waking for each datagram of a burst.
            let coalesce = this.live.coalesce();
            if !this.napped && !coalesce.is_zero() {
                this.napped = true;
                // Out of the reactor meanwhile: each datagram of the burst
                // would wake the runtime thread (the reactor is
                // edge-triggered) although no task waits on it.
                this.fd.park();
                this.timer.as_mut().reset(due.min(now + coalesce));
                if this.timer.as_mut().poll(cx).is_ready() {
                    continue;
                }
                return Poll::Pending;
            }
            // Still empty after the pause: wait for the socket, or for the
            // timed work.
            let fd = match this.fd.register() {
                Ok(fd) => fd,
                Err(e) => return Poll::Ready(Some(Err(Error::Io(e)))),
            };
            match fd.poll_read_ready(cx) {
                Poll::Ready(Ok(mut guard)) => {
                    // readiness from before the reads above: look again
                    guard.clear_ready();
                    continue;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Some(Err(Error::Io(e)))),
                Poll::Pending => {}
            }
            if this.timer.deadline() != due {
                this.timer.as_mut().reset(due);
            }
            if this.timer.as_mut().poll(cx).is_ready() {
                continue;
            }
            return Poll::Pending;
        }
    }
}

/// A followed file as a `Stream`; see the [module documentation](self).
pub struct FollowStream {
    timer: Pin<Box<Sleep>>,
    /// A duplicate of the follower's directory watch (Linux), registered
    /// with the reactor: the stream wakes when the directory changes.
    #[cfg(target_os = "linux")]
    watch: Option<AsyncFd<OwnedFd>>,
    follow: FollowEvents,
}

impl FollowStream {
    /// Streams the events of `follow`. Call it within a runtime with IO and
    /// time enabled. Where the follower has no directory watch (or it cannot
    /// be registered), the stream looks for growth every
    /// [`poll_interval`](super::FollowConfig::poll_interval).
    pub fn new(follow: FollowEvents) -> FollowStream {
        #[cfg(target_os = "linux")]
        let watch = follow
            .watch_fd()
            .and_then(|fd| fd.try_clone_to_owned().ok())
            .and_then(|fd| crate::sys::register_readable(fd).ok());
        FollowStream {
            timer: Box::pin(::tokio::time::sleep(Duration::ZERO)),
            #[cfg(target_os = "linux")]
            watch,
            follow,
        }
    }

    /// The next event: `None` once stopped. Cancellation-safe: a call
    /// dropped before it completes (in a `select!`) loses nothing.
    pub async fn next(&mut self) -> Option<Result<EventBuf, Error>> {
        next_of(self).await
    }

    /// A flag that ends the stream when set: `poll_next` gives `None` at
    /// its next call, at most 100 ms later for a waiting task.
    pub fn stop_handle(&self) -> Arc<AtomicBool> {
        self.follow.stop_handle()
    }

    /// The counters so far.
    pub fn stats(&self) -> SourceStats {
        self.follow.stats()
    }

    /// Whether the stream wakes on inotify events of the file's directory
    /// (as [`FollowEvents::watching`]); it also looks every 100 ms at most.
    pub fn watching(&self) -> bool {
        #[cfg(target_os = "linux")]
        return self.watch.is_some();
        #[cfg(not(target_os = "linux"))]
        return false;
    }

    /// The follower inside (for [`FollowEvents::checkpoint`]).
    pub fn get_ref(&self) -> &FollowEvents {
        &self.follow
    }

    /// The follower inside, given back.
    pub fn into_inner(self) -> FollowEvents {
        self.follow
    }
}

impl Stream for FollowStream {
    type Item = Result<EventBuf, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        for _ in 0..BUDGET {
            if this.follow.stopped() {
                return Poll::Ready(None);
            }
            if let Some(ev) = this.follow.pop_ready() {
                return Poll::Ready(Some(Ok(ev)));
            }
            match this.follow.step() {
                Err(e) => return Poll::Ready(Some(Err(e))),
                Ok(true) => continue,
                Ok(false) if this.follow.has_ready() => continue,
                Ok(false) => {
                    #[cfg(target_os = "linux")]
                    if let Some(w) = &this.watch {
                        match w.poll_read_ready(cx) {
                            Poll::Ready(Ok(mut ready)) => {
                                // consume the events, then look again
                                ready.clear_ready();
                                if crate::sys::drain_nonblocking(w.get_ref().as_fd()).is_err() {
                                    this.watch = None;
                                }
                                continue;
                            }
                            // the watch broke: the timer alone from here on
                            Poll::Ready(Err(_)) => this.watch = None,
                            Poll::Pending => {}
                        }
                    }
                    let due = Instant::now() + this.follow.wait_time().min(STOP_CHECK);
                    this.timer.as_mut().reset(due);
                    if this.timer.as_mut().poll(cx).is_ready() {
                        continue;
                    }
                    return Poll::Pending;
                }
            }
        }
        // a full budget read: let others run
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// An async source of events with counters: [`LiveStream`] and
/// [`FollowStream`] (what [`Queued`] can read).
pub trait EventStream: Stream<Item = Result<EventBuf, Error>> + Unpin {
    /// The counters so far.
    fn stats(&self) -> SourceStats;
}

#[cfg(all(feature = "netlink", target_os = "linux"))]
impl EventStream for LiveStream {
    fn stats(&self) -> SourceStats {
        self.live.stats()
    }
}

impl EventStream for FollowStream {
    fn stats(&self) -> SourceStats {
        self.follow.stats()
    }
}

/// A source read on in a task into a bounded queue, so that a consumer that
/// falls behind costs dropped events (counted, and reported in the stream as
/// a [`LossSource::Consumer`] event once there is room again) instead of
/// back pressure on the source. See the [module documentation](self).
pub struct Queued<S> {
    rx: mpsc::Receiver<Result<EventBuf, Error>>,
    shared: Arc<Shared>,
    task: JoinHandle<(S, u64, EventId)>,
}

/// What the task and the consumer share.
struct Shared {
    stop: Notify,
    dropped: AtomicU64,
    /// The source's counters after the last item it gave.
    stats: Mutex<SourceStats>,
}

impl<S> Queued<S>
where
    S: EventStream + Send + 'static,
{
    /// Reads `source` in a task into a queue of `capacity` events (at least
    /// 1). Call it within a runtime.
    pub fn spawn(source: S, capacity: usize) -> Queued<S> {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let shared = Arc::new(Shared {
            stop: Notify::new(),
            dropped: AtomicU64::new(0),
            stats: Mutex::new(source.stats()),
        });
        let task = ::tokio::spawn(pump(source, tx, Arc::clone(&shared)));
        Queued { rx, shared, task }
    }

    /// The next event: `None` once the source ended. Cancellation-safe.
    pub async fn next(&mut self) -> Option<Result<EventBuf, Error>> {
        self.rx.recv().await
    }

    /// Events dropped so far because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// The source's counters as of the last item it gave, with
    /// [`consumer_dropped`](SourceStats::consumer_dropped).
    pub fn stats(&self) -> SourceStats {
        let mut stats = *self.shared.stats.lock().unwrap_or_else(|e| e.into_inner());
        stats.consumer_dropped = self.dropped();
        stats
    }

    /// Stops the task and gives the source back, with the events still
    /// queued (close the source to drain what it holds). A loss not yet
    /// reported in the stream is reported at the end of the queued events.
    /// An error only when the runtime is shutting down (the task was
    /// cancelled, and the source with it).
    pub async fn into_inner(mut self) -> Result<(S, Vec<EventBuf>), Error> {
        self.shared.stop.notify_one();
        let mut queued = Vec::new();
        // the task ends at its next wait, closing the queue; what it queued
        // meanwhile is kept
        while let Some(item) = self.rx.recv().await {
            if let Ok(ev) = item {
                queued.push(ev);
            }
        }
        let (source, unreported, last_id) = match (&mut self.task).await {
            Ok(done) => done,
            // the task only moves items; it panics only if the source does
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => return Err(Error::Io(std::io::Error::other(e))),
        };
        if unreported > 0 {
            queued.push(EventBuf::lost(LossSource::Consumer, unreported, last_id));
        }
        Ok((source, queued))
    }
}

#[cfg(all(feature = "netlink", target_os = "linux"))]
impl Queued<LiveStream> {
    /// Stops the task, then drains and closes the live source: the events
    /// still queued and those the source held, and the final counters (with
    /// [`consumer_dropped`](SourceStats::consumer_dropped)).
    pub async fn close(self) -> Result<Closed, Error> {
        let dropped = Arc::clone(&self.shared);
        let (source, mut events) = self.into_inner().await?;
        let mut closed = source.close().await?;
        events.append(&mut closed.events);
        closed.events = events;
        closed.stats.consumer_dropped = dropped.dropped.load(Ordering::Relaxed);
        Ok(closed)
    }
}

/// The task of a [`Queued`]: moves items from the source to the queue,
/// dropping (and counting) when the queue is full. Gives back the source,
/// the drops not yet reported in the queue, and the last event's id.
async fn pump<S>(
    mut source: S,
    tx: mpsc::Sender<Result<EventBuf, Error>>,
    shared: Arc<Shared>,
) -> (S, u64, EventId)
where
    S: EventStream,
{
    let mut unreported = 0u64;
    let mut last_id = EventId::default();
    // `notify_one` keeps a permit, so a stop before this wait is not missed
    let mut stopped = pin!(shared.stop.notified());
    loop {
        let item = std::future::poll_fn(|cx| {
            if stopped.as_mut().poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            Pin::new(&mut source).poll_next(cx).map(Some)
        })
        .await;
        // stopped, or the source ended
        let Some(Some(item)) = item else { break };
        *shared.stats.lock().unwrap_or_else(|e| e.into_inner()) = source.stats();
        if unreported > 0 {
            let loss = EventBuf::lost(LossSource::Consumer, unreported, last_id);
            if tx.try_send(Ok(loss)).is_ok() {
                unreported = 0;
            }
        }
        if let Ok(ev) = &item {
            last_id = ev.id();
        }
        match tx.try_send(item) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                unreported += 1;
                shared.dropped.fetch_add(1, Ordering::Relaxed);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => break,
        }
    }
    (source, unreported, last_id)
}

impl<S> Stream for Queued<S> {
    type Item = Result<EventBuf, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().rx.poll_recv(cx)
    }
}
