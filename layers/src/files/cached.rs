//! Lookups the kernel can answer from its caches, done on the caller's
//! thread (Linux): the trip to the thread pool costs more than the file
//! work when names, metadata and bytes are all in memory.
//!
//! Every call here is one that cannot wait for a disk:
//! - `openat2` with `RESOLVE_CACHED` (Linux 5.12) fails with `EAGAIN`
//!   unless every component of the path is in the kernel's name cache;
//!   `RESOLVE_NO_SYMLINKS` leaves links to the full check on the pool;
//! - `O_NONBLOCK`, so a FIFO never waits for a writer;
//! - `statx` on the open file with `AT_STATX_DONT_SYNC`, which never asks
//!   a network file system again;
//! - `preadv2` with `RWF_NOWAIT` fails with `EAGAIN` unless the bytes are
//!   in the page cache.
//!
//! Anything else — a name not cached, a link, a directory, bytes not in
//! memory, a missing file, an error, an older kernel — answers `None`,
//! and the caller does the whole lookup on the pool as before, so what is
//! served never depends on which path found it.

use std::fs::File;
use std::io::IoSliceMut;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use rustix::fs::{openat2, statx, AtFlags, FileType, Mode, OFlags, ResolveFlags, StatxFlags, CWD};
use rustix::io::{preadv2, Errno, ReadWriteFlags};

use super::{Content, FileStat, OpenFile, READ_WHOLE};

/// Whether this kernel knows `openat2` with `RESOLVE_CACHED` (Linux
/// 5.12), asked once with the root directory: an older one answers
/// `ENOSYS` or `EINVAL`.
fn supported() -> bool {
    static SUPPORTED: OnceLock<bool> = OnceLock::new();
    *SUPPORTED.get_or_init(|| {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        match openat2(CWD, "/", flags, Mode::empty(), ResolveFlags::CACHED) {
            Ok(_) | Err(Errno::AGAIN) => true,
            Err(_) => false,
        }
    })
}

/// A regular file at `path` and its metadata, when the kernel has both in
/// memory; `Err(Errno::NOENT)` when it knows the name is not there.
pub(super) fn open(path: &Path) -> Result<(File, FileStat), Errno> {
    if !supported() {
        return Err(Errno::NOSYS);
    }
    let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK;
    let resolve = ResolveFlags::CACHED | ResolveFlags::NO_SYMLINKS;
    let fd = openat2(CWD, path, flags, Mode::empty(), resolve)?;
    let mask = StatxFlags::TYPE | StatxFlags::SIZE | StatxFlags::MTIME;
    let stat = statx(
        &fd,
        "",
        AtFlags::EMPTY_PATH | AtFlags::STATX_DONT_SYNC,
        mask,
    )?;
    if FileType::from_raw_mode(stat.stx_mode.into()) != FileType::RegularFile {
        return Err(Errno::AGAIN);
    }
    let modified = (stat.stx_mask & StatxFlags::MTIME.bits() != 0)
        .then(|| {
            let at = stat.stx_mtime;
            let since = Duration::new(at.tv_sec.unsigned_abs(), at.tv_nsec);
            match at.tv_sec >= 0 {
                true => UNIX_EPOCH.checked_add(since),
                false => UNIX_EPOCH.checked_sub(since),
            }
        })
        .flatten();
    let stat = FileStat {
        len: stat.stx_size,
        modified,
    };
    Ok((File::from(fd), stat))
}

/// `file` made ready as the pool's `load` would, when that needs no
/// waiting: read whole (only from the page cache) when small and `read`.
pub(super) fn load(
    file: File,
    stat: FileStat,
    name: PathBuf,
    encoding: Option<&'static str>,
    read: bool,
) -> Option<OpenFile> {
    let content = match (read, stat.len) {
        (false, _) => Content::None,
        (true, len) if len <= READ_WHOLE => Content::Whole(read_cached(&file, len as usize)?),
        (true, _) => Content::Open(file),
    };
    Some(OpenFile {
        name,
        metadata: stat,
        encoding,
        content,
    })
}

/// The first `len` bytes of `file`, if all are in the page cache.
fn read_cached(file: &File, len: usize) -> Option<Bytes> {
    let mut bytes = vec![0; len];
    let mut at = 0;
    while at < len {
        let read = preadv2(
            file,
            &mut [IoSliceMut::new(&mut bytes[at..])],
            at as u64,
            ReadWriteFlags::NOWAIT,
        );
        match read {
            Ok(0) => return None, // shrank: the pool path says so
            Ok(n) => at += n,
            Err(Errno::INTR) => {}
            Err(_) => return None,
        }
    }
    Some(bytes.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("lath-cached-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_warm_file_opens_inline_with_the_pools_metadata() {
        let dir = scratch("warm");
        let path = dir.join("a.txt");
        std::fs::write(&path, "hello").unwrap();
        std::fs::read(&path).unwrap(); // names and bytes in memory
        let (file, stat) = open(&path).expect("a warm file opens inline");
        assert_eq!(stat.len, 5);
        assert_eq!(
            stat.modified,
            std::fs::metadata(&path).unwrap().modified().ok()
        );
        let loaded = load(file, stat, path.clone(), None, true).expect("its bytes are cached");
        assert!(matches!(loaded.content, Content::Whole(ref b) if b == "hello"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bytes_not_in_memory_are_left_to_the_pool() {
        let dir = scratch("cold");
        let path = dir.join("cold.bin");
        let file = File::create(&path).unwrap();
        std::io::Write::write_all(&mut &file, &[7; 8192]).unwrap();
        file.sync_all().unwrap();
        // Clean pages can be dropped from the page cache.
        rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed).unwrap();
        let (opened, stat) = open(&path).expect("the name is cached");
        assert_eq!(stat.len, 8192);
        assert!(
            load(opened, stat, path.clone(), None, true).is_none(),
            "read on the pool"
        );
        // A HEAD needs no bytes.
        let (opened, stat) = open(&path).unwrap();
        assert!(load(opened, stat, path.clone(), None, false).is_some());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn links_directories_and_fifos_are_left_to_the_pool() {
        let dir = scratch("left");
        std::fs::write(dir.join("target.txt"), "x").unwrap();
        std::os::unix::fs::symlink(dir.join("target.txt"), dir.join("link.txt")).unwrap();
        rustix::fs::mknodat(
            CWD,
            dir.join("fifo"),
            FileType::Fifo,
            Mode::RUSR | Mode::WUSR,
            0,
        )
        .unwrap();
        assert_eq!(open(&dir.join("link.txt")).err(), Some(Errno::LOOP));
        assert!(open(&dir).is_err(), "a directory");
        // Opening a FIFO for reading would wait for a writer without
        // O_NONBLOCK; here it returns at once and is refused.
        assert!(open(&dir.join("fifo")).is_err(), "a FIFO");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_name_with_a_nul_byte_fails_without_turning_the_path_off() {
        let dir = scratch("nul");
        let path = dir.join("a.txt");
        std::fs::write(&path, "a").unwrap();
        std::fs::read(&path).unwrap();
        assert!(open(Path::new("bad\0name")).is_err());
        assert!(open(&path).is_ok(), "still in use after a refused name");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_name_is_not_found() {
        let dir = scratch("missing");
        let path = dir.join("absent.txt");
        let _ = std::fs::metadata(&path); // the negative entry, cached
        assert_eq!(open(&path).err(), Some(Errno::NOENT));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
