//! How the programs of this crate use their allocator (mimalloc).

/// `mi_option_purge_delay` in mimalloc's option enumeration (`mimalloc.h`, the same in its
/// versions 2 and 3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed memory stays with the allocator before it goes back to the system. Every
/// batch of an ingest or a replication allocates and frees some hundreds of megabytes; memory
/// given back between two batches has to be zeroed again by the kernel when the next batch
/// takes it. With mimalloc's default (1 s), a 1M-member replication spent about a tenth of its
/// CPU time on that zeroing.
const PURGE_DELAY_MS: std::ffi::c_long = 10_000;

/// Lets freed memory stay with the allocator for [`PURGE_DELAY_MS`].
///
/// Call it first in `main`, before the program starts any thread: mimalloc's options are
/// not meant to change while other threads allocate.
pub fn keep_freed_memory_a_while() {
    // SAFETY: a plain store of an integer option; the caller runs it before any other
    // thread of the process exists, so no allocation reads the option meanwhile.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_set_is_the_purge_delay() {
        // Of mimalloc's options, only the purge delay starts at one second; this test process
        // never sets it.
        // SAFETY: reading an option.
        let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(delay, 1_000);
    }
}
