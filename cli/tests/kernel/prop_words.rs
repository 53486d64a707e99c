//! The random states of the property tests as words: iproute2's (`ip -batch` lines that
//! make them from scratch) and a desired-state file's (`[[tunnel]]` and `[[port]]`
//! entries), and the features each shows, to count what a run covered.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::prop_model::{Inherit, Port, State, Tunnel, LOCAL4, LOCAL6, UNDERLAY};

impl Tunnel {
    /// The words `ip` makes it with, one batch line each (`link add ...`, `link set ... up`).
    pub fn ip_lines(&self) -> String {
        let mut w = format!("link add name {}", self.name);
        if let Some(mtu) = self.mtu {
            let _ = write!(w, " mtu {mtu}");
        }
        let _ = write!(w, " type {}", self.kind.ip_type());
        if let Some(proto) = self.proto {
            let _ = write!(w, " mode {proto}");
        }
        for (word, value) in [("local", &self.local), ("remote", &self.remote)] {
            if let Some(a) = value {
                let _ = write!(w, " {word} {a}");
            }
        }
        if self.dev {
            w += " dev dummy0";
        }
        if let Some(ttl) = self.ttl {
            let word = if self.kind.v6() { "hoplimit" } else { "ttl" };
            match ttl {
                0 => {
                    let _ = write!(w, " {word} inherit");
                }
                n => {
                    let _ = write!(w, " {word} {n}");
                }
            }
        }
        match self.tos {
            Some(Inherit::Inherit) => w += " tos inherit",
            Some(Inherit::Value(v)) => {
                let _ = write!(w, " tos 0x{v:02x}");
            }
            None => {}
        }
        match self.pmtudisc {
            Some(true) => w += " pmtudisc",
            Some(false) => w += " nopmtudisc",
            None => {}
        }
        if self.ignore_df {
            w += " ignore-df";
        }
        if self.isatap {
            w += " isatap";
        }
        for (word, key) in [("ikey", self.ikey), ("okey", self.okey)] {
            if let Some(k) = key {
                let _ = write!(w, " {word} {k}");
            }
        }
        for (word, on) in [
            ("iseq", self.iseq),
            ("oseq", self.oseq),
            ("icsum", self.icsum),
            ("ocsum", self.ocsum),
        ] {
            if on {
                let _ = write!(w, " {word}");
            }
        }
        match self.encaplimit {
            Some(None) => w += " encaplimit none",
            Some(Some(n)) => {
                let _ = write!(w, " encaplimit {n}");
            }
            None => {}
        }
        for (word, value) in [
            ("flowlabel", self.flowlabel),
            ("tclass", self.tclass),
            ("fwmark", self.fwmark),
        ] {
            match value {
                Some(Inherit::Inherit) => {
                    let _ = write!(w, " {word} inherit");
                }
                Some(Inherit::Value(v)) if word == "fwmark" => {
                    let _ = write!(w, " {word} {v}");
                }
                Some(Inherit::Value(v)) => {
                    let _ = write!(w, " {word} 0x{v:x}");
                }
                None => {}
            }
        }
        if let Some(e) = &self.encap {
            let _ = write!(w, " encap {}", if e.gue { "gue" } else { "fou" });
            match e.sport {
                Some(p) => {
                    let _ = write!(w, " encap-sport {p}");
                }
                None => w += " encap-sport auto",
            }
            let _ = write!(w, " encap-dport {}", e.dport);
            w += if e.csum {
                " encap-csum"
            } else {
                " noencap-csum"
            };
            match e.csum6 {
                Some(true) => w += " encap-udp6-csum",
                Some(false) => w += " noencap-udp6-csum",
                None => {}
            }
            if e.remcsum {
                w += " encap-remcsum";
            }
        }
        w.push('\n');
        if self.up {
            let _ = writeln!(w, "link set dev {} up", self.name);
        }
        w
    }

