//! Tunnels over rtnetlink: read a link, edit its tunnel attributes, write it back.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netlink_packet_core::{NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST};
use netlink_packet_route::link::{
    GreIOFlags, LinkAttribute, LinkExtentMask, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::RouteNetlinkMessage;

use super::attrs::Setting;
use super::{Encap, EncapSpec, EncapType, MtuChange, Tunnel, TunnelData, TunnelKind, TunnelMode};
use crate::error::{Error, ErrorKind, Result};
use crate::handle::Handle;
use crate::modules;
use crate::netlink::NlError;

/// Settings of `rfou tunnel add` and `rfou tunnel change`; `None` leaves a setting alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TunnelUpdate {
    /// The remote underlay address.
    pub remote: Option<IpAddr>,
    /// The local underlay address.
    pub local: Option<IpAddr>,
    /// 0 means inherit.
    pub ttl: Option<u8>,
    /// 1 means inherit (as iproute2 encodes it).
    pub tos: Option<u8>,
    /// The underlay device (`dev PHYS`), by name.
    pub dev: Option<String>,
    /// The GRE input key.
    pub ikey: Option<u32>,
    /// The GRE output key.
    pub okey: Option<u32>,
    /// The UDP encapsulation.
    pub encap: Option<EncapSpec>,
}

/// A tunnel to create: `rfou tunnel add NAME mode MODE ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelSpec {
    /// The device name (1 to 15 characters).
    pub name: String,
    /// The kind of tunnel.
    pub mode: TunnelMode,
    /// Its settings; those left `None` get the kernel's defaults.
    pub settings: TunnelUpdate,
}

impl TunnelUpdate {
    /// Checks what can be checked without the kernel: address families and options that
    /// this kind of tunnel has.
    pub fn validate(&self, kind: TunnelKind) -> Result<()> {
        for (word, addr) in [("remote", self.remote), ("local", self.local)] {
            if let Some(addr) = addr {
                if addr.is_ipv6() != kind.ipv6_underlay() {
                    let want = if kind.ipv6_underlay() { "IPv6" } else { "IPv4" };
                    return Err(Error::invalid(format!(
                        "{word} {addr}: {} tunnels need an {want} address",
                        kind.name()
                    )));
                }
            }
        }
        if (self.ikey.is_some() || self.okey.is_some()) && !kind.is_gre() {
            return Err(Error::invalid(format!(
                "key, ikey and okey are GRE options; {} tunnels have no key",
                kind.name()
            )));
        }
        if self.tos.is_some() && kind.ipv6_underlay() {
            return Err(Error::invalid(format!(
                "tos is an IPv4 option; {} tunnels have an IPv6 underlay",
                kind.name()
            )));
        }
        Ok(())
    }

    /// Whether these settings change what a tunnel's MTU depends on: its underlay (remote,
    /// local, device), its headers (keys, encapsulation). ip6tnl, ip6gre and ip6gretap work
    /// their MTU out again on any change, so for them every change counts.
    fn touches_mtu(&self, kind: TunnelKind) -> bool {
        kind.ipv6_underlay()
            || self.remote.is_some()
            || self.local.is_some()
            || self.dev.is_some()
            || self.ikey.is_some()
            || self.okey.is_some()
            || self.encap.is_some()
    }

    /// Writes these settings into a tunnel's attributes, replacing what they replace.
    fn apply(&self, data: &mut TunnelData, link: Option<u32>) {
        let settings = [
            self.remote.map(Setting::Remote),
            self.local.map(Setting::Local),
            self.ttl.map(Setting::Ttl),
            self.tos.map(Setting::Tos),
            link.map(Setting::Link),
            self.ikey.map(Setting::IKey),
            self.okey.map(Setting::OKey),
        ];
        for setting in settings.into_iter().flatten() {
            data.set(setting);
        }
        self.apply_key_flags(data);
    }

    /// Whether this update may change what makes a tunnel unique to the kernel: its local
    /// and remote addresses, its underlay device and its input key.
    pub(crate) fn touches_endpoints(&self) -> bool {
        self.local.is_some() || self.remote.is_some() || self.dev.is_some() || self.ikey.is_some()
    }

    /// A key in use is announced by the GRE_KEY bit of the input or output flags.
    fn apply_key_flags(&self, data: &mut TunnelData) {
        let with_key =
            |flags: Option<GreIOFlags>| flags.unwrap_or(GreIOFlags::empty()) | GreIOFlags::Key;
        let settings = data.settings();
        let iflags = settings.iter().find_map(|s| match s {
            Setting::IFlags(f) => Some(*f),
            _ => None,
        });
        let oflags = settings.iter().find_map(|s| match s {
            Setting::OFlags(f) => Some(*f),
            _ => None,
        });
        if self.ikey.is_some() {
            data.set(Setting::IFlags(with_key(iflags)));
        }
        if self.okey.is_some() {
            data.set(Setting::OFlags(with_key(oflags)));
        }
    }

