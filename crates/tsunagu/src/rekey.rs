//! `tsunagu rekey`: a new data key for the database and every attachment. The new key is
//! staged beside the old one first, the attachments are re-encrypted (each file replaced
//! whole), then the database, and only then does the new key take the old one's place; a run
//! cut short is finished by running it again.

use std::{path::Path, process::ExitCode};

use anyhow::{bail, Context};
use tsunagu_store::{
    audit,
    db::{self, query},
    keys::{self, DataKey},
    Backend, RequestMeta,
};

use crate::cli::{describe, AttachmentsArg, DatabaseArg};

async fn connect(url: &str, key: &DataKey) -> anyhow::Result<tsunagu_store::Db> {
    let db = tsunagu_store::Db::connect(url, key)
        .await
        .map_err(describe)?;
    db.migrate()
        .await
        .context("データベースの更新（マイグレーション）に失敗しました")?;
    Ok(db)
}

pub async fn run(
    database: &DatabaseArg,
    attachments: &AttachmentsArg,
    new_key_file: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let from_env = std::env::var(keys::KEY_ENV).is_ok_and(|v| !v.is_empty());
    let key_file = database
        .database_key_file
        .clone()
        .or_else(|| keys::default_key_file(&database.url));
    // Where the new key waits until everything is encrypted with it.
    let staged = match (new_key_file, from_env, &key_file) {
        (Some(path), _, _) => path.to_owned(),
        (None, true, _) => bail!(
            "鍵が環境変数 {} にあるときは、新しい鍵の書き出し先を --new-key-file で指定してください",
            keys::KEY_ENV
        ),
        (None, false, Some(file)) => file.with_extension("key.new"),
        (None, false, None) => bail!("鍵ファイルを --database-key-file で指定してください"),
    };
    let old = match (from_env, &key_file) {
        (true, _) => database.key()?,
        (false, Some(file)) if file.exists() => DataKey::read_file(file).map_err(describe)?,
        _ => bail!("今の鍵ファイルが見つかりません"),
    };
    let new = if staged.exists() {
        DataKey::read_file(&staged).map_err(describe)?
    } else {
        let key = DataKey::generate();
        key.write_file(&staged).map_err(describe)?;
        key
    };
    if new == old {
        bail!("新しい鍵が今の鍵と同じです");
    }

    // The database opens with the old key, or already with the new one after an interrupted
    // run; and its recorded key is one of the two (never a third: that would be another
    // database's key file).
    let (db, db_key) = match connect(&database.url, &old).await {
        Ok(db) => (db, &old),
        Err(first) => match connect(&database.url, &new).await {
            Ok(db) => (db, &new),
            Err(_) => return Err(first),
        },
    };
    if keys::check(&db, &old).await.is_err() {
        keys::check(&db, &new).await.map_err(describe)?;
    }
    let old_blobs = attachments.store(&database.url, &old)?;
    let new_blobs = old_blobs.with_key(&new);
    let stored: Vec<(String,)> = query("SELECT storage_key FROM attachments ORDER BY id")
        .fetch_all(&db)
        .await?;
    let mut rewrapped = 0;
    for (storage_key,) in &stored {
        if !new_blobs.opens(storage_key).await.map_err(describe)? {
            new_blobs
                .rewrap_from(&old_blobs, storage_key)
                .await
                .map_err(describe)
                .with_context(|| format!("添付 {storage_key} を暗号化し直せません"))?;
            rewrapped += 1;
        }
    }
    if db.backend() == Backend::Sqlite && db_key == &old {
        db.close().await;
        db::rekey_sqlite(&database.url, &old, &new)
            .await
            .map_err(describe)?;
    } else {
        db.close().await;
    }
    let db = connect(&database.url, &new).await?;
    let mut tx = db.begin().await?;
    keys::record(&mut tx, &new).await.map_err(describe)?;
    // The audit chain, checked under the key it was sealed with, is sealed under the new one
    // in the same transaction: an interrupted run leaves both as they were.
    audit::reseal_from(&mut tx, &old).await.map_err(describe)?;
    tx.commit().await?;
    audit::record_alone(
        &db,
        &RequestMeta::cli(),
        audit::Event::new("data_key_changed").detail(format!(
            "{} -> {}, {} attachments",
            old.fingerprint(),
            new.fingerprint(),
            stored.len()
        )),
    )
    .await?;
    db.close().await;

    match (new_key_file, &key_file) {
        (None, Some(file)) if !from_env => {
            let old_copy = file.with_extension("key.old");
            std::fs::rename(file, &old_copy)
                .and_then(|()| std::fs::rename(&staged, file))
                .with_context(|| format!("鍵ファイル {} を置き換えられません", file.display()))?;
            println!(
                "データ鍵を変えました（{} → {}）。添付 {} 件のうち {rewrapped} 件を暗号化し直しました。\n新しい鍵: {}\n古い鍵は {} に残してあります。古い鍵で作ったバックアップを読むのに使います。要らなくなったら消してください。",
                old.fingerprint(),
                new.fingerprint(),
                stored.len(),
                file.display(),
                old_copy.display()
            );
        }
        _ => println!(
            "データ鍵を変えました（{} → {}）。添付 {} 件のうち {rewrapped} 件を暗号化し直しました。\n新しい鍵は {} にあります。{}をこの鍵に替えてからサーバーを起動してください。",
            old.fingerprint(),
            new.fingerprint(),
            stored.len(),
            staged.display(),
            if from_env { keys::KEY_ENV } else { "設定" }
        ),
    }
    Ok(ExitCode::SUCCESS)
}
