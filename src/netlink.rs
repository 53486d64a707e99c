//! A synchronous netlink socket: one request at a time, or many in one `sendmsg` with every
//! reply matched to its request by sequence number.
//!
//! Replies are decoded by the rust-netlink message types (`I: NetlinkDeserializable`); the
//! control messages (acks, errors, end of dump) are read here so that the kernel's extended
//! ack text is kept, which `netlink-packet-core` does not parse.

use std::io;

use netlink_packet_core::{
    NetlinkBuffer, NetlinkDeserializable, NetlinkHeader, NetlinkMessage, NetlinkPayload,
    NetlinkSerializable, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST,
};
use netlink_sys::{Socket, SocketAddr};

const NLMSG_NOOP: u16 = 1;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLMSG_OVERRUN: u16 = 4;
#[cfg(test)]
const NLM_F_MULTI: u16 = 2;
const NLM_F_CAPPED: u16 = 0x100;
const NLM_F_ACK_TLVS: u16 = 0x200;
/// Set on a dump's messages when what was dumped changed while the dump ran: the entries are
/// not a consistent picture (some may be missing or doubled).
const NLM_F_DUMP_INTR: u16 = 0x10;
const NLMSGERR_ATTR_MSG: u16 = 1;
const HEADER_LEN: usize = 16;

/// How many requests go in one `sendmsg` before their answers are read. Each answer (an
/// error, and the window's one ack) takes room in the socket's receive buffer: when every one
/// of 1,000 requests was acked at once it overflowed (ENOBUFS); 64 never comes close, even
/// when all 64 fail.
pub const WINDOW: usize = 64;

/// How long one read waits for the kernel before the request is reported as failed. The
/// kernel answers every request, but an answer can be lost (a full receive buffer drops it),
/// and then a read without a limit would wait forever. Deleting thousands of devices in one
/// request takes seconds on a slow machine: the limit is far above that.
pub const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// How many times a dump that the kernel marks as interrupted is taken again.
const DUMP_TRIES: usize = 5;

/// The kernel's answer to one failed request: the errno, and the sentence the kernel gave in
/// its extended ack, when it gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NlError {
    pub errno: i32,
    pub message: Option<String>,
}

impl NlError {
    fn io(err: io::Error) -> Self {
        NlError {
            errno: err.raw_os_error().unwrap_or(libc::EIO),
            message: None,
        }
    }

    pub(crate) fn decode(what: impl std::fmt::Display) -> Self {
        NlError {
            errno: libc::EBADMSG,
            message: Some(format!("cannot decode the kernel's reply: {what}")),
        }
    }
}

/// What [`NlSocket::each_window`] hands each encoded window to: the socket, the window's
/// bytes, its first sequence number, and how many requests it holds.
type SendWindow<'a> = dyn FnMut(&mut NlSocket, &[u8], u32, usize) + 'a;

pub struct NlSocket {
    socket: Socket,
    seq: u32,
    buf: Vec<u8>,
}

impl NlSocket {
    /// Opens a socket of the given netlink protocol (`NETLINK_ROUTE`, `NETLINK_GENERIC`) in the
    /// network namespace of the calling thread.
    pub fn open(protocol: isize) -> io::Result<Self> {
        let socket = Socket::new(protocol)?;
        // Connected to the kernel, so nothing else can send to it; connecting binds the
        // socket to a port id of its own, as an explicit bind would (two system calls more).
        socket.connect(&SocketAddr::new(0, 0))?;
        // Extended acks carry the kernel's own reason; capped acks keep each ack to a header,
        // which is what lets a window of requests share the receive buffer.
        let _ = socket.set_ext_ack(true);
        let _ = socket.set_cap_ack(true);
        let _ = socket.set_rx_buf_sz(1 << 20);
        let mut socket = NlSocket {
            socket,
            seq: 0,
            buf: vec![0; 1 << 20],
        };
        socket.set_read_timeout(READ_TIMEOUT)?;
        Ok(socket)
    }