    /// Writes these settings as the whole tunnel, as `rfou apply` means them: what is not
    /// given takes the value `tunnel add` gives it instead of staying as it was (any local and
    /// remote, no underlay device, no key), and an ip6tnl's inner protocol is `mode`'s.
    pub(crate) fn apply_whole(&self, data: &mut TunnelData, link: Option<u32>, mode: TunnelMode) {
        let any = if mode.kind.ipv6_underlay() {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        };
        let whole = TunnelUpdate {
            remote: Some(self.remote.unwrap_or(any)),
            local: Some(self.local.unwrap_or(any)),
            ..self.clone()
        };
        whole.apply(data, Some(link.unwrap_or(0)));
        let no_key =
            |flags: Option<GreIOFlags>| flags.unwrap_or(GreIOFlags::empty()) - GreIOFlags::Key;
        if let (TunnelKind::Ip6Tnl, Some(p)) = (mode.kind, mode.ip6_proto) {
            data.set(Setting::Protocol(p));
        }
        // Keys: only the GRE kinds have them (set() leaves the others as they are).
        let settings = data.settings();
        if self.ikey.is_none() {
            let flags = settings.iter().find_map(|s| match s {
                Setting::IFlags(f) => Some(*f),
                _ => None,
            });
            data.set(Setting::IKey(0));
            data.set(Setting::IFlags(no_key(flags)));
        }
        if self.okey.is_none() {
            let flags = settings.iter().find_map(|s| match s {
                Setting::OFlags(f) => Some(*f),
                _ => None,
            });
            data.set(Setting::OKey(0));
            data.set(Setting::OFlags(no_key(flags)));
        }
    }
}

/// What a change did beyond what was asked, for the user to know.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeReport {
    /// What became of the MTU, where the change touched what it depends on.
    pub mtu: Option<MtuChange>,
    /// What the user should know about the change (sentences).
    pub warnings: Vec<String>,
}

/// A tunnel change made ready to send ([`Handle::prepare_change`]).
pub(crate) struct PreparedChange {
    /// Every attribute of the tunnel, as it is to be.
    pub data: TunnelData,
    /// The MTU to set with it, if any.
    pub mtu: Option<u32>,
    pub report: ChangeReport,
}

fn link_message(index: u32, name: Option<&str>, kind: TunnelKind, data: TunnelData) -> LinkMessage {
    let mut message = LinkMessage::default();
    message.header.index = index;
    if let Some(name) = name {
        message
            .attributes
            .push(LinkAttribute::IfName(name.to_string()));
    }
    message.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(kind.info_kind()),
        LinkInfo::Data(data.into_info(kind)),
    ]));
    message
}

/// RTM_NEWLINK that creates a tunnel (exclusive: an existing name is an error).
pub fn new_link_request(name: &str, kind: TunnelKind, data: TunnelData) -> RouteNetlinkMessage {
    RouteNetlinkMessage::NewLink(link_message(0, Some(name), kind, data))
}

/// RTM_NEWLINK that changes the tunnel at `index`; `data` must be all of its settings.
pub fn change_link_request(
    index: u32,
    kind: TunnelKind,
    data: TunnelData,
    mtu: Option<u32>,
) -> RouteNetlinkMessage {
    let mut message = link_message(index, None, kind, data);
    if let Some(mtu) = mtu {
        message.attributes.push(LinkAttribute::Mtu(mtu));
    }
    RouteNetlinkMessage::NewLink(message)
}

/// Writes `encap` into a tunnel's attributes (what `tunnel encap` sends).
pub fn write_encap(encap: &Encap, data: &mut TunnelData) {
    encap.write(data);
}

pub fn del_link_request(index: u32) -> RouteNetlinkMessage {
    let mut message = LinkMessage::default();
    message.header.index = index;
    RouteNetlinkMessage::DelLink(message)
}

fn get_link_request(name: &str) -> RouteNetlinkMessage {
    let mut message = LinkMessage::default();
    message
        .attributes
        .push(LinkAttribute::IfName(name.to_string()));
    get_link(message)
}

/// A `RTM_GETLINK` of `message` that asks the kernel to leave the device's counters out
/// (`RTEXT_FILTER_SKIP_STATS`; older kernels ignore it): rfou reads none of them, and they
/// (IPv6's above all) are a large part of a reply's bytes and of the kernel's work to fill it.
pub(crate) fn get_link(mut message: LinkMessage) -> RouteNetlinkMessage {
    message
        .attributes
        .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
    RouteNetlinkMessage::GetLink(message)
}

pub(crate) fn link_name(message: &LinkMessage) -> Option<&str> {
    message.attributes.iter().find_map(|a| match a {
        LinkAttribute::IfName(n) => Some(n.as_str()),
        _ => None,
    })
}

pub(crate) fn link_mtu(message: &LinkMessage) -> Option<u32> {
    message.attributes.iter().find_map(|a| match a {
        LinkAttribute::Mtu(m) => Some(*m),
        _ => None,
    })
}

fn link_kind(message: &LinkMessage) -> Option<String> {
    message.attributes.iter().find_map(|a| match a {
        LinkAttribute::LinkInfo(infos) => infos.iter().find_map(|i| match i {
            LinkInfo::Kind(k) => Some(k.to_string()),
            _ => None,
        }),
        _ => None,
    })
}

/// The tunnel a link message describes, or `None` for any other kind of device.
pub(crate) fn tunnel_of(message: &LinkMessage) -> Option<Tunnel> {
    let infos = message.attributes.iter().find_map(|a| match a {
        LinkAttribute::LinkInfo(infos) => Some(infos),
        _ => None,
    })?;
    let kind = infos.iter().find_map(|i| match i {
        LinkInfo::Kind(k) => TunnelKind::from_info_kind(k),
        _ => None,
    })?;
    let data = infos
        .iter()
        .find_map(|i| match i {
            LinkInfo::Data(d) => TunnelData::from_info(d),
            _ => None,
        })
        .unwrap_or_else(|| TunnelData::empty(kind));
    let mut tunnel = Tunnel::from_data(
        link_name(message)?.to_string(),
        message.header.index,
        kind,
        link_mtu(message).unwrap_or(0),
        data,
    );
    tunnel.up = message.header.flags.contains(LinkFlags::Up);
    tunnel.group = message
        .attributes
        .iter()
        .find_map(|a| match a {
            LinkAttribute::Group(g) => Some(*g),
            _ => None,
        })
        .unwrap_or(0);
    Some(tunnel)
}

