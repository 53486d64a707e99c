//! [`PortSpec`]: a receive port as words give it, one keyword at a time, the same from the
//! command line (`add port 5555 ipproto 4 local ...`) and from a `[[port]]` of a desired
//! state; checked whole when it is built.

use std::net::IpAddr;

use super::{check_dev_needs_local, validate_socket, Family, FouEncap, FouPort};
use crate::error::{Error, Result};
use crate::values::{self, set_twice, Input};

/// The keywords of a port: (keyword, whether it takes a value). `-6` and `-4` say the family
/// on the command line, `family` in a file.
pub const PORT_KEYS: &[(&str, bool)] = &[
    ("port", true),
    ("ipproto", true),
    ("gue", false),
    ("local", true),
    ("peer", true),
    ("peer_port", true),
    ("dev", true),
    ("remcsum_nopartial", false),
    ("family", true),
    ("-6", false),
    ("-4", false),
];

/// Why `ipproto` and `gue` together are refused.
const BOTH_CARRIED: &str = "give ipproto or gue, not both: a port is either direct FOU or GUE";

/// A port as given so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortSpec {
    port: Option<u16>,
    ipproto: Option<u8>,
    gue: Option<bool>,
    local: Option<IpAddr>,
    peer: Option<IpAddr>,
    peer_port: Option<u16>,
    dev: Option<String>,
    remcsum_nopartial: Option<bool>,
    family: Option<(Family, &'static str)>,
    /// Whether the family was given before the command (`rfou -6 add ...`): said again
    /// among the keywords, it must agree.
    family_before: bool,
}

fn once<T>(slot: &mut Option<T>, keyword: &str, value: T) -> Result<()> {
    if slot.is_some() {
        return Err(set_twice(keyword, keyword, keyword));
    }
    *slot = Some(value);
    Ok(())
}

impl PortSpec {
    /// A port whose family the global `-6` or `-4` gave (`None`: not given).
    pub fn with_family(family: Option<Family>) -> Self {
        PortSpec {
            family: family.map(|f| (f, "-6 or -4")),
            family_before: family.is_some(),
            ..PortSpec::default()
        }
    }

    /// Sets what `keyword` (one of [`PORT_KEYS`]) gives; a keyword given twice, or two that
    /// set one thing, are refused.
    pub fn set(&mut self, keyword: &str, input: Input) -> Result<()> {
        // A keyword given twice is said before its value is read: `port 1 port x` is given
        // twice, whatever x is.
        let given = match keyword {
            "port" => self.port.is_some(),
            "ipproto" => self.ipproto.is_some(),
            "gue" => self.gue.is_some(),
            "local" => self.local.is_some(),
            "peer" => self.peer.is_some(),
            "peer_port" => self.peer_port.is_some(),
            "dev" => self.dev.is_some(),
            "remcsum_nopartial" => self.remcsum_nopartial.is_some(),
            _ => false,
        };
        if given {
            return Err(set_twice(keyword, keyword, keyword));
        }
        match keyword {
            "port" => once(&mut self.port, keyword, input.port("port")?),
            "ipproto" => {
                let proto = match input {
                    Input::Number(n) if !(1..=255).contains(&n) => {
                        return Err(Error::invalid(format!(
                            "ipproto {n} is out of range: use 1..255 (or gue; 0 is no protocol)"
                        )))
                    }
                    other => values::protocol(&other.word("ipproto")?)?,
                };
                once(&mut self.ipproto, keyword, proto)
            }
            "gue" => once(&mut self.gue, keyword, input.flag(keyword)?),
            "local" => once(
                &mut self.local,
                keyword,
                values::address(&input.word(keyword)?, keyword)?,
            ),
            "peer" => once(
                &mut self.peer,
                keyword,
                values::address(&input.word(keyword)?, keyword)?,
            ),
            "peer_port" => once(&mut self.peer_port, keyword, input.port(keyword)?),
            "dev" => {
                let name = input.word(keyword)?;
                values::device_name(&name, "dev")?;
                once(&mut self.dev, keyword, name.into_owned())
            }
            "remcsum_nopartial" => once(&mut self.remcsum_nopartial, keyword, input.flag(keyword)?),
            "-6" | "-4" | "family" => self.set_family(keyword, input),
            other => Err(Error::invalid(format!("\"{other}\" is not a port setting"))),
        }
    }

    fn set_family(&mut self, keyword: &str, input: Input) -> Result<()> {
        let (said, name): (Family, &'static str) = match keyword {
            "-6" => (Family::Inet6, "-6"),
            "-4" => (Family::Inet, "-4"),
            _ => {
                let w = input.word("family")?;
                match w.to_ascii_lowercase().as_str() {
                    "inet" | "ipv4" | "4" => (Family::Inet, "family"),
                    "inet6" | "ipv6" | "6" => (Family::Inet6, "family"),
                    _ => {
                        return Err(Error::invalid(format!(
                            "family \"{w}\" is not a family: use inet or inet6"
                        )))
                    }
                }
            }
        };
        match self.family {
            Some((before, _)) if self.family_before => {
                if before != said {
                    return Err(Error::invalid(format!(
                        "{keyword} contradicts the {} given before the command: a port is of one family",
                        if said == Family::Inet6 { "-4" } else { "-6" }
                    )));
                }
                self.family = Some((said, name));
                self.family_before = false;
                Ok(())
            }
            Some((_, first)) => Err(set_twice(first, name, "the family")),
            None => {
                self.family = Some((said, name));
                Ok(())
            }
        }
    }