    /// The device and inode numbers of the network namespace this socket works in: the same
    /// for every process in that namespace, however it got there (`-n NAME`, `ip netns exec`).
    pub fn netns_id(&self) -> io::Result<(u64, u64)> {
        use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
        /// `SIOCGSKNS`: an fd of the socket's network namespace.
        const SIOCGSKNS: libc::c_ulong = 0x894C;
        // SAFETY: the ioctl takes no argument and returns a new fd or -1.
        let fd = unsafe { libc::ioctl(self.socket.as_raw_fd(), SIOCGSKNS as _) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd was just returned to us and is owned by nobody else.
        let file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        let meta = file.metadata()?;
        use std::os::unix::fs::MetadataExt;
        Ok((meta.dev(), meta.ino()))
    }

    /// Bounds every read of this socket: past `limit` without a datagram, the request fails
    /// with ETIMEDOUT instead of waiting on.
    pub fn set_read_timeout(&mut self, limit: std::time::Duration) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        let tv = libc::timeval {
            tv_sec: limit.as_secs() as libc::time_t,
            tv_usec: limit.subsec_micros() as libc::suseconds_t,
        };
        // SAFETY: the fd is this socket's, and tv a valid timeval of the size given.
        let rc = unsafe {
            libc::setsockopt(
                self.socket.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                &tv as *const libc::timeval as *const libc::c_void,
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// Sends one request and returns the messages of its reply; a dump if `flags` has
    /// `NLM_F_DUMP`, otherwise the request is acked and its reply (if any) returned.
    pub fn request<I>(&mut self, payload: I, flags: u16) -> Result<Vec<I>, NlError>
    where
        I: NetlinkSerializable + NetlinkDeserializable,
    {
        Ok(self
            .request_by_datagram(payload, flags)?
            .into_iter()
            .map(|(_, message)| message)
            .collect())
    }

    /// Like [`NlSocket::request`], with each message tagged by the number of the datagram it
    /// came in (0, 1, ...): a dump that spans several datagrams may have lost entries at their
    /// edges (see `ports.rs`).
    pub fn request_by_datagram<I>(
        &mut self,
        payload: I,
        flags: u16,
    ) -> Result<Vec<(usize, I)>, NlError>
    where
        I: NetlinkSerializable + NetlinkDeserializable,
    {
        let dump = flags & NLM_F_DUMP == NLM_F_DUMP;
        let flags = if dump { flags } else { flags | NLM_F_ACK };
        let mut out = Vec::new();
        encode_into(payload, flags, 0, &mut out);
        self.request_encoded(out, |header, body| {
            I::deserialize(header, body).map_err(|e| NlError::decode(format!("{e:?}")))
        })
    }

    /// A dump of `payload` whose messages are read by `parse` straight from the kernel's
    /// bytes (the message's payload, after its netlink header), each tagged by the number of
    /// the datagram it came in: for long lists, where decoding into the rust-netlink types
    /// first would cost an allocation or more per message.
    pub fn dump_with<I, T>(
        &mut self,
        payload: I,
        mut parse: impl FnMut(&[u8]) -> Result<T, NlError>,
    ) -> Result<Vec<(usize, T)>, NlError>
    where
        I: NetlinkSerializable,
    {
        let mut out = Vec::new();
        encode_into(payload, NLM_F_DUMP, 0, &mut out);
        self.request_encoded(out, |_, body| parse(body))
    }

    /// [`NlSocket::dump_with`] for a request already encoded (header included; its sequence
    /// number is set here), for requests the rust-netlink types cannot say.
    pub fn dump_encoded_with<T>(
        &mut self,
        request: Vec<u8>,
        mut parse: impl FnMut(&[u8]) -> Result<T, NlError>,
    ) -> Result<Vec<(usize, T)>, NlError> {
        self.request_encoded(request, |_, body| parse(body))
    }

    /// Sends one encoded request (taken again under a new number while the kernel marks the
    /// dump as interrupted) and reads its replies with `parse`.
    fn request_encoded<T>(
        &mut self,
        mut out: Vec<u8>,
        mut parse: impl FnMut(&NetlinkHeader, &[u8]) -> Result<T, NlError>,
    ) -> Result<Vec<(usize, T)>, NlError> {
        let mut tries = 0;
        loop {
            tries += 1;
            // The same request again, under a new sequence number: replies to the interrupted
            // dump still in the socket are then not taken for this one's.
            let seq = self.next_seq();
            out[8..12].copy_from_slice(&seq.to_ne_bytes());
            let (replies, interrupted) = self.exchange(&out, seq, &mut parse)?;
            if !interrupted {
                return Ok(replies);
            }
            if tries == DUMP_TRIES {
                return Err(NlError {
                    errno: libc::EINTR,
                    message: Some(format!(
                        "the kernel's list kept changing while it was read ({DUMP_TRIES} tries)"
                    )),
                });
            }
        }
    }

    /// Sends one request and reads its replies; also says whether the kernel marked the dump
    /// as interrupted.
    #[allow(clippy::type_complexity)]
    fn exchange<T>(
        &mut self,
        out: &[u8],
        seq: u32,
        parse: &mut impl FnMut(&NetlinkHeader, &[u8]) -> Result<T, NlError>,
    ) -> Result<(Vec<(usize, T)>, bool), NlError> {
        self.socket.send(out, 0).map_err(NlError::io)?;
        let mut answer = Answer::new(seq);
        while answer.result.is_none() {
            let len = self.receive()?;
            answer.take_with(&self.buf[..len], &mut *parse)?;
        }
        answer.finish()
    }

    /// Sends many requests, `WINDOW` per `sendmsg`, and returns one result per request, in
    /// order. A failure does not stop the others: the caller decides.
    ///
    /// Only the last request of each window asks for an ack. The kernel handles the requests
    /// of one `sendmsg` in order and answers every failed one whether or not it asked, so once
    /// the last one's answer is in, a request without an error before it succeeded. That is one
    /// datagram to read per window instead of one per request.
    ///
    /// The requests are taken from `payloads` a window at a time: given a lazy iterator, no
    /// more than a window of them is ever built.
    pub fn request_many<I>(
        &mut self,
        payloads: impl IntoIterator<Item = I>,
        flags: u16,
    ) -> Vec<Result<(), NlError>>
    where
        I: NetlinkSerializable,
    {
        // Requests answered by an ack alone: what data a reply might hold is not read.
        let payloads = payloads.into_iter();
        let mut results = Vec::with_capacity(payloads.size_hint().0);
        self.each_window(payloads, flags, &mut |socket, out, first, count| {
            results.extend(socket.send_window_with(out, first, count, &mut |_, _| {}))
        });
        results
    }

    /// Encodes `payloads` a window at a time (`WINDOW` requests numbered on from the last
    /// sequence number, the last asking for an ack) and hands each window to `send` with its
    /// first number and its count. One buffer serves every window.
    ///
    /// `send` and `on_data` below are trait objects: one copy of the code that sends and
    /// reads serves every kind of request, where generics made one per kind and per caller
    /// (in the emulated VM, each copy a process runs is translated the first time).
    fn each_window<I: NetlinkSerializable>(
        &mut self,
        payloads: impl IntoIterator<Item = I>,
        flags: u16,
        send: &mut SendWindow,
    ) {
        let mut payloads = payloads.into_iter().peekable();
        let mut out = Vec::new();
        while payloads.peek().is_some() {
            let first = self.seq.wrapping_add(1);
            out.clear();
            let count = encode_window_into(payloads.by_ref().take(WINDOW), flags, first, &mut out);
            self.seq = first.wrapping_add(count as u32 - 1);
            send(self, &out, first, count);
        }
    }

    /// Sends one encoded window of `count` requests numbered from `first`, reads every
    /// answer, and hands the data messages of its requests to `on_data` with the request's
    /// index in the window.
    fn send_window_with(
        &mut self,
        out: &[u8],
        first: u32,
        count: usize,
        on_data: &mut dyn FnMut(usize, &[u8]),
    ) -> Vec<Result<(), NlError>> {
        let mut window = Window::new(first, count);
        if let Err(err) = self.socket.send(out, 0) {
            return window.fail_unanswered(NlError::io(err));
        }
        while !window.complete() {
            match self.receive() {
                Ok(len) => {
                    // A datagram that cannot be read may have held the last request's answer:
                    // waiting on for it could be forever, and nothing after it is known.
                    if let Err(err) = for_each_message(&self.buf[..len], |header, body| {
                        if let Reply::Data(payload) = classify(&header, body) {
                            let index = header.sequence_number.wrapping_sub(first) as usize;
                            if index < count {
                                on_data(index, payload);
                            }
                        }
                        window.absorb(&header, body);
                        Ok(())
                    }) {
                        return window.fail_unanswered(err);
                    }
                }
                // The answers still missing are lost (ENOBUFS, say): which of those requests
                // the kernel applied is not known, so none is reported as done.
                Err(err) => return window.fail_unanswered(err),
            }
        }
        window.finish()
    }

    /// Sends many "do" requests that each have one reply (exact gets), `WINDOW` per
    /// `sendmsg` as [`NlSocket::request_many`] does, and returns per request its reply read by
    /// `parse` (`None` if it had none), or the kernel's refusal.
    pub fn request_many_replies<I, T>(
        &mut self,
        payloads: impl IntoIterator<Item = I>,
        flags: u16,
        mut parse: impl FnMut(&[u8]) -> Result<T, NlError>,
    ) -> Vec<Result<Option<T>, NlError>>
    where
        I: NetlinkSerializable,
    {
        let payloads = payloads.into_iter();
        let mut results = Vec::with_capacity(payloads.size_hint().0);
        self.each_window(payloads, flags, &mut |socket, out, first, count| {
            let mut data: Vec<Option<Result<T, NlError>>> = (0..count).map(|_| None).collect();
            let ends = socket.send_window_with(out, first, count, &mut |index, body| {
                if data[index].is_none() {
                    data[index] = Some(parse(body));
                }
            });
            results.extend(ends.into_iter().zip(data).map(|(end, reply)| {
                end?;
                reply.transpose()
            }));
        });
        results
    }

    fn receive(&mut self) -> Result<usize, NlError> {
        loop {
            match self.socket.recv(&mut &mut self.buf[..], 0) {
                Ok(len) => return Ok(len),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    return Err(NlError {
                        errno: libc::ETIMEDOUT,
                        message: Some("the kernel did not answer in time".into()),
                    })
                }
                Err(err) => return Err(NlError::io(err)),
            }
        }
    }
}

/// Appends one request, with its netlink header, to `out`.
pub fn encode_into<I: NetlinkSerializable>(payload: I, flags: u16, seq: u32, out: &mut Vec<u8>) {
    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | flags;
    header.sequence_number = seq;
    let mut message = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(payload));
    message.finalize();
    let start = out.len();
    out.resize(start + message.buffer_len(), 0);
    message.serialize(&mut out[start..]);
}

/// One request, with its netlink header, as bytes (what golden-vector tests compare).
pub fn encode<I: NetlinkSerializable>(payload: I, flags: u16, seq: u32) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(payload, flags, seq, &mut out);
    out
}