/// [`tunnel_of`] for the fuzz targets (`fuzz/`) and the property tests only: it is public so
/// that they can reach the decoder, and not part of the API.
#[doc(hidden)]
pub fn decode_tunnel(message: &LinkMessage) -> Option<Tunnel> {
    tunnel_of(message)
}

/// RTM_NEWLINK that moves device `index` to device group `group`.
pub fn set_group_request(index: u32, group: u32) -> RouteNetlinkMessage {
    let mut message = LinkMessage::default();
    message.header.index = index;
    message.attributes.push(LinkAttribute::Group(group));
    RouteNetlinkMessage::NewLink(message)
}

/// RTM_DELLINK of every device in group `group`: the kernel deletes them in one step.
pub fn del_group_request(group: u32) -> RouteNetlinkMessage {
    let mut message = LinkMessage::default();
    message.attributes.push(LinkAttribute::Group(group));
    RouteNetlinkMessage::DelLink(message)
}

impl Handle {
    /// The link called `name`, or an error that says it does not exist here.
    pub(crate) fn link(&mut self, name: &str) -> Result<LinkMessage> {
        if name.is_empty() || name.len() > 15 {
            return Err(Error::invalid(format!(
                "\"{name}\" is not a device name (1 to 15 characters)"
            )));
        }
        match self.route.request(get_link_request(name), NLM_F_REQUEST) {
            Ok(mut replies) => match replies.pop() {
                Some(RouteNetlinkMessage::NewLink(message)) => Ok(message),
                _ => Err(Error::system(format!("no reply for device \"{name}\""))),
            },
            Err(err) if err.errno == libc::ENODEV => Err(Error::invalid(format!(
                "device \"{name}\" does not exist in {}",
                self.where_()
            ))
            .with_kind(ErrorKind::NoSuchDevice)),
            Err(err) => Err(self.refusal(err, &format!("cannot read device \"{name}\""))),
        }
    }

