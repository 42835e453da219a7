//! Table tests with one `#[test]` per row, named after the row (as
//! httparse's `req!` tests are), so a failing row names itself and hides
//! none of the others. lath's crates take it as a dev-dependency.
//!
//! Each row is `name: "rule" => (arguments);` and calls the table's check
//! function with the rule and the arguments:
//!
//! ```
//! // In a test module: `cargo test` runs `empty` and `three`.
//! fn check(rule: &str, input: &str, expected: usize) {
//!     assert_eq!(input.len(), expected, "{rule}");
//! }
//!
//! row_tests::row_tests!(check {
//!     empty: "nothing is zero long" => ("", 0);
//!     three: "three letters" => ("abc", 3);
//! });
//! ```

/// Generates one `#[test] fn NAME()` per row, each calling `$check(rule,
/// arguments…)`; see the crate's documentation.
#[macro_export]
macro_rules! row_tests {
    ($check:ident { $($name:ident: $rule:literal => ($($arg:expr),* $(,)?);)* }) => {
        $(
            #[test]
            fn $name() {
                $check($rule, $($arg),*);
            }
        )*
    };
}
