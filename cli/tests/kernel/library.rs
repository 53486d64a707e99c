//! The library API, once, against the kernel: a handle on a namespace (by name, path or file
//! descriptor) changes what ip then sees, and its errors come back by kind, with their errno,
//! leaving the kernel's state as it was.

use std::net::IpAddr;

use serde_json::json;

use crate::errors::{populated, port_numbers, state};
use crate::harness::{Netns, A4, A6, B4};

/// The library, once, against the kernel: a handle on a namespace adds, lists and deletes
/// ports and sets a tunnel's encap; ip sees all of it; a refusal comes back as an error with
/// its errno.
#[test]
fn library_api_in_a_namespace() {
    use rfou::{Encap, EncapSpec, EncapType, FouEncap, FouPort, Handle, SourcePort};

    let (ns, _peer) = populated("e-lib");
    let mut handle = Handle::in_netns(ns.name()).expect("Handle::in_netns");
    assert_eq!(handle.netns(), Some(ns.name()));

    let ipip = FouPort::direct(5600, 4);
    let gue6 = FouPort::gue(5601).with_local(A6.parse::<IpAddr>().unwrap());
    handle.fou_add(&ipip).expect("fou_add ipip");
    handle.fou_add(&gue6).expect("fou_add gue6");

    let listed = handle.fou_list().expect("fou_list");
    assert!(listed.contains(&ipip), "{listed:?}");
    let got6 = listed
        .iter()
        .find(|p| p.port == 5601)
        .unwrap_or_else(|| panic!("5601 not listed: {listed:?}"));
    assert_eq!(got6.encap, FouEncap::Gue);
    assert_eq!(got6.family, rfou::Family::Inet6);
    assert_eq!(got6.local, Some(A6.parse().unwrap()));
    assert_eq!(listed.len(), 3, "5555 (by ip), 5600, 5601: {listed:?}");
    assert_eq!(port_numbers(&ns), [5555, 5600, 5601]);

    // A refusal: errno and exit code for programs, a sentence for people.
    let err = handle.fou_add(&ipip).expect_err("duplicate port");
    assert_eq!(err.errno(), Some(libc::EADDRINUSE), "{err}");
    assert_eq!(rfou_cli::exit::status(&err), 1);
    assert!(err.to_string().contains("5600"), "{err}");

    let spec = EncapSpec {
        kind: Some(EncapType::Gue),
        dport: Some(5601),
        sport: Some(SourcePort::Fixed(4000)),
        csum: Some(true),
        ..EncapSpec::default()
    };
    let report = handle.tunnel_set_encap("tun1", &spec).expect("set encap");
    let mtu = report.mtu.expect("an ipip tunnel's MTU is rfou's to fix");
    assert_eq!((mtu.old, mtu.new), (1480, 1468));
    let link = ns.link_json("tun1");
    assert_eq!(
        link["linkinfo"]["info_data"]["encap"],
        json!({"type": "gue", "sport": 4000, "dport": 5601, "csum": true, "csum6": false,
               "remcsum": false}),
        "{link}"
    );
    assert_eq!(link["linkinfo"]["info_data"]["remote"], B4, "{link}");
    assert_eq!(link["linkinfo"]["info_data"]["ttl"], 20, "{link}");
    assert_eq!(link["mtu"], 1468, "{link}");
    let tunnel = handle.tunnel("tun1").expect("tunnel");
    assert_eq!(
        tunnel.encap,
        Encap {
            sport: SourcePort::Fixed(4000),
            csum: true,
            ..Encap::gue(5601)
        }
    );

    handle.fou_del(&ipip).expect("fou_del");
    handle.fou_del(&gue6).expect("fou_del gue6");
    assert_eq!(port_numbers(&ns), [5555]);
    let err = handle.fou_del(&ipip).expect_err("already deleted");
    assert_eq!(rfou_cli::exit::status(&err), 1);
    assert!(err.to_string().contains("no such fou port"), "{err}");
}

