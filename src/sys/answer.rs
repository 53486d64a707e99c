//! The kernel's answers: acks, errors with their extended-ack text, ends of dumps, and data,
//! several messages to a datagram; matched to requests by sequence number, alone
//! ([`Answer`]) or a window at a time ([`Window`]).

use std::io;

#[cfg(test)]
use netlink_packet_core::NetlinkDeserializable;
use netlink_packet_core::{NetlinkBuffer, NetlinkHeader};

#[cfg(any(test, fuzzing))]
use super::encode::WINDOW;

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
pub(crate) const HEADER_LEN: usize = 16;

/// The kernel's answer to one failed request: the errno, and the sentence the kernel gave in
/// its extended ack, when it gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NlError {
    pub errno: i32,
    pub message: Option<String>,
}

impl NlError {
    pub(crate) fn io(err: io::Error) -> Self {
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
/// The answer to one request, datagram by datagram: its messages, its end (ack, error or end
/// of dump), and whether the kernel marked it as interrupted.
pub(crate) struct Answer<T> {
    seq: u32,
    replies: Vec<(usize, T)>,
    pub(crate) result: Option<Result<(), NlError>>,
    interrupted: bool,
    datagram: usize,
}

impl<T> Answer<T> {
    pub(crate) fn new(seq: u32) -> Self {
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
    pub(crate) fn take_with(
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
    pub(crate) fn finish(self) -> Result<(Vec<(usize, T)>, bool), NlError> {
        self.result
            .expect("an answer is finished once it has its end")?;
        Ok((self.replies, self.interrupted))
    }
}

/// The answers to one window of requests, as they come in.
pub(crate) struct Window {
    first: u32,
    slots: Vec<Option<Result<(), NlError>>>,
}

impl Window {
    pub(crate) fn new(first: u32, count: usize) -> Self {
        Window {
            first,
            slots: vec![None; count],
        }
    }

    /// Takes one message in; those of other requests are ignored.
    pub(crate) fn absorb(&mut self, header: &NetlinkHeader, body: &[u8]) {
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
    pub(crate) fn complete(&self) -> bool {
        self.slots.last().is_none_or(|slot| slot.is_some())
    }

    /// One result per request: no answer before the last one's means success.
    pub(crate) fn finish(self) -> Vec<Result<(), NlError>> {
        self.slots
            .into_iter()
            .map(|slot| slot.unwrap_or(Ok(())))
            .collect()
    }

    pub(crate) fn fail_unanswered(self, err: NlError) -> Vec<Result<(), NlError>> {
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

pub(crate) enum Reply<'a> {
    Ack,
    Done,
    Failed(NlError),
    Data(&'a [u8]),
    Ignore,
}

pub(crate) fn classify<'a>(header: &NetlinkHeader, body: &'a [u8]) -> Reply<'a> {
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
pub(crate) fn for_each_message<'a>(
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
#[cfg(any(test, fuzzing))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    Ack,
    Failed(NlError),
    Other,
}

/// Each message's sequence number and what it says, or why the datagram could not be read.
#[cfg(any(test, fuzzing))]
pub type DecodedMessages = Result<Vec<(u32, Decoded)>, NlError>;

/// The reading of a datagram as the kernel's answer, for the fuzz targets and the property
/// tests (built only for them): each message's sequence number and what it says, as
/// `NlSocket::request` reads them; a window of `WINDOW` requests numbered from `first` takes
/// the messages in as `NlSocket::request_many` does.
#[cfg(any(test, fuzzing))]
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
}
