//! Two nodes on one PostgreSQL database and a NATS server of the benchmark's own: live-delivery
//! latency to subscribers on the sender's node and on the other node, measured in the same run
//! (messages alternate between them), and sendMessage throughput on one node against two.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::live::{Subscribers, warm};
use crate::seed;
use crate::server::{Server, free_port};
use crate::stats::{median, percentile};

pub struct Outcome {
    pub subscribers: usize,
    pub same_p50: Duration,
    pub same_p99: Duration,
    pub cross_p50: Duration,
    pub cross_p99: Duration,
    pub one_node: f64,
    pub two_nodes: f64,
}

struct Nats(Child);

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn nats(port: u16) -> Nats {
    let child = Command::new("nats-server")
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nats-server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Nats(child)
}

#[allow(clippy::too_many_arguments)]
pub fn run(
    mimql: &std::path::Path,
    dir: &std::path::Path,
    pg: &str,
    subscribers: usize,
    messages: usize,
    rounds: usize,
    duration: Duration,
) -> Outcome {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let port = free_port();
    let _nats = nats(port);
    let url = seed::fresh_db(dir, "cluster", Some(pg), &rt);
    let cluster = |node: &str| {
        format!("[cluster]\nnats_url = \"nats://127.0.0.1:{port}\"\nnode = \"{node}\"\n")
    };
    let a = Server::start_with(mimql, dir, "node_a", &url, &cluster("bench-a"));
    let b = Server::start_with(mimql, dir, "node_b", &url, &cluster("bench-b"));
    let db = rt
        .block_on(mimql::db::connect(&url, 4))
        .expect("the database");
    let mut names: Vec<String> = (0..subscribers).map(|i| format!("c{i}")).collect();
    names.extend((0..64).map(|i| format!("t{i}")));
    names.push("sender".into());
    let jids = seed::users(&a, &db, &rt, &names);
    let (subs_jids, rest) = jids.split_at(subscribers);
    let (throughput_jids, sender) = rest.split_at(64);
    let sender = a.client(&sender[0], seed::PASSWORD);
    // Even subscribers on the sender's node, odd ones on the other.
    let on = |i: usize| if i.is_multiple_of(2) { &a } else { &b };
    let evens: Vec<String> = subs_jids.iter().step_by(2).cloned().collect();
    let odds: Vec<String> = subs_jids.iter().skip(1).step_by(2).cloned().collect();
    warm(&a, &evens);
    warm(&b, &odds);
    let _ = sender.run(mimql_client::user::check_auth());
    let clients = subs_jids
        .iter()
        .enumerate()
        .map(|(i, j)| on(i).client(j, seed::PASSWORD))
        .collect();
    let subs = Subscribers::open(clients);
    eprintln!("  cluster: {subscribers} subscriptions open on two nodes");
    let latencies = subs.measure(&sender, subs_jids, messages);
    subs.close();
    let (mut same, mut cross): (Vec<Duration>, Vec<Duration>) = (Vec::new(), Vec::new());
    for (target, d) in latencies {
        if target.is_multiple_of(2) {
            same.push(d);
        } else {
            cross.push(d);
        }
    }
    same.sort();
    cross.sort();

    // Throughput: 32 sender→recipient pairs all on node a, against 16 on each node.
    let pairs: Vec<(String, String)> = (0..32)
        .map(|i| {
            (
                throughput_jids[2 * i].clone(),
                throughput_jids[2 * i + 1].clone(),
            )
        })
        .collect();
    let (mut one, mut two) = (Vec::new(), Vec::new());
    crate::send::rate(&[(&a, &pairs[..])], Duration::from_secs(2));
    crate::send::rate(&[(&b, &pairs[..])], Duration::from_secs(2));
    for r in 0..rounds {
        one.push(crate::send::rate(&[(&a, &pairs[..])], duration));
        two.push(crate::send::rate(
            &[(&a, &pairs[..16]), (&b, &pairs[16..])],
            duration,
        ));
        eprintln!(
            "  cluster round {}: one node {:.0} msgs/s, two nodes {:.0} msgs/s",
            r + 1,
            one[r],
            two[r]
        );
    }
    Outcome {
        subscribers,
        same_p50: percentile(&same, 0.5),
        same_p99: percentile(&same, 0.99),
        cross_p50: percentile(&cross, 0.5),
        cross_p99: percentile(&cross, 0.99),
        one_node: median(&mut one),
        two_nodes: median(&mut two),
    }
}
