#[test]
fn show() {
    for f in ["deep_listening.xlsx", "broken.xlsx", "unsupported.xlsx"] {
        let r = sangam_core::forms::inspect(format!("{}/tests/fixtures/forms/{f}", env!("CARGO_MANIFEST_DIR")));
        println!("{}", r.to_text());
    }
}
