//! Tunnels: as rfou's JSON (the names and shapes of ip's `linkinfo.info_data`), and as a
//! table.

use serde::Serialize;

use rfou::tunnel::{EncapType, SourcePort, Tunnel};
use rfou::Devices;

use super::{blank_table, or_dash};

#[derive(Serialize)]
struct EncapJson {
    /// `fou`, `gue`, or `unknown(N)` for a type rfou does not know.
    #[serde(rename = "type")]
    kind: String,
    /// 0 means auto, as in `ip -j -d link show`.
    sport: u16,
    dport: u16,
    csum: bool,
    csum6: bool,
    remcsum: bool,
}

#[derive(Serialize)]
struct TunnelJson<'a> {
    name: &'a str,
    ifindex: u32,
    kind: &'static str,
    mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    local: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote: Option<String>,
    /// The underlay device, by name (`ifN` when it is gone): `link` in `ip -j -d link show`.
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<String>,
    ttl: u8,
    /// As ip prints it: hexadecimal in a string, left out when 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    tos: Option<String>,
    /// IPv4 underlays only, as in ip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pmtudisc: Option<bool>,
    /// GRE keys as ip prints them: dotted quads.
    #[serde(skip_serializing_if = "Option::is_none")]
    ikey: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    okey: Option<String>,
    mtu: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    encap: Option<EncapJson>,
}

/// A tunnel's TOS and path MTU discovery, as `ip -j -d link show` prints them: the TOS when
/// not 0, and path MTU discovery, on the IPv4 underlays.
fn tos_and_pmtudisc(t: &Tunnel) -> (Option<String>, Option<bool>) {
    if t.kind.ipv6_underlay() {
        return (None, None);
    }
    let settings = t.settings(&Devices::default());
    let tos = settings.tos.filter(|v| *v != 0).map(|v| format!("{v:#x}"));
    (tos, settings.pmtudisc)
}

/// A GRE key as ip prints it: the four bytes as a dotted quad.
fn key_text(key: u32) -> String {
    std::net::Ipv4Addr::from(key).to_string()
}

/// Tunnels as JSON: an array of objects with `name`, `ifindex`, `kind`, `mode`, and where set
/// `local`, `remote`, `link`, then `ttl`, `tos`, `pmtudisc`, `ikey`, `okey`, `mtu` and
/// `encap`. What ip's `linkinfo.info_data` also carries has its name and shape there
/// (rfou-tunnel(8) lists the differences, and why).
pub fn json(tunnels: &[Tunnel], devices: &Devices, pretty: bool) -> String {
    let items: Vec<TunnelJson> = tunnels
        .iter()
        .map(|t| {
            let (tos, pmtudisc) = tos_and_pmtudisc(t);
            TunnelJson {
                name: &t.name,
                ifindex: t.ifindex,
                kind: t.kind.name(),
                mode: t.mode().word(),
                local: t.local.map(|a| a.to_string()),
                remote: t.remote.map(|a| a.to_string()),
                link: t.link.map(|i| devices.name_of(i)),
                ttl: t.ttl,
                tos,
                pmtudisc,
                ikey: t.ikey.map(key_text),
                okey: t.okey.map(key_text),
                mtu: t.mtu,
                encap: (t.encap.kind != EncapType::None).then(|| EncapJson {
                    kind: t.encap.kind.to_string(),
                    sport: t.encap.sport.wire(),
                    dport: t.encap.dport,
                    csum: t.encap.csum,
                    csum6: t.encap.csum6,
                    remcsum: t.encap.remcsum,
                }),
            }
        })
        .collect();
    super::to_json(&items, pretty)
}

/// Tunnels as a table.
pub fn table(tunnels: &[Tunnel]) -> String {
    let rows = tunnels.iter().map(|t| {
        let e = &t.encap;
        let none = e.kind == EncapType::None;
        let flags: Vec<&str> = [(e.csum, "csum"), (e.csum6, "csum6"), (e.remcsum, "remcsum")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, name)| *name)
            .collect();
        [
            super::for_message(&t.name),
            t.mode().word().to_string(),
            or_dash(t.local),
            or_dash(t.remote),
            e.kind.to_string(),
            if none {
                "-".into()
            } else {
                match e.sport {
                    SourcePort::Auto => "auto".into(),
                    SourcePort::Fixed(p) => p.to_string(),
                }
            },
            if none {
                "-".into()
            } else {
                e.dport.to_string()
            },
            if flags.is_empty() {
                "-".into()
            } else {
                flags.join(",")
            },
            t.mtu.to_string(),
        ]
    });
    blank_table(
        [
            "NAME", "MODE", "LOCAL", "REMOTE", "ENCAP", "SPORT", "DPORT", "FLAGS", "MTU",
        ],
        rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The members ip's `linkinfo.info_data` also has, in its shapes (measured in the VM,
    /// and checked against ip by tests/kernel/tunnel_json.rs): `link` by name, `tos` in hex,
    /// keys as dotted quads; no `encap` at all when there is none.
    #[test]
    fn tunnel_json_has_ips_names_and_shapes() {
        use rfou::tunnel::{TunnelKind, TunnelSettings, TunnelSpec};
        use rfou::values::Input;
        let mut settings = TunnelSettings::default();
        for (key, value) in [
            ("ikey", "7"),
            ("local", "192.0.2.1"),
            ("remote", "192.0.2.2"),
            ("tos", "0x10"),
        ] {
            settings.set(key, Input::Word(value), None).unwrap();
        }
        let spec = |name: &str, kind, settings| TunnelSpec {
            name: name.into(),
            kind,
            settings,
        };
        let gre = spec("g1", TunnelKind::Gre, settings).as_reported(7, 1476, Some(2));
        let six =
            spec("s1", TunnelKind::Ip6Tnl, TunnelSettings::default()).as_reported(8, 1452, Some(9));
        let names = Devices::new(vec![rfou::Device {
            index: 2,
            name: "d0".into(),
            kind: None,
            flags: 0,
        }]);
        let expected = r#"[{"name":"g1","ifindex":7,"kind":"gre","mode":"gre","local":"192.0.2.1","remote":"192.0.2.2","link":"d0","ttl":0,"tos":"0x10","pmtudisc":true,"ikey":"0.0.0.7","mtu":1476},{"name":"s1","ifindex":8,"kind":"ip6tnl","mode":"any","link":"if9","ttl":64,"mtu":1452}]"#;
        assert_eq!(json(&[gre, six], &names, false), expected);
    }
}
