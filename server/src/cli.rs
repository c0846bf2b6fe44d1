//! The `vanguard` command line: `serve` (the default), `migrate`,
//! `create-admin`, `import-members FILE`, `rebuild` and `precompress DIR`. Every failure is one line on
//! stderr and a non-zero exit.

use crate::startup::{open_store, Application, Config};
use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;
use vanguard_core::accounts::admin::{create_admin, NewAdmin};
use vanguard_core::accounts::import::import_members;
use vanguard_core::auth::AuthConfig;
use vanguard_core::rate::{HeavyRates, Rate};
use vanguard_core::sync::SyncConfig;

#[derive(Parser)]
#[command(
    name = "vanguard",
    version,
    about = "先锋台账 (Vanguard Ledger) server"
)]
struct Cli {
    /// The database: `sqlite:PATH` (created if missing) or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite:data/vanguard.db",
        global = true
    )]
    database_url: String,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the app and the API (the default).
    Serve(ServeArgs),
    /// Apply database migrations, then exit.
    Migrate,
    /// Create a committee admin (and the committee, if it does not exist).
    CreateAdmin(CreateAdminArgs),
    /// Import members from a CSV or .xlsx file: all rows or none.
    ImportMembers(ImportArgs),
    /// Re-materialize the ledger tables from the stored documents.
    Rebuild,
    /// Write a gzip copy (zopfli) beside each .wasm, .js and .css file in
    /// DIR, served to browsers that accept gzip; `make build` runs it on
    /// target/site/pkg.
    Precompress { dir: PathBuf },
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "VANGUARD_ADDR", default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// The built site (WASM, JS, CSS, public files).
    #[arg(long, env = "VANGUARD_SITE_ROOT", default_value = "target/site")]
    site_root: PathBuf,
    /// Seed the demo organisation into an empty database (passwords are public!).
    #[arg(long, env = "VANGUARD_DEMO", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    demo: bool,
    /// With --demo: also seed the year so far (events, records, decisions,
    /// attendance). On unless set to 0.
    #[arg(long, env = "VANGUARD_DEMO_YEAR", default_value_t = true, action = ArgAction::Set, value_parser = BoolishValueParser::new())]
    demo_year: bool,
    /// Largest sync request body, in bytes.
    #[arg(long, env = "VANGUARD_SYNC_BODY_LIMIT", default_value_t = 4 * 1024 * 1024)]
    sync_body_limit: usize,
    /// Bytes one document may take in storage (docs/sync.md, "Limits").
    #[arg(long, env = "VANGUARD_SYNC_DOCUMENT_QUOTA", default_value_t = SyncConfig::default().document_quota)]
    sync_document_quota: u64,
    /// Sync requests a member may make per minute, after a burst of twice as many.
    #[arg(long, env = "VANGUARD_SYNC_RATE_PER_MEMBER", default_value_t = 120)]
    sync_rate_per_member: u32,
    /// Sync requests one address may make per minute, after a burst of half as many.
    #[arg(long, env = "VANGUARD_SYNC_RATE_PER_ADDRESS", default_value_t = 6000)]
    sync_rate_per_address: u32,
    /// Heavy requests (ledgers, sheets, the review queue, previews,
    /// evaluations, exports) a member may make per minute, after a burst of
    /// as many.
    #[arg(long, env = "VANGUARD_HEAVY_RATE_PER_MEMBER", default_value_t = 120)]
    heavy_rate_per_member: u32,
    /// Heavy requests one address may make per minute, after a burst of as many.
    #[arg(long, env = "VANGUARD_HEAVY_RATE_PER_ADDRESS", default_value_t = 600)]
    heavy_rate_per_address: u32,
    /// The address members reach this server at (e.g. https://dj.example.cn),
    /// for the links on check-in QR codes; the listen address when not set.
    /// Never taken from a request's Host header.
    #[arg(long, env = "VANGUARD_PUBLIC_URL")]
    public_url: Option<String>,
    /// Mark session cookies Secure (when served over HTTPS).
    #[arg(long, env = "VANGUARD_SECURE_COOKIES", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    secure_cookies: bool,
}

#[derive(Args)]
struct CreateAdminArgs {
    #[arg(long)]
    username: String,
    /// The admin's name as people know it.
    #[arg(long)]
    name: String,
    /// The committee to administer; created at the top of the tree if absent.
    #[arg(long, default_value = "机关党委")]
    committee: String,
    /// The committee's time zone (decides which year a record belongs to): one
    /// of the zones the build keeps, see docs/architecture.md.
    #[arg(long, default_value = "Asia/Shanghai")]
    time_zone: String,
    /// The password; generated and printed when not given.
    #[arg(long, env = "VANGUARD_ADMIN_PASSWORD", hide_env_values = true)]
    password: Option<String>,
}

