//! Tunnel operations of a [`Handle`]: read, add, change, delete, and put back as read.

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST};

use super::attrs::TunnelAttrs;
use super::rules::{
    check_endpoints, check_in_place, check_max_mtu, check_settings, check_tunnel, refuse_fallback,
};
use super::settings::{Read, TunnelSettings};
use super::wire::{
    change_link_request, del_link_request, new_link_request, set_up_request, tunnel_named,
    tunnel_of, NewLink,
};
use super::{Encap, EncapSpec, EncapType, MtuChange, Tunnel, TunnelKind, TunnelSpec};
use crate::error::{Error, ErrorKind, Result};
use crate::handle::Handle;
use crate::sys::{modules, NlError};
use crate::values;

/// What a change did beyond what was asked, for the user to know.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeReport {
    /// What became of the MTU, where the change touched what it depends on.
    pub mtu: Option<MtuChange>,
    /// What the user should know about the change (sentences).
    pub warnings: Vec<String>,
}

/// A tunnel to make, checked and ready to send.
#[derive(Debug, Clone)]
pub(crate) struct PreparedAdd {
    pub(crate) name: String,
    pub(crate) kind: TunnelKind,
    pub(crate) attrs: TunnelAttrs,
    pub(crate) link: NewLink,
}

impl PreparedAdd {
    /// The request that makes it.
    pub(crate) fn request(&self) -> netlink_packet_route::RouteNetlinkMessage {
        new_link_request(&self.name, self.kind, self.attrs.clone(), self.link)
    }

    /// The tunnel it will be, as far as known before it is made (no index; the MTU asked).
    pub(crate) fn as_tunnel(&self) -> Tunnel {
        let read = super::settings::Read::from(&self.attrs);
        let link = super::model::LinkState {
            mtu: self.link.mtu.unwrap_or(0),
            up: self.link.up,
            group: 0,
            flags: super::rules::remote_class(self.kind, read.remote),
            max_mtu: None,
        };
        Tunnel::new(self.name.clone(), 0, self.kind, link, self.attrs.clone())
    }
}

/// A change of a tunnel, checked and ready to send.
#[derive(Debug, Clone)]
pub(crate) struct PreparedChange {
    /// What the kernel must be sent before the change, which it takes only in two steps
    /// ([`ignore_df_cleared_first`]): the tunnel's attributes as they are, but for that.
    pub(crate) first: Option<TunnelAttrs>,
    /// Every attribute of the tunnel, as it is to be.
    pub(crate) attrs: TunnelAttrs,
    /// The MTU to set with it, if any.
    pub(crate) mtu: Option<u32>,
    /// The state to set after it, where it changes.
    pub(crate) up: Option<bool>,
    pub(crate) report: ChangeReport,
}

impl PreparedChange {
    /// The requests that make the change of `tunnel`, in order (its state, `up`, is
    /// another): one, or two where the kernel takes the change only in two steps.
    pub(crate) fn requests(
        &self,
        tunnel: &Tunnel,
    ) -> Vec<netlink_packet_route::RouteNetlinkMessage> {
        let first = self
            .first
            .iter()
            .map(|attrs| change_link_request(tunnel.ifindex, tunnel.kind, attrs.clone(), None));
        first
            .chain(std::iter::once(change_link_request(
                tunnel.ifindex,
                tunnel.kind,
                self.attrs.clone(),
                self.mtu,
            )))
            .collect()
    }
}

/// gre and gretap refuse (EINVAL) a change that turns path MTU discovery on while the
/// tunnel ignores DF: the kernel looks at the tunnel's `ignore-df` as it was before the
/// change's own, so one request asking for both is refused. rfou first sends the tunnel
/// as it is with `noignore-df`, then the change. Returns that first step, where one is
/// needed.
fn ignore_df_cleared_first(tunnel: &Tunnel, attrs: &TunnelAttrs) -> Option<TunnelAttrs> {
    let (now, then) = (Read::from(&tunnel.attrs), Read::from(attrs));
    if !(now.ignore_df && !now.pmtudisc && then.pmtudisc) {
        return None;
    }
    let mut first = tunnel.attrs.clone();
    let cleared = TunnelSettings {
        ignore_df: Some(false),
        ..TunnelSettings::default()
    };
    cleared.write(&mut first, None, false);
    Some(first)
}

impl Handle {
    /// The tunnel called `name`; an error if there is no such device or it is no tunnel.
    pub fn tunnel(&mut self, name: &str) -> Result<Tunnel> {
        let message = self.link(name)?;
        tunnel_named(name, &message)
    }

