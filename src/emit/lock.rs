//! Serialises dbgen processes working on one output directory.
//! Input: an existing output directory and whether the caller writes (exclusive)
//! or only reads (shared).
//! Output: a guard holding an advisory `flock` on the directory itself until it
//! is dropped; `on_wait` is called once when another process holds it first.
//! Invariant: no lock file is created, so taking the lock never changes a
//! directory dbgen may go on to refuse; the kernel releases the lock when its
//! holder exits, however it exits, so a dead process never blocks a render.

use std::fs::File;
use std::path::Path;

use super::EmitError;
use super::disk::io_error;

/// Held for as long as the lock must be; dropping it releases the lock.
#[derive(Debug)]
pub(super) struct DirLock {
    _file: Option<File>,
}

/// Locks `dir`, waiting for the current holder when there is one.
#[cfg(unix)]
pub(super) fn acquire(
    dir: &Path,
    exclusive: bool,
    on_wait: Option<&dyn Fn(&Path)>,
) -> Result<DirLock, EmitError> {
    use std::fs::TryLockError;

    // Opening a directory read-only is allowed on Unix, and `flock` works on
    // its descriptor like on a file's.
    let file = File::open(dir).map_err(io_error("open", dir))?;
    let tried = if exclusive {
        file.try_lock()
    } else {
        file.try_lock_shared()
    };
    match tried {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            if let Some(on_wait) = on_wait {
                on_wait(dir);
            }
            let locked = if exclusive {
                file.lock()
            } else {
                file.lock_shared()
            };
            locked.map_err(io_error("lock", dir))?;
        }
        Err(TryLockError::Error(e)) => return Err(io_error("lock", dir)(e)),
    }
    Ok(DirLock { _file: Some(file) })
}

/// Windows cannot open a directory as a `File`; renders there are not serialised.
#[cfg(not(unix))]
pub(super) fn acquire(
    _dir: &Path,
    _exclusive: bool,
    _on_wait: Option<&dyn Fn(&Path)>,
) -> Result<DirLock, EmitError> {
    Ok(DirLock { _file: None })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn a_second_exclusive_lock_waits_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), true, None).unwrap();
        let waited = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            let second = scope.spawn(|| {
                let on_wait = |_: &Path| waited.store(true, std::sync::atomic::Ordering::SeqCst);
                acquire(dir.path(), true, Some(&on_wait)).unwrap()
            });
            while !waited.load(std::sync::atomic::Ordering::SeqCst) {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            assert!(
                !second.is_finished(),
                "the second lock must wait for the first"
            );
            drop(first);
            drop(second.join().unwrap());
        });
    }

    #[test]
    fn shared_locks_do_not_wait_for_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let called = Cell::new(false);
        let on_wait = |_: &Path| called.set(true);
        let _a = acquire(dir.path(), false, Some(&on_wait)).unwrap();
        let _b = acquire(dir.path(), false, Some(&on_wait)).unwrap();
        assert!(!called.get());
    }

    #[test]
    fn the_lock_creates_nothing_in_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let _lock = acquire(dir.path(), true, None).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