    /// Every link of the namespace.
    pub(crate) fn links(&mut self) -> Result<Vec<LinkMessage>> {
        let replies = self
            .route
            .request(
                get_link(LinkMessage::default()),
                NLM_F_DUMP,
            )
            .map_err(|err| self.refusal(err, "cannot list devices"))?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewLink(message) => Some(message),
                _ => None,
            })
            .collect())
    }

    /// The index of device `name`.
    pub fn ifindex(&mut self, name: &str) -> Result<u32> {
        Ok(self.link(name)?.header.index)
    }

    /// The tunnel called `name`; an error if there is no such device or it is no tunnel.
    pub fn tunnel(&mut self, name: &str) -> Result<Tunnel> {
        let message = self.link(name)?;
        tunnel_named(name, &message)
    }

    /// Every tunnel of the namespace, in index order.
    pub fn tunnels(&mut self) -> Result<Vec<Tunnel>> {
        Ok(self.links()?.iter().filter_map(tunnel_of).collect())
    }

    /// Creates a tunnel.
    pub fn tunnel_add(&mut self, spec: &TunnelSpec) -> Result<()> {
        spec.settings.validate(spec.mode.kind)?;
        let link = self.underlay_index(&spec.settings)?;
        let data = self.new_tunnel_data(spec, link)?;
        let request = new_link_request(&spec.name, spec.mode.kind, data);
        self.route
            .request(request, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL)
            .map_err(|err| self.add_refusal(spec, err))?;
        Ok(())
    }

    /// The attributes a new tunnel of `spec` is made with (`link`: the index of its `dev`),
    /// checked as far as that can be without the kernel; loads the encapsulation's module.
    pub(crate) fn new_tunnel_data(
        &self,
        spec: &TunnelSpec,
        link: Option<u32>,
    ) -> Result<TunnelData> {
        let kind = spec.mode.kind;
        spec.settings.validate(kind)?;
        let mut data = TunnelData::defaults(spec.mode);
        spec.settings.apply(&mut data, link);
        if let Some(encap_spec) = &spec.settings.encap {
            let encap = encap_spec.resolve(kind, &Encap::none())?;
            self.load_encap_module(kind, &encap)?;
            encap.write(&mut data);
        }
        Ok(data)
    }

    /// The kernel's refusal to create the tunnel of `spec`, in words.
    pub(crate) fn add_refusal(&mut self, spec: &TunnelSpec, err: NlError) -> Error {
        let kind = spec.mode.kind;
        let what = format!(
            "cannot create tunnel \"{}\" (mode {})",
            spec.name,
            kind.name()
        );
        match err.errno {
            // EEXIST means the name is taken, or another tunnel of this kind has the same
            // endpoints (the kernel keeps one tunnel per local, remote and key): say which.
            libc::EEXIST if self.link(&spec.name).is_ok() => Error::kernel(
                err.errno,
                format!(
                    "{what}: a device \"{}\" already exists in {}",
                    spec.name,
                    self.where_()
                ),
            ),
            libc::EEXIST => {
                Error::kernel(err.errno, format!("{what}: {}", self.same_endpoints(kind)))
            }
            libc::EOPNOTSUPP => {
                Error::kernel(
                    err.errno,
                    format!(
                    "{what}: the kernel has no {} tunnels (module {} missing: try `modprobe {}`)",
                    kind.name(), kind.module(), kind.module()
                ),
                )
                .with_kind(ErrorKind::ModuleMissing)
            }
            _ => self.refusal(err, &what),
        }
    }

    /// Changes the settings of tunnel `name` that `update` names and keeps all the others.
    pub fn tunnel_change(&mut self, name: &str, update: &TunnelUpdate) -> Result<ChangeReport> {
        // Read, edit, write back whole: two rfou at once would each write back what it read,
        // and the later one would undo the other's change.
        let _lock = self.change_lock()?;
        // One read of the device gives the tunnel and its flags (a change in a batch of
        // thousands reads no more than it must).
        let message = self.link(name)?;
        let tunnel = tunnel_named(name, &message)?;
        refuse_fallback(&tunnel, "change")?;
        update.validate(tunnel.kind)?;
        let link = self.underlay_index(update)?;
        let flags = if remote_class_fixed(tunnel.kind) {
            message.header.flags
        } else {
            LinkFlags::empty()
        };
        // The other tunnels matter only when an endpoint changes: the kernel keeps the ones
        // the tunnel has now unique. Reading them all for every change made a batch of 1,000
        // encap changes take minutes instead of a second.
        let others = if update.touches_endpoints() {
            self.tunnels()?
        } else {
            Vec::new()
        };
        let change = self.prepare_change(&tunnel, flags, update, link, None, &others)?;
        self.send_change(&tunnel, change.data, change.mtu)?;
        Ok(change.report)
    }

    /// What a change of `tunnel` (its device flags `flags`) by `update` sends: its attributes
    /// with the update written over them (with `whole`, as the whole tunnel: see
    /// [`TunnelUpdate::apply_whole`]) and the MTU to set. Checked before anything is sent, as
    /// the kernel would check it against `others`, the tunnels of the namespace: `tunnel
    /// change` reads them, `apply` passes the state it read once.
    pub(crate) fn prepare_change(
        &mut self,
        tunnel: &Tunnel,
        flags: LinkFlags,
        update: &TunnelUpdate,
        link: Option<u32>,
        whole: Option<TunnelMode>,
        others: &[Tunnel],
    ) -> Result<PreparedChange> {
        refuse_fallback(tunnel, "change")?;
        update.validate(tunnel.kind)?;
        let mut data = tunnel.data.clone();
        match whole {
            Some(mode) => update.apply_whole(&mut data, link, mode),
            None => update.apply(&mut data, link),
        }
        if let Some(encap_spec) = &update.encap {
            let encap = encap_spec.resolve(tunnel.kind, &tunnel.encap)?;
            self.load_encap_module(tunnel.kind, &encap)?;
            encap.write(&mut data);
        }
        let mut report = ChangeReport::default();
        let mut mtu = None;
        if update.touches_mtu(tunnel.kind) {
            let after = Tunnel::from_data(
                tunnel.name.clone(),
                tunnel.ifindex,
                tunnel.kind,
                tunnel.mtu,
                data.clone(),
            );
            let change = self.mtu_for_change(tunnel, &after)?;
            mtu = change.set;
            report.warnings.extend(change.warning.clone());
            report.mtu = Some(change);
        }
        self.check_change(tunnel, flags, &data, others)?;
        Ok(PreparedChange { data, mtu, report })
    }

    /// Sends a change [`Handle::prepare_change`] made. On a refusal, the error says what
    /// became of the tunnel: unchanged, or restored as it was (read back), or what differs.
    pub(crate) fn send_change(
        &mut self,
        tunnel: &Tunnel,
        data: TunnelData,
        mtu: Option<u32>,
    ) -> Result<()> {
        let request = change_link_request(tunnel.ifindex, tunnel.kind, data, mtu);
        let refused = match self.route.request(request, NLM_F_REQUEST) {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        let what = format!("cannot change tunnel \"{}\"", tunnel.name);
        let err = match refused.errno {
            libc::EEXIST => Error::kernel(
                refused.errno,
                format!("{what}: {}", self.same_endpoints(tunnel.kind)),
            ),
            _ => self.refusal(refused, &what),
        };
        // The kernel sets some of a change (the encap) before it checks the rest, and does not
        // take it back when it then refuses: read the tunnel again, and put back what moved.
        Err(self.after_refusal(tunnel, err))
    }

    /// Why the kernel answers EEXIST to a tunnel that does not take a used name: it keeps one
    /// tunnel per endpoints (local, remote, underlay device, and for GRE the keys). ip6gre and
    /// ip6gretap share one table, so a change of either also collides with the other kind.
    fn same_endpoints(&self, kind: TunnelKind) -> String {
        format!(
            "another {} tunnel in {} has the same local and remote addresses{}; the kernel \
             allows one tunnel per endpoints: change them, or delete the other (see `rfou tunnel show`)",
            if kind.ipv6_underlay() && kind.is_gre() {
                "ip6gre or ip6gretap"
            } else {
                kind.name()
            },
            self.where_(),
            if kind.is_gre() { " and keys" } else { "" }
        )
    }

    /// Changes only the encapsulation of tunnel `name` (made by rfou, ip or anything else).
    pub fn tunnel_set_encap(&mut self, name: &str, encap: &EncapSpec) -> Result<ChangeReport> {
        let update = TunnelUpdate {
            encap: Some(*encap),
            ..TunnelUpdate::default()
        };
        self.tunnel_change(name, &update)
    }

    /// Deletes tunnel `name` (and only a tunnel: other devices are refused).
    pub fn tunnel_del(&mut self, name: &str) -> Result<()> {
        let tunnel = self.tunnel(name)?;
        refuse_fallback(&tunnel, "delete")?;
        self.route
            .request(del_link_request(tunnel.ifindex), NLM_F_REQUEST)
            .map_err(|err| self.refusal(err, &format!("cannot delete tunnel \"{name}\"")))?;
        // The kernel answers success to some deletes it does not do: only a tunnel that is
        // gone is reported deleted.
        if matches!(self.link(name), Ok(l) if l.header.index == tunnel.ifindex) {
            return Err(Error::kernel(libc::EBUSY, format!(
                    "cannot delete tunnel \"{name}\": the kernel answered success, but it is still there"
                )));
        }
        Ok(())
    }

    /// Puts a tunnel back as `saved` was read: every tunnel setting, and its MTU.
    /// The tunnel is found by name: it may have been deleted and made again since `saved`
    /// was read (under another index).
    pub fn tunnel_restore(&mut self, saved: &Tunnel) -> Result<()> {
        let now = self.tunnel(&saved.name)?;
        if now.kind != saved.kind {
            return Err(Error::system(format!(
                "cannot restore tunnel \"{}\": it is now a {} tunnel, it was a {}",
                saved.name,
                now.kind.name(),
                saved.kind.name()
            )));
        }
        let request =
            change_link_request(now.ifindex, saved.kind, saved.data.clone(), Some(saved.mtu));
        self.route.request(request, NLM_F_REQUEST).map_err(|err| {
            self.refusal(err, &format!("cannot restore tunnel \"{}\"", saved.name))
        })?;
        Ok(())
    }

    /// Makes a deleted tunnel again from what was read of it: its kind, every tunnel setting
    /// (underlay device included), MTU, group and up state. What lived on the device
    /// (addresses, routes, qdiscs) is not part of it and does not come back.
    pub fn tunnel_recreate(&mut self, saved: &Tunnel) -> Result<()> {
        let RouteNetlinkMessage::NewLink(mut message) =
            new_link_request(&saved.name, saved.kind, saved.data.clone())
        else {
            unreachable!("new_link_request makes a NewLink")
        };
        message.attributes.push(LinkAttribute::Mtu(saved.mtu));
        message.attributes.push(LinkAttribute::Group(saved.group));
        if saved.up {
            message.header.flags = LinkFlags::Up;
            message.header.change_mask = LinkFlags::Up;
        }
        self.route
            .request(
                RouteNetlinkMessage::NewLink(message),
                NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL,
            )
            .map_err(|err| {
                self.refusal(err, &format!("cannot recreate tunnel \"{}\"", saved.name))
            })?;
        Ok(())
    }

    /// Deletes many tunnels at once with the kernel's group delete: each is moved to a device
    /// group that no device of the namespace uses, then the group is deleted in one step
    /// (deleting devices one by one mostly waits in the kernel). If anything fails, every
    /// tunnel moved is put back in its old group and nothing is deleted.
    ///
    /// The kernel skips some devices of a group delete and still answers success (the
    /// fallback devices): the tunnels still there afterwards are put back in their group and
    /// returned, so that no caller reports them deleted.
    pub fn tunnel_del_many(&mut self, tunnels: &[Tunnel]) -> Result<Vec<Tunnel>> {
        if tunnels.is_empty() {
            return Ok(Vec::new());
        }
        let used: std::collections::HashSet<u32> = self
            .links()?
            .iter()
            .filter_map(|l| {
                l.attributes.iter().find_map(|a| match a {
                    LinkAttribute::Group(g) => Some(*g),
                    _ => None,
                })
            })
            .collect();
        let group = (0x7ead_0000u32..u32::MAX)
            .find(|g| !used.contains(g))
            .ok_or_else(|| Error::system("no free device group for a bulk delete"))?;
        let moves = tunnels
            .iter()
            .map(|t| set_group_request(t.ifindex, group));
        let moved = self.route.request_many(moves, NLM_F_REQUEST);
        let deleted = if moved.iter().all(|r| r.is_ok()) {
            self.route
                .request(del_group_request(group), NLM_F_REQUEST)
                .map(|_| ())
        } else {
            Err(moved
                .iter()
                .find_map(|r| r.clone().err())
                .expect("a failure"))
        };
        if let Err(err) = deleted {
            let back = tunnels
                .iter()
                .zip(&moved)
                .filter(|(_, r)| r.is_ok())
                .map(|(t, _)| set_group_request(t.ifindex, t.group));
            self.route.request_many(back, NLM_F_REQUEST);
            return Err(self.refusal(err, "cannot delete the tunnels as a group"));
        }
        let left: std::collections::HashSet<u32> =
            self.links()?.iter().map(|l| l.header.index).collect();
        let survivors: Vec<Tunnel> = tunnels
            .iter()
            .filter(|t| left.contains(&t.ifindex))
            .cloned()
            .collect();
        let back = survivors
            .iter()
            .map(|t| set_group_request(t.ifindex, t.group));
        if let Some(Err(err)) = self
            .route
            .request_many(back, NLM_F_REQUEST)
            .into_iter()
            .find(|r| r.is_err())
        {
            return Err(self.refusal(
                err,
                &format!(
                    "the group delete left {} tunnel(s) in place and cannot put them back in their group {group:#x}",
                    survivors.len()
                ),
            ));
        }
        Ok(survivors)
    }

    fn underlay_index(&mut self, update: &TunnelUpdate) -> Result<Option<u32>> {
        match &update.dev {
            Some(dev) => Ok(Some(self.ifindex(dev)?)),
            None => Ok(None),
        }
    }

    /// FOU and GUE transmit needs the fou module, and fou6 on an IPv6 underlay; neither
    /// loads on demand, and without it the kernel only says "Invalid argument".
    fn load_encap_module(&self, kind: TunnelKind, encap: &Encap) -> Result<()> {
        if encap.kind == EncapType::None {
            return Ok(());
        }
        let module = if kind.ipv6_underlay() { "fou6" } else { "fou" };
        modules::load(module).map_err(|why| {
            Error::new(ErrorKind::ModuleMissing, format!(
                "{} encapsulation on a {} tunnel needs the {module} module, which could not be loaded ({why}); run `modprobe {module}`",
                encap.kind.name(),
                kind.name()
            ))
        })
    }
}