/// The requests of one window, back to back, numbered from `first`; only the last asks for an
/// ack (see [`NlSocket::request_many`]).
pub fn encode_window<I: NetlinkSerializable>(
    payloads: impl IntoIterator<Item = I>,
    flags: u16,
    first: u32,
) -> Vec<u8> {
    let mut out = Vec::new();
    encode_window_into(payloads, flags, first, &mut out);
    out
}

/// [`encode_window`] appended to `out`; returns how many requests it holds.
fn encode_window_into<I: NetlinkSerializable>(
    payloads: impl IntoIterator<Item = I>,
    flags: u16,
    first: u32,
    out: &mut Vec<u8>,
) -> usize {
    let mut count = 0;
    let mut last = out.len();
    for payload in payloads {
        last = out.len();
        encode_into(payload, flags, first.wrapping_add(count as u32), out);
        if count == 0 {
            // The requests of a window are alike: room for a window of them at once.
            out.reserve((out.len() - last) * (WINDOW - 1));
        }
        count += 1;
    }
    if count > 0 {
        // The last one asks for the ack: its flags, set in its header once it is known to
        // be the last (bytes 6 and 7: length u32, type u16, then flags u16).
        let at = last + 6;
        let set = u16::from_ne_bytes([out[at], out[at + 1]]) | NLM_F_ACK;
        out[at..at + 2].copy_from_slice(&set.to_ne_bytes());
    }
    count
}

