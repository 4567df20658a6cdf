//! webp-rs: WebP decoding to RGBA8 for the image-edge Worker, in safe Rust.
//!
//! A thin C-ABI layer over the pure-Rust WebP decoder of `image` 0.24.3 (image-rs, MIT OR
//! Apache-2.0): lossy (VP8), lossless (VP8L) and extended (VP8X, with an `ALPH` plane)
//! files. The Worker uses it for the WebPs that would run libwebp 1.1.0's lossless decoder
//! (CVE-2023-4863, see src/security/webp-lossless.ts). Built as a plain
//! `wasm32-unknown-unknown` cdylib: no imports, no wasm-bindgen. Exports: the functions
//! below, `memory`, and the `__heap_base` / `__data_end` globals that wasm-ld always adds.
//!
//! # ABI (wasm32: pointers and sizes are u32); the same conventions as jpeg_scaled.wasm
//! - `webp_alloc(len) -> ptr`: allocates `len` (>= 1) bytes for the input; 0 on failure.
//! - `webp_free(ptr, len)`: frees a `webp_alloc` buffer that was NOT passed to a decode.
//! - `webp_decode(ptr, len) -> header_ptr`: takes ownership of the input buffer (always
//!   frees it) and decodes the still image to RGBA8 (alpha 255 when the file has none).
//!   Animated files are refused (status 2) before any decoding. The decoder works on the
//!   whole image as soon as it reads the headers, so the caller checks the size first (the
//!   Worker's probe does, from the same headers); an allocation that fails traps. Frees the
//!   previous output first.
//! - `webp_release()`: frees the output and message of the last decode.
//!
//! Header: `HEADER_WORDS` little-endian u32 words at `header_ptr` (static storage, valid
//! until the next call), the layout of jpeg_scaled.wasm's: status, width, height, data
//! pointer, data length, source width, source height, components (3 or 4), 0, message
//! pointer, message length. Errors return a non-zero status and a UTF-8 message; a panic
//! aborts, which traps in WebAssembly: the host must then discard the instance.

use image::codecs::webp::WebPDecoder;
use image::{ImageDecoder, ImageError};
use std::alloc::{alloc, dealloc, Layout};
use std::io::{Cursor, Read};

const H_STATUS: usize = 0;
const H_WIDTH: usize = 1;
const H_HEIGHT: usize = 2;
const H_DATA_PTR: usize = 3;
const H_DATA_LEN: usize = 4;
const H_SRC_WIDTH: usize = 5;
const H_SRC_HEIGHT: usize = 6;
const H_SRC_COMPONENTS: usize = 7;
const H_MSG_PTR: usize = 9;
const H_MSG_LEN: usize = 10;
const HEADER_WORDS: usize = 11;

/// Status: decoded.
const S_OK: u32 = 0;
/// Status: corrupt or truncated WebP.
const S_MALFORMED: u32 = 1;
/// Status: valid WebP using a feature this decoder lacks.
const S_UNSUPPORTED: u32 = 2;
/// Status: the output could not be allocated.
const S_OUT_OF_MEMORY: u32 = 4;
/// Status: bad arguments (empty input).
const S_BAD_ARGUMENT: u32 = 5;

static mut HEADER: [u32; HEADER_WORDS] = [0; HEADER_WORDS];
static mut OUTPUT: Vec<u8> = Vec::new();
static mut MESSAGE: String = String::new();

struct Failure {
    status: u32,
    message: String,
}

fn fail<T>(status: u32, message: impl Into<String>) -> Result<T, Failure> {
    Err(Failure { status, message: message.into() })
}

fn from_image_error(err: ImageError) -> Failure {
    let status = match err {
        ImageError::Unsupported(_) => S_UNSUPPORTED,
        ImageError::Limits(_) => S_OUT_OF_MEMORY,
        _ => S_MALFORMED,
    };
    Failure { status, message: err.to_string() }
}

