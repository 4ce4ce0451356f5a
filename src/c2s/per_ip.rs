//! Open c2s connections counted per IP address (`[listen.c2s] max_connections_per_ip`), both
//! listeners together. A connection over the bound is answered `<policy-violation/>` and
//! closed; the count drops when a connection's task ends.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct PerIp {
    /// 0: no limit.
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One counted connection; uncounted when dropped.
pub struct Counted {
    owner: Arc<PerIp>,
    ip: IpAddr,
}

impl PerIp {
    pub fn new(max: usize) -> Arc<PerIp> {
        Arc::new(PerIp {
            max,
            open: Mutex::default(),
        })
    }

    /// Counts a connection from `ip`; `None` when `ip` has the most it may have already.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Counted> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(ip).or_insert(0);
        if self.max > 0 && *n >= self.max {
            if *n == 0 {
                open.remove(&ip);
            }
            return None;
        }
        *n += 1;
        Some(Counted {
            owner: self.clone(),
            ip,
        })
    }

    /// Connections open from `ip`.
    pub fn open(&self, ip: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(&ip).copied().unwrap_or(0)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut open = self.owner.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_per_address_and_released_on_drop() {
        let limits = PerIp::new(2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let one = limits.admit(a).unwrap();
        let _two = limits.admit(a).unwrap();
        assert!(limits.admit(a).is_none());
        let _other = limits.admit(b).unwrap();
        drop(one);
        assert_eq!(limits.open(a), 1);
        let _three = limits.admit(a).unwrap();
        assert!(limits.admit(a).is_none());
        let unlimited = PerIp::new(0);
        let all: Vec<_> = (0..1000).map(|_| unlimited.admit(a).unwrap()).collect();
        assert_eq!(unlimited.open(a), 1000);
        drop(all);
        assert_eq!(unlimited.open(a), 0);
    }
}
