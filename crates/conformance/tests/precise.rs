//! Every conformance case × strategy × runtime again with the precise timer
//! (`cancel-timer`'s deadline through each strategy's `run_until`), as its
//! own `#[test]`, named `<strategy>::<runtime>::<case>`.

use cancel_conformance::{Case, precise_suite_tests};
use cancel_harness::probe::CountingAlloc;

// Lets I6 check that memory is back where it was after its cycles.
#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

precise_suite_tests!();

#[test]
fn the_macro_emits_every_case() {
    assert_eq!(select::smol::EMITTED, Case::ALL.len());
}
