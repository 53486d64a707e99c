//! A synchronous netlink socket: one request at a time, or many in one `sendmsg` with every
//! reply matched to its request by sequence number (see [`super::answer`] for how the
//! kernel's answers are read).

use std::io;

use netlink_packet_core::{
    NetlinkDeserializable, NetlinkHeader, NetlinkSerializable, NLM_F_ACK, NLM_F_DUMP,
};
use netlink_sys::{Socket, SocketAddr};

use super::answer::{classify, for_each_message, Answer, NlError, Reply, Window};
use super::encode::{encode_into, encode_window_into, WINDOW};

/// How long one read waits for the kernel before the request is reported as failed. The
/// kernel answers every request, but an answer can be lost (a full receive buffer drops it),
/// and then a read without a limit would wait forever. Deleting thousands of devices in one
/// request takes seconds on a slow machine: the limit is far above that.
pub const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// How many times a dump that the kernel marks as interrupted is taken again.
const DUMP_TRIES: usize = 5;

/// The receive buffer asked of the kernel, and the size of the buffer datagrams are read into.
const RECEIVE_BUFFER: usize = 1 << 20;

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
        // Extended acks carry the kernel's own reason: without them an error is an errno
        // alone, which is worse but works (kernels before 4.12 have none).
        let _ = socket.set_ext_ack(true);
        // Capped acks keep each answer to a header, and the receive buffer holds a window of
        // them: what [`WINDOW`] relies on, so a refusal is an error here.
        socket.set_cap_ack(true)?;
        socket.set_rx_buf_sz(RECEIVE_BUFFER)?;
        let mut socket = NlSocket {
            socket,
            seq: 0,
            buf: vec![0; RECEIVE_BUFFER],
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

#[cfg(test)]
mod tests {
    use super::*;

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