/// The name each tunnel module gives the device it makes in every namespace: it catches the
/// packets no other tunnel of its kind takes. The kernel refuses to change it (after setting
/// part of the change) and skips it when deleting (answering success).
fn fallback_name(kind: TunnelKind) -> Option<&'static str> {
    match kind {
        TunnelKind::Ipip => Some("tunl0"),
        TunnelKind::Sit => Some("sit0"),
        TunnelKind::Ip6Tnl => Some("ip6tnl0"),
        TunnelKind::Gre => Some("gre0"),
        TunnelKind::GreTap => Some("gretap0"),
        TunnelKind::Ip6Gre => Some("ip6gre0"),
        TunnelKind::Ip6GreTap => None,
    }
}

/// Whether `tunnel` is its module's fallback device.
pub fn is_fallback(tunnel: &Tunnel) -> bool {
    fallback_name(tunnel.kind) == Some(tunnel.name.as_str())
}

/// Refuses to `verb` a fallback device, saying why, before anything is sent.
pub(crate) fn refuse_fallback(tunnel: &Tunnel, verb: &str) -> Result<()> {
    if !is_fallback(tunnel) {
        return Ok(());
    }
    let module = tunnel.kind.module();
    let why = if verb == "delete" {
        format!("it goes only with the module (`modprobe -r {module}`)")
    } else {
        "the kernel keeps it without settings of its own".to_string()
    };
    Err(Error::invalid(format!(
        "cannot {verb} tunnel \"{}\": it is the fallback device of the {module} module, which \
         the kernel makes in every namespace; {why}. Make a tunnel of your own with `rfou tunnel add`",
        tunnel.name
    )))
}

