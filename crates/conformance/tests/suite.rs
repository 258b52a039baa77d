//! Every conformance case × strategy × runtime as its own `#[test]`, named
//! `<strategy>::<runtime>::<case>`.

use cancel_conformance::{Case, suite_tests};
use cancel_harness::probe::CountingAlloc;

// Lets I6 check that memory is back where it was after its cycles.
#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

suite_tests!();

#[test]
fn the_macro_emits_every_case() {
    assert_eq!(select::smol::EMITTED, Case::ALL.len());
}
