//! The command line: `serve`, `user add`, `token create`, `audit verify`, `backup`
//! (`backup verify`), `restore`, `rekey`, `seed`.

use std::{io::Read, net::SocketAddr, process::ExitCode};

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use tsunagu_domain::{validation::Errors, AgencyId, AreaId, Role, TokenId};
use tsunagu_store::{
    agencies, areas,
    audit::{self, Verification},
    backup::{self, Seal, Unseal},
    blobs::BlobStore,
    keys::{self, DataKey, KeySource},
    tokens,
    users::{self, NewUser},
    Db, RequestMeta,
};

use crate::serve::{self, ServeOptions};

/// Tsunagu (つなぐ) — the working system of Chiba's developmental-support coordinators
/// (療育支援コーディネーター).
#[derive(Parser, Debug)]
#[command(name = "tsunagu", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Write logs as JSON lines instead of text.
    #[arg(long, global = true, env = "TSUNAGU_LOG_JSON")]
    pub log_json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct DatabaseArg {
    /// Database URL: sqlite://PATH (created if missing) or postgres://USER:PASSWORD@HOST/DB.
    #[arg(
        long = "database",
        env = "TSUNAGU_DATABASE_URL",
        default_value = "sqlite://tsunagu-data/tsunagu.db"
    )]
    pub url: String,
    /// The data key's file (64 hex digits, mode 0600); default: beside the SQLite database
    /// (tsunagu-data/tsunagu.key), made on the first start. Or set TSUNAGU_DATABASE_KEY.
    #[arg(long, env = "TSUNAGU_DATABASE_KEY_FILE")]
    pub database_key_file: Option<std::path::PathBuf>,
    /// The file the audit log's checkpoints are appended to (mode 0600); default: beside the
    /// key file (tsunagu-data/tsunagu.checkpoints). Keep copies off this machine.
    #[arg(long, env = "TSUNAGU_AUDIT_CHECKPOINTS")]
    pub audit_checkpoints: Option<std::path::PathBuf>,
}

impl DatabaseArg {
    /// The data key, made (and its file written) if this is the first start.
    pub fn key(&self) -> anyhow::Result<DataKey> {
        let env = std::env::var(keys::KEY_ENV).ok();
        let (key, source) =
            keys::resolve(env.as_deref(), self.database_key_file.as_deref(), &self.url)
                .map_err(describe)?;
        if let KeySource::NewFile(path) = &source {
            eprintln!(
                "データ鍵を新しく作りました: {}（指紋 {}）。\nこの鍵がないとデータベースも添付ファイルも読めません。データとは別の安全な場所にも控えてください。",
                path.display(),
                key.fingerprint()
            );
        }
        Ok(key)
    }

    /// Where the audit log's checkpoints go: the named file, else beside the key file (named
    /// or default). None when the key comes from the environment for PostgreSQL and no file
    /// is named.
    pub fn checkpoints(&self) -> Option<std::path::PathBuf> {
        self.audit_checkpoints.clone().or_else(|| {
            self.database_key_file
                .clone()
                .or_else(|| keys::default_key_file(&self.url))
                .map(|k| k.with_extension("checkpoints"))
        })
    }

    /// The data key if there is one already; never makes a file (to open an archive).
    fn existing_key(&self) -> anyhow::Result<Option<DataKey>> {
        let env = std::env::var(keys::KEY_ENV).ok();
        keys::existing(env.as_deref(), self.database_key_file.as_deref(), &self.url)
            .map_err(describe)
    }
}

/// Where attachments are kept, as `serve` finds them.
#[derive(Args, Debug, Clone)]
pub struct AttachmentsArg {
    /// Folder for attachments (default: `attachments` beside the SQLite database, or
    /// tsunagu-data/attachments).
    #[arg(long, env = "TSUNAGU_ATTACHMENTS_DIR")]
    pub attachments_dir: Option<std::path::PathBuf>,
    /// Or an S3-compatible bucket, s3://BUCKET/PREFIX (endpoint and keys from AWS_* variables).
    #[arg(long, env = "TSUNAGU_ATTACHMENTS_URL")]
    pub attachments_url: Option<String>,
}