/// An attribute that does not fit in what is left of its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overrun {
    pub kind: u16,
    pub len: usize,
    pub left: usize,
}

impl std::fmt::Display for Overrun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Overrun { kind, len, left } = self;
        write!(f, "attribute {kind} of {len} bytes does not fit in {left} bytes")
    }
}

/// The attributes of a message body, each as its type (less the nested and byte-order flags)
/// and its value: a header (length including itself, type; both u16), the value, padding to
/// 4 bytes. Walked by hand rather than with `NlasIterator`, whose checks and buffers were a
/// sixth of `show`'s time in lists of thousands of ports. Ends after an attribute that does
/// not fit.
pub fn attrs(body: &[u8]) -> impl Iterator<Item = Result<(u16, &[u8]), Overrun>> {
    const NLA_HEADER: usize = 4;
    const NLA_TYPE_MASK: u16 = !(1 << 15 | 1 << 14); // less NLA_F_NESTED, NLA_F_NET_BYTEORDER
    let mut rest = body;
    std::iter::from_fn(move || {
        if rest.len() < NLA_HEADER {
            return None;
        }
        let len = u16::from_ne_bytes([rest[0], rest[1]]) as usize;
        let kind = u16::from_ne_bytes([rest[2], rest[3]]) & NLA_TYPE_MASK;
        let Some(value) = rest.get(NLA_HEADER..len) else {
            let left = rest.len();
            rest = &[];
            return Some(Err(Overrun { kind, len, left }));
        };
        rest = rest.get(len.next_multiple_of(4)..).unwrap_or(&[]);
        Some(Ok((kind, value)))
    })
}