/// The library's errors, by kind, for each case the kernel can show: a program tells them
/// apart with `kind()`, never by the text; and none of them changed anything.
#[test]
fn library_errors_by_kind() {
    use rfou::{ErrorKind, FouPort, Handle};

    let (ns, _peer) = populated("e-kind");
    let before = state(&ns);
    let mut handle = Handle::in_netns(ns.name()).expect("Handle::in_netns");

    let missing = format!("{}-missing", ns.name());
    let kind_of = |r: rfou::Result<Handle>| r.err().map(|e| e.kind());
    assert_eq!(
        kind_of(Handle::in_netns(&missing)),
        Some(ErrorKind::NoSuchNamespace)
    );
    assert_eq!(
        kind_of(Handle::in_netns_path(format!("/run/netns/{missing}"))),
        Some(ErrorKind::NoSuchNamespace)
    );
    assert_eq!(
        kind_of(Handle::in_netns_path("/proc/self/stat")),
        Some(ErrorKind::NoSuchNamespace)
    );

    let err = handle.tunnel("nosuch0").expect_err("no such device");
    assert_eq!(err.kind(), ErrorKind::NoSuchDevice, "{err}");
    assert_eq!(rfou_cli::exit::status(&err), 2);
    let err = handle.tunnel_del("nosuch0").expect_err("no such device");
    assert_eq!(err.kind(), ErrorKind::NoSuchDevice, "{err}");

    // 5555 is there (added by ip).
    let err = handle
        .fou_add(&FouPort::direct(5555, 4))
        .expect_err("port in use");
    assert_eq!(err.kind(), ErrorKind::PortInUse, "{err}");
    assert_eq!(err.errno(), Some(libc::EADDRINUSE));
    assert_eq!(rfou_cli::exit::status(&err), 1);

    let err = handle
        .fou_del(&FouPort::direct(5999, 4))
        .expect_err("no such port");
    assert_eq!(err.kind(), ErrorKind::NoSuchPort, "{err}");
    let err = handle
        .fou_del_matching(&FouPort::direct(5999, 4))
        .expect_err("no such port");
    assert_eq!(err.kind(), ErrorKind::NoSuchPort, "{err}");

    let err = handle
        .fou_add(&FouPort::direct(5600, 0))
        .expect_err("ipproto 0");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert_eq!(rfou_cli::exit::status(&err), 2);

    // Another refusal of the kernel: the tunnel `gre1` has these endpoints already.
    let spec = rfou::TunnelSpec {
        name: "gre2".into(),
        kind: rfou::TunnelKind::Gre,
        settings: rfou::TunnelSettings {
            remote: Some(B4.parse().unwrap()),
            local: Some(A4.parse().unwrap()),
            ikey: Some(9),
            okey: Some(9),
            ..Default::default()
        },
    };
    let err = handle.tunnel_add(&spec).expect_err("same endpoints");
    assert_eq!(err.kind(), ErrorKind::KernelRefused, "{err}");
    assert_eq!(err.errno(), Some(libc::EEXIST), "{err}");

    // Without CAP_NET_ADMIN (dropped for one thread only: capabilities are per thread).
    let name = ns.name().to_string();
    let err = std::thread::spawn(move || {
        drop_effective_capability(CAP_NET_ADMIN);
        let mut handle = Handle::in_netns(&name).expect("Handle::in_netns keeps CAP_SYS_ADMIN");
        handle.fou_add(&FouPort::direct(5601, 4))
    })
    .join()
    .unwrap()
    .expect_err("no CAP_NET_ADMIN");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert_eq!(err.errno(), Some(libc::EPERM));

    assert_eq!(
        state(&ns),
        before,
        "a refused call changed the kernel's state"
    );
}

const CAP_NET_ADMIN: u32 = 12;

/// Clears capability `cap` from the calling thread's effective set (capset(2), version 3).
fn drop_effective_capability(cap: u32) {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    let mut header = Header {
        version: 0x2008_0522,
        pid: 0,
    };
    let mut data = [Data::default(); 2];
    // SAFETY: capget and capset read and write exactly a header and two data structs.
    unsafe {
        assert_eq!(
            libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()),
            0,
            "capget: {}",
            std::io::Error::last_os_error()
        );
        data[(cap / 32) as usize].effective &= !(1 << (cap % 32));
        assert_eq!(
            libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()),
            0,
            "capset: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// A handle by the path of a namespace file and one by an open descriptor work in that
/// namespace (ip sees what they do), and leave the calling thread where it was.
#[test]
fn library_handles_by_path_and_fd() {
    use std::os::fd::AsFd;

    use rfou::{FouPort, Handle};

    let ns = Netns::new("e-nsfd");
    let home = std::fs::read_link("/proc/thread-self/ns/net").unwrap();
    let path = format!("/run/netns/{}", ns.name());

    let mut by_path = Handle::in_netns_path(&path).expect("Handle::in_netns_path");
    assert_eq!(
        std::fs::read_link("/proc/thread-self/ns/net").unwrap(),
        home
    );
    by_path.fou_add(&FouPort::direct(5700, 4)).expect("add");
    assert_eq!(port_numbers(&ns), [5700]);
    assert!(by_path.place().contains(&path), "{}", by_path.place());

    let file = std::fs::File::open(&path).unwrap();
    let mut by_fd = Handle::in_netns_fd(file.as_fd()).expect("Handle::in_netns_fd");
    drop(file);
    assert_eq!(
        std::fs::read_link("/proc/thread-self/ns/net").unwrap(),
        home
    );
    let listed: Vec<u16> = by_fd.fou_list().unwrap().iter().map(|p| p.port).collect();
    assert_eq!(listed, [5700]);
    by_fd.fou_add(&FouPort::gue(5701)).expect("add by fd");
    assert_eq!(port_numbers(&ns), [5700, 5701]);
    by_fd.fou_del(&FouPort::direct(5700, 4)).expect("del by fd");
    assert_eq!(port_numbers(&ns), [5701]);

    // The current namespace has none of it.
    let here: Vec<u16> = Handle::new()
        .unwrap()
        .fou_list()
        .unwrap()
        .iter()
        .map(|p| p.port)
        .collect();
    assert!(!here.contains(&5701), "{here:?}");
}