    /// The port a `del` (or any command that names a socket) gives, and its device by name.
    pub fn socket(&self) -> Result<(FouPort, Option<String>)> {
        let port = self
            .port
            .ok_or_else(|| Error::invalid("missing port: say `port PORT` (1..65535)"))?;
        let addr_family = self.local.or(self.peer).map(|a| Family::of(&a));
        let family = self
            .family
            .map(|(f, _)| f)
            .or(addr_family)
            .unwrap_or(Family::Inet);
        let fou = FouPort {
            port,
            family,
            encap: FouEncap::Gue,
            local: self.local,
            peer: self.peer,
            peer_port: self.peer_port,
            ifindex: None,
            remcsum_nopartial: self.remcsum_nopartial.unwrap_or(false),
        };
        validate_socket(&fou, self.dev.is_some())?;
        Ok((fou, self.dev.clone()))
    }

    /// The port a `del` gives. `ipproto` and `gue` may be given, as ip takes them, at most
    /// one of them; they choose nothing, for the kernel finds the port by its socket.
    pub fn to_del(&self) -> Result<(FouPort, Option<String>)> {
        if self.ipproto.is_some() && self.gue == Some(true) {
            return Err(Error::invalid(BOTH_CARRIED));
        }
        self.socket()
    }

    /// The port an `add` (or a `[[port]]`) gives: also what it carries, exactly one of
    /// `ipproto` and `gue`.
    pub fn to_add(&self) -> Result<(FouPort, Option<String>)> {
        let encap = match (self.ipproto, self.gue == Some(true)) {
            (Some(_), true) => return Err(Error::invalid(BOTH_CARRIED)),
            (None, false) => {
                return Err(Error::invalid(
                    "give ipproto PROTO or gue: what does the port carry?",
                ))
            }
            (Some(ipproto), false) => FouEncap::Direct { ipproto },
            (None, true) => FouEncap::Gue,
        };
        let (mut port, dev) = self.socket()?;
        port.encap = encap;
        check_dev_needs_local(&port, dev.is_some())?;
        Ok((port, dev))
    }

    /// The port number given, if any (what `show port N` filters on).
    pub fn number(&self) -> Option<u16> {
        self.port
    }

    /// The family given, if any.
    pub fn family(&self) -> Option<Family> {
        self.family.map(|(f, _)| f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(words: &[(&str, Input)]) -> Result<PortSpec> {
        let mut spec = PortSpec::default();
        for (k, v) in words {
            spec.set(k, *v)?;
        }
        Ok(spec)
    }

    #[test]
    fn a_port_is_read_the_same_from_words_and_from_a_file() {
        let words = spec(&[
            ("port", Input::Word("5555")),
            ("ipproto", Input::Word("ipip")),
            ("local", Input::Word("192.0.2.1")),
            ("dev", Input::Word("eth0")),
        ])
        .unwrap();
        let file = spec(&[
            ("port", Input::Number(5555)),
            ("ipproto", Input::Number(4)),
            ("local", Input::Word("192.0.2.1")),
            ("dev", Input::Word("eth0")),
        ])
        .unwrap();
        assert_eq!(words.to_add().unwrap(), file.to_add().unwrap());
        let (port, dev) = words.to_add().unwrap();
        assert_eq!(port.encap, FouEncap::Direct { ipproto: 4 });
        assert_eq!(dev.as_deref(), Some("eth0"));
    }

    #[test]
    fn what_is_given_twice_or_not_at_all_is_refused() {
        let err = spec(&[("port", Input::Word("1")), ("port", Input::Word("2"))]).unwrap_err();
        assert!(err.to_string().contains("\"port\" is given twice"), "{err}");
        let err = spec(&[("-4", Input::Flag(true)), ("-6", Input::Flag(true))]).unwrap_err();
        assert!(err.to_string().contains("both set the family"), "{err}");
        let mut given = PortSpec::with_family(Some(Family::Inet6));
        assert!(given
            .set("-4", Input::Flag(true))
            .unwrap_err()
            .to_string()
            .contains("contradicts"));
        let none = spec(&[("port", Input::Word("1"))]).unwrap();
        assert!(none
            .to_add()
            .unwrap_err()
            .to_string()
            .contains("what does the port carry"));
        let both = spec(&[
            ("port", Input::Word("1")),
            ("gue", Input::Flag(true)),
            ("ipproto", Input::Word("4")),
        ])
        .unwrap();
        assert!(both.to_add().is_err());
        assert!(spec(&[("ipproto", Input::Number(0))]).is_err());
    }
}