    /// The tunnels called `names`, one result per name as [`Handle::tunnel`] gives it, read
    /// with many requests per `sendmsg`.
    pub fn tunnels_named(&mut self, names: &[&str]) -> Vec<Result<Tunnel>> {
        names
            .iter()
            .zip(self.links_named(names))
            .map(|(name, link)| tunnel_named(name, &link?))
            .collect()
    }

    /// Every tunnel of the namespace, in index order.
    pub fn tunnels(&mut self) -> Result<Vec<Tunnel>> {
        Ok(self.links()?.iter().filter_map(tunnel_of).collect())
    }

    /// Creates a tunnel: every setting `spec` does not give has its default
    /// ([`TunnelSettings::defaults`]).
    pub fn tunnel_add(&mut self, spec: &TunnelSpec) -> Result<()> {
        let link = self.underlay_index(spec.settings.dev.as_deref())?;
        let add = self.prepare_add(spec, link)?;
        self.route
            .request(add.request(), NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL)
            .map_err(|err| self.add_refusal(spec, err))?;
        Ok(())
    }

    /// The tunnel `spec` makes (`link`: the index of its `dev`), checked as far as that can
    /// be without the kernel; loads the encapsulation's module.
    pub(crate) fn prepare_add(&self, spec: &TunnelSpec, link: Option<u32>) -> Result<PreparedAdd> {
        values::device_name(&spec.name, "name")?;
        check_settings(&spec.settings, spec.kind)?;
        let attrs = spec.attrs(link)?;
        check_tunnel(spec.kind, &attrs, spec.settings.mtu)?;
        self.load_encap_module(spec.kind, &Read::from(&attrs).encap)?;
        Ok(PreparedAdd {
            name: spec.name.clone(),
            kind: spec.kind,
            attrs,
            link: NewLink {
                mtu: spec.settings.mtu,
                group: None,
                up: spec.settings.up == Some(true),
            },
        })
    }

    /// The kernel's refusal to create the tunnel of `spec`, in words.
    pub(crate) fn add_refusal(&mut self, spec: &TunnelSpec, err: NlError) -> Error {
        let kind = spec.kind;
        let what = format!(
            "cannot create tunnel \"{}\" (mode {})",
            spec.name,
            spec.mode().word()
        );
        match err.errno {
            // EEXIST means the name is taken, or another tunnel of this kind has the same
            // endpoints (the kernel keeps one tunnel per local, remote and key): say which.
            libc::EEXIST if self.link(&spec.name).is_ok() => Error::kernel(
                err.errno,
                format!(
                    "{what}: a device \"{}\" already exists in {}",
                    spec.name,
                    self.place()
                ),
            ),
            libc::EEXIST => {
                Error::kernel(err.errno, format!("{what}: {}", self.same_endpoints(kind)))
            }
            libc::EOPNOTSUPP => Error::kernel(
                err.errno,
                format!(
                    "{what}: the kernel has no {} tunnels (module {} missing: try `modprobe {}`)",
                    kind.name(),
                    kind.module(),
                    kind.module()
                ),
            )
            .with_kind(ErrorKind::ModuleMissing),
            _ => self.refusal(err, &what),
        }
    }

    /// Changes the settings of tunnel `name` that `settings` gives and keeps all the others.
    pub fn tunnel_change(&mut self, name: &str, settings: &TunnelSettings) -> Result<ChangeReport> {
        // Read, edit, write back whole: two rfou at once would each write back what it read,
        // and the later one would undo the other's change.
        let _lock = self.change_lock()?;
        let tunnel = self.tunnel(name)?;
        // The other tunnels matter only when an endpoint changes: the kernel keeps the ones
        // the tunnel has now unique.
        let others = if touches_endpoints(settings) {
            self.tunnels()?
        } else {
            Vec::new()
        };
        let change = self.prepare_change(&tunnel, settings, false, &others)?;
        self.send_change(&tunnel, &change)?;
        Ok(change.report)
    }

    /// What a change of `tunnel` by `settings` sends: its attributes with the settings
    /// written over them (with `whole`, the settings are the whole tunnel: a key not given
    /// is cleared), and the MTU to set. Checked before anything is sent, as the kernel would
    /// check it against `others`, the tunnels of the namespace as the change will find them.
    pub(crate) fn prepare_change(
        &mut self,
        tunnel: &Tunnel,
        settings: &TunnelSettings,
        whole: bool,
        others: &[Tunnel],
    ) -> Result<PreparedChange> {
        self.prepare_change_over(tunnel, settings, whole, others, None)
    }