impl AttachmentsArg {
    pub fn store(&self, database_url: &str, key: &DataKey) -> anyhow::Result<BlobStore> {
        BlobStore::configured(
            self.attachments_url.as_deref(),
            self.attachments_dir.as_deref(),
            database_url,
            key,
        )
        .map_err(describe)
    }
}

/// The passphrase that seals a backup.
#[derive(Args, Debug, Clone)]
pub struct PassphraseArg {
    /// A file whose first line is the passphrase (keep it 0600).
    #[arg(long)]
    pub passphrase_file: Option<std::path::PathBuf>,
    /// The passphrase itself (prefer the file: an environment can be read by other programs).
    #[arg(long, env = "TSUNAGU_BACKUP_PASSPHRASE", hide_env_values = true)]
    pub passphrase: Option<String>,
}

impl PassphraseArg {
    fn read(&self) -> anyhow::Result<Option<String>> {
        if let Some(path) = &self.passphrase_file {
            let text = std::fs::read_to_string(path).with_context(|| {
                format!("パスフレーズのファイル {} を読めません", path.display())
            })?;
            let line = text.lines().next().unwrap_or("").to_owned();
            if line.is_empty() {
                bail!("パスフレーズのファイル {} が空です", path.display());
            }
            return Ok(Some(line));
        }
        Ok(self.passphrase.clone().filter(|p| !p.is_empty()))
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web server (migrates the database first).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "TSUNAGU_ADDR", default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        #[command(flatten)]
        database: DatabaseArg,
        /// Fill an empty database with fictional demo data and print the demo accounts.
        #[arg(long)]
        demo: bool,
        /// The address users open, when Tsunagu runs behind a reverse proxy
        /// (e.g. https://tsunagu.example.jp); with https:// cookies are marked Secure.
        #[arg(long, env = "TSUNAGU_PUBLIC_URL")]
        public_url: Option<String>,
        #[command(flatten)]
        attachments: AttachmentsArg,
        /// Days after which an unanswered referral shows on the coordinator's home page.
        #[arg(long, env = "TSUNAGU_REFERRAL_OVERDUE_DAYS", default_value_t = 14)]
        referral_overdue_days: i64,
        /// Coordinators and administrators must log in with a second factor (TOTP): true or
        /// false. On by default; off by default with --demo, whose accounts are fictional.
        #[arg(long, env = "TSUNAGU_REQUIRE_SECOND_FACTOR")]
        require_second_factor: Option<bool>,
        /// Serve Prometheus metrics at /metrics on this separate address (e.g. 127.0.0.1:9464).
        #[arg(long, env = "TSUNAGU_METRICS_ADDR")]
        metrics_addr: Option<SocketAddr>,
        /// Or serve /metrics on the main address to a scraper sending this bearer token.
        #[arg(long, env = "TSUNAGU_METRICS_TOKEN", hide_env_values = true)]
        metrics_token: Option<String>,
        /// How long a request waits for a database connection (milliseconds) before it is
        /// answered 503 database_unavailable.
        #[arg(long, env = "TSUNAGU_DATABASE_WAIT_MS", default_value_t = 2000)]
        database_wait_ms: u64,
        /// A reverse proxy (address or CIDR, e.g. 10.0.0.5 or 10.0.0.0/24) whose
        /// X-Forwarded-For names the client; repeat for several. Without it the client is the
        /// connection's peer.
        #[arg(long = "trusted-proxy", env = "TSUNAGU_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_proxy)]
        trusted_proxies: Vec<ipnet::IpNet>,
        /// Minutes a browser session may stay idle before it ends (1–480); the page warns two
        /// minutes ahead with 「延長する」.
        #[arg(long, env = "TSUNAGU_SESSION_IDLE_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(i64).range(1..=480))]
        session_idle_minutes: i64,
        /// The SMTP server mail notifications go through: smtp://relay:25 (plain),
        /// smtp://user:password@host:587?tls=required (STARTTLS) or smtps://user:password@host
        /// (TLS). Without it no mail is sent.
        #[arg(long, env = "TSUNAGU_SMTP_URL", hide_env_values = true)]
        smtp_url: Option<String>,
        /// The sender of notifications.
        #[arg(
            long,
            env = "TSUNAGU_MAIL_FROM",
            default_value = "つなぐ <tsunagu@localhost>"
        )]
        mail_from: String,
    },
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write an encrypted backup archive of the whole database and its attachments (while the
    /// server runs), or check one: `tsunagu backup verify FILE`.
    Backup(BackupArgs),
    /// Load a backup archive into an empty database of either backend; checks its checksum and
    /// audit chain, and changes nothing if any check fails.
    Restore {
        /// The archive to read.
        file: std::path::PathBuf,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        attachments: AttachmentsArg,
        #[command(flatten)]
        passphrase: PassphraseArg,
    },
    /// Change the data key (stop the server first): the SQLite database and every attachment
    /// are re-encrypted, then the key file is replaced. Safe to run again if interrupted.
    Rekey {
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        attachments: AttachmentsArg,
        /// Where to write the new key (needed when the key comes from TSUNAGU_DATABASE_KEY;
        /// default: the key file itself, the old key kept as KEYFILE.old until you remove it).
        #[arg(long)]
        new_key_file: Option<std::path::PathBuf>,
    },
    /// Fill an empty database with synthetic, clearly fictional data of a chosen size.
    Seed {
        /// small (one area, ~200 children), area (one region, ~4,000), prefecture (60,000).
        #[arg(long, value_enum)]
        scale: crate::seed::Scale,
        /// The same number gives the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[command(flatten)]
        database: DatabaseArg,
    },
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct BackupArgs {
    #[command(subcommand)]
    pub command: Option<BackupCommand>,
    /// The archive to write (replaced if it exists), or a folder to keep generations in
    /// (tsunagu-YYYYMMDD-HHMMSS.backup).
    #[arg(required = true)]
    pub file: Option<std::path::PathBuf>,
    /// With a folder: how many generations to keep; older ones are removed.
    #[arg(long)]
    pub keep: Option<usize>,
    #[command(flatten)]
    pub database: DatabaseArg,
    #[command(flatten)]
    pub attachments: AttachmentsArg,
    /// Seal with this passphrase instead of the data key.
    #[command(flatten)]
    pub passphrase: PassphraseArg,
}

/// Generations kept when `--keep` is not given: a week of daily backups.
pub const DEFAULT_GENERATIONS: usize = 7;

#[derive(Subcommand, Debug)]
pub enum BackupCommand {
    /// Check an archive without restoring it: it opens with the key, every line and the
    /// checksum and counts match, and the audit chain in it is unbroken.
    Verify {
        /// The archive to check.
        file: std::path::PathBuf,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        passphrase: PassphraseArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input (at least 12 characters).
    Add {
        /// Login name (3–64 ASCII letters, digits, '.', '_' or '-').
        #[arg(long)]
        login: String,
        /// Name shown on screen, e.g. "山田 花子".
        #[arg(long)]
        name: String,
        /// coordinator, supervisor, agency_staff, committee or admin.
        #[arg(long)]
        role: String,
        /// Area (name or id) a coordinator or supervisor serves; repeat for several.
        #[arg(long = "area")]
        areas: Vec<String>,
        /// Agency (name or id) an agency_staff user belongs to.
        #[arg(long)]
        agency: Option<String>,
        /// Make the user choose a new password at the first login.
        #[arg(long)]
        must_change_password: bool,
        #[command(flatten)]
        database: DatabaseArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token for a user and print it (it is shown only this once).
    Create {
        /// The user the token acts as.
        #[arg(long)]
        login: String,
        /// What the token is for, shown on the admin screen.
        #[arg(long, default_value = "コマンドで発行")]
        name: String,
        /// Days until the token expires (1–1095).
        #[arg(long, default_value_t = 90)]
        expires_in: i64,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// List a user's tokens: id, what for, last use, expiry and state.
    List {
        #[arg(long)]
        login: String,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Revoke a token by its id (from `token list`).
    Revoke {
        id: i64,
        #[command(flatten)]
        database: DatabaseArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Recompute the audit log's hash chain and compare it with the latest checkpoint: prints
    /// "OK, N entries" or what is broken or missing (and exits with status 1).
    Verify {
        #[command(flatten)]
        database: DatabaseArg,
        /// Compare with the newest checkpoint in this file (a checkpoint file, a line kept from
        /// `tsunagu audit head`, or a backup archive) instead of the default checkpoint file.
        #[arg(long)]
        checkpoint: Option<std::path::PathBuf>,
    },
    /// Print the chain's head as a checkpoint line, to keep somewhere else.
    Head {
        #[command(flatten)]
        database: DatabaseArg,
    },
}

/// A trusted proxy: an address (one host) or a network in CIDR notation.
fn parse_proxy(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{text} はアドレスでもCIDR（10.0.0.0/24 など）でもありません"))
}

pub fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TSUNAGU_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn open(database: &DatabaseArg) -> anyhow::Result<Db> {
    open_database(&database.url, &database.key()?).await
}

/// Connects with the data key, migrates, and checks the key is this database's.
pub async fn open_database(url: &str, key: &DataKey) -> anyhow::Result<Db> {
    open_database_waiting(url, key, std::time::Duration::from_secs(10)).await
}

/// [`open_database`] whose pool answers "unavailable" after `wait` without a connection.
pub async fn open_database_waiting(
    url: &str,
    key: &DataKey,
    wait: std::time::Duration,
) -> anyhow::Result<Db> {
    let db = connect(url, key, wait).await?;
    db.migrate()
        .await
        .context("データベースの更新（マイグレーション）に失敗しました")?;
    keys::check(&db, key).await.map_err(describe)?;
    Ok(db)
}

async fn connect(url: &str, key: &DataKey, wait: std::time::Duration) -> anyhow::Result<Db> {
    Db::connect_waiting(url, key, wait)
        .await
        .map_err(|e| match e {
            tsunagu_store::Error::WrongDataKey(message) => anyhow::anyhow!("{message}"),
            other => anyhow::Error::from(other).context(format!(
                "データベースに接続できません: {}",
                tsunagu_store::db::redact_url(url)
            )),
        })
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve {
            addr,
            database,
            demo,
            public_url,
            attachments,
            referral_overdue_days,
            require_second_factor,
            metrics_addr,
            metrics_token,
            database_wait_ms,
            trusted_proxies,
            session_idle_minutes,
            smtp_url,
            mail_from,
        } => {
            let database_key = database.key()?;
            let audit_checkpoints = database.checkpoints();
            let attachments = attachments.store(&database.url, &database_key)?;
            eprintln!("データ鍵の指紋: {}", database_key.fingerprint());
            serve::run(ServeOptions {
                addr,
                database_key,
                database_url: database.url,
                demo,
                public_url,
                attachments,
                referral_overdue_days,
                require_second_factor: require_second_factor.unwrap_or(!demo),
                metrics_addr,
                metrics_token,
                database_wait: std::time::Duration::from_millis(database_wait_ms),
                audit_checkpoints,
                trusted_proxies,
                session_idle: time::Duration::minutes(session_idle_minutes),
                mail: smtp_url.map(|smtp_url| crate::mail::MailSettings {
                    smtp_url,
                    from: mail_from,
                }),
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::User(UserCommand::Add {
            login,
            name,
            role,
            areas,
            agency,
            must_change_password,
            database,
        }) => {
            let db = open(&database).await?;
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("標準入力からパスワードを読めません")?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            let mut errors = Errors::new();
            let login = errors.login("login", &login);
            let name = errors.required_line("name", "氏名", &name);
            errors.new_password("password", &password);
            let role = Role::from_code(&role).with_context(|| {
                format!("役割 {role} はありません（coordinator, supervisor, agency_staff, committee, admin）")
            })?;
            if let Some(first) = errors.all().first() {
                bail!("{}", first.message);
            }
            let area_ids = resolve_areas(&db, &areas).await?;
            let agency_id = match agency {
                Some(a) => Some(resolve_agency(&db, &a).await?),
                None => None,
            };
            let mut tx = db.begin().await?;
            let new = NewUser {
                login: login.clone(),
                display_name: name,
                role,
                area_ids,
                agency_id,
                password,
                must_change_password,
            };
            let id = users::create(&mut tx, &RequestMeta::cli(), None, new)
                .await
                .map_err(describe)?;
            tx.commit().await?;
            db.close().await;
            println!(
                "ユーザー {login}（ID {id}、{}）を作成しました。",
                role.label()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Token(TokenCommand::Create {
            login,
            name,
            expires_in,
            database,
        }) => {
            let db = open(&database).await?;
            let user = users::find_by_login(&db, &login)
                .await?
                .with_context(|| format!("ユーザー {login} はいません"))?;
            let mut tx = db.begin().await?;
            let (_, token) = tokens::create(
                &mut tx,
                &RequestMeta::cli(),
                None,
                user.id,
                &name,
                time::Duration::days(expires_in),
            )
            .await
            .map_err(describe)?;
            tx.commit().await?;
            db.close().await;
            eprintln!("{login} のAPIトークンを発行しました（{expires_in}日間有効）。二度と表示されないので控えてください:");
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Token(TokenCommand::List { login, database }) => {
            let db = open(&database).await?;
            let user = users::find_by_login(&db, &login)
                .await?
                .with_context(|| format!("ユーザー {login} はいません"))?;
            let list = tokens::list_for_user(&db, user.id).await?;
            db.close().await;
            let when = |t: Option<time::OffsetDateTime>| {
                t.map_or_else(
                    || "-".to_owned(),
                    |t| {
                        t.format(&time::format_description::well_known::Rfc3339)
                            .unwrap_or_default()
                    },
                )
            };
            println!("id\tname\tprefix\tlast_used\texpires\tstate");
            for t in list {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else if t.is_expired() {
                    "expired"
                } else {
                    "valid"
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{state}",
                    t.id.0,
                    t.name,
                    t.prefix,
                    when(t.last_used_at),
                    when(t.expires_at)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Token(TokenCommand::Revoke { id, database }) => {
            let db = open(&database).await?;
            let mut tx = db.begin().await?;
            let revoked =
                tokens::revoke_by_operator(&mut tx, &RequestMeta::cli(), TokenId(id)).await;
            match revoked {
                Ok(()) => {
                    tx.commit().await?;
                    db.close().await;
                    println!("APIトークン {id} を失効させました。");
                    Ok(ExitCode::SUCCESS)
                }
                Err(tsunagu_store::Error::NotFound) => {
                    db.close().await;
                    bail!("有効なAPIトークン {id} はありません")
                }
                Err(e) => Err(describe(e)),
            }
        }
        Command::Seed {
            scale,
            seed,
            database,
        } => {
            let key = database.key()?;
            open_database(&database.url, &key).await?.close().await;
            let db = Db::connect_for_bulk_load(&database.url, &key).await?;
            crate::seed::run(&db, scale, seed).await?;
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup(BackupArgs {
            command:
                Some(BackupCommand::Verify {
                    file,
                    database,
                    passphrase,
                }),
            ..
        }) => {
            let key = database.existing_key()?;
            let passphrase = passphrase.read()?;
            let unseal = Unseal {
                passphrase: passphrase.as_deref(),
                key: key.as_ref(),
            };
            let header = backup::read_header(&file).map_err(describe)?;
            let summary = backup::verify(&file, unseal).await.map_err(describe)?;
            println!(
                "OK: {} は完全です（{}）",
                file.display(),
                archive_summary(&header, &summary)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup(BackupArgs {
            command: None,
            file,
            keep,
            database,
            attachments,
            passphrase,
        }) => {
            let file = file.context("書き出すファイルかフォルダを指定してください")?;
            let generations = file.is_dir();
            if keep.is_some() && !generations {
                bail!("--keep は世代を残すフォルダを指定したときだけ使えます: {} はフォルダではありません", file.display());
            }
            let keep = keep.unwrap_or(DEFAULT_GENERATIONS);
            if keep == 0 {
                bail!("--keep は1以上にしてください");
            }
            let target = if generations {
                backup::generation_path(&file).map_err(describe)?
            } else {
                file.clone()
            };
            let key = database.key()?;
            let db = open_database(&database.url, &key).await?;
            let passphrase = passphrase.read()?;
            let (seal, sealed_with) = match &passphrase {
                Some(p) => (Seal::Passphrase(p), "パスフレーズ".to_owned()),
                None => (
                    Seal::DataKey(&key),
                    format!("データ鍵 {}", key.fingerprint()),
                ),
            };
            let summary =
                backup::create(&db, &attachments.store(&database.url, &key)?, &target, seal)
                    .await
                    .map_err(describe)?;
            audit::record_alone(
                &db,
                &RequestMeta::cli(),
                audit::Event::new("backup_created").detail(format!(
                    "{} rows, {} attachments, sealed with {}",
                    summary.rows,
                    summary.attachments,
                    if passphrase.is_some() {
                        "a passphrase".to_owned()
                    } else {
                        format!("data key {}", key.fingerprint())
                    }
                )),
            )
            .await?;
            db.close().await;
            println!(
                "バックアップを書き出しました: {}（表 {}、行 {}、添付 {}、監査ログ {} 件。{}で暗号化）",
                target.display(),
                summary.tables,
                summary.rows,
                summary.attachments,
                summary.audit_entries,
                sealed_with
            );
            if generations {
                for removed in backup::rotate(&file, keep).map_err(describe)? {
                    println!("古い世代を削除しました: {}", removed.display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Rekey {
            database,
            attachments,
            new_key_file,
        } => crate::rekey::run(&database, &attachments, new_key_file.as_deref()).await,
        Command::Restore {
            file,
            database,
            attachments,
            passphrase,
        } => {
            let header = backup::read_header(&file).map_err(describe)?;
            // An archive sealed with a data key restores under that same key: said before a
            // new database or key file is made for the wrong one.
            if let Some(recorded) = header
                .sealing
                .as_ref()
                .and_then(|s| s.key_fingerprint.as_deref())
            {
                match database.existing_key()? {
                    Some(k) if k.fingerprint() == recorded => {}
                    Some(k) => bail!(
                        "このバックアップは別のデータ鍵（指紋 {recorded}）で暗号化されています。指定された鍵は {} です。",
                        k.fingerprint()
                    ),
                    None => bail!(
                        "このバックアップはデータ鍵（指紋 {recorded}）で暗号化されています。その鍵ファイルを --database-key-file で指定してください。"
                    ),
                }
            }
            let key = database.key()?;
            let db = connect(&database.url, &key, std::time::Duration::from_secs(10)).await?;
            let passphrase = passphrase.read()?;
            let unseal = Unseal {
                passphrase: passphrase.as_deref(),
                key: Some(&key),
            };
            let summary =
                backup::restore(&db, &attachments.store(&database.url, &key)?, &file, unseal)
                    .await
                    .map_err(describe)?;
            keys::check(&db, &key).await.map_err(describe)?;
            audit::record_alone(
                &db,
                &RequestMeta::cli(),
                audit::Event::new("backup_restored").detail(format!(
                    "from {} made {} ({} rows, {} attachments)",
                    header.source, header.created_at, summary.rows, summary.attachments
                )),
            )
            .await?;
            db.close().await;
            println!("復元しました（{}）", archive_summary(&header, &summary));
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(AuditCommand::Verify {
            database,
            checkpoint,
        }) => {
            let db = open(&database).await?;
            let result = verify_audit(&db, &database, checkpoint.as_deref()).await;
            // Closed, so SQLite folds its write-ahead log back into the file.
            db.close().await;
            result
        }
        Command::Audit(AuditCommand::Head { database }) => {
            let db = open(&database).await?;
            let line = audit::head_line(&db).await?;
            db.close().await;
            println!("{line}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `tsunagu audit verify`: the chain by itself, then against the newest checkpoint of `given`
/// (or of the default checkpoint file, when there is one).
async fn verify_audit(
    db: &Db,
    database: &DatabaseArg,
    given: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    let entries = match audit::verify(db).await? {
        Verification::Intact { entries } => entries,
        Verification::Broken { entry_id, reason } => {
            println!("BROKEN at entry {entry_id}: {reason}");
            return Ok(ExitCode::FAILURE);
        }
        Verification::Truncated { from, to } => {
            println!("BROKEN: entries {from}-{to} are missing");
            return Ok(ExitCode::FAILURE);
        }
    };
    let file = match given {
        Some(file) => Some(file.to_owned()),
        None => database.checkpoints().filter(|f| f.exists()),
    };
    let Some(file) = file else {
        println!("OK, {entries} entries (no checkpoint to compare with)");
        return Ok(ExitCode::SUCCESS);
    };
    let key = audit::chain_key(db);
    let latest = if backup::is_archive(&file) {
        let header = backup::read_header(&file).map_err(describe)?;
        match header.audit_checkpoint.as_deref() {
            Some(line) => audit::Checkpoint::parse(line, key).map_err(describe)?,
            None => None,
        }
    } else {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("{} を読めません", file.display()))?;
        audit::latest_checkpoint(&text, key).map_err(describe)?
    };
    let Some(checkpoint) = latest else {
        if given.is_some() {
            println!(
                "BROKEN: {} holds no checkpoint of this database's key ({})",
                file.display(),
                key.keyed_by()
            );
            return Ok(ExitCode::FAILURE);
        }
        println!("OK, {entries} entries (no checkpoint of this key yet)");
        return Ok(ExitCode::SUCCESS);
    };
    let at = checkpoint
        .at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    match audit::check_checkpoint(db, &checkpoint).await? {
        Verification::Intact { .. } => {
            println!(
                "OK, {entries} entries (checkpoint of {at} at entry {} matches, {})",
                checkpoint.id,
                file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Verification::Truncated { from, to } => {
            println!(
                "BROKEN: entries {from}-{to} are missing (the checkpoint of {at} in {} records entry {to})",
                file.display()
            );
            eprintln!("監査ログの記録 {from}〜{to} が削除されています。");
            Ok(ExitCode::FAILURE)
        }
        Verification::Broken { entry_id, reason } => {
            println!(
                "BROKEN at entry {entry_id}: {reason} of {at} in {}",
                file.display()
            );
            eprintln!("監査ログの記録 {entry_id} がチェックポイントと一致しません（書き換えられています）。");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// What an archive held, as `backup verify` and `restore` report it.
fn archive_summary(header: &backup::Header, summary: &backup::Summary) -> String {
    format!(
        "{} で {} に作成。表 {}、行 {}、添付 {}、監査ログ {} 件の連鎖を確認済み",
        header.source,
        header.created_at,
        summary.tables,
        summary.rows,
        summary.attachments,
        summary.audit_entries
    )
}

pub(crate) fn describe(e: tsunagu_store::Error) -> anyhow::Error {
    match e {
        tsunagu_store::Error::Conflict("login") => {
            anyhow::anyhow!("このログインIDはすでに使われています")
        }
        tsunagu_store::Error::Invalid { message, .. } => anyhow::anyhow!("{message}"),
        tsunagu_store::Error::Other(message) | tsunagu_store::Error::WrongDataKey(message) => {
            anyhow::anyhow!("{message}")
        }
        other => other.into(),
    }
}

async fn resolve_areas(db: &Db, names: &[String]) -> anyhow::Result<Vec<AreaId>> {
    let all = areas::all_areas(db).await?;
    names
        .iter()
        .map(|n| {
            all.iter()
                .find(|a| a.name == *n || a.id.0.to_string() == *n)
                .map(|a| a.id)
                .with_context(|| format!("地域 {n} はありません"))
        })
        .collect()
}

async fn resolve_agency(db: &Db, name: &str) -> anyhow::Result<AgencyId> {
    agencies::all(db)
        .await?
        .into_iter()
        .find(|a| a.name == name || a.id.0.to_string() == name)
        .map(|a| a.id)
        .with_context(|| format!("関係機関 {name} はありません"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}
