//! Owns the count of open connections per source address: a slot is
//! taken at accept and given back when the connection is dropped, by the
//! gate or by the handler thread it was handed to.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, MutexGuard};

/// Open connections per source, shared by a gate and its handlers.
#[derive(Debug, Default, Clone)]
pub struct Addresses {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Addresses {
    /// A slot for one more connection from `peer`, or None when it has
    /// `cap` open already.
    pub fn take(&self, peer: IpAddr, cap: usize) -> Option<AddressSlot> {
        let source = source_of(peer);
        let mut open = lock(&self.open);
        let n = open.entry(source).or_insert(0);
        if *n >= cap {
            return None;
        }
        *n += 1;
        Some(AddressSlot { open: self.open.clone(), source })
    }

    #[cfg(test)]
    pub fn open_from(&self, peer: IpAddr) -> usize {
        lock(&self.open).get(&source_of(peer)).copied().unwrap_or(0)
    }
}

/// One connection counted against its source until dropped (also when
/// the thread holding it panics).
#[derive(Debug)]
pub struct AddressSlot {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    source: IpAddr,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = lock(&self.open);
        if let Some(n) = open.get_mut(&self.source) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.source);
            }
        }
    }
}

/// A poisoned lock still holds valid counts (each change is one step).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What one source is: an IPv4 address (also when IPv4-mapped), or an
/// IPv6 /64 (one host usually holds a whole /64, so counting single
/// IPv6 addresses would cap nothing).
fn source_of(peer: IpAddr) -> IpAddr {
    match peer.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_count_per_source_and_come_back_on_drop() {
        let a = Addresses::default();
        let one: IpAddr = "127.0.0.1".parse().expect("ip");
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().expect("ip");
        let s1 = a.take(one, 2).expect("first");
        let s2 = a.take(mapped, 2).expect("second, the same IPv4 source");
        assert!(a.take(one, 2).is_none(), "cap of 2 reached");
        assert!(a.take("127.0.0.2".parse().expect("ip"), 2).is_some(), "another address");
        drop(s1);
        assert_eq!(a.open_from(one), 1);
        let _s3 = a.take(one, 2).expect("a slot came back");
        drop(s2);
        let v6a = a.take("2001:db8::1".parse().expect("ip"), 1).expect("v6");
        assert!(a.take("2001:db8::ffff:2".parse().expect("ip"), 1).is_none(), "same /64");
        assert!(a.take("2001:db8:0:1::1".parse().expect("ip"), 1).is_some(), "another /64");
        drop(v6a);
        assert_eq!(a.open_from("2001:db8::1".parse().expect("ip")), 0);
    }
}
