//! `schema.graphql` is what `pivot schema` prints.

#[test]
fn schema_graphql_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let committed = std::fs::read_to_string(path).expect("schema.graphql at the repository root");
    assert!(
        committed == server::graphql::sdl(),
        "schema.graphql differs from the schema: run `cargo run --bin pivot -- schema > schema.graphql`"
    );
}