/// Whether the kernel fixes a tunnel's kind of remote (none, one, multicast) when it is made:
/// ipip, sit and gre (see [`Handle::check_change`]).
fn remote_class_fixed(kind: TunnelKind) -> bool {
    matches!(kind, TunnelKind::Ipip | TunnelKind::Sit | TunnelKind::Gre)
}

/// How the kernel flags an IPv4 tunnel by its remote address: none (any peer), one peer
/// (point-to-point), or a multicast group (broadcast).
fn remote_flags(kind: TunnelKind, remote: Option<IpAddr>) -> LinkFlags {
    match remote {
        None => LinkFlags::empty(),
        Some(IpAddr::V4(a)) if a.is_multicast() && kind != TunnelKind::Sit => LinkFlags::Broadcast,
        Some(_) => LinkFlags::Pointopoint,
    }
}

fn describe_remote(flags: LinkFlags) -> &'static str {
    if flags.contains(LinkFlags::Broadcast) {
        "a multicast remote"
    } else if flags.contains(LinkFlags::Pointopoint) {
        "one remote address (point-to-point)"
    } else {
        "no remote address (it takes packets from any peer)"
    }
}

/// A lock held while rfou reads a tunnel, edits it and writes it back; released on drop.
/// `None` where the lock file cannot be made for lack of permission: such a process has no
/// privilege on the namespace either, unless in a user namespace of its own, and the
/// kernel's refusal says more than a lock file's would.
pub(crate) struct ChangeLock(#[allow(dead_code)] Option<std::fs::File>);

/// Where the change locks live: one file a network namespace.
pub(crate) const LOCK_DIR: &str = "/run/rfou";

impl Handle {
    /// Takes this namespace's change lock (an exclusive `flock` on `/run/rfou/netns-DEV-INO`),
    /// waiting for any other rfou that holds it. Tools other than rfou do not take it.
    pub(crate) fn change_lock(&self) -> Result<ChangeLock> {
        use std::os::fd::AsRawFd;
        // A batch holds the lock already: a second flock of the same file from this process
        // (another open file) would wait for the first forever.
        if self.held_lock.is_some() {
            return Ok(ChangeLock(None));
        }
        // Without permission (the kernel tells a namespace's identity only to who may
        // administer it; /run may not be writable) there is no lock, as [`ChangeLock`] says;
        // any other failure is an error.
        let unlocked = |e: std::io::Error, what: &str| {
            if e.kind() == std::io::ErrorKind::PermissionDenied {
                Ok(ChangeLock(None))
            } else {
                Err(Error::system(format!("{what}: {e}")))
            }
        };
        let (dev, ino) = match self.route.netns_id() {
            Ok(id) => id,
            Err(e) => return unlocked(e, "cannot tell which namespace this is"),
        };
        let path = format!("{LOCK_DIR}/netns-{dev}-{ino}.lock");
        let file = std::fs::create_dir_all(LOCK_DIR).and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
        });
        let file = match file {
            Ok(file) => file,
            Err(e) => return unlocked(e, &format!("cannot open the lock file {path}")),
        };
        loop {
            // SAFETY: flock on an fd we own.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(ChangeLock(Some(file)));
            }
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::Interrupted {
                return Err(Error::system(format!("cannot lock {path}: {err}")));
            }
        }
    }

    /// Takes this namespace's change lock, if not held yet, and keeps it until
    /// [`Handle::release_change_lock`]. A batch holds it from its first tunnel change to its
    /// end, rather than taking it again for each line (a syscall round of its own per line,
    /// in batches of thousands); the changes made meanwhile take none of their own.
    pub(crate) fn hold_change_lock(&mut self) -> Result<()> {
        if self.held_lock.is_none() {
            self.held_lock = Some(self.change_lock()?);
        }
        Ok(())
    }

    /// Lets go of the lock [`Handle::hold_change_lock`] took.
    pub(crate) fn release_change_lock(&mut self) {
        self.held_lock = None;
    }

    /// What the kernel would refuse in a change of `tunnel` (device flags `flags`) to `data`,
    /// found before anything is sent: a change between no remote, one remote and a multicast
    /// remote on ipip, sit and gre; and endpoints that another tunnel of `others` has.
    fn check_change(
        &self,
        tunnel: &Tunnel,
        flags: LinkFlags,
        data: &TunnelData,
        others: &[Tunnel],
    ) -> Result<()> {
        let after = Tunnel::from_data(
            tunnel.name.clone(),
            tunnel.ifindex,
            tunnel.kind,
            tunnel.mtu,
            data.clone(),
        );
        if remote_class_fixed(tunnel.kind) {
            let mask = LinkFlags::Pointopoint | LinkFlags::Broadcast;
            let now = flags & mask;
            let then = remote_flags(tunnel.kind, after.remote) & mask;
            if now != then {
                // What the kernel would answer (EINVAL, and nothing more), said before it can
                // half-apply the change.
                return Err(Error::kernel(libc::EINVAL, format!(
                        "cannot change tunnel \"{}\": it was made with {}, and the kernel does not \
                         change a {} tunnel to {}; delete it and add it again with the remote it needs",
                        tunnel.name,
                        describe_remote(now),
                        tunnel.kind.name(),
                        describe_remote(then)
                    )));
            }
        }
        self.check_endpoints(
            &format!("cannot change tunnel \"{}\"", tunnel.name),
            &after,
            others,
        )
    }

    /// Refuses `tunnel` (as it is to be) when another tunnel of `others` (by name) has its
    /// kind and endpoints: what the kernel would answer (EEXIST), said before anything is
    /// sent. `what` begins the message (`cannot change tunnel "t1"`).
    pub(crate) fn check_endpoints(
        &self,
        what: &str,
        tunnel: &Tunnel,
        others: &[Tunnel],
    ) -> Result<()> {
        // The remote first: it tells most tunnels apart, and apply checks each of its
        // additions against all the tunnels.
        let same = |t: &&Tunnel| {
            t.remote == tunnel.remote
                && t.local == tunnel.local
                && t.kind == tunnel.kind
                && t.link == tunnel.link
                && (!t.kind.is_gre() || t.ikey.unwrap_or(0) == tunnel.ikey.unwrap_or(0))
                && t.name != tunnel.name
        };
        let Some(other) = others.iter().find(same) else {
            return Ok(());
        };
        let show = |a: Option<IpAddr>| a.map_or("any".to_string(), |a| a.to_string());
        Err(Error::kernel(libc::EEXIST, format!(
                "{what}: {} tunnel \"{}\" in {} already has the same local and remote addresses \
                 (local {}, remote {}){}; the kernel allows one tunnel per endpoints: change them, or delete \"{}\"",
                tunnel.kind.name(),
                other.name,
                self.where_(),
                show(tunnel.local),
                show(tunnel.remote),
                if tunnel.kind.is_gre() { " and key" } else { "" },
                other.name
            )))
    }

    /// After the kernel refused a change of `saved`: reads the tunnel again and, if the kernel
    /// left part of the change in place, puts it back as `saved` was. The error says which:
    /// unchanged, restored (read back to check), or what still differs.
    fn after_refusal(&mut self, saved: &Tunnel, err: Error) -> Error {
        let same = |now: &Tunnel| now.data == saved.data && now.mtu == saved.mtu;
        match self.tunnel(&saved.name) {
            Ok(now) if same(&now) => err,
            Ok(_) => {
                // On a fallback device the kernel answers even the restore with EINVAL after
                // setting it: what counts is what reads back.
                let restore = self.tunnel_restore(saved);
                match self.tunnel(&saved.name) {
                    Ok(now) if same(&now) => err.context_after(&format!(
                        "the kernel had applied part of the change; tunnel \"{}\" was restored as it was (read back)",
                        saved.name
                    )),
                    Ok(now) => err.context_after(&format!(
                        "the kernel applied part of the change, and tunnel \"{}\" could not be restored{}: {}",
                        saved.name,
                        restore.err().map(|e| format!(" ({e})")).unwrap_or_default(),
                        differences(saved, &now).join(", ")
                    )),
                    Err(read) => err.context_after(&format!(
                        "the kernel may have applied part of the change; tunnel \"{}\" cannot be read back ({read})",
                        saved.name
                    )),
                }
            }
            Err(read) => err.context_after(&format!(
                "tunnel \"{}\" cannot be read back to check it is unchanged ({read})",
                saved.name
            )),
        }
    }
}

