//! Where networkd 252 keeps, ignores or refuses a line other than a reader taking the
//! file's last word would: the import follows networkd, and names what it leaves.

use super::*;

#[test]
fn the_first_kind_is_kept_and_a_later_other_one_named() {
    let got = one(
        "t.netdev",
        "[NetDev]\nName=t1\nKind=ipip\nKind=bogus\nKind=gre\nKind=ipip\n[Tunnel]\nIndependent=yes\n",
    );
    assert!(got.text.contains("mode = \"ipip\""), "{}", got.text);
    let said = notes(&got);
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(said[0].starts_with("t.netdev:4: Kind=bogus: not a kind of netdev"));
    assert!(said[1].starts_with("t.netdev:5: Kind=gre: line 3 says Kind=ipip first"));
    // A word that is no kind does not hide the kind after it.
    let got = one(
        "t.netdev",
        "[NetDev]\nName=t1\nKind=bogus\nKind=sit\n[Tunnel]\nIndependent=yes\n",
    );
    assert!(got.text.contains("mode = \"sit\""), "{}", got.text);
    assert!(refused("t.netdev", "[NetDev]\nName=t1\nKind=bogus\n")
        .starts_with("t.netdev: no Kind= in [NetDev] names a kind"));
}

#[test]
fn a_tunnel_line_names_one_tunnel_and_one_networkd_refuses_is_named() {
    let netdev = |name: &str| format!("[NetDev]\nName={name}\nKind=ipip\n");
    let got = import(&[
        ("1.netdev", &netdev("t1")),
        ("2.netdev", &netdev("t2")),
        (
            "e.network",
            "[Match]\nName=eth0\n[Network]\nTunnel=t1 t2\nTunnel=t2\nTunnel=\n",
        ),
    ])
    .unwrap();
    let said = notes(&got);
    // t1 is on no device: its only line is ignored; t2 is on eth0.
    assert_eq!(said.len(), 3, "{said:?}");
    assert!(said[0].starts_with("1.netdev:2: Name=t1: networkd makes the tunnel on the device"));
    assert!(said[1].starts_with(
        "e.network:4: Tunnel=t1 t2: it holds white space, not a device name: networkd ignores the line"
    ));
    assert!(said[2].starts_with("e.network:6: Tunnel=: it is empty"));
    assert_eq!(
        got.text.matches("dev = \"eth0\"").count(),
        1,
        "{}",
        got.text
    );
    assert!(
        got.text.contains("# e.network:4: Tunnel=t1 t2: "),
        "{}",
        got.text
    );
}
