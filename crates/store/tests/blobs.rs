//! The attachment store on local disk and on a real S3-compatible server: scripts/test starts
//! moto's server from PyPI and names it in `TSUNAGU_TEST_S3_URL` (with `AWS_*` set); without
//! it the S3 test says so and fails, so CI cannot skip it silently. On both, every file is
//! encrypted: the stored bytes hold none of the file, and a changed byte, a file put in another's
//! place or another data key is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use object_store::{aws::AmazonS3Builder, path::Path as ObjectPath, ObjectStore, PutPayload};
use tsunagu_store::{blobs::BlobStore, keys::DataKey, Error};

/// Reads and replaces the stored (encrypted) bytes behind the store's back, as an intruder with
/// the disk or the bucket would.
enum Raw {
    Disk(std::path::PathBuf),
    Bucket(Box<AmazonS3Builder>, String),
}

impl Raw {
    async fn read(&self, key: &str) -> Vec<u8> {
        match self {
            Raw::Disk(dir) => std::fs::read(dir.join(&key[..2]).join(key)).unwrap(),
            Raw::Bucket(builder, prefix) => {
                let store = builder.as_ref().clone().build().unwrap();
                let path = ObjectPath::from(format!("{prefix}/{key}"));
                store
                    .get(&path)
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap()
                    .to_vec()
            }
        }
    }

    async fn write(&self, key: &str, bytes: Vec<u8>) {
        match self {
            Raw::Disk(dir) => std::fs::write(dir.join(&key[..2]).join(key), bytes).unwrap(),
            Raw::Bucket(builder, prefix) => {
                let store = builder.as_ref().clone().build().unwrap();
                let path = ObjectPath::from(format!("{prefix}/{key}"));
                store.put(&path, PutPayload::from(bytes)).await.unwrap();
            }
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn stores_and_returns_files(store: BlobStore, raw: Raw) {
    let bytes = "受診メモ 山田はなこ %PDF".as_bytes().to_vec();
    let key = store.put(&bytes).await.unwrap();
    assert_eq!(store.get(&key).await.unwrap(), bytes);
    // Encrypted where it lies.
    let stored = raw.read(&key).await;
    assert!(!contains(&stored, "山田はなこ".as_bytes()));
    assert!(!contains(&stored, b"%PDF"));

    // A restore puts a file back under the key it had.
    store.put_as("restored_key_01", b"again").await.unwrap();
    assert_eq!(store.get("restored_key_01").await.unwrap(), b"again");

    // One flipped byte anywhere is refused, and so is a file moved into another's place.
    for at in [3, 40, stored.len() - 1] {
        let mut changed = stored.clone();
        changed[at] ^= 0x01;
        raw.write(&key, changed).await;
        assert!(
            matches!(store.get(&key).await, Err(Error::Tampered(_))),
            "a flipped byte at {at} is detected"
        );
    }
    raw.write(&key, raw.read("restored_key_01").await).await;
    assert!(matches!(store.get(&key).await, Err(Error::Tampered(_))));
    raw.write(&key, bytes.clone()).await;
    assert!(
        matches!(store.get(&key).await, Err(Error::Tampered(_))),
        "a plaintext file put in place is refused"
    );
    raw.write(&key, stored).await;
    assert_eq!(
        store.get(&key).await.unwrap(),
        bytes,
        "restored bytes open again"
    );
    let message = Error::Tampered(key.clone()).to_string();
    assert!(message.contains("改ざん"), "{message}");

    // Another data key opens nothing; a rekey moves a file to the new key.
    let other = store.with_key(&DataKey::generate());
    assert!(matches!(other.get(&key).await, Err(Error::Tampered(_))));
    assert!(!other.opens(&key).await.unwrap());
    other.rewrap_from(&store, &key).await.unwrap();
    assert_eq!(other.get(&key).await.unwrap(), bytes);
    assert!(matches!(store.get(&key).await, Err(Error::Tampered(_))));

    // Keys are Tsunagu's own: a path is refused, never followed.
    assert!(store.get("../etc/passwd").await.is_err());
    assert!(store.put_as("a/b", b"x").await.is_err());
    store.delete(&key).await;
    assert!(store.get(&key).await.is_err(), "deleted");
    assert!(store.get("never_stored_key").await.is_err());
}

#[tokio::test]
async fn local_disk() {
    let dir = std::env::temp_dir()
        .join("tsunagu-tests")
        .join(format!("blobs-{}", std::process::id()));
    let key = DataKey::generate();
    stores_and_returns_files(BlobStore::local(&dir, &key), Raw::Disk(dir)).await;
}

#[tokio::test]
async fn s3_compatible_object_store() {
    let url = std::env::var("TSUNAGU_TEST_S3_URL").expect(
        "TSUNAGU_TEST_S3_URL is not set: run the tests with scripts/test, which starts an S3-compatible server",
    );
    let prefix = format!("run-{}", std::process::id());
    let store = BlobStore::object_store(&format!("{url}/{prefix}"), &DataKey::generate()).unwrap();
    let bucket = url.trim_start_matches("s3://").to_owned();
    let raw = Raw::Bucket(
        Box::new(AmazonS3Builder::from_env().with_bucket_name(bucket)),
        prefix,
    );
    stores_and_returns_files(store, raw).await;
}
