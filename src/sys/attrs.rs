//! Netlink attributes: the walker that reads those of a message body in place, and the
//! writer that lays them out (header, value, zero padding to 4 bytes) for every request.

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
        write!(
            f,
            "attribute {kind} of {len} bytes does not fit in {left} bytes"
        )
    }
}

/// The attributes of a message body, each as its type (less the nested and byte-order flags)
/// and its value: a header (length including itself, type; both u16), the value, padding to
/// 4 bytes. Walked in place, without building a value per attribute: `show` reads lists of
/// thousands of ports. Ends after an attribute that does not fit.
pub fn attrs(body: &[u8]) -> impl Iterator<Item = Result<(u16, &[u8]), Overrun>> {
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

/// The bytes of an attribute's header: its length (header included) and its type, both u16.
pub const NLA_HEADER: usize = 4;
/// The type flag of a nested attribute (`NLA_F_NESTED`), which the kernel sets on its nests.
pub const NLA_F_NESTED: u16 = 1 << 15;

/// The room an attribute with a value of `value_len` bytes takes, its padding included.
pub fn attr_len(value_len: usize) -> usize {
    (NLA_HEADER + value_len).next_multiple_of(4)
}

/// Writes one attribute at the start of `out` (which has [`attr_len`] bytes for it: header,
/// value, zero padding) and returns the room it took.
pub fn write_attr(out: &mut [u8], kind: u16, value: &[u8]) -> usize {
    let len = NLA_HEADER + value.len();
    let room = attr_len(value.len());
    let out = &mut out[..room];
    out[..2].copy_from_slice(&(len as u16).to_ne_bytes());
    out[2..4].copy_from_slice(&kind.to_ne_bytes());
    out[NLA_HEADER..len].copy_from_slice(value);
    out[len..].fill(0);
    room
}

/// Appends one attribute to `out`.
pub fn push_attr(out: &mut Vec<u8>, kind: u16, value: &[u8]) {
    let start = out.len();
    out.resize(start + attr_len(value.len()), 0);
    write_attr(&mut out[start..], kind, value);
}

/// Appends a nested attribute of type `kind` (flagged `NLA_F_NESTED`, as the kernel's
/// strict policies want it) whose value `inner` appends.
pub fn push_nest(out: &mut Vec<u8>, kind: u16, inner: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0; NLA_HEADER]);
    inner(out);
    let len = (out.len() - start) as u16;
    out[start..start + 2].copy_from_slice(&len.to_ne_bytes());
    out[start + 2..start + 4].copy_from_slice(&(kind | NLA_F_NESTED).to_ne_bytes());
    out.resize(out.len().next_multiple_of(4), 0);
}

/// A u32 attribute's value (host order), if it is 4 bytes.
pub fn u32_of(value: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(value.try_into().ok()?))
}

/// A string attribute's value: UTF-8 up to its terminating NUL, if it has one.
pub fn str_of(value: &[u8]) -> Option<&str> {
    let end = value.iter().position(|&b| b == 0)?;
    std::str::from_utf8(&value[..end]).ok()
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

    #[test]
    fn attributes_are_written_as_the_walker_reads_them() {
        let mut out = Vec::new();
        push_attr(&mut out, 1, &[0xaa, 0xbb]);
        push_nest(&mut out, 2, |inner| {
            push_attr(inner, 3, &7u32.to_ne_bytes());
            push_attr(inner, 4, b"eth0\0");
        });
        push_attr(&mut out, 5, &[]);
        // Type 1: 6 bytes, padded to 8; the nest: its header, 8 + 12 bytes; type 5: 4.
        assert_eq!(out.len(), 8 + 24 + 4);
        assert_eq!(&out[..8], &[6, 0, 1, 0, 0xaa, 0xbb, 0, 0]);
        assert_eq!(&out[8..12], &[24, 0, 2, 0x80]);
        let got: Vec<_> = attrs(&out).map(Result::unwrap).collect();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], (1, &[0xaa, 0xbb][..]));
        assert_eq!(got[2], (5, &[][..]));
        let inner: Vec<_> = attrs(got[1].1).map(Result::unwrap).collect();
        assert_eq!(inner, [(3, &7u32.to_ne_bytes()[..]), (4, &b"eth0\0"[..])]);
    }
}