/// What differs between two readings of a tunnel, in words (`encap fou 5555, was none`).
pub fn differences(was: &Tunnel, now: &Tunnel) -> Vec<String> {
    let mut out = Vec::new();
    let show = |a: Option<IpAddr>| a.map_or("any".to_string(), |a| a.to_string());
    let encap = |e: &Encap| match e.kind {
        EncapType::None => "none".to_string(),
        kind => format!("{} {}", kind.name(), e.dport),
    };
    if now.kind != was.kind {
        out.push(format!("kind {}, was {}", now.kind.name(), was.kind.name()));
    }
    if now.local != was.local {
        out.push(format!(
            "local {}, was {}",
            show(now.local),
            show(was.local)
        ));
    }
    if now.remote != was.remote {
        out.push(format!(
            "remote {}, was {}",
            show(now.remote),
            show(was.remote)
        ));
    }
    if now.ttl != was.ttl {
        out.push(format!("ttl {}, was {}", now.ttl, was.ttl));
    }
    if now.encap != was.encap {
        out.push(format!(
            "encap {}, was {}",
            encap(&now.encap),
            encap(&was.encap)
        ));
    }
    if now.mtu != was.mtu {
        out.push(format!("mtu {}, was {}", now.mtu, was.mtu));
    }
    if now.up != was.up {
        let state = |up: bool| if up { "up" } else { "down" };
        out.push(format!("{}, was {}", state(now.up), state(was.up)));
    }
    if now.group != was.group {
        out.push(format!("group {}, was {}", now.group, was.group));
    }
    if out.is_empty() && now.data != was.data {
        out.push("other tunnel settings".to_string());
    }
    out
}

