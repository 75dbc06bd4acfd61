//! Ports for listeners that are bound later: servers and tests that must
//! know each other's addresses before any of them starts.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::sync::Mutex;

/// Ports this process has handed out: never twice.
static GIVEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// A TCP port on `host` that is free now, and that this process has not
/// handed out before.
///
/// Drawn at random below Linux's ephemeral range (32768–60999). A port
/// from `bind(0)` comes from that range, so between the draw and the bind
/// the kernel may give it to an outgoing connection, or to the next
/// `bind(0)` of the same process: the server then fails to bind while a
/// readiness probe connects to whoever has it. `bind(0)` only if none of
/// the draws is free.
pub fn free_port_on(host: IpAddr) -> std::io::Result<u16> {
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    let given = given.get_or_insert_with(HashSet::new);
    for _ in 0..256 {
        let p = rand::random_range(20_000..32_000u16);
        if !given.contains(&p) && TcpListener::bind((host, p)).is_ok() {
            given.insert(p);
            return Ok(p);
        }
    }
    loop {
        let p = TcpListener::bind((host, 0))?.local_addr()?.port();
        if given.insert(p) {
            return Ok(p);
        }
    }
}

/// [`free_port_on`] 127.0.0.1.
pub fn free_port() -> std::io::Result<u16> {
    free_port_on(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_the_same_port_twice_and_bindable() {
        let ports: Vec<u16> = (0..200).map(|_| free_port().unwrap()).collect();
        let set: HashSet<u16> = ports.iter().copied().collect();
        assert_eq!(set.len(), ports.len());
        assert!(ports.iter().all(|p| (20_000..32_000).contains(p)));
        TcpListener::bind(("127.0.0.1", ports[0])).unwrap();
    }
}
