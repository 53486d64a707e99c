//! rr: a TCP request/response load tool for bench/dataplane (the role of netperf's TCP_RR).
//!
//!   rr server ADDR:PORT
//!       Accepts connections forever; on each, answers every byte received with one byte.
//!   rr client ADDR:PORT CONNS SECONDS
//!       Opens CONNS connections (one thread each), then on each, for SECONDS: sends one byte,
//!       waits for the one-byte answer, and records how long that took. Prints "tick N" at
//!       each whole second N of the run (so that counters can be read in step with it), then
//!       one line:
//!       transactions=N seconds=S tps=T p50_us=.. p90_us=.. p95_us=.. p99_us=..
//!       tps counts all connections together; the percentiles are over every transaction.
//!
//! Built on its own by bench/dataplane (`rustc -O`), std only, so that it needs nothing from
//! crates.io and nothing from the rfou workspace.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::exit;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

fn usage() -> ! {
    eprintln!("usage: rr server ADDR:PORT\n       rr client ADDR:PORT CONNS SECONDS");
    exit(2)
}

fn fail(what: &str, err: std::io::Error) -> ! {
    eprintln!("rr: {what}: {err}");
    exit(1)
}

fn serve(addr: &str) -> ! {
    let listener = TcpListener::bind(addr).unwrap_or_else(|e| fail(&format!("bind {addr}"), e));
    for conn in listener.incoming() {
        let mut conn = match conn {
            Ok(c) => c,
            Err(e) => {
                eprintln!("rr: accept: {e}");
                continue;
            }
        };
        thread::spawn(move || {
            let _ = conn.set_nodelay(true);
            let mut byte = [0u8; 1];
            loop {
                match conn.read(&mut byte) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if conn.write_all(&byte).is_err() {
                            break;
                        }
                    }
                }
            }
        });
    }
    exit(1)
}

/// One connection's transactions until `deadline`; returns each one's latency in nanoseconds.
fn ping_pong(mut conn: TcpStream, start: &Barrier, secs: f64) -> Vec<u32> {
    let mut lat = Vec::with_capacity(1 << 16);
    let mut byte = [b'x'; 1];
    start.wait();
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    loop {
        let t0 = Instant::now();
        if t0 >= deadline {
            break;
        }
        conn.write_all(&byte).unwrap_or_else(|e| fail("send", e));
        conn.read_exact(&mut byte)
            .unwrap_or_else(|e| fail("receive", e));
        let ns = t0.elapsed().as_nanos();
        lat.push(u32::try_from(ns).unwrap_or(u32::MAX));
    }
    lat
}

/// Nearest-rank percentile of sorted nanoseconds, in microseconds.
fn percentile_us(sorted: &[u32], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
}

fn client(addr: &str, conns: usize, secs: f64) {
    // Connect all first, so that the timed part has every connection running.
    let streams: Vec<TcpStream> = (0..conns)
        .map(|_| {
            let s =
                TcpStream::connect(addr).unwrap_or_else(|e| fail(&format!("connect {addr}"), e));
            s.set_nodelay(true)
                .unwrap_or_else(|e| fail("TCP_NODELAY", e));
            s
        })
        .collect();
    let start = Arc::new(Barrier::new(conns + 1));
    let workers: Vec<_> = streams
        .into_iter()
        .map(|s| {
            let start = Arc::clone(&start);
            thread::spawn(move || ping_pong(s, &start, secs))
        })
        .collect();
    start.wait();
    let t0 = Instant::now();
    // "tick N" at N whole seconds into the run, for whoever reads counters alongside.
    for n in 1..secs.ceil() as u64 {
        let at = t0 + Duration::from_secs(n);
        thread::sleep(at.saturating_duration_since(Instant::now()));
        println!("tick {n}");
    }
    let mut all: Vec<u32> = Vec::new();
    for w in workers {
        all.extend(w.join().unwrap_or_else(|_| {
            eprintln!("rr: a client thread failed");
            exit(1)
        }));
    }
    let elapsed = t0.elapsed().as_secs_f64();
    if all.is_empty() {
        eprintln!("rr: no transaction completed");
        exit(1);
    }
    all.sort_unstable();
    println!(
        "transactions={} seconds={:.3} tps={:.0} p50_us={:.1} p90_us={:.1} p95_us={:.1} p99_us={:.1}",
        all.len(),
        elapsed,
        all.len() as f64 / elapsed,
        percentile_us(&all, 50.0),
        percentile_us(&all, 90.0),
        percentile_us(&all, 95.0),
        percentile_us(&all, 99.0),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["server", addr] => serve(addr),
        ["client", addr, conns, secs] => {
            let conns: usize = conns
                .parse()
                .ok()
                .filter(|&n| n > 0)
                .unwrap_or_else(|| usage());
            let secs: f64 = secs
                .parse()
                .ok()
                .filter(|&s: &f64| s > 0.0)
                .unwrap_or_else(|| usage());
            client(addr, conns, secs)
        }
        _ => usage(),
    }
}
