//! The attribute walker: the attributes of a netlink message body, read in place.

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
}
