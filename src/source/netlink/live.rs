//! Live events: an [`AuditSession`] read through the [`Reassembler`].

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::error::NetlinkError;
use super::rules::Rule;
use super::session::AuditSession;
use super::socket::{Mode, Received, SocketStats};
use super::status::Status;
use super::wire;
use crate::error::{Error, ErrorKind};
use crate::event::{EventBuf, LossSource, LostEvent};
use crate::reassemble::{Reassembler, ReassemblerConfig};
use crate::record::{EventId, Record};
use crate::source::{Closed, EventSource, SourceStats};

/// How long [`LiveEvents::drain`] waits for one more datagram before it
/// decides the socket is empty.
const DRAIN_QUIET: Duration = Duration::from_millis(50);
/// The longest [`LiveEvents::drain`] reads, even if records keep coming.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);
/// How often timed-out events are flushed while records keep arriving.
const FLUSH_EVERY_MS: u64 = 100;

/// How [`LiveEvents::open`] sets up the socket and the kernel.
///
/// Everything it changes in the kernel (rules, enabled, backlog limit) is
/// undone when the [`LiveEvents`] is closed or dropped. In read-only mode
/// the defaults change nothing in the kernel: it exists to coexist with
/// auditd's own configuration, so rules and enabling are asked for
/// explicitly ([`with_standard_rules`](Self::with_standard_rules)).
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// Daemon or read-only.
    pub mode: Mode,
    /// Rules to add (deleted on close). Default: in daemon mode
    /// [`Rule::standard_set`] (execve, execveat, connect, bind, accept,
    /// accept4); in read-only mode none.
    pub rules: Vec<Rule>,
    /// Whether to enable auditing (restored on close). Default: true in
    /// daemon mode, false in read-only mode.
    pub enable: bool,
    /// A backlog limit to set (restored on close). Default `None`: as found.
    pub backlog_limit: Option<u32>,
    /// Receive buffer size in bytes (`SO_RCVBUFFORCE` when privileged); 0
    /// leaves the system default. Default 32 MiB.
    pub receive_buffer: usize,
    /// How long one receive waits before idle work (flushing timed-out
    /// events, the stop flag). Default 200 ms.
    pub read_timeout: Duration,
    /// Under load, how long to let datagrams gather when the socket is
    /// momentarily empty before reading them as one batch: one wakeup per
    /// batch instead of one per datagram (less CPU per event, at most this
    /// much more latency). Zero reads each datagram as it comes. An idle
    /// socket is still waited on, not polled. Default 2 ms.
    pub coalesce: Duration,
    /// How often the kernel's `lost` counter is polled. Default 1 s.
    pub lost_poll_interval: Duration,
    /// Reassembly limits; `timeout_ms` counts on a monotonic clock.
    pub reassembler: ReassemblerConfig,
}

impl LiveConfig {
    /// The defaults (see each field) for `mode`.
    pub fn new(mode: Mode) -> Self {
        let daemon = mode == Mode::Daemon;
        LiveConfig {
            mode,
            rules: if daemon {
                Rule::standard_set()
            } else {
                Vec::new()
            },
            enable: daemon,
            backlog_limit: None,
            receive_buffer: 32 << 20,
            read_timeout: Duration::from_millis(200),
            coalesce: Duration::from_millis(2),
            lost_poll_interval: Duration::from_secs(1),
            reassembler: ReassemblerConfig::default(),
        }
    }

    /// The same, adding [`Rule::standard_set`] and enabling auditing (both
    /// undone on close).
    pub fn with_standard_rules(mut self) -> Self {
        self.rules = Rule::standard_set();
        self.enable = true;
        self
    }
}

/// What [`LiveEvents::next_record`] gives: a record, or loss as it is seen.
#[derive(Debug, Clone, Copy)]
pub enum LiveRecord<'a> {
    /// A record, parsed in place from the receive buffer.
    Record(Record<'a>),
    /// Records lost at the socket or in the kernel.
    Lost(LostEvent),
}

/// The kernel socket's own counters of a [`LiveEvents`] (in
/// [`SourceStats::live`](crate::source::SourceStats::live)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LiveStats {
    /// The socket's counters.
    pub socket: SocketStats,
    /// Increase of the kernel's `lost` counter since open (reported as
    /// [`LossSource::Kernel`] events).
    pub kernel_lost: u64,
    /// Losses at the socket (reported as [`LossSource::Socket`] events):
    /// overruns (`ENOBUFS`, each counting once), truncated datagrams, and
    /// records dropped while a control call was waiting.
    pub socket_lost: u64,
    /// Datagrams that are not audit records (skipped).
    pub not_records: u64,
    /// The kernel's status at the last poll.
    pub status: Option<Status>,
}

