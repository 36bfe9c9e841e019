//! The attachment store on local disk and on a real S3-compatible server: scripts/test starts
//! moto's server from PyPI and names it in `TSUNAGU_TEST_S3_URL` (with `AWS_*` set); without
//! it the S3 test says so and fails, so CI cannot skip it silently.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use tsunagu_store::blobs::BlobStore;

async fn stores_and_returns_files(store: BlobStore) {
    let bytes = "受診メモ %PDF".as_bytes().to_vec();
    let key = store.put(&bytes).await.unwrap();
    assert_eq!(store.get(&key).await.unwrap(), bytes);
    // A restore puts a file back under the key it had.
    store.put_as("restored_key_01", b"again").await.unwrap();
    assert_eq!(store.get("restored_key_01").await.unwrap(), b"again");
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
    stores_and_returns_files(BlobStore::Local(dir)).await;
}

#[tokio::test]
async fn s3_compatible_object_store() {
    let url = std::env::var("TSUNAGU_TEST_S3_URL").expect(
        "TSUNAGU_TEST_S3_URL is not set: run the tests with scripts/test, which starts an S3-compatible server",
    );
    let store = BlobStore::object_store(&format!("{url}/run-{}", std::process::id())).unwrap();
    stores_and_returns_files(store).await;
}