    /// [`Handle::prepare_change`], the MTU of the tunnel's underlay given where it was read
    /// already (`underlay`: see [`Handle::mtu_for_change`]).
    pub(crate) fn prepare_change_over(
        &mut self,
        tunnel: &Tunnel,
        settings: &TunnelSettings,
        whole: bool,
        others: &[Tunnel],
        underlay: Option<Option<u32>>,
    ) -> Result<PreparedChange> {
        refuse_fallback(tunnel, "change")?;
        // The rules between settings (a fixed TTL and path MTU discovery, ignore-df and path
        // MTU discovery) hold for the tunnel as the change leaves it: what the change does not
        // give keeps the tunnel's own value, as ip reads the tunnel before it checks.
        let now = TunnelSettings::read(tunnel.kind, &tunnel.attrs, None);
        let to_be = TunnelSettings {
            ttl: settings.ttl.or(now.ttl),
            pmtudisc: settings.pmtudisc.or(now.pmtudisc),
            ignore_df: settings.ignore_df.or(now.ignore_df),
            ..settings.clone()
        };
        check_settings(&to_be, tunnel.kind)?;
        let link = match &settings.dev {
            Some(dev) => Some(self.underlay_index(Some(dev))?.unwrap_or(0)),
            None if whole => Some(0),
            None => None,
        };
        let mut attrs = tunnel.attrs.clone();
        settings.write(&mut attrs, link, whole);
        if let Some(spec) = &settings.encap {
            let encap = spec.resolve(tunnel.kind, &tunnel.encap)?;
            self.load_encap_module(tunnel.kind, &encap)?;
            encap.write(&mut attrs);
        }
        TunnelSettings::give_multicast_keys(tunnel.kind, &mut attrs);
        check_tunnel(tunnel.kind, &attrs, settings.mtu)?;
        if let Some(mtu) = settings.mtu {
            check_max_mtu(tunnel, &attrs, mtu)?;
        }
        let after = tunnel.with_attrs(attrs.clone());
        check_in_place(tunnel, &after)?;
        check_endpoints(
            &format!("cannot change tunnel \"{}\"", tunnel.name),
            &after,
            others,
            &self.place(),
        )?;
        let mut report = ChangeReport::default();
        let mut mtu = settings.mtu;
        if mtu.is_none() && touches_mtu(settings, tunnel.kind) {
            let change = self.mtu_for_change(tunnel, &after, underlay)?;
            mtu = change.set;
            report.warnings.extend(change.warning.clone());
            report.mtu = Some(change);
        }
        Ok(PreparedChange {
            first: ignore_df_cleared_first(tunnel, &attrs),
            attrs,
            mtu,
            up: settings.up.filter(|up| *up != tunnel.up),
            report,
        })
    }

    /// Sends a change [`Handle::prepare_change`] made. On a refusal, the error says what
    /// became of the tunnel: unchanged, or restored as it was (read back), or what differs.
    pub(crate) fn send_change(&mut self, tunnel: &Tunnel, change: &PreparedChange) -> Result<()> {
        let sent = change
            .requests(tunnel)
            .into_iter()
            .try_for_each(|request| self.route.request(request, NLM_F_REQUEST).map(|_| ()));
        let sent = match sent {
            Ok(()) => match change.up {
                Some(up) => self
                    .route
                    .request(set_up_request(tunnel.ifindex, up), NLM_F_REQUEST)
                    .map(|_| ()),
                None => Ok(()),
            },
            Err(err) => Err(err),
        };
        match sent {
            Ok(()) => Ok(()),
            Err(refused) => Err(self.change_refused(tunnel, refused)),
        }
    }

    /// The kernel's refusal of a change of `tunnel`, in words, once what it applied of the
    /// change anyway is put back (see [`Handle::send_change`]).
    pub(crate) fn change_refused(&mut self, tunnel: &Tunnel, refused: NlError) -> Error {
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
        self.put_back(tunnel, err)
    }

    /// Why the kernel answers EEXIST to a tunnel that does not take a used name: it keeps one
    /// tunnel per endpoints (local, remote, underlay device, and for GRE the keys).
    fn same_endpoints(&self, kind: TunnelKind) -> String {
        format!(
            "another {} tunnel in {} has the same local and remote addresses{}; the kernel \
             allows one tunnel per endpoints: change them, or delete the other (see `rfou tunnel show`)",
            if kind.ipv6_underlay() && kind.is_gre() {
                "ip6gre or ip6gretap"
            } else {
                kind.name()
            },
            self.place(),
            if kind.is_gre() { " and keys" } else { "" }
        )
    }