#[derive(Args)]
struct ImportArgs {
    /// A .csv (UTF-8) or .xlsx file; see docs/import.md for the columns.
    file: PathBuf,
    /// The committee to import into, when there are several.
    #[arg(long)]
    committee: Option<String>,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let command = match cli.command {
        Some(c) => c,
        // No subcommand: serve, with options from the environment.
        None => Command::Serve(ServeArgs::from_env()?),
    };
    match command {
        Command::Serve(args) => serve(cli.database_url, args).await,
        Command::Migrate => {
            open_store(&cli.database_url)
                .await
                .map_err(|e| e.to_string())?;
            println!("migrations applied");
            Ok(())
        }
        Command::CreateAdmin(args) => {
            let store = open_store(&cli.database_url)
                .await
                .map_err(|e| e.to_string())?;
            let username = args.username.clone();
            let generated = create_admin(
                &store,
                NewAdmin {
                    username: args.username,
                    name: args.name,
                    committee: args.committee,
                    time_zone: args.time_zone,
                    password: args.password,
                },
            )
            .await
            .map_err(|e| e.to_string())?;
            match generated {
                Some(password) => println!("created admin {username}; password: {password}"),
                None => println!("created admin {username}"),
            }
            Ok(())
        }
        Command::Precompress { dir } => {
            let done = crate::precompress::precompress_dir(&dir)
                .map_err(|e| format!("{}: {e}", dir.display()))?;
            for c in done {
                println!(
                    "[site] {} {} bytes ({} gzipped)",
                    c.path.display(),
                    c.original,
                    c.gzipped
                );
            }
            Ok(())
        }
        Command::Rebuild => {
            let store = open_store(&cli.database_url)
                .await
                .map_err(|e| e.to_string())?;
            let count = vanguard_core::sync::rebuild::rebuild(&store)
                .await
                .map_err(|e| e.to_string())?;
            println!("rebuilt the ledger tables from {count} documents");
            Ok(())
        }
        Command::ImportMembers(args) => {
            let store = open_store(&cli.database_url)
                .await
                .map_err(|e| e.to_string())?;
            let report = import_members(&store, &args.file, args.committee.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "imported {} members ({} new organisations)",
                report.members, report.organisations_created
            );
            if !report.generated_passwords.is_empty() {
                println!("generated passwords (hand each to its member; shown only now):");
                println!("username,password");
                for (username, password) in report.generated_passwords {
                    println!("{username},{password}");
                }
            }
            Ok(())
        }
    }
}

impl ServeArgs {
    fn from_env() -> Result<Self, String> {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            serve: ServeArgs,
        }
        Only::try_parse_from(["vanguard"])
            .map(|o| o.serve)
            .map_err(|e| e.to_string())
    }
}

/// `n` a minute, after a burst of `n`.
fn per_minute(n: u32) -> Rate {
    Rate {
        burst: f64::from(n),
        per_second: f64::from(n) / 60.0,
    }
}

async fn serve(database_url: String, args: ServeArgs) -> Result<(), String> {
    let config = Config {
        addr: args.addr,
        database_url,
        site_root: args.site_root,
        demo: args.demo,
        demo_year: args.demo && args.demo_year,
        auth: AuthConfig {
            secure_cookies: args.secure_cookies,
            ..AuthConfig::default()
        },
        sync: SyncConfig {
            body_limit: args.sync_body_limit,
            document_quota: args.sync_document_quota,
            rate_per_member: Rate {
                burst: f64::from(args.sync_rate_per_member) * 2.0,
                per_second: f64::from(args.sync_rate_per_member) / 60.0,
            },
            rate_per_address: Rate {
                burst: f64::from(args.sync_rate_per_address) / 2.0,
                per_second: f64::from(args.sync_rate_per_address) / 60.0,
            },
            ..SyncConfig::default()
        },
        heavy: HeavyRates {
            per_member: per_minute(args.heavy_rate_per_member),
            per_address: per_minute(args.heavy_rate_per_address),
        },
        public_url: args.public_url,
    };
    if !config.site_root.join("pkg").exists() {
        tracing::warn!(
            "{} has no pkg/: pages will render but not hydrate; build with `make build`",
            config.site_root.display()
        );
    }
    let app = Application::build(config)
        .await
        .map_err(|e| e.to_string())?;
    app.run_until(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
    .await
    .map_err(|e| e.to_string())
}