/// Allocates `len` bytes (align 1) for the input WebP. Returns 0 if `len` is 0 or the
/// allocation fails (no trap).
#[no_mangle]
pub extern "C" fn webp_alloc(len: usize) -> *mut u8 {
    match Layout::from_size_align(len, 1) {
        Ok(layout) if len > 0 => unsafe { alloc(layout) },
        _ => core::ptr::null_mut(),
    }
}

/// Frees a buffer from `webp_alloc` (same `len`). Not for buffers given to `webp_decode`.
///
/// # Safety
/// `ptr` must come from `webp_alloc(len)` and not have been freed or consumed.
#[no_mangle]
pub unsafe extern "C" fn webp_free(ptr: *mut u8, len: usize) {
    if !ptr.is_null() && len > 0 {
        dealloc(ptr, Layout::from_size_align_unchecked(len, 1));
    }
}

/// Frees the output pixels and message of the last `webp_decode`.
#[no_mangle]
pub extern "C" fn webp_release() {
    unsafe {
        OUTPUT = Vec::new();
        MESSAGE = String::new();
    }
}

/// Decodes the WebP in `ptr[..len]` (a `webp_alloc` buffer, consumed) to RGBA8 and returns
/// a pointer to the header (see the module docs).
///
/// # Safety
/// `ptr` must come from `webp_alloc(len)` and not have been freed; it is freed here.
#[no_mangle]
pub unsafe extern "C" fn webp_decode(ptr: *mut u8, len: usize) -> *const u32 {
    webp_release();
    HEADER = [0; HEADER_WORDS];
    let input = if ptr.is_null() || len == 0 {
        Vec::new()
    } else {
        Vec::from_raw_parts(ptr, len, len)
    };
    match decode(input) {
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

/// True for an extended WebP (`VP8X` first) whose header sets the animation flag.
fn is_animated(input: &[u8]) -> bool {
    input.len() > 20 && &input[12..16] == b"VP8X" && input[20] & 0x02 != 0
}

/// Decodes `input` (consumed) to RGBA8: (pixels, width, height).
fn decode(input: Vec<u8>) -> Result<(Vec<u8>, u32, u32), Failure> {
    if input.is_empty() {
        return fail(S_BAD_ARGUMENT, "empty input");
    }
    if is_animated(&input) {
        return fail(S_UNSUPPORTED, "animated WebP");
    }
    let decoder = WebPDecoder::new(Cursor::new(&input[..])).map_err(from_image_error)?;
    let (width, height) = decoder.dimensions();
    let n = width as usize * height as usize;
    if n == 0 {
        return fail(S_MALFORMED, "empty image");
    }
    // The pixel layout is the decoded bitstream's (RGBA for VP8L or lossy with ALPH, RGB for
    // plain lossy), not what the VP8X alpha flag (`color_type`) claims: the two differ for a
    // VP8L image in a VP8X file without the flag. Read what the decoder holds, then tell the
    // layout from its length.
    let mut native = Vec::new();
    decoder
        .into_reader()
        .map_err(from_image_error)?
        .read_to_end(&mut native)
        .map_err(|e| Failure { status: S_MALFORMED, message: e.to_string() })?;
    let components: usize = if native.len() == n * 4 {
        4
    } else if native.len() == n * 3 {
        3
    } else {
        return fail(S_MALFORMED, "frame size does not match the canvas");
    };
    unsafe {
        HEADER[H_SRC_WIDTH] = width;
        HEADER[H_SRC_HEIGHT] = height;
        HEADER[H_SRC_COMPONENTS] = components as u32;
    }
    drop(input);
    if components == 4 {
        return Ok((native, width, height));
    }
    let mut rgba = Vec::new();
    if rgba.try_reserve_exact(n * 4).is_err() {
        return fail(S_OUT_OF_MEMORY, "cannot allocate the RGBA output");
    }
    for px in native.chunks_exact(3) {
        rgba.extend_from_slice(&[px[0], px[1], px[2], 255]);
    }
    Ok((rgba, width, height))
}