/// The tunnel device `message` (named `name`) is; an error naming its kind when it is none.
fn tunnel_named(name: &str, message: &LinkMessage) -> Result<Tunnel> {
    tunnel_of(message).ok_or_else(|| {
        let kind = link_kind(message).unwrap_or_else(|| "device without a kind".into());
        Error::invalid(format!(
            "device \"{name}\" is a {kind}, not a tunnel: rfou works on {} devices",
            TunnelKind::ALL.map(|k| k.name()).join(", ")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_core::Emitable;
    use netlink_packet_route::link::{InfoGre, InfoGre6, InfoIpTunnel};

    /// A read of a device by name: an empty ifinfomsg, IFLA_IFNAME, and IFLA_EXT_MASK (29)
    /// with RTEXT_FILTER_SKIP_STATS (8), in host order.
    #[test]
    fn a_device_is_read_by_name_without_its_counters() {
        let RouteNetlinkMessage::GetLink(message) = get_link_request("t0") else {
            panic!("not a GETLINK");
        };
        let mut bytes = vec![0; message.buffer_len()];
        message.emit(&mut bytes);
        let mut expected = vec![0u8; 16];
        expected.extend_from_slice(&[7, 0, 3, 0, b't', b'0', 0, 0]);
        expected.extend_from_slice(&[8, 0, 29, 0]);
        expected.extend_from_slice(&8u32.to_ne_bytes());
        assert_eq!(bytes, expected);
    }

    /// The attributes an update writes, and their order (what goes to the kernel), for each
    /// kind of tunnel attribute: what a kind has not is left out.
    #[test]
    fn an_update_writes_its_settings_in_one_order_for_every_kind() {
        let v4 = |a: &str| a.parse::<std::net::Ipv4Addr>().unwrap();
        let v6 = |a: &str| a.parse::<std::net::Ipv6Addr>().unwrap();
        let update = |local: IpAddr, remote: IpAddr| TunnelUpdate {
            local: Some(local),
            remote: Some(remote),
            ttl: Some(9),
            tos: Some(1),
            ikey: Some(5),
            okey: Some(6),
            ..TunnelUpdate::default()
        };
        let on_v4 = update(v4("192.0.2.1").into(), v4("192.0.2.2").into());
        let on_v6 = update(v6("2001:db8::1").into(), v6("2001:db8::2").into());

        let mut ip = TunnelData::Ip(vec![InfoIpTunnel::Ttl(64), InfoIpTunnel::EncapLimit(4)]);
        on_v6.apply(&mut ip, Some(3));
        assert_eq!(
            ip,
            TunnelData::Ip(vec![
                InfoIpTunnel::EncapLimit(4),
                InfoIpTunnel::Remote(v6("2001:db8::2").into()),
                InfoIpTunnel::Local(v6("2001:db8::1").into()),
                InfoIpTunnel::Ttl(9),
                InfoIpTunnel::Tos(1),
                InfoIpTunnel::Link(3),
            ])
        );

        let mut gre = TunnelData::Gre(vec![
            InfoGre::IFlags(GreIOFlags::Checksum),
            InfoGre::Ttl(64),
        ]);
        on_v4.apply(&mut gre, None);
        assert_eq!(
            gre,
            TunnelData::Gre(vec![
                InfoGre::Remote(v4("192.0.2.2")),
                InfoGre::Local(v4("192.0.2.1")),
                InfoGre::Ttl(9),
                InfoGre::Tos(1),
                InfoGre::IKey(5),
                InfoGre::OKey(6),
                InfoGre::IFlags(GreIOFlags::Checksum | GreIOFlags::Key),
                InfoGre::OFlags(GreIOFlags::Key),
            ])
        );
        // An address of the other family is no GRE setting.
        let mut gre = TunnelData::Gre(Vec::new());
        on_v6.apply(&mut gre, None);
        assert!(
            matches!(&gre, TunnelData::Gre(a) if a[0] == InfoGre::Ttl(9)),
            "{gre:?}"
        );

        let mut gre6 = TunnelData::Gre6(Vec::new());
        on_v6.apply(&mut gre6, Some(3));
        assert_eq!(
            gre6,
            TunnelData::Gre6(vec![
                InfoGre6::Remote(v6("2001:db8::2")),
                InfoGre6::Local(v6("2001:db8::1")),
                InfoGre6::Ttl(9),
                InfoGre6::Link(3),
                InfoGre6::IKey(5),
                InfoGre6::OKey(6),
                InfoGre6::IFlags(GreIOFlags::Key),
                InfoGre6::OFlags(GreIOFlags::Key),
            ])
        );
    }
}
