//! Calls a running mimql: `cargo run -p mimql-client --example check_auth -- http://127.0.0.1:5561 alice@localhost secret`

fn main() {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:5561".into());
    let mut client = mimql_client::Client::new(&base);
    if let (Some(user), Some(password)) = (args.next(), args.next()) {
        client = client.with_basic_auth(&user, &password);
    }
    match client.run(mimql_client::user::check_auth()) {
        Ok(resp) => println!("HTTP {}: {:?} {:?}", resp.status, resp.data, resp.errors),
        Err(e) => {
            eprintln!("check_auth: {e}");
            std::process::exit(1);
        }
    }
}