    /// Changes only the encapsulation of tunnel `name` (made by rfou, ip or anything else).
    pub fn tunnel_set_encap(&mut self, name: &str, encap: &EncapSpec) -> Result<ChangeReport> {
        self.tunnel_change(name, &TunnelSettings::encap_only(*encap))
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
            return Err(Error::kernel(
                libc::EBUSY,
                format!(
                    "cannot delete tunnel \"{name}\": the kernel answered success, but it is still there"
                ),
            ));
        }
        Ok(())
    }

    /// Puts a tunnel back as `saved` was read: every tunnel setting, its MTU and its state.
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
        let what = format!("cannot restore tunnel \"{}\"", saved.name);
        let request = change_link_request(
            now.ifindex,
            saved.kind,
            saved.attrs.clone(),
            Some(saved.mtu),
        );
        self.route
            .request(request, NLM_F_REQUEST)
            .map_err(|err| self.refusal(err, &what))?;
        if now.up != saved.up {
            self.route
                .request(set_up_request(now.ifindex, saved.up), NLM_F_REQUEST)
                .map_err(|err| self.refusal(err, &what))?;
        }
        Ok(())
    }

    /// Makes a deleted tunnel again from what was read of it: its kind, every tunnel setting
    /// (underlay device included), MTU, group and state. What lived on the device (addresses,
    /// routes, qdiscs) is not part of it and does not come back.
    pub fn tunnel_recreate(&mut self, saved: &Tunnel) -> Result<()> {
        let link = NewLink {
            mtu: Some(saved.mtu),
            group: Some(saved.group),
            up: saved.up,
        };
        let request = new_link_request(&saved.name, saved.kind, saved.attrs.clone(), link);
        self.route
            .request(request, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL)
            .map_err(|err| {
                self.refusal(err, &format!("cannot recreate tunnel \"{}\"", saved.name))
            })?;
        Ok(())
    }

    /// The index of the underlay device `dev`: a device of that name, or one that is gone
    /// as ip names it (`ifN`).
    pub(crate) fn underlay_index(&mut self, dev: Option<&str>) -> Result<Option<u32>> {
        let Some(dev) = dev else { return Ok(None) };
        match self.ifindex(dev) {
            Ok(index) => Ok(Some(index)),
            Err(err) if err.kind() == ErrorKind::NoSuchDevice => {
                values::gone_device_index(dev).map(Some).ok_or(err)
            }
            Err(err) => Err(err),
        }
    }

    /// FOU and GUE transmit needs the fou module, and fou6 on an IPv6 underlay; neither
    /// loads on demand, and without it the kernel only says "Invalid argument". A module
    /// found once is taken as there for the rest of the handle's life.
    pub(crate) fn load_encap_module(&self, kind: TunnelKind, encap: &Encap) -> Result<()> {
        if encap.kind == EncapType::None {
            return Ok(());
        }
        let module = if kind.ipv6_underlay() { "fou6" } else { "fou" };
        if self.encap_modules.borrow().contains(&module) {
            return Ok(());
        }
        modules::load(module).map_err(|why| {
            Error::new(
                ErrorKind::ModuleMissing,
                format!(
                    "{} encapsulation on a {} tunnel needs the {module} module, which could not be loaded ({why}); run `modprobe {module}`",
                    encap.kind,
                    kind.name()
                ),
            )
        })?;
        self.encap_modules.borrow_mut().push(module);
        Ok(())
    }
}

/// Whether `settings` may change what makes a tunnel unique to the kernel: its local and
/// remote addresses, its underlay device and its input key.
pub(crate) fn touches_endpoints(settings: &TunnelSettings) -> bool {
    settings.local.is_some()
        || settings.remote.is_some()
        || settings.dev.is_some()
        || settings.ikey.is_some()
        || settings.no_ikey
}

/// Whether `settings` change what a tunnel's MTU depends on: its underlay (remote, local,
/// device), its headers (keys, sequence numbers, checksums, encapsulation limit,
/// encapsulation). ip6tnl, ip6gre and ip6gretap work their MTU out again on any change, so
/// for them every change counts.
pub(crate) fn touches_mtu(settings: &TunnelSettings, kind: TunnelKind) -> bool {
    kind.ipv6_underlay()
        || settings.remote.is_some()
        || settings.local.is_some()
        || settings.dev.is_some()
        || settings.ikey.is_some()
        || settings.okey.is_some()
        || settings.no_ikey
        || settings.no_okey
        || settings.oseq.is_some()
        || settings.ocsum.is_some()
        || settings.encap.is_some()
}