    /// The `[[tunnel]]` entry that asks for it; `up` always said (`up = false` too).
    pub fn toml(&self) -> String {
        let mut t = format!(
            "[[tunnel]]\nname = \"{}\"\nmode = \"{}\"\n",
            self.name,
            self.kind.mode()
        );
        let mut key = |k: &str, v: String| {
            let _ = writeln!(t, "{k} = {v}");
        };
        let quoted = |s: &str| format!("\"{s}\"");
        let inherit = |v: Inherit, hex: bool| match v {
            Inherit::Inherit => quoted("inherit"),
            Inherit::Value(n) if hex => quoted(&format!("0x{n:02x}")),
            Inherit::Value(n) => n.to_string(),
        };
        if let Some(a) = &self.local {
            key("local", quoted(a));
        }
        if let Some(a) = &self.remote {
            key("remote", quoted(a));
        }
        if self.dev {
            key("dev", quoted("dummy0"));
        }
        if let Some(ttl) = self.ttl {
            key(
                "ttl",
                if ttl == 0 {
                    quoted("inherit")
                } else {
                    ttl.to_string()
                },
            );
        }
        if let Some(tos) = self.tos {
            key("tos", inherit(tos, true));
        }
        if let Some(p) = self.pmtudisc {
            key("pmtudisc", p.to_string());
        }
        if self.ignore_df {
            key("ignore-df", "true".into());
        }
        if let Some(p) = self.proto {
            key("proto", quoted(p));
        }
        if self.isatap {
            key("isatap", "true".into());
        }
        if let Some(k) = self.ikey {
            key("ikey", k.to_string());
        }
        if let Some(k) = self.okey {
            key("okey", k.to_string());
        }
        for (k, on) in [
            ("iseq", self.iseq),
            ("oseq", self.oseq),
            ("icsum", self.icsum),
            ("ocsum", self.ocsum),
        ] {
            if on {
                key(k, "true".into());
            }
        }
        match self.encaplimit {
            Some(None) => key("encaplimit", quoted("none")),
            Some(Some(n)) => key("encaplimit", n.to_string()),
            None => {}
        }
        if let Some(v) = self.flowlabel {
            key("flowlabel", inherit(v, false));
        }
        if let Some(v) = self.tclass {
            key("tclass", inherit(v, true));
        }
        if let Some(v) = self.fwmark {
            key("fwmark", inherit(v, false));
        }
        if let Some(e) = &self.encap {
            key("encap", quoted(if e.gue { "gue" } else { "fou" }));
            key(
                "encap-sport",
                e.sport.map_or(quoted("auto"), |p| p.to_string()),
            );
            key("encap-dport", e.dport.to_string());
            key("encap-csum", e.csum.to_string());
            if let Some(v) = e.csum6 {
                key("encap-csum6", v.to_string());
            }
            if e.remcsum {
                key("encap-remcsum", "true".into());
            }
        }
        if let Some(m) = self.mtu {
            key("mtu", m.to_string());
        }
        key("up", self.up.to_string());
        t
    }

    /// The features this tunnel shows, for the count of what the run covered.
    pub fn features(&self, out: &mut BTreeSet<String>) {
        let mut add = |f: &str| {
            out.insert(f.to_string());
        };
        add(&format!("mode {}", self.kind.mode()));
        add(match (&self.remote, self.isatap) {
            (None, true) => "isatap",
            (None, false) => "no remote",
            (Some(r), _) if r.starts_with("239.") => "multicast remote",
            (Some(r), _) if r.starts_with("10.1.") || r.starts_with("2001:db8::") => {
                "routed remote"
            }
            (Some(_), _) => "unrouted remote",
        });
        if self.dev {
            add("dev");
        }
        if let Some(t) = self.ttl {
            add(if t == 0 { "ttl inherit" } else { "ttl" });
        }
        if let Some(t) = self.tos {
            add(if t == Inherit::Inherit {
                "tos inherit"
            } else {
                "tos"
            });
        }
        if let Some(p) = self.pmtudisc {
            add(if p { "pmtudisc" } else { "nopmtudisc" });
        }
        if self.ignore_df {
            add("ignore-df");
        }
        if let Some(p) = self.proto {
            add(&format!("{} proto {p}", self.kind.mode()));
        }
        match (self.ikey, self.okey) {
            (Some(a), Some(b)) if a == b => add("key"),
            (Some(_), Some(_)) => add("ikey and okey"),
            (Some(_), None) => add("ikey"),
            (None, Some(_)) => add("okey"),
            (None, None) => {}
        }
        for (f, on) in [
            ("iseq", self.iseq),
            ("oseq", self.oseq),
            ("icsum", self.icsum),
            ("ocsum", self.ocsum),
        ] {
            if on {
                add(f);
            }
        }
        match self.encaplimit {
            Some(None) => add("encaplimit none"),
            Some(Some(_)) => add("encaplimit"),
            None => {}
        }
        for (f, v) in [
            ("flowlabel", self.flowlabel),
            ("tclass", self.tclass),
            ("fwmark", self.fwmark),
        ] {
            match v {
                Some(Inherit::Inherit) => add(&format!("{f} inherit")),
                Some(Inherit::Value(_)) => add(f),
                None => {}
            }
        }
        if let Some(e) = &self.encap {
            add(if e.gue { "encap gue" } else { "encap fou" });
            if e.sport.is_some() {
                add("encap-sport");
            }
            if e.csum {
                add("encap-csum");
            }
            match e.csum6 {
                Some(true) => add("encap-csum6"),
                Some(false) => add("noencap-csum6"),
                None => {}
            }
            if e.remcsum {
                add("encap-remcsum");
            }
        }
        if self.mtu.is_some() {
            add("mtu");
        }
        if self.up {
            add("up");
        }
    }
}

