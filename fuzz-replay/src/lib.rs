//! Nothing here: the replay is `tests/replay.rs`.
