//! Chains of random states for the property tests (`property.rs`): each state the one before
//! it changed as a later desired state would change it, with the file that asks for it.

use crate::prop_model::{Addresses, Kind, Port, Rng, State, Tunnel};

/// Most tunnels and ports a state has.
const MOST_TUNNELS: usize = 7;
const MOST_PORTS: usize = 5;

/// What a transition asks for: the desired-state file, whether it is applied with
/// `--prune`, and the state the namespace should then hold.
pub struct Transition {
    pub file: String,
    pub prune: bool,
    pub next: State,
}

/// A chain of random states, each the one before it changed as a desired state would change
/// it. Names and ports are the chain's own (`prefix`), so that chains run side by side.
pub struct Chain {
    pub rng: Rng,
    addrs: Addresses,
    prefix: String,
    names: u32,
    ports: u16,
    first_kind: usize,
}

impl Chain {
    /// Chain number `index` of a run seeded with `seed`.
    pub fn new(seed: u64, index: u16) -> Chain {
        Chain {
            rng: Rng::new(seed ^ (u64::from(index) << 48)),
            addrs: Addresses::new(),
            prefix: format!("c{index}"),
            names: 0,
            ports: 10000 + index * 2000,
            first_kind: usize::from(index),
        }
    }

    fn name(&mut self) -> String {
        self.names += 1;
        format!("{}t{}", self.prefix, self.names)
    }

    fn port(&mut self) -> u16 {
        self.ports += 1;
        self.ports
    }

    /// A new tunnel; the kinds take turns as the first tunnel of each state, so that every
    /// kind comes up whatever the seed.
    fn new_tunnel(&mut self, first: bool) -> Tunnel {
        let kind = if first {
            self.first_kind += 1;
            Kind::ALL[self.first_kind % Kind::ALL.len()]
        } else {
            self.rng.pick(&Kind::ALL)
        };
        let name = self.name();
        Tunnel::random(&mut self.rng, &mut self.addrs, &name, kind)
    }

    /// A state of 1 to 4 tunnels and 0 to 3 ports.
    pub fn first(&mut self) -> State {
        let mut state = State::default();
        for i in 0..self.rng.range(1, 4) {
            let t = self.new_tunnel(i == 0);
            state.tunnels.insert(t.name.clone(), t);
        }
        for _ in 0..self.rng.range(0, 3) {
            let n = self.port();
            state.ports.insert(n, Port::random(&mut self.rng, n));
        }
        state
    }

    /// The next state after `prev`: each tunnel kept, changed in place, made anew (maybe of
    /// another kind) or left out of the file; each port kept, given another encapsulation or
    /// left out; new ones added. What the file leaves out stays, unless `--prune` deletes it
    /// (ports, and tunnels with an encapsulation).
    pub fn step(&mut self, prev: &State) -> Transition {
        let prune = self.rng.one_in(2);
        let mut next = State::default();
        let mut file_tunnels = Vec::new();
        let mut file_ports = Vec::new();
        for old in prev.tunnels.values() {
            let mut t = match self.rng.range(0, 9) {
                0 => {
                    if !(prune && old.encap.is_some()) {
                        next.tunnels.insert(old.name.clone(), old.clone());
                    }
                    continue;
                }
                1 => {
                    let kind = self.rng.pick(&Kind::ALL);
                    Tunnel::random(&mut self.rng, &mut self.addrs, &old.name, kind)
                }
                2..=5 => old.tweaked(&mut self.rng, &mut self.addrs),
                _ => old.clone(),
            };
            // A file that leaves out the MTU of a tunnel whose MTU was set by hand keeps it
            // (the MTU is compared only where given): say one, as iproute2 would need it.
            if t.mtu.is_none() && old.mtu.is_some() {
                t.mtu = old.mtu;
            }
            file_tunnels.push(t.clone());
            next.tunnels.insert(t.name.clone(), t);
        }
        for old in prev.ports.values() {
            let mut p = old.clone();
            match self.rng.range(0, 5) {
                0 => {
                    if !prune {
                        next.ports.insert(p.port, p);
                    }
                    continue;
                }
                1 => {
                    while p.ipproto == old.ipproto {
                        p.ipproto = self.rng.pick(&[None, Some(4), Some(41), Some(47)]);
                    }
                }
                _ => {}
            }
            file_ports.push(p.clone());
            next.ports.insert(p.port, p);
        }
        for _ in 0..self.rng.range(0, 2) {
            if next.tunnels.len() < MOST_TUNNELS {
                let t = self.new_tunnel(false);
                file_tunnels.push(t.clone());
                next.tunnels.insert(t.name.clone(), t);
            }
        }
        for _ in 0..self.rng.range(0, 2) {
            if next.ports.len() < MOST_PORTS {
                let n = self.port();
                let p = Port::random(&mut self.rng, n);
                file_ports.push(p.clone());
                next.ports.insert(n, p);
            }
        }
        Transition {
            file: crate::prop_words::file(&file_tunnels, &file_ports),
            prune,
            next,
        }
    }
}
