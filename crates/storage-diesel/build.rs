//! `embed_migrations!` reads the migration directories at compile time; a migration added
//! later must rebuild the crate, so cargo watches both directories.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations/postgres");
    println!("cargo:rerun-if-changed=../../migrations/sqlite");
}
