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