/// The answer to one request, datagram by datagram: its messages, its end (ack, error or end
/// of dump), and whether the kernel marked it as interrupted.
struct Answer<T> {
    seq: u32,
    replies: Vec<(usize, T)>,
    result: Option<Result<(), NlError>>,
    interrupted: bool,
    datagram: usize,
}

impl<T> Answer<T> {
    fn new(seq: u32) -> Self {
        Answer {
            seq,
            replies: Vec::new(),
            result: None,
            interrupted: false,
            datagram: 0,
        }
    }

    /// Takes one datagram in, each data message read by `parse`; messages of other requests
    /// are ignored.
    fn take_with(
        &mut self,
        data: &[u8],
        mut parse: impl FnMut(&NetlinkHeader, &[u8]) -> Result<T, NlError>,
    ) -> Result<(), NlError> {
        let mut had_data = false;
        for_each_message(data, |header, body| {
            if header.sequence_number != self.seq || self.result.is_some() {
                return Ok(());
            }
            self.interrupted |= header.flags & NLM_F_DUMP_INTR != 0;
            match classify(&header, body) {
                Reply::Ack | Reply::Done => self.result = Some(Ok(())),
                Reply::Failed(err) => self.result = Some(Err(err)),
                Reply::Ignore => {}
                Reply::Data(payload) => {
                    self.replies.push((self.datagram, parse(&header, payload)?));
                    had_data = true;
                }
            }
            Ok(())
        })?;
        if had_data {
            self.datagram += 1;
        }
        Ok(())
    }

    #[allow(clippy::type_complexity)]
    fn finish(self) -> Result<(Vec<(usize, T)>, bool), NlError> {
        self.result
            .expect("an answer is finished once it has its end")?;
        Ok((self.replies, self.interrupted))
    }
}

/// The answers to one window of requests, as they come in.
struct Window {
    first: u32,
    slots: Vec<Option<Result<(), NlError>>>,
}

impl Window {
    fn new(first: u32, count: usize) -> Self {
        Window {
            first,
            slots: vec![None; count],
        }
    }

    /// Takes one message in; those of other requests are ignored.
    fn absorb(&mut self, header: &NetlinkHeader, body: &[u8]) {
        let index = header.sequence_number.wrapping_sub(self.first) as usize;
        let Some(slot) = self.slots.get_mut(index) else {
            return;
        };
        if slot.is_some() {
            return;
        }
        *slot = match classify(header, body) {
            Reply::Ack | Reply::Done => Some(Ok(())),
            Reply::Failed(err) => Some(Err(err)),
            Reply::Ignore | Reply::Data(_) => None,
        };
    }

    /// The last request has its answer: every answer the kernel will send is in.
    fn complete(&self) -> bool {
        self.slots.last().is_none_or(|slot| slot.is_some())
    }

    /// One result per request: no answer before the last one's means success.
    fn finish(self) -> Vec<Result<(), NlError>> {
        self.slots
            .into_iter()
            .map(|slot| slot.unwrap_or(Ok(())))
            .collect()
    }

    fn fail_unanswered(self, err: NlError) -> Vec<Result<(), NlError>> {
        self.slots
            .into_iter()
            .map(|slot| slot.unwrap_or_else(|| Err(err.clone())))
            .collect()
    }
}

#[cfg(test)]
impl<I: NetlinkDeserializable> Answer<I> {
    /// [`Answer::take_with`], each message decoded as `I`.
    fn take(&mut self, data: &[u8]) -> Result<(), NlError> {
        self.take_with(data, |header, body| {
            I::deserialize(header, body).map_err(|e| NlError::decode(format!("{e:?}")))
        })
    }
}

enum Reply<'a> {
    Ack,
    Done,
    Failed(NlError),
    Data(&'a [u8]),
    Ignore,
}

fn classify<'a>(header: &NetlinkHeader, body: &'a [u8]) -> Reply<'a> {
    match header.message_type {
        NLMSG_ERROR => match read_i32(body) {
            Some(0) => Reply::Ack,
            // The kernel sends -errno; saturating, so that no code (i32::MIN) overflows.
            Some(code) => Reply::Failed(NlError {
                errno: code.saturating_neg(),
                message: error_ack_text(body, header.flags),
            }),
            None => Reply::Failed(NlError::decode("short error message")),
        },
        NLMSG_DONE => match read_i32(body) {
            Some(code) if code < 0 => Reply::Failed(NlError {
                errno: code.saturating_neg(),
                message: tlv_text(body.get(4..).unwrap_or(&[]), header.flags),
            }),
            _ => Reply::Done,
        },
        NLMSG_NOOP | NLMSG_OVERRUN => Reply::Ignore,
        _ => Reply::Data(body),
    }
}

