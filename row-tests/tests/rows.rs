//! The macro makes one test per row, each calling the check with the row's
//! rule and arguments.

use std::sync::Mutex;

/// The rules the rows below were checked under.
static SEEN: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

fn check(rule: &'static str, input: &str, expected: usize) {
    SEEN.lock().unwrap().push(rule);
    assert_eq!(input.len(), expected, "{rule}");
}

row_tests::row_tests!(check {
    empty: "nothing is zero long" => ("", 0);
    three: "three letters" => ("abc", 3,);
});

#[test]
fn each_row_is_a_function_that_calls_the_check_with_its_rule() {
    empty();
    three();
    let seen = SEEN.lock().unwrap();
    assert!(seen.contains(&"nothing is zero long"));
    assert!(seen.contains(&"three letters"));
}
