mod engine;
#[test]
fn t() {}