fn read_i32(body: &[u8]) -> Option<i32> {
    Some(i32::from_ne_bytes(body.get(..4)?.try_into().ok()?))
}

/// The extended-ack text of an NLMSG_ERROR: after the code comes the request (only its header
/// when the ack is capped), then the attributes.
fn error_ack_text(body: &[u8], flags: u16) -> Option<String> {
    let request = body.get(4..)?;
    let request_len = if flags & NLM_F_CAPPED != 0 {
        HEADER_LEN
    } else {
        u32::from_ne_bytes(request.get(..4)?.try_into().ok()?) as usize
    };
    tlv_text(request.get(align4(request_len)..)?, flags)
}

fn tlv_text(mut tlvs: &[u8], flags: u16) -> Option<String> {
    if flags & NLM_F_ACK_TLVS == 0 {
        return None;
    }
    while tlvs.len() >= 4 {
        let len = u16::from_ne_bytes([tlvs[0], tlvs[1]]) as usize;
        let kind = u16::from_ne_bytes([tlvs[2], tlvs[3]]) & 0x3fff;
        if len < 4 || len > tlvs.len() {
            return None;
        }
        if kind == NLMSGERR_ATTR_MSG {
            let text = &tlvs[4..len];
            let text = text.split(|b| *b == 0).next().unwrap_or(&[]);
            return Some(String::from_utf8_lossy(text).into_owned());
        }
        tlvs = tlvs.get(align4(len)..).unwrap_or(&[]);
    }
    None
}

fn align4(len: usize) -> usize {
    (len + 3) & !3
}

/// Calls `f` with the header and payload of every message in one datagram.
fn for_each_message<'a>(
    mut data: &'a [u8],
    mut f: impl FnMut(NetlinkHeader, &'a [u8]) -> Result<(), NlError>,
) -> Result<(), NlError> {
    while data.len() >= HEADER_LEN {
        let buffer = NetlinkBuffer::new_checked(data).map_err(NlError::decode)?;
        let len = buffer.length() as usize;
        let mut header = NetlinkHeader::default();
        header.length = buffer.length();
        header.message_type = buffer.message_type();
        header.flags = buffer.flags();
        header.sequence_number = buffer.sequence_number();
        header.port_number = buffer.port_number();
        f(header, &data[HEADER_LEN..len])?;
        data = data.get(align4(len)..).unwrap_or(&[]);
    }
    Ok(())
}

/// How one message of a datagram read: acked (or a dump done), failed, or carried data (or
/// nothing to act on).
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    Ack,
    Failed(NlError),
    Other,
}

/// Each message's sequence number and what it says, or why the datagram could not be read.
#[doc(hidden)]
pub type DecodedMessages = Result<Vec<(u32, Decoded)>, NlError>;

