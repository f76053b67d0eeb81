//! A phone as its own process, so a test can kill it -9 in the middle of moving media:
//! `phone-under-test STORE USER HUB_URL TOKEN` opens the store and runs a media sync, printing
//! `progress <name> <bytes sent or stored>` after every piece.

use std::io::Write;
use std::time::Duration;

use sangam_core::sync::media::{MediaOptions, MediaProgress};
use sangam_core::{Identity, Role, Store};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, store, user, hub, token] = args.as_slice() else {
        eprintln!("usage: phone-under-test STORE USER HUB_URL TOKEN");
        std::process::exit(2);
    };
    let store = Store::open(store, Identity::new(user, user, Role::FieldWorker)).expect("open the store");
    let progress = |p: &MediaProgress| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "progress {} {}", p.name, p.done);
        let _ = out.flush();
    };
    let opts = MediaOptions { progress: Some(&progress), timeout: Duration::from_secs(60), ..Default::default() };
    match store.sync_media(hub, token, &opts) {
        Ok(r) => println!("done {} {}", r.uploaded, r.downloaded),
        Err(e) => {
            println!("error {e}");
            std::process::exit(1);
        }
    }
}