/// The address a port's peer has, in its family.
fn peer_address(v6: bool) -> &'static str {
    if v6 {
        "2001:db8::fa09"
    } else {
        "10.1.250.9"
    }
}

impl Port {
    /// The `ip -batch` line that makes it.
    pub fn ip_line(&self) -> String {
        let mut w = format!("fou add port {}", self.port);
        match self.ipproto {
            Some(p) => {
                let _ = write!(w, " ipproto {p}");
            }
            None => w += " gue",
        }
        if self.v6 {
            w += " -6";
        }
        if self.local {
            let _ = write!(w, " local {}", if self.v6 { LOCAL6 } else { LOCAL4 });
        }
        if let Some(port) = self.peer {
            let _ = write!(w, " peer {} peer_port {port}", peer_address(self.v6));
        }
        if self.dev {
            w += " dev dummy0";
        }
        w.push('\n');
        w
    }

    /// The `[[port]]` entry that asks for it.
    pub fn toml(&self) -> String {
        let mut t = format!("[[port]]\nport = {}\n", self.port);
        match self.ipproto {
            Some(p) => {
                let _ = writeln!(t, "ipproto = {p}");
            }
            None => t += "gue = true\n",
        }
        if self.v6 {
            t += "family = \"inet6\"\n";
        }
        if self.local {
            let _ = writeln!(t, "local = \"{}\"", if self.v6 { LOCAL6 } else { LOCAL4 });
        }
        if let Some(port) = self.peer {
            let _ = writeln!(
                t,
                "peer = \"{}\"\npeer_port = {port}",
                peer_address(self.v6)
            );
        }
        if self.dev {
            t += "dev = \"dummy0\"\n";
        }
        t
    }

    pub fn features(&self, out: &mut BTreeSet<String>) {
        let mut add = |f: String| {
            out.insert(f);
        };
        add(match self.ipproto {
            Some(p) => format!("port ipproto {p}"),
            None => "port gue".into(),
        });
        for (f, on) in [
            ("port inet6", self.v6),
            ("port local", self.local),
            ("port peer", self.peer.is_some()),
            ("port dev", self.dev),
        ] {
            if on {
                add(f.into());
            }
        }
    }
}

impl State {
    /// The `ip -batch` lines that make it in a new namespace, the underlay first.
    pub fn ip_batch(&self) -> String {
        let mut out = UNDERLAY.to_string();
        for p in self.ports.values() {
            out += &p.ip_line();
        }
        for t in self.tunnels.values() {
            out += &t.ip_lines();
        }
        out
    }

    pub fn features(&self, out: &mut BTreeSet<String>) {
        for t in self.tunnels.values() {
            t.features(out);
        }
        for p in self.ports.values() {
            p.features(out);
        }
    }
}

/// A desired-state file of these tunnels and ports.
pub fn file(tunnels: &[Tunnel], ports: &[Port]) -> String {
    let mut out = String::new();
    for p in ports {
        out += &p.toml();
    }
    for t in tunnels {
        out += &t.toml();
    }
    out
}