/// The reading of a datagram as the kernel's answer, for the fuzz targets (`fuzz/`) and the
/// property tests only: public so that they can reach the private decoders, not part of the
/// API. Each message's sequence number and what it says, as [`NlSocket::request`] reads them;
/// a window of [`WINDOW`] requests numbered from `first` takes the messages in as
/// [`NlSocket::request_many`] does.
#[doc(hidden)]
pub fn decode_datagram(datagram: &[u8], first: u32) -> (DecodedMessages, Vec<Result<(), NlError>>) {
    let mut messages = Vec::new();
    let mut window = Window::new(first, WINDOW);
    let read = for_each_message(datagram, |header, body| {
        window.absorb(&header, body);
        let decoded = match classify(&header, body) {
            Reply::Ack | Reply::Done => Decoded::Ack,
            Reply::Failed(err) => Decoded::Failed(err),
            Reply::Data(_) | Reply::Ignore => Decoded::Other,
        };
        messages.push((header.sequence_number, decoded));
        Ok(())
    });
    (read.map(|()| messages), window.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_walked_with_their_padding_and_flags() {
        // Type 1 with 2 bytes (padded to 4), type 2 nested (flag left out), type 3 empty.
        let body = [
            6, 0, 1, 0, 0xaa, 0xbb, 0, 0, 8, 0, 2, 0x80, 1, 2, 3, 4, 4, 0, 3, 0,
        ];
        let got: Vec<_> = attrs(&body).collect();
        assert_eq!(
            got,
            [
                Ok((1, &[0xaa, 0xbb][..])),
                Ok((2, &[1, 2, 3, 4][..])),
                Ok((3, &[][..])),
            ]
        );
        // The last attribute's padding may be missing; fewer than 4 bytes left end the walk.
        assert_eq!(attrs(&body[..6]).count(), 1);
        assert_eq!(attrs(&[1, 0, 2]).count(), 0);
        // One that claims more than is left is an error, and the last item.
        let got: Vec<_> = attrs(&[6, 0, 1, 0, 9, 9, 0, 0, 12, 0, 7, 0, 1]).collect();
        assert_eq!(
            got,
            [
                Ok((1, &[9, 9][..])),
                Err(Overrun {
                    kind: 7,
                    len: 12,
                    left: 5
                })
            ]
        );
        // A length below the header's own is an overrun too, not a loop.
        assert_eq!(attrs(&[2, 0, 1, 0, 0, 0]).count(), 1);
    }

    fn message(kind: u16, flags: u16, seq: u32, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&((HEADER_LEN + body.len()) as u32).to_ne_bytes());
        out.extend_from_slice(&kind.to_ne_bytes());
        out.extend_from_slice(&flags.to_ne_bytes());
        out.extend_from_slice(&seq.to_ne_bytes());
        out.extend_from_slice(&0u32.to_ne_bytes());
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn capped_error_with_extended_ack_text() {
        // code -EINVAL, the request's header (capped), then NLMSGERR_ATTR_MSG "bad port".
        let mut body = (-libc::EINVAL).to_ne_bytes().to_vec();
        body.extend_from_slice(&message(0x1c, 5, 7, &[])[..HEADER_LEN]);
        let text = b"bad port\0";
        body.extend_from_slice(&((4 + text.len()) as u16).to_ne_bytes());
        body.extend_from_slice(&NLMSGERR_ATTR_MSG.to_ne_bytes());
        body.extend_from_slice(text);
        body.extend_from_slice(&[0; 3]);
        let raw = message(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 7, &body);
        let mut seen = Vec::new();
        for_each_message(&raw, |header, body| {
            match classify(&header, body) {
                Reply::Failed(err) => seen.push((header.sequence_number, err)),
                _ => panic!("expected an error"),
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(
            seen,
            vec![(
                7,
                NlError {
                    errno: libc::EINVAL,
                    message: Some("bad port".into())
                }
            )]
        );
    }

    #[test]
    fn ack_done_and_several_messages_in_one_datagram() {
        let mut raw = message(NLMSG_ERROR, NLM_F_CAPPED, 1, &{
            let mut b = 0i32.to_ne_bytes().to_vec();
            b.extend_from_slice(&[0; HEADER_LEN]);
            b
        });
        raw.extend(message(NLMSG_DONE, NLM_F_MULTI, 2, &0i32.to_ne_bytes()));
        raw.extend(message(0x20, NLM_F_MULTI, 3, &[1, 2, 3, 4]));
        let mut kinds = Vec::new();
        for_each_message(&raw, |header, body| {
            kinds.push(match classify(&header, body) {
                Reply::Ack => "ack",
                Reply::Done => "done",
                Reply::Data(d) if d == [1, 2, 3, 4] => "data",
                _ => "other",
            });
            Ok(())
        })
        .unwrap();
        assert_eq!(kinds, ["ack", "done", "data"]);
    }

    #[test]
    fn dump_ending_in_error_is_a_failure() {
        let raw = message(NLMSG_DONE, NLM_F_MULTI, 9, &(-libc::EPERM).to_ne_bytes());
        for_each_message(&raw, |header, body| {
            assert!(matches!(classify(&header, body), Reply::Failed(NlError { errno, .. }) if errno == libc::EPERM));
            Ok(())
        })
        .unwrap();
    }

    fn ack(seq: u32) -> Vec<u8> {
        let mut body = 0i32.to_ne_bytes().to_vec();
        body.extend_from_slice(&[0; HEADER_LEN]);
        message(NLMSG_ERROR, NLM_F_CAPPED, seq, &body)
    }

    fn failure(seq: u32, errno: i32) -> Vec<u8> {
        let mut body = (-errno).to_ne_bytes().to_vec();
        body.extend_from_slice(&[0; HEADER_LEN]);
        message(NLMSG_ERROR, NLM_F_CAPPED, seq, &body)
    }

    fn absorb_all(window: &mut Window, raw: &[u8]) {
        for_each_message(raw, |header, body| {
            window.absorb(&header, body);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn window_is_complete_only_when_its_last_request_is_answered() {
        // Requests 10..=13: 11 fails unasked, then 13's ack; replies of other requests
        // (9, 14) on the same socket are not this window's.
        let mut window = Window::new(10, 4);
        absorb_all(&mut window, &[failure(11, libc::EEXIST), ack(9)].concat());
        assert!(!window.complete());
        absorb_all(&mut window, &[ack(14), ack(13)].concat());
        assert!(window.complete());
        let errno = |r: &Result<(), NlError>| r.as_ref().err().map(|e| e.errno);
        let results: Vec<_> = window.finish().iter().map(errno).collect();
        assert_eq!(results, [None, Some(libc::EEXIST), None, None]);
    }

    #[test]
    fn window_whose_last_request_fails_reports_it() {
        let mut window = Window::new(u32::MAX, 2); // numbers wrap: u32::MAX, then 0
        absorb_all(&mut window, &failure(0, libc::EPERM));
        assert!(window.complete());
        let results = window.finish();
        assert!(results[0].is_ok());
        assert_eq!(results[1].as_ref().unwrap_err().errno, libc::EPERM);
    }

    #[test]
    fn lost_answers_are_failures_not_successes() {
        let mut window = Window::new(1, 3);
        absorb_all(&mut window, &failure(1, libc::EEXIST));
        let results = window.fail_unanswered(NlError {
            errno: libc::ENOBUFS,
            message: None,
        });
        let errnos: Vec<_> = results
            .iter()
            .map(|r| r.as_ref().unwrap_err().errno)
            .collect();
        assert_eq!(errnos, [libc::EEXIST, libc::ENOBUFS, libc::ENOBUFS]);
    }

    #[test]
    fn a_dump_marked_interrupted_is_known_as_such() {
        use netlink_packet_route::RouteNetlinkMessage;
        let mut answer = Answer::<RouteNetlinkMessage>::new(5);
        // Another request's end does not end this one.
        answer
            .take(&message(NLMSG_DONE, NLM_F_MULTI, 4, &0i32.to_ne_bytes()))
            .unwrap();
        assert!(answer.result.is_none());
        answer
            .take(&message(
                NLMSG_DONE,
                NLM_F_MULTI | NLM_F_DUMP_INTR,
                5,
                &0i32.to_ne_bytes(),
            ))
            .unwrap();
        let (replies, interrupted) = answer.finish().unwrap();
        assert!(replies.is_empty());
        assert!(interrupted);
        let mut clean = Answer::<RouteNetlinkMessage>::new(6);
        clean
            .take(&message(NLMSG_DONE, NLM_F_MULTI, 6, &0i32.to_ne_bytes()))
            .unwrap();
        assert!(!clean.finish().unwrap().1);
    }

    #[test]
    fn a_reply_that_cannot_be_decoded_is_an_error() {
        use netlink_packet_route::RouteNetlinkMessage;
        let mut answer = Answer::<RouteNetlinkMessage>::new(1);
        // RTM_NEWLINK (16) whose body is too short to be a link message.
        let err = answer.take(&message(16, NLM_F_MULTI, 1, &[1])).unwrap_err();
        assert_eq!(err.errno, libc::EBADMSG);
        // A header whose length runs past the datagram.
        let mut raw = message(NLMSG_DONE, 0, 1, &0i32.to_ne_bytes());
        raw[0] = 200;
        assert!(Answer::<RouteNetlinkMessage>::new(1).take(&raw).is_err());
    }

    #[test]
    fn a_window_whose_answers_cannot_be_read_fails_not_hangs() {
        // What send_window does with a datagram it cannot read: the requests not yet answered
        // fail, none is reported as done.
        let mut window = Window::new(1, 2);
        // Request 1's error, then a message whose length runs past the datagram.
        let mut bad = failure(1, libc::EEXIST);
        let second = bad.len();
        bad.extend(ack(2));
        bad[second..second + 4].copy_from_slice(&500u32.to_ne_bytes());
        let outcome = for_each_message(&bad, |header, body| {
            window.absorb(&header, body);
            Ok(())
        });
        let err = outcome.unwrap_err();
        let results = window.fail_unanswered(err);
        assert_eq!(results[0].as_ref().unwrap_err().errno, libc::EEXIST);
        assert_eq!(results[1].as_ref().unwrap_err().errno, libc::EBADMSG);
    }

    #[test]
    fn a_read_without_an_answer_times_out() {
        // A route socket needs no privilege; nothing was asked, so nothing comes.
        let mut socket = NlSocket::open(netlink_sys::protocols::NETLINK_ROUTE).unwrap();
        socket
            .set_read_timeout(std::time::Duration::from_millis(50))
            .unwrap();
        let started = std::time::Instant::now();
        let err = socket.receive().unwrap_err();
        assert_eq!(err.errno, libc::ETIMEDOUT);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
