fn main() {
    // Migrations are embedded in the binary: rebuild when they change.
    println!("cargo:rerun-if-changed=migrations");
    // The web pages' catalogues are compiled in: a new language folder needs a rebuild too.
    println!("cargo:rerun-if-changed=frontend/locales");
}
