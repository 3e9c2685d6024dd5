//! Bounded reads of local files (a config, a key file): opened without blocking, regular
//! files only, read into one buffer sized once and wiped on drop.
//!
//! A path in a configuration is input too: `/dev/zero` must not exhaust memory, a FIFO
//! must not block a service at start-up forever, and a key's bytes must not be left behind
//! in freed memory by a growing buffer.

use std::io::Read;
use std::path::Path;
use zeroize::Zeroizing;

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReadError {
    /// The operating system refused (the sentence it gives, e.g. "No such file or directory").
    Os(String),
    /// The path is a directory, a FIFO, a device or a socket.
    NotRegular,
    /// The file is larger than the limit.
    TooLarge,
    /// The file held more than its size said, but within the limit: it changed while
    /// being read.
    Changed,
}

impl ReadError {
    /// The reason as a sentence, as the operating system would put it.
    pub(crate) fn reason(&self, limit: usize) -> String {
        match self {
            ReadError::Os(reason) => reason.clone(),
            ReadError::NotRegular => "not a regular file".to_owned(),
            ReadError::TooLarge => format!("larger than the limit of {limit} bytes"),
            ReadError::Changed => "it changed size while being read; try again".to_owned(),
        }
    }
}

/// The operating system's sentence for `e`, without std's ` (os error N)` suffix.
pub(crate) fn os_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => text[..at].to_owned(),
        _ => text,
    }
}

/// Opens `path` for reading without blocking (a FIFO or a device would otherwise block at
/// `open`), and refuses anything but a regular file.
fn open_regular(path: &Path) -> Result<(std::fs::File, u64), ReadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options
        .open(path)
        .map_err(|e| ReadError::Os(os_reason(&e)))?;
    let metadata = file.metadata().map_err(|e| ReadError::Os(os_reason(&e)))?;
    if !metadata.is_file() {
        return Err(ReadError::NotRegular);
    }
    Ok((file, metadata.len()))
}

/// Reads the regular file at `path`, at most `limit` bytes, into one zeroed buffer that is
/// never grown (so no copy of the content is left in freed memory) and is wiped on drop.
pub(crate) fn read_bounded(path: &Path, limit: usize) -> Result<Zeroizing<Vec<u8>>, ReadError> {
    let (mut file, len) = open_regular(path)?;
    if len > limit as u64 {
        return Err(ReadError::TooLarge);
    }
    // One more byte than the file announced: a file that grew since is refused rather
    // than silently truncated. A file that announces nothing (a pseudo-file of /proc or
    // /sys) gets the whole limit, then is read like any other.
    let announced = usize::try_from(len).unwrap_or(limit).min(limit);
    let capacity = if announced == 0 { limit } else { announced } + 1;
    let mut buffer = Zeroizing::new(vec![0u8; capacity]);
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ReadError::Os(os_reason(&e))),
        }
    }
    if filled == buffer.len() {
        return Err(if filled > limit {
            ReadError::TooLarge
        } else {
            ReadError::Changed
        });
    }
    buffer.truncate(filled);
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("vads-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn reads_a_regular_file_within_the_limit() {
        let path = temp("ok.txt");
        std::fs::write(&path, b"abc\n").unwrap();
        assert_eq!(&read_bounded(&path, 4).unwrap()[..], b"abc\n");
        assert_eq!(read_bounded(&path, 3), Err(ReadError::TooLarge));
    }

    /// A pseudo-file announces a size of 0 and holds more: it is read (bounded by the
    /// limit), not called "larger than the limit".
    #[cfg(target_os = "linux")]
    #[test]
    fn a_pseudo_file_is_read_within_the_limit() {
        let environ = read_bounded(Path::new("/proc/self/environ"), 1 << 20).unwrap();
        assert!(!environ.is_empty());
        assert_eq!(
            read_bounded(Path::new("/proc/self/environ"), 4),
            Err(ReadError::TooLarge)
        );
    }

    #[test]
    fn refuses_devices_directories_and_missing_files() {
        assert_eq!(
            read_bounded(Path::new("/dev/zero"), 10),
            Err(ReadError::NotRegular)
        );
        assert_eq!(
            read_bounded(&std::env::temp_dir(), 10),
            Err(ReadError::NotRegular)
        );
        let missing = read_bounded(&temp("missing.txt"), 10).unwrap_err();
        assert_eq!(
            missing.reason(10),
            "No such file or directory",
            "the operating system's words, without std's suffix"
        );
        assert_eq!(
            ReadError::TooLarge.reason(4096),
            "larger than the limit of 4096 bytes"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_fifo_is_refused_at_once() {
        let path = temp("fifo");
        let _ = std::fs::remove_file(&path);
        let status = std::process::Command::new("mkfifo").arg(&path).status();
        assert!(matches!(status, Ok(s) if s.success()), "mkfifo: {status:?}");
        // Without O_NONBLOCK, this open would wait for a writer forever.
        assert_eq!(read_bounded(&path, 10), Err(ReadError::NotRegular));
    }
}
