//! The C-ABI conventions of our decoders (wasm/README.md, "Export ABI"; src/codecs/own-wasm.ts
//! reads them): the caller copies the input into a buffer from [`alloc_input`], a decode export
//! consumes it through [`run`] and returns a pointer to [`HEADER_WORDS`] little-endian u32
//! words in static memory, valid until the next call; [`release`] frees the last output.

use std::alloc::{alloc, dealloc, Layout};

/// Header word: status (one of the `S_*` codes).
pub const H_STATUS: usize = 0;
/// Header word: output width in pixels.
pub const H_WIDTH: usize = 1;
/// Header word: output height in pixels.
pub const H_HEIGHT: usize = 2;
/// Header word: pointer to the RGBA8 output.
pub const H_DATA_PTR: usize = 3;
/// Header word: output length in bytes (`width * height * 4`).
pub const H_DATA_LEN: usize = 4;
/// Header word: source width in pixels (0 if the header was not read).
pub const H_SRC_WIDTH: usize = 5;
/// Header word: source height in pixels.
pub const H_SRC_HEIGHT: usize = 6;
/// Header words 7 and 8: module-specific facts about the source.
pub const H_SRC_INFO_A: usize = 7;
/// See [`H_SRC_INFO_A`].
pub const H_SRC_INFO_B: usize = 8;
/// Header word: pointer to the UTF-8 error message (0 when none).
pub const H_MSG_PTR: usize = 9;
/// Header word: error message length in bytes.
pub const H_MSG_LEN: usize = 10;
/// Number of u32 words in the header.
pub const HEADER_WORDS: usize = 11;

/// Status: decoded.
pub const S_OK: u32 = 0;
/// Status: corrupt or truncated input.
pub const S_MALFORMED: u32 = 1;
/// Status: valid input using a feature the decoder lacks.
pub const S_UNSUPPORTED: u32 = 2;
/// Status: source size above `max_src_pixels` (or the built-in cap).
pub const S_TOO_LARGE: u32 = 3;
/// Status: the output (or a working buffer) could not be allocated.
pub const S_OUT_OF_MEMORY: u32 = 4;
/// Status: bad arguments (empty input, crop outside the image, output size 0 or larger
/// than the crop, …).
pub const S_BAD_ARGUMENT: u32 = 5;
/// Status: internal inconsistency.
pub const S_INTERNAL: u32 = 6;

/// The header of the last call (static storage, read by the host).
pub static mut HEADER: [u32; HEADER_WORDS] = [0; HEADER_WORDS];
static mut OUTPUT: Vec<u8> = Vec::new();
static mut MESSAGE: String = String::new();

/// Why a call failed: a status code and a message for the host.
pub struct Failure {
    /// One of the `S_*` codes (not `S_OK`).
    pub status: u32,
    /// UTF-8 message.
    pub message: String,
}

/// `Err(Failure { status, message })`.
pub fn fail<T>(status: u32, message: impl Into<String>) -> Result<T, Failure> {
    Err(Failure { status, message: message.into() })
}

/// Records module-specific source facts in header words 5..=8 (see the `H_SRC_*` words).
pub fn set_source(width: u32, height: u32, info_a: u32, info_b: u32) {
    unsafe {
        HEADER[H_SRC_WIDTH] = width;
        HEADER[H_SRC_HEIGHT] = height;
        HEADER[H_SRC_INFO_A] = info_a;
        HEADER[H_SRC_INFO_B] = info_b;
    }
}

/// Allocates `len` bytes (align 1) for an input. Null if `len` is 0 or the allocation
/// fails (no trap).
pub fn alloc_input(len: usize) -> *mut u8 {
    match Layout::from_size_align(len, 1) {
        Ok(layout) if len > 0 => unsafe { alloc(layout) },
        _ => core::ptr::null_mut(),
    }
}

/// Frees a buffer from [`alloc_input`] (same `len`) that was not given to [`run`].
///
/// # Safety
/// `ptr` must come from `alloc_input(len)` and not have been freed or consumed.
pub unsafe fn free_input(ptr: *mut u8, len: usize) {
    if !ptr.is_null() && len > 0 {
        dealloc(ptr, Layout::from_size_align_unchecked(len, 1));
    }
}

/// Frees the output pixels and message of the last call.
pub fn release() {
    unsafe {
        OUTPUT = Vec::new();
        MESSAGE = String::new();
    }
}

/// Shared body of the decode exports: frees the previous output, takes ownership of the
/// input buffer, runs `body` and fills the header from its result (pixels, width, height).
///
/// # Safety
/// `ptr` must come from `alloc_input(len)` (or be null) and not have been freed.
pub unsafe fn run(
    ptr: *mut u8,
    len: usize,
    body: impl FnOnce(Vec<u8>) -> Result<(Vec<u8>, u32, u32), Failure>,
) -> *const u32 {
    release();
    HEADER = [0; HEADER_WORDS];
    let input = if ptr.is_null() || len == 0 {
        Vec::new()
    } else {
        Vec::from_raw_parts(ptr, len, len)
    };
    match body(input) {
        Ok((pixels, width, height)) => {
            HEADER[H_STATUS] = S_OK;
            HEADER[H_WIDTH] = width;
            HEADER[H_HEIGHT] = height;
            HEADER[H_DATA_PTR] = pixels.as_ptr() as u32;
            HEADER[H_DATA_LEN] = pixels.len() as u32;
            OUTPUT = pixels;
        }
        Err(failure) => {
            HEADER[H_STATUS] = failure.status;
            MESSAGE = failure.message;
            HEADER[H_MSG_PTR] = MESSAGE.as_ptr() as u32;
            HEADER[H_MSG_LEN] = MESSAGE.len() as u32;
        }
    }
    HEADER.as_ptr()
}

/// An empty Vec with room for `n` items, or `S_OUT_OF_MEMORY` (`what` names the buffer).
pub fn try_vec<T>(n: usize, what: &str) -> Result<Vec<T>, Failure> {
    let mut v = Vec::new();
    if v.try_reserve_exact(n).is_err() {
        return fail(S_OUT_OF_MEMORY, format!("cannot allocate {what}"));
    }
    Ok(v)
}

/// A Vec of `n` copies of `x`, or `S_OUT_OF_MEMORY`.
pub fn try_filled<T: Copy>(n: usize, x: T, what: &str) -> Result<Vec<T>, Failure> {
    let mut v = try_vec(n, what)?;
    v.resize(n, x);
    Ok(v)
}

/// Checks a crop rectangle and output size against a `width` x `height` source: the crop
/// must be non-empty and inside it, the output 1..=crop per axis (downscale only).
pub fn check_crop(
    width: u32,
    height: u32,
    crop: (u32, u32, u32, u32),
    out: (u32, u32),
) -> Result<(), Failure> {
    let (left, top, cw, ch) = crop;
    if cw == 0 || ch == 0 {
        return fail(S_BAD_ARGUMENT, "empty crop rectangle");
    }
    if out.0 == 0 || out.1 == 0 || out.0 > cw || out.1 > ch {
        return fail(S_BAD_ARGUMENT, "output size must be 1..=crop size (downscale only)");
    }
    if left as u64 + cw as u64 > width as u64 || top as u64 + ch as u64 > height as u64 {
        return fail(S_BAD_ARGUMENT, "crop rectangle outside the decoded image");
    }
    Ok(())
}
