//! Every command's help.

use crate::support::{kukuruku, stdout};

#[test]
fn every_command_has_help_with_an_example() {
    for command in [
        &["--help"][..],
        &["demo", "--help"],
        &["sandbox", "--help"],
        &["sign", "--help"],
        &["verify", "--help"],
    ] {
        let out = kukuruku(command, b"", None);
        assert_eq!(out.status.code(), Some(0), "{command:?}");
        assert!(
            stdout(&out).contains("Example"),
            "{command:?}: {}",
            stdout(&out)
        );
    }
}
