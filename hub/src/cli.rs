//! The `sangam-hub` command line: serve, enrol devices, carry bundles, inspect and publish
//! forms, and run the newcomer's demo.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use sangam_core::sync::protocol::{CertPin, Enrolment, HubAddress};
use sangam_core::sync::BundleOptions;
use sangam_core::Role;

use crate::devices::Devices;
use crate::server::{serve, HubConfig};
use crate::{open_store, HubError};

#[derive(Parser)]
#[command(
    name = "sangam-hub",
    version,
    about = "Sangam district sync hub and coordinator tools"
)]
struct Cli {
    /// Keep the hub's data encrypted under the key in this file (64 hexadecimal digits, made
    /// by `sangam-hub key new`). Also `SANGAM_HUB_KEY_FILE`, or the key itself in
    /// `SANGAM_HUB_KEY`. Clear data is encrypted on its first open with a key.
    #[arg(long, global = true)]
    key_file: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the hub: phones sync with it over HTTP(S).
    Serve {
        /// Directory for the hub's data (created on first run).
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        /// Largest request body, in MiB.
        #[arg(long, default_value_t = 32)]
        max_body_mib: usize,
        /// Most records pushed in one request.
        #[arg(long, default_value_t = sangam_core::sync::serve::MAX_DOCS_PER_REQUEST)]
        max_docs: usize,
        /// An upstream hub (state or national) to sync with whenever it is reachable.
        #[arg(long, requires = "upstream_token")]
        upstream: Option<String>,
        #[arg(long)]
        upstream_token: Option<String>,
        /// Seconds between upstream syncs.
        #[arg(long, default_value_t = 30)]
        upstream_interval_secs: u64,
        /// PEM certificate chain for HTTPS.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key for HTTPS.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Largest media file (photo, audio, video) taken, in MiB.
        #[arg(long, default_value_t = 64)]
        max_media_mib: u64,
        /// Media one enrolment's devices may keep on this hub, in MiB.
        #[arg(long, default_value_t = 2048)]
        media_quota_mib: u64,
    },
    /// Enrol, list and revoke devices.
    Device {
        #[command(subcommand)]
        cmd: DeviceCmd,
    },
    /// Web console accounts for coordinators and admins (see `serve`: /console/).
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// Carry changes on a file (USB stick, SD card, Bluetooth share).
    Bundle {
        #[command(subcommand)]
        cmd: BundleCmd,
    },
    /// Check and publish XLSForms.
    Form {
        #[command(subcommand)]
        cmd: FormCmd,
    },
    /// A hub and three simulated phones on this machine: collect offline, sync, merge.
    Demo,
    /// Review responses: states and comments.
    Review {
        #[command(subcommand)]
        cmd: crate::coordinator::ReviewCmd,
    },
    /// List and resolve fields that hold concurrent values.
    Conflicts {
        #[command(subcommand)]
        cmd: crate::coordinator::ConflictsCmd,
    },
    /// Candidate duplicate subjects, scored with reasons.
    Duplicates(crate::coordinator::DuplicatesArgs),
    /// Merge a duplicate subject into the one kept (reversible).
    Merge(crate::coordinator::MergeArgs),
    /// Undo the merge of a subject.
    Unmerge(crate::coordinator::UnmergeArgs),
    /// Export responses (CSV, JSON lines, Automerge) or meeting minutes (Markdown).
    Export(crate::coordinator::ExportArgs),
    /// The data key: make one, or change the key the hub's data is encrypted under.
    Key {
        #[command(subcommand)]
        cmd: KeyCmd,
    },
}

#[derive(Subcommand)]
enum KeyCmd {
    /// Write a new random data key to a file (private; never inside the data directory).
    New {
        #[arg(long)]
        out: PathBuf,
    },
    /// Print this hub's public key: devices and other hubs seal bundles to it
    /// (`bundle export --seal-to`).
    Public {
        #[arg(long)]
        data: PathBuf,
    },
    /// Re-encrypt the hub's data under the key in `--new-key-file` (the hub stopped; the
    /// current key is `--key-file`). Keep the old key until this has finished.
    Rotate {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        new_key_file: PathBuf,
    },
}