/// Events from the kernel, live: an [`AuditSession`] (daemon or read-only)
/// whose records are parsed in place and joined into events.
///
/// [`next_event`](Self::next_event) blocks for the next event and flushes
/// timed-out events while idle. Loss is part of the stream:
/// socket overruns become [`LossSource::Socket`] events and increases of the
/// kernel's `lost` counter (polled at most once per
/// [`LiveConfig::lost_poll_interval`]) [`LossSource::Kernel`] events.
///
/// An overrun (`ENOBUFS`) counts once, however many datagrams it covers. In
/// read-only mode the kernel has dropped them. In daemon mode it keeps a
/// record it could not deliver for a retry, but drops it when the retry
/// fails too, and a kernel booted without `audit=1` does not count that in
/// its `lost` counter: the overrun is the only sign, so it is reported as
/// loss in both modes. Serial gaps ([`LossSource::Gap`]) show how many
/// events went missing once later records arrive.
///
/// [`close`](Self::close) (or dropping) deletes the rules added, restores
/// the status fields set and unregisters the daemon pid.
///
/// ```no_run
/// use auditstream::source::netlink::{LiveEvents, Mode};
///
/// let mut live = LiveEvents::open(Mode::Daemon)?; // standard rules, audit on
/// let stop = live.stop_handle(); // set it (e.g. from a signal handler) to end the loop
/// while let Some(ev) = live.next_event() {
///     println!("{:?}", ev?.event());
/// #   stop.store(true, std::sync::atomic::Ordering::Relaxed);
/// }
/// let closed = live.close()?; // drained, the kernel restored
/// for ev in &closed.events {
///     println!("{:?}", ev.event());
/// }
/// # Ok::<(), auditstream::Error>(())
/// ```
pub struct LiveEvents {
    session: AuditSession,
    re: Reassembler,
    buf: Box<[u8]>,
    current: Option<EventBuf>,
    stop: Arc<AtomicBool>,
    epoch: Instant,
    next_flush_ms: u64,
    lost_poll_interval: Duration,
    next_poll: Instant,
    kernel_lost_seen: u32,
    queue_dropped_seen: u64,
    last_id: EventId,
    pending_loss: VecDeque<LostEvent>,
    coalesce: Duration,
    /// Whether the last non-blocking receive found the socket empty and a
    /// coalescing pause followed.
    napped: bool,
    stats: LiveStats,
    /// Record datagrams that did not parse (skipped).
    parse_errors: u64,
    /// Receive and status-poll errors (returned, or met while draining).
    errors: u64,
    /// Datagram bytes received.
    bytes: u64,
    /// Drained already: nothing more is read.
    drained: bool,
}

