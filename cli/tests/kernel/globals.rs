//! rfou(8), BATCH FILES: "The global options -n, -j, -p and -6/-4 given before -b apply to
//! every line."

use serde_json::Value;

use crate::harness::{rfou, Netns, A4, B4};

#[test]
fn global_options_before_b_apply_to_every_line() {
    let ns = Netns::new("globals");
    ns.ip_batch(&format!(
        "link add dummy0 type dummy\naddr add {A4}/24 dev dummy0\nlink set dummy0 up"
    ));
    let text = format!(
        "add port 6000 ipproto 4\n\
         add port 6001 gue\n\
         show\n\
         tunnel add t1 mode ipip remote {B4} local {A4}\n\
         tunnel show t1\n"
    );
    let path = std::env::temp_dir().join(format!("{}.batch", ns.name()));
    std::fs::write(&path, text).expect("write the batch");
    // -n by rfou(), then -6 -j -p, all before -b.
    let out = rfou(Some(&ns), &["-6", "-j", "-p", "-b", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    out.assert_ok();

    // -n: the ports and the tunnel are in the namespace.
    let ports = ns.ip_json(&["fou", "show"]);
    // -6: both ports are IPv6 ones, though no line says -6.
    let families: Vec<&str> = ports
        .as_array()
        .expect("ports")
        .iter()
        .map(|p| p["family"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(families, ["inet6", "inet6"], "{ports}\n{out}");
    assert!(ns.try_ip(&["link", "show", "t1"]).status.success(), "{out}");

    // -j -p: each line that prints, prints indented JSON.
    let values: Vec<Value> = serde_json::Deserializer::from_str(&out.stdout)
        .into_iter::<Value>()
        .map(|v| v.unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}")))
        .collect();
    assert_eq!(
        values.len(),
        2,
        "show and tunnel show, each one JSON value:\n{out}"
    );
    assert!(out.stdout.contains("\n  "), "not indented (-p):\n{out}");
    let mut shown = values[0].as_array().cloned().expect("show: an array");
    let mut by_ip = ports.as_array().cloned().expect("ports");
    shown.sort_by_key(Value::to_string);
    by_ip.sort_by_key(Value::to_string);
    assert_eq!(
        shown, by_ip,
        "-6 show lists the IPv6 ports as ip does\n{out}"
    );
    let tunnel = &values[1];
    let tunnel = tunnel.as_array().and_then(|a| a.first()).unwrap_or(tunnel);
    assert_eq!(tunnel["name"], "t1", "{out}");
}