#[derive(Subcommand)]
enum DeviceCmd {
    /// Enrol a device; prints its token alone on the last line.
    Add {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        name: String,
        /// A scope (district code) the device may sync; repeat for several.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// field-worker, coordinator or admin.
        #[arg(long)]
        role: String,
        /// The hub's address as phones reach it: also print an enrolment code (for a QR code).
        /// For an https:// address the code pins the hub's certificate (from --hub-cert, or the
        /// one `serve --tls-cert` last used with this data directory), so phones trust exactly it.
        #[arg(long)]
        hub_url: Option<String>,
        /// The hub's TLS certificate (PEM) to pin in the enrolment code.
        #[arg(long, requires = "hub_url")]
        hub_cert: Option<PathBuf>,
    },
    List {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        json: bool,
    },
    Revoke {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Add a console account; reads its password (at least 10 characters) from standard input.
    Add {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        name: String,
        /// The name shown in history and comments (defaults to NAME).
        #[arg(long, default_value = "")]
        display: String,
        /// coordinator or admin (admins see every scope).
        #[arg(long)]
        role: String,
        /// A scope the coordinator sees; repeat for several.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Reset an existing account (new password, role and scopes; its sessions end).
        #[arg(long)]
        replace: bool,
    },
    List {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Disable an account and end all its sessions.
    Disable {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        name: String,
    },
    /// End every session of an account (sign it out everywhere).
    Logout {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum BundleCmd {
    /// Write the hub's records (optionally of some scopes) to a bundle file.
    Export {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Seal the bundle to the hub with this public key (as `sangam-hub key public` prints
        /// it): only that hub can read it, and it refuses the file if one byte changed.
        #[arg(long, conflicts_with = "seal_for_device")]
        seal_to: Option<String>,
        /// Seal the bundle to the phone enrolled as NAME (the key it proved at its last sync):
        /// for a phone that gets its forms and reviews by SD card.
        #[arg(long)]
        seal_for_device: Option<String>,
    },
    /// Import a bundle a device sent, checked as that device's sync would be.
    Import {
        #[arg(long)]
        data: PathBuf,
        file: PathBuf,
        /// The enrolled device the bundle came from (its scopes and role apply).
        #[arg(long)]
        device: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum FormCmd {
    /// Check an XLSForm and print its typed definition, or every problem (exit code 1).
    Inspect {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Publish an XLSForm to the devices of a scope (they receive it on their next sync).
    /// The files its `select_one_from_file` questions name are taken from beside the form;
    /// others (for `pulldata()` and `instance()` lookups, label media) are given with
    /// `--attachment`.
    Publish {
        #[arg(long)]
        data: PathBuf,
        file: PathBuf,
        #[arg(long)]
        scope: String,
        /// A file the form reads (repeatable); its file name is the one the form uses.
        #[arg(long = "attachment")]
        attachments: Vec<PathBuf>,
    },
    /// List published forms.
    List {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    if matches!(cli.cmd, Cmd::Serve { .. }) {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "info,sangam_core=warn".into()),
            )
            .with_writer(std::io::stderr)
            .try_init();
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

fn run(cli: Cli) -> Result<i32, HubError> {
    crate::datakey::init(cli.key_file.as_deref())?;
    match cli.cmd {
        Cmd::Serve {
            data,
            listen,
            max_body_mib,
            max_docs,
            upstream,
            upstream_token,
            upstream_interval_secs,
            tls_cert,
            tls_key,
            max_media_mib,
            media_quota_mib,
        } => {
            let mut config = HubConfig::new(data);
            config.max_media = max_media_mib.max(1) * 1024 * 1024;
            config.media_quota = media_quota_mib.max(1) * 1024 * 1024;
            config.listen = listen;
            config.max_body = max_body_mib.max(1) * 1024 * 1024;
            config.max_docs = max_docs.max(1);
            config.upstream = upstream.zip(upstream_token);
            config.upstream_interval = Duration::from_secs(upstream_interval_secs.max(1));
            if let Some(cert) = &tls_cert {
                // Remembered so that `device add --hub-url https://…` pins this certificate.
                let pin = crate::cert_pin(cert)?;
                sangam_core::files::private_dir(&config.data)?;
                sangam_core::files::write_private(&config.data.join(crate::TLS_PIN_FILE), pin.to_hex().as_bytes())?;
                println!("certificate pin: {pin}");
            }
            config.tls = tls_cert.zip(tls_key);
            let rt = tokio::runtime::Builder::new_multi_thread()
                .max_blocking_threads(16)
                .enable_all()
                .build()?;
            rt.block_on(serve(config))?;
            Ok(0)
        }
        Cmd::Device { cmd } => device(cmd),
        Cmd::User { cmd } => user(cmd),
        Cmd::Bundle { cmd } => bundle(cmd),
        Cmd::Form { cmd } => form(cmd),
        Cmd::Demo => crate::demo::run().map(|_| 0),
        Cmd::Key { cmd } => key(cmd),
        Cmd::Review { cmd } => crate::coordinator::review(cmd),
        Cmd::Conflicts { cmd } => crate::coordinator::conflicts(cmd),
        Cmd::Duplicates(a) => crate::coordinator::duplicates(a),
        Cmd::Merge(a) => crate::coordinator::merge(a),
        Cmd::Unmerge(a) => crate::coordinator::unmerge(a),
        Cmd::Export(a) => crate::coordinator::export(a),
    }
}

fn device(cmd: DeviceCmd) -> Result<i32, HubError> {
    match cmd {
        DeviceCmd::Add {
            data,
            name,
            scopes,
            role,
            hub_url,
            hub_cert,
        } => {
            let role = Role::parse(&role).map_err(|e| HubError::Usage(e.to_string()))?;
            let hub_url = hub_url.map(|u| pinned_address(&data, &u, hub_cert.as_deref())).transpose()?;
            let token = Devices::open(&data)?.add(&name, role, &scopes)?;
            if let Some(hub_url) = hub_url {
                let code = Enrolment { hub_url, token: token.clone() };
                println!("enrolment code: {}", code.encode());
            }
            println!(
                "enrolled '{name}' as {} for {}; its token (shown once):",
                role.as_str(),
                scopes.join(", ")
            );
            println!("{token}");
            Ok(0)
        }
        DeviceCmd::List { data, json } => {
            let list = Devices::open(&data)?.list()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for d in list {
                    println!(
                        "{:<24} {:<13} {:<30} {}",
                        d.name,
                        d.role,
                        d.scopes.join(","),
                        if d.revoked { "REVOKED" } else { "active" }
                    );
                }
            }
            Ok(0)
        }
        DeviceCmd::Revoke { data, name } => {
            Devices::open(&data)?.revoke(&name)?;
            println!("revoked '{name}': its token no longer works");
            Ok(0)
        }
    }
}

fn user(cmd: UserCmd) -> Result<i32, HubError> {
    use crate::console::accounts::Accounts;
    match cmd {
        UserCmd::Add { data, name, display, role, scopes, replace } => {
            let role = Role::parse(&role).map_err(|e| HubError::Usage(e.to_string()))?;
            eprintln!("password for '{name}' (then Enter):");
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            Accounts::open(&data)?.add(&name, &display, role, &scopes, password, replace)?;
            println!(
                "console account '{name}' ({}) for {}",
                role.as_str(),
                if scopes.is_empty() { "every scope".to_string() } else { scopes.join(", ") }
            );
            Ok(0)
        }
        UserCmd::List { data, json } => {
            let list = Accounts::open(&data)?.list()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for u in list {
                    println!(
                        "{:<24} {:<12} {:<30} {}",
                        u.name,
                        u.role.as_str(),
                        u.scopes.map(|s| s.join(",")).unwrap_or_else(|| "*".into()),
                        if u.disabled { "DISABLED" } else { "active" }
                    );
                }
            }
            Ok(0)
        }
        UserCmd::Disable { data, name } => {
            Accounts::open(&data)?.disable(&name)?;
            println!("disabled '{name}' and ended its sessions");
            Ok(0)
        }
        UserCmd::Logout { data, name } => {
            let n = Accounts::open(&data)?.close_all(&name)?;
            println!("ended {n} session(s) of '{name}'");
            Ok(0)
        }
    }
}

fn bundle(cmd: BundleCmd) -> Result<i32, HubError> {
    match cmd {
        BundleCmd::Export { data, out, scopes, seal_to, seal_for_device } => {
            let mut recipient: Option<[u8; 32]> = seal_to
                .map(|k| {
                    hex::decode(k.trim())
                        .ok()
                        .and_then(|b| <[u8; 32]>::try_from(b).ok())
                        .ok_or_else(|| HubError::Usage("--seal-to takes a hub's public key: 64 hexadecimal digits, as `sangam-hub key public` prints it".into()))
                })
                .transpose()?;
            let store = open_store(&data)?;
            if let Some(name) = &seal_for_device {
                let key = store.device_keys_of(name)?.into_iter().next().ok_or_else(|| {
                    HubError::Usage(format!("no phone enrolled as '{name}' has synced with this hub yet, so its key is not known; it must sync once"))
                })?;
                recipient = Some(key);
            }
            let signed = store.export_bundle(&BundleOptions {
                scopes,
                only_unsynced: false,
            })?;
            let h = sangam_core::sync::bundle_header(&signed)?;
            let bytes = match &recipient {
                Some(k) => sangam_core::sync::sealed::seal(&signed, k)?,
                None => signed,
            };
            // Private (0600), never through a planted link, never over a store.
            sangam_core::files::write_private(&out, &bytes).map_err(|e| {
                HubError::Usage(format!("cannot write the bundle to {}: {e}", out.display()))
            })?;
            println!(
                "wrote {} records ({} bytes) to {}{}",
                h.records,
                bytes.len(),
                out.display(),
                if recipient.is_some() { ", sealed" } else { "" }
            );
            Ok(0)
        }
        BundleCmd::Import {
            data,
            file,
            device,
            json,
        } => {
            let peer = Devices::open(&data)?.peer(&device)?;
            let bytes = std::fs::read(&file)?;
            let store = open_store(&data)?;
            let report = store.import_bundle(&bytes, Some(&peer))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "imported: {} changed, {} already here, {} waiting for earlier changes, {} refused",
                    report.changed,
                    report.unchanged,
                    report.pending,
                    report.rejected.len()
                );
                for (id, why) in &report.rejected {
                    println!("  refused {id}: {why}");
                }
                if report.media > 0 || !report.media_refused.is_empty() {
                    println!("media: {} stored, {} refused", report.media, report.media_refused.len());
                }
                for (name, why) in &report.media_refused {
                    println!("  media {name} refused: {why}");
                }
            }
            Ok(if report.rejected.is_empty() { 0 } else { 1 })
        }
    }
}

fn form(cmd: FormCmd) -> Result<i32, HubError> {
    match cmd {
        FormCmd::Inspect { file, json } => {
            let report = sangam_core::forms::inspect(&file);
            if json {
                println!("{}", report.to_json());
            } else {
                print!("{}", report.to_text());
            }
            Ok(report.exit_code())
        }
        FormCmd::Publish { data, file, scope, attachments } => {
            let report = sangam_core::forms::inspect(&file);
            let Some(def) = report.definition.as_ref().filter(|_| report.ok()) else {
                eprint!("{}", report.to_text());
                return Ok(1);
            };
            let mut files: Vec<(String, Vec<u8>)> = Vec::new();
            for path in &attachments {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
                files.push((name, std::fs::read(path)?));
            }
            // The files `select_one_from_file` names, from beside the form when not given.
            let beside = file.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
            let mut missing = Vec::new();
            for (q, _) in def.questions() {
                let Some(list) = q.list_name.as_deref().filter(|_| q.choices_from_file) else { continue };
                if files.iter().any(|(n, _)| n == list) {
                    continue;
                }
                match std::fs::read(beside.join(list)) {
                    Ok(bytes) => files.push((list.to_string(), bytes)),
                    Err(_) => missing.push(list.to_string()),
                }
            }
            if !missing.is_empty() {
                eprintln!(
                    "the form reads {} but no such file was given or lies beside it; give it with --attachment FILE",
                    missing.join(", ")
                );
                return Ok(1);
            }
            let store = open_store(&data)?;
            let id = store.publish_form_with_files(def, &scope, &files)?;
            println!(
                "published {} version {} to scope {scope} as record {id}",
                def.form_id, def.version
            );
            for (name, bytes) in &files {
                println!("  with attachment {name} ({} bytes)", bytes.len());
            }
            Ok(0)
        }
        FormCmd::List { data, json } => {
            let store = open_store(&data)?;
            let forms = store.list_forms(None)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&forms)?);
            } else {
                for f in forms {
                    println!(
                        "{:<28} {:<12} {:<10} {}",
                        f.form_id.unwrap_or_default(),
                        f.form_version.unwrap_or_default(),
                        f.scope,
                        f.title.unwrap_or_default()
                    );
                }
            }
            Ok(0)
        }
    }
}

/// The hub address for an enrolment code: an https:// address gets the pin of `cert`, or of
/// the certificate `serve` last used with `data`; an address that already has a pin keeps it.
pub(crate) fn pinned_address(data: &std::path::Path, url: &str, cert: Option<&std::path::Path>) -> Result<String, HubError> {
    let mut address = HubAddress::parse(url)?;
    if !address.is_https() {
        if cert.is_some() {
            return Err(HubError::Usage("--hub-cert needs an https:// --hub-url".into()));
        }
        return Ok(address.to_string());
    }
    if address.pin.is_some() {
        return Ok(address.to_string());
    }
    address.pin = match cert {
        Some(c) => Some(crate::cert_pin(c)?),
        None => match std::fs::read_to_string(data.join(crate::TLS_PIN_FILE)) {
            Ok(text) => Some(CertPin::parse(text.trim()).ok_or_else(|| {
                HubError::Usage(format!("{} is not a certificate pin; run 'serve --tls-cert' again", data.join(crate::TLS_PIN_FILE).display()))
            })?),
            Err(_) => None,
        },
    };
    if address.pin.is_none() {
        eprintln!("note: no certificate pinned (pass --hub-cert, or run 'serve --tls-cert' once); phones will need a CA-signed certificate");
    }
    Ok(address.to_string())
}

fn key(cmd: KeyCmd) -> Result<i32, HubError> {
    match cmd {
        KeyCmd::New { out } => {
            crate::datakey::write_new(&out)?;
            println!("wrote a new data key to {}", out.display());
            println!("keep a copy somewhere safe and apart from the hub: without it the hub's data cannot be read");
            Ok(0)
        }
        KeyCmd::Public { data } => {
            println!("{}", hex::encode(open_store(&data)?.device_key().public()));
            Ok(0)
        }
        KeyCmd::Rotate { data, new_key_file } => {
            let new = crate::datakey::read_file(&new_key_file)?;
            if crate::datakey::get().is_none() {
                return Err(HubError::Usage("give the current key with --key-file (or SANGAM_HUB_KEY_FILE)".into()));
            }
            for done in crate::datakey::rotate(&data, &new)? {
                println!("re-encrypted {done}");
            }
            println!("the hub's data is now under the key in {}; start the hub with it", new_key_file.display());
            Ok(0)
        }
    }
}