impl std::fmt::Debug for LiveEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveEvents")
            .field("session", &self.session)
            .field("in_flight", &self.re.in_flight())
            .field("stopped", &self.stop.load(Ordering::Relaxed))
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl LiveEvents {
    /// Opens with [`LiveConfig::new`]`(mode)`: the standard rules, audit
    /// enabled, a 32 MiB receive buffer.
    pub fn open(mode: Mode) -> Result<Self, Error> {
        Self::with_config(LiveConfig::new(mode))
    }

    /// Opens a session in `cfg.mode` and sets it up as `cfg` says. On error
    /// the kernel is restored before returning.
    pub fn with_config(cfg: LiveConfig) -> Result<Self, Error> {
        let session = AuditSession::open(cfg.mode)?;
        Self::from_session(session, cfg)
    }

    /// Sets up an open session as `cfg` says (`cfg.mode` is ignored) and
    /// reads from it. What the session changed before is restored on close
    /// as well.
    pub fn from_session(mut session: AuditSession, cfg: LiveConfig) -> Result<Self, Error> {
        if cfg.receive_buffer > 0 {
            session
                .socket_mut()
                .set_receive_buffer(cfg.receive_buffer)?;
        }
        session
            .socket_mut()
            .set_read_timeout(Some(cfg.read_timeout))?;
        if let Some(limit) = cfg.backlog_limit {
            session.set_backlog_limit(limit)?;
        }
        session.add_rules(&cfg.rules)?;
        let status = session.status()?;
        if cfg.enable {
            session.set_enabled(true)?;
        }
        let now = Instant::now();
        Ok(LiveEvents {
            queue_dropped_seen: session.socket().stats().queue_dropped,
            session,
            re: Reassembler::new(cfg.reassembler),
            buf: wire::recv_buffer(),
            current: None,
            stop: Arc::new(AtomicBool::new(false)),
            epoch: now,
            next_flush_ms: FLUSH_EVERY_MS,
            lost_poll_interval: cfg.lost_poll_interval,
            coalesce: cfg.coalesce,
            napped: false,
            pending_loss: VecDeque::new(),
            next_poll: now + cfg.lost_poll_interval,
            kernel_lost_seen: status.lost,
            last_id: EventId::default(),
            stats: LiveStats {
                status: Some(status),
                ..LiveStats::default()
            },
            parse_errors: 0,
            errors: 0,
            bytes: 0,
            drained: false,
        })
    }

    /// The session, for status and rule calls.
    pub fn session(&self) -> &AuditSession {
        &self.session
    }

    /// The session, for status and rule calls (changes made through
    /// [`AuditSession`]'s own methods are restored on close too).
    pub fn session_mut(&mut self) -> &mut AuditSession {
        &mut self.session
    }

    /// A flag that ends the stream when set: [`next_event`](Self::next_event)
    /// then returns `None` within one read timeout. Safe to set from a signal
    /// handler or another thread.
    pub fn stop_handle(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop)
    }

    /// Asks the stream to end (as setting [`stop_handle`](Self::stop_handle) does).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// The counters so far (as [`EventSource::stats`]).
    pub fn stats(&self) -> SourceStats {
        SourceStats {
            events: *self.re.stats(),
            bytes: self.bytes,
            parse_errors: self.parse_errors,
            io_errors: self.errors,
            live: Some(LiveStats {
                socket: self.session.socket().stats(),
                ..self.stats
            }),
            ..SourceStats::default()
        }
    }

    /// Whether complete events are waiting, so that
    /// [`next_event`](Self::next_event) returns without reading (a caller
    /// can flush its output when this is false).
    pub fn has_ready(&self) -> bool {
        self.re.has_output()
    }

    /// The next event, borrowed until the next call (its buffers are then
    /// reused). Blocks until one is complete; `None` once stopped (see
    /// [`stop_handle`](Self::stop_handle)); events still in flight then come
    /// from [`drain`](Self::drain) or [`close`](EventSource::close). An error is a
    /// failed receive or status poll; the stream may go on after it.
    pub fn next_event(&mut self) -> Option<Result<&EventBuf, Error>> {
        if let Some(done) = self.current.take() {
            self.re.recycle(done);
        }
        match self.advance()? {
            Ok(()) => self.current.as_ref().map(Ok),
            Err(e) => Some(Err(e)),
        }
    }

    /// Moves the next event into `current`.
    fn advance(&mut self) -> Option<Result<(), Error>> {
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return None;
            }
            if let Some(ev) = self.re.pop() {
                self.current = Some(ev);
                return Some(Ok(()));
            }
            if Instant::now() >= self.next_poll {
                if let Err(e) = self.poll_lost() {
                    self.errors += 1;
                    return Some(Err(e.into()));
                }
            }
            match self.receive_one() {
                Ok(Received::Timeout | Received::Interrupted | Received::WouldBlock) => {
                    let now = self.clock_ms();
                    self.flush(now);
                }
                Ok(_) => {}
                Err(e) => {
                    self.errors += 1;
                    return Some(Err(e.into()));
                }
            }
        }
    }

    /// Stops, reads what is queued (until the socket has been quiet for 50
    /// ms, at most 2 s), polls the kernel's lost counter once more, completes
    /// every event in flight, and returns all events not yet handed out
    /// (once: a second call returns none).
    /// A receive error ends the reading early; errors are counted in
    /// [`SourceStats::io_errors`]. [`stats`](Self::stats) are final afterwards.
    pub fn drain(&mut self) -> Vec<EventBuf> {
        self.stop();
        if std::mem::replace(&mut self.drained, true) {
            return Vec::new();
        }
        if let Some(done) = self.current.take() {
            self.re.recycle(done);
        }
        let timeout = self.session.socket().read_timeout();
        let quiet = self
            .session
            .socket_mut()
            .set_read_timeout(Some(DRAIN_QUIET));
        self.note(quiet);
        let started = Instant::now();
        while started.elapsed() < DRAIN_LIMIT {
            match self.receive_one() {
                // WouldBlock is a coalescing pause; the blocking receive
                // after it times out once the socket has been quiet.
                Ok(Received::Timeout) => break,
                Ok(_) => {}
                Err(e) => {
                    self.note(Err(e));
                    break;
                }
            }
        }
        let restored = self.session.socket_mut().set_read_timeout(timeout);
        self.note(restored);
        let polled = self.poll_lost();
        self.note(polled);
        self.losses_to_events();
        self.re.finish();
        let mut out = Vec::new();
        while let Some(ev) = self.re.pop() {
            out.push(ev);
        }
        out
    }

    /// [`drain`](Self::drain)s, then closes the session: deletes the rules
    /// it added, restores what it set and unregisters the daemon pid.
    /// Returns the drained events and the final counters, or the first error
    /// of the restore (which tries every step). (As [`EventSource::close`].)
    pub fn close(mut self) -> Result<Closed, Error> {
        let events = self.drain();
        let stats = self.stats();
        let LiveEvents { session, .. } = self;
        session.close()?;
        Ok(Closed { events, stats })
    }

    fn note(&mut self, r: Result<(), NetlinkError>) {
        if r.is_err() {
            self.errors += 1;
        }
    }

    /// Monotonic milliseconds since open: the reassembler's clock.
    fn clock_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn flush(&mut self, now_ms: u64) {
        self.re.flush_expired(now_ms);
        self.next_flush_ms = now_ms + FLUSH_EVERY_MS;
    }

    /// Receives one datagram and feeds it to the reassembler; returns what
    /// the socket reported.
    /// Receives one datagram into `self.buf` (coalescing under load) and
    /// accounts socket loss.
    fn receive_datagram(&mut self) -> Result<Received, NetlinkError> {
        let received = if self.coalesce.is_zero() {
            self.session.recv(&mut self.buf)?
        } else {
            match self.session.socket_mut().try_recv(&mut self.buf)? {
                Received::WouldBlock if !self.napped => {
                    // Empty for now: let a batch gather.
                    self.napped = true;
                    std::thread::sleep(self.coalesce);
                    return Ok(Received::WouldBlock);
                }
                // Still empty after the pause: idle, block until data.
                Received::WouldBlock => {
                    self.napped = false;
                    self.session.recv(&mut self.buf)?
                }
                other => {
                    self.napped = false;
                    other
                }
            }
        };
        if matches!(received, Received::Overrun | Received::Truncated(_)) {
            self.socket_loss(1);
        }
        Ok(received)
    }

    /// Receives one datagram and feeds its record to the reassembler.
    fn receive_one(&mut self) -> Result<Received, NetlinkError> {
        let received = self.receive_datagram()?;
        if let Received::Datagram(n) = received {
            self.ingest(n);
        }
        self.losses_to_events();
        Ok(received)
    }

    /// Feeds the datagram of `n` bytes in the buffer to the reassembler.
    fn ingest(&mut self, n: usize) {
        let now = self.clock_ms();
        self.bytes += n as u64;
        match Record::parse_netlink(&self.buf[..n]) {
            Ok(rec) => {
                self.last_id = rec.id();
                self.re.push(&rec, Some(now));
            }
            Err(e) if e.kind == ErrorKind::NotARecord => self.stats.not_records += 1,
            Err(_) => self.parse_errors += 1,
        }
        if now >= self.next_flush_ms {
            self.flush(now);
        }
    }

    /// For readers that wait on the socket themselves (the async stream):
    /// polls the kernel's lost counter when due, reads every datagram
    /// waiting (at most `budget`) without waiting, and flushes timed-out
    /// events. Whether a datagram (or loss) came; the socket is empty when
    /// not.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn receive_ready(&mut self, budget: usize) -> Result<bool, Error> {
        if Instant::now() >= self.next_poll {
            if let Err(e) = self.poll_lost() {
                self.errors += 1;
                return Err(e.into());
            }
        }
        let mut any = false;
        for _ in 0..budget {
            let r = self.session.socket_mut().try_recv(&mut self.buf);
            match r {
                Ok(Received::Datagram(n)) => self.ingest(n),
                Ok(Received::Overrun | Received::Truncated(_)) => self.socket_loss(1),
                Ok(_) => break,
                Err(e) => {
                    self.errors += 1;
                    self.losses_to_events();
                    return Err(e.into());
                }
            }
            any = true;
        }
        let now = self.clock_ms();
        if now >= self.next_flush_ms {
            self.flush(now);
        }
        self.losses_to_events();
        Ok(any)
    }

    /// The next complete event, if one is waiting (for the async stream).
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn pop_ready(&mut self) -> Option<EventBuf> {
        self.re.pop()
    }

    /// How long until the next timed work (flushing timed-out events,
    /// polling the lost counter) is due.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn next_due(&self) -> Duration {
        let flush = Duration::from_millis(self.next_flush_ms.saturating_sub(self.clock_ms()));
        flush.min(self.next_poll.saturating_duration_since(Instant::now()))
    }

    /// Whether the stop flag is set.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// The pause that lets a batch gather once the socket is empty
    /// ([`LiveConfig::coalesce`]).
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn coalesce(&self) -> Duration {
        self.coalesce
    }

    /// Moves loss seen so far into the event stream.
    fn losses_to_events(&mut self) {
        while let Some(l) = self.pending_loss.pop_front() {
            self.re.push_loss(l.source, l.count, self.last_id);
        }
    }

    /// The next record as it comes from the kernel (EOE included), not
    /// joined into events, or loss as it is seen; borrowed until the next
    /// call. Blocks like [`next_event`](Self::next_event); `None` once
    /// stopped. Use either this or `next_event` on one `LiveEvents`: records
    /// read here never reach the reassembler.
    pub fn next_record(&mut self) -> Option<Result<LiveRecord<'_>, Error>> {
        let n = loop {
            if self.stop.load(Ordering::Relaxed) {
                return None;
            }
            if let Some(l) = self.pending_loss.pop_front() {
                return Some(Ok(LiveRecord::Lost(l)));
            }
            if Instant::now() >= self.next_poll {
                if let Err(e) = self.poll_lost() {
                    self.errors += 1;
                    return Some(Err(e.into()));
                }
                continue;
            }
            match self.receive_datagram() {
                Ok(Received::Datagram(n)) => match Record::parse_netlink(&self.buf[..n]) {
                    Ok(_) => break n,
                    Err(e) if e.kind == ErrorKind::NotARecord => self.stats.not_records += 1,
                    Err(_) => self.parse_errors += 1,
                },
                Ok(_) => {}
                Err(e) => {
                    self.errors += 1;
                    return Some(Err(e.into()));
                }
            }
        };
        // Parsed again here (the header only; fields are lazy) so that the
        // record can borrow the buffer past the loop.
        Record::parse_netlink(&self.buf[..n])
            .ok()
            .map(|r| Ok(LiveRecord::Record(r)))
    }

    fn socket_loss(&mut self, count: u64) {
        self.stats.socket_lost += count;
        self.pending_loss.push_back(LostEvent {
            source: LossSource::Socket,
            count,
        });
    }

    /// Reads the kernel status; reports an increase of its lost counter and
    /// records dropped while the call waited.
    fn poll_lost(&mut self) -> Result<(), NetlinkError> {
        self.next_poll = Instant::now() + self.lost_poll_interval;
        let status = self.session.status();
        let dropped = self.session.socket().stats().queue_dropped;
        if dropped > self.queue_dropped_seen {
            self.socket_loss(dropped - self.queue_dropped_seen);
            self.queue_dropped_seen = dropped;
        }
        let status = status?;
        // a smaller value: someone reset the counter; what it holds is new
        let delta = match status.lost.checked_sub(self.kernel_lost_seen) {
            Some(d) => d,
            None => status.lost,
        };
        self.kernel_lost_seen = status.lost;
        if delta > 0 {
            self.stats.kernel_lost += u64::from(delta);
            self.pending_loss.push_back(LostEvent {
                source: LossSource::Kernel,
                count: u64::from(delta),
            });
        }
        self.stats.status = Some(status);
        Ok(())
    }
}

impl EventSource for LiveEvents {
    fn next_event(&mut self) -> Option<Result<&EventBuf, Error>> {
        LiveEvents::next_event(self)
    }

    fn stats(&self) -> SourceStats {
        LiveEvents::stats(self)
    }

    fn has_ready(&self) -> bool {
        LiveEvents::has_ready(self)
    }

    fn close(self) -> Result<Closed, Error> {
        LiveEvents::close(self)
    }
}

impl Iterator for LiveEvents {
    type Item = Result<EventBuf, Error>;

    /// The next event, owned.
    fn next(&mut self) -> Option<Result<EventBuf, Error>> {
        self.current = None;
        match self.advance()? {
            Ok(()) => self.current.take().map(Ok),
            Err(e) => Some(Err(e)),
        }
    }
}
