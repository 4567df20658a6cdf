//! jpeg-scaled: shrink-on-load JPEG decoding to RGBA8 for the image-edge Worker, optionally
//! cropped and resampled (lanczos3) to the final size in the same call.
//!
//! A thin C-ABI layer over `jpeg-decoder` 0.2.6 (image-rs, MIT OR Apache-2.0). The DCT is
//! computed at 8/4/2/1 points per 8x8 block (`Decoder::scale`), so a 1/2, 1/4 or 1/8
//! decode never materialises the full-size planes; for a progressive JPEG, our patch of the
//! crate (jpeg-decoder-0.2.6-progressive-scaled.patch) keeps only the coefficients that scale
//! reads between scans. Built as a plain `wasm32-unknown-unknown` cdylib: no
//! imports, no wasm-bindgen. Exports: the functions below, `memory`, and the
//! `__heap_base` / `__data_end` globals that wasm-ld always adds.
//!
//! # ABI (wasm32: pointers and sizes are u32)
//! - `jpeg_alloc(len) -> ptr`: allocates `len` (>= 1) bytes for the input; 0 on failure.
//! - `jpeg_free(ptr, len)`: frees a `jpeg_alloc` buffer that was NOT passed to a decode.
//! - `jpeg_decode(ptr, len, denom, max_src_pixels) -> header_ptr`: takes ownership of the
//!   input buffer (always frees it), decodes at 1/`denom` (1, 2, 4 or 8) and converts to
//!   RGBA8 (alpha 255). `max_src_pixels` bounds the coded width x height (0: built-in cap
//!   of 2^28). Frees the previous output first.
//! - `jpeg_decode_resize(ptr, len, denom, crop_left, crop_top, crop_width, crop_height,
//!   out_w, out_h, max_src_pixels) -> header_ptr`: like `jpeg_decode`, then resamples the
//!   crop rectangle (in the coordinates of the image decoded at 1/`denom`) to
//!   `out_w` x `out_h` (at most the crop size) with lanczos3 on sRGB values, streaming
//!   (see `resample`); only the output is RGBA8.
//! - `jpeg_release()`: frees the output and message of the last decode.
//!
//! Header: `HEADER_WORDS` little-endian u32 words at `header_ptr` (static storage, valid
//! until the next call): see the `H_*` indices. Output pixels: `data_len` =
//! `width * height * 4` bytes at `data_ptr`, rows top to bottom, no padding.
//!
//! Errors return a non-zero status and a UTF-8 message; a panic (a decoder bug or an
//! allocation failure inside the decoder) aborts, which traps in WebAssembly: the host must
//! then discard the instance.

mod resample;

use edge_wasm_common::abi::{self, check_crop, fail, run, Failure};
pub use edge_wasm_common::abi::{
    HEADER_WORDS, H_DATA_LEN, H_DATA_PTR, H_HEIGHT, H_MSG_LEN, H_MSG_PTR, H_SRC_HEIGHT,
    H_SRC_INFO_A, H_SRC_INFO_B, H_SRC_WIDTH, H_STATUS, H_WIDTH, S_BAD_ARGUMENT, S_INTERNAL,
    S_MALFORMED, S_OK, S_OUT_OF_MEMORY, S_TOO_LARGE, S_UNSUPPORTED,
};
use jpeg_decoder::{Decoder, Error, PixelFormat};
use resample::{resample, Crop};
use std::alloc::{alloc, dealloc, GlobalAlloc, Layout, System};
use std::io::ErrorKind;

/// The system allocator (dlmalloc on wasm32) plus a count of live bytes, used to estimate
/// the free space inside the heap (see `heap_free_bytes`).
struct CountingAlloc;

static mut LIVE_BYTES: usize = 0;

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            LIVE_BYTES += layout.size();
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // Keep dlmalloc's calloc: it skips zeroing fresh (already zero) wasm pages.
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            LIVE_BYTES += layout.size();
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE_BYTES -= layout.size();
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            LIVE_BYTES = LIVE_BYTES - layout.size() + new_size;
        }
        p
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

extern "C" {
    /// Start of the heap (end of stack and static data), defined by wasm-ld.
    static __heap_base: u8;
}

/// Bytes of wasm memory above the heap base not held by live allocations: free chunks
/// plus the allocator's top chunk (an upper bound on the largest free block).
fn heap_free_bytes() -> usize {
    let end = core::arch::wasm32::memory_size(0) * 65536;
    let base = unsafe { &__heap_base as *const u8 as usize };
    end.saturating_sub(base).saturating_sub(unsafe { LIVE_BYTES })
}

/// Header word 7: source components (1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK).
pub const H_SRC_COMPONENTS: usize = H_SRC_INFO_A;
/// Header word 8: 1 for a progressive JPEG, else 0.
pub const H_PROGRESSIVE: usize = H_SRC_INFO_B;

/// Hard cap on coded pixels (16384 x 16384): keeps every buffer size the decoder
/// computes below 2^32 (wasm32 `usize`); larger requests fail instead of wrapping.
const HARD_MAX_SRC_PIXELS: u64 = 1 << 28;

fn from_decoder_error(err: Error) -> Failure {
    match err {
        Error::Unsupported(_) => Failure { status: S_UNSUPPORTED, message: err.to_string() },
        Error::Io(ref io) if io.kind() == ErrorKind::UnexpectedEof => Failure {
            status: S_MALFORMED,
            message: "truncated JPEG: unexpected end of data".into(),
        },
        _ => Failure { status: S_MALFORMED, message: err.to_string() },
    }
}

/// Allocates `len` bytes (align 1) for the input JPEG. Returns 0 if `len` is 0 or the
/// allocation fails (no trap).
#[no_mangle]
pub extern "C" fn jpeg_alloc(len: usize) -> *mut u8 {
    abi::alloc_input(len)
}

/// Frees a buffer from `jpeg_alloc` (same `len`). Not for buffers given to `jpeg_decode` or
/// `jpeg_decode_resize` (they free their input).
///
/// # Safety
/// `ptr` must come from `jpeg_alloc(len)` and not have been freed or consumed.
#[no_mangle]
pub unsafe extern "C" fn jpeg_free(ptr: *mut u8, len: usize) {
    abi::free_input(ptr, len)
}

/// Frees the output pixels and message of the last `jpeg_decode` / `jpeg_decode_resize`.
#[no_mangle]
pub extern "C" fn jpeg_release() {
    abi::release()
}

/// Decodes the JPEG in `ptr[..len]` (a `jpeg_alloc` buffer, consumed) at 1/`denom` scale
/// to RGBA8 and returns a pointer to the header (see the module docs).
///
/// # Safety
/// `ptr` must come from `jpeg_alloc(len)` and not have been freed; it is freed here.
#[no_mangle]
pub unsafe extern "C" fn jpeg_decode(
    ptr: *mut u8,
    len: usize,
    denom: u32,
    max_src_pixels: u32,
) -> *const u32 {
    run(ptr, len, |input| {
        let native = decode_native(input, denom, max_src_pixels, |_, _| Ok(()))?;
        let n = native.width as usize * native.height as usize;
        let rgba = to_rgba(native.pixels, n, native.bpp)?;
        Ok((rgba, native.width, native.height))
    })
}

/// Decodes the JPEG in `ptr[..len]` (a `jpeg_alloc` buffer, consumed) at 1/`denom` scale,
/// crops it to the rectangle (`crop_left`, `crop_top`, `crop_width`, `crop_height`) given
/// in the decoded image's pixels, and resamples that to `out_w` x `out_h` RGBA8 (alpha
/// 255) with a separable lanczos3 filter on sRGB values (the conventions of the `resize`
/// crate, as in @jsquash/resize; see `lanczos3_taps`). Only downscaling: `out_w` must be
/// in 1..=`crop_width` and `out_h` in 1..=`crop_height`; an axis of equal size is copied.
/// Returns a pointer to the header (see the module docs); width and height in it are
/// `out_w` and `out_h`. Bad arguments give status `S_BAD_ARGUMENT` (the crop is checked
/// against the decoded size after the frame header, before any pixel work).
///
/// # Safety
/// `ptr` must come from `jpeg_alloc(len)` and not have been freed; it is freed here.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn jpeg_decode_resize(
    ptr: *mut u8,
    len: usize,
    denom: u32,
    crop_left: u32,
    crop_top: u32,
    crop_width: u32,
    crop_height: u32,
    out_w: u32,
    out_h: u32,
    max_src_pixels: u32,
) -> *const u32 {
    run(ptr, len, |input| {
        let crop = (crop_left, crop_top, crop_width, crop_height);
        // The sizes alone first (a bad output size fails before any decoding).
        check_crop(crop_width, crop_height, (0, 0, crop_width, crop_height), (out_w, out_h))?;
        let native = decode_native(input, denom, max_src_pixels, |w, h| {
            check_crop(w, h, crop, (out_w, out_h))
        })?;
        let crop = Crop {
            left: crop_left as usize,
            top: crop_top as usize,
            width: crop_width as usize,
            height: crop_height as usize,
        };
        // `native` (the decoded image) is freed at the end of this closure, right after
        // `resample`; only the output is left.
        let rgba = resample(&native, &crop, out_w as usize, out_h as usize)?;
        Ok((rgba, out_w, out_h))
    })
}

/// Returns the SOFn marker byte of the first frame header, walking marker segments from
/// SOI, or None if there is none before SOS / the end (the decoder then reports why).
fn first_sof_marker(data: &[u8]) -> Option<u8> {
    if data.len() < 4 || data[0] != 0xFF || data[1] != 0xD8 {
        return None;
    }
    let mut i = 2;
    loop {
        // Skip to the next 0xFF, then over fill bytes.
        while *data.get(i)? != 0xFF {
            i += 1;
        }
        while *data.get(i)? == 0xFF {
            i += 1;
        }
        let marker = *data.get(i)?;
        i += 1;
        match marker {
            0x00 | 0x01 | 0xD0..=0xD8 => continue, // stuffing / standalone markers
            0xD9 | 0xDA => return None,             // EOI or SOS before any frame
            0xC0..=0xCF if marker != 0xC4 && marker != 0xC8 && marker != 0xCC => {
                return Some(marker)
            }
            _ => {
                let length = u16::from_be_bytes([*data.get(i)?, *data.get(i + 1)?]) as usize;
                i += length;
            }
        }
    }
}

/// ceil(len * idct / 8): the size of one axis decoded at `idct` points per 8 (as
/// jpeg-decoder computes it).
fn scaled(len: u16, idct: u32) -> u32 {
    (len as u32 * idct + 7) / 8
}

/// jpeg-decoder's output at 1/denom: `width * height` pixels of `bpp` bytes (1: L8,
/// 3: RGB24, 4: CMYK32 as ink amounts), rows top to bottom.
struct Native {
    pixels: Vec<u8>,
    width: u32,
    height: u32,
    bpp: usize,
}

/// Decodes `input` (consumed; freed before returning) at 1/`denom`. `check` is called with
/// the decoded size once the frame header has been read, before any pixel work; an error
/// from it is returned as is.
fn decode_native(
    input: Vec<u8>,
    denom: u32,
    max_src_pixels: u32,
    check: impl FnOnce(u32, u32) -> Result<(), Failure>,
) -> Result<Native, Failure> {
    let idct: u32 = match denom {
        1 => 8,
        2 => 4,
        4 => 2,
        8 => 1,
        _ => return fail(S_BAD_ARGUMENT, "denominator must be 1, 2, 4 or 8"),
    };
    if input.is_empty() {
        return fail(S_BAD_ARGUMENT, "empty input");
    }
    // jpeg-decoder's lossless path ignores `scale` and can panic in `info()` for odd
    // precisions: refuse lossless frames (SOF3/7/11/15) before handing the data over.
    if let Some(sof) = first_sof_marker(&input) {
        if matches!(sof, 0xC3 | 0xC7 | 0xCB | 0xCF) {
            return fail(S_UNSUPPORTED, "unsupported JPEG feature: lossless coding");
        }
    }

    let mut decoder = Decoder::new(&input[..]);
    decoder.read_info().map_err(from_decoder_error)?;
    let info = match decoder.info() {
        Some(info) => info,
        None => return fail(S_MALFORMED, "no frame header"),
    };
    let (src_w, src_h) = (info.width, info.height);
    let bpp: usize = match info.pixel_format {
        PixelFormat::L8 => 1,
        PixelFormat::RGB24 => 3,
        PixelFormat::CMYK32 => 4,
        PixelFormat::L16 => return fail(S_UNSUPPORTED, "unsupported JPEG feature: 16-bit samples"),
    };
    let progressive = info.coding_process == jpeg_decoder::CodingProcess::DctProgressive;
    abi::set_source(src_w as u32, src_h as u32, bpp as u32, progressive as u32);
    let src_pixels = src_w as u64 * src_h as u64;
    let limit = if max_src_pixels == 0 {
        HARD_MAX_SRC_PIXELS
    } else {
        (max_src_pixels as u64).min(HARD_MAX_SRC_PIXELS)
    };
    if src_pixels > limit {
        return fail(S_TOO_LARGE, "coded size above the pixel limit");
    }

    // `Decoder::scale` picks the smallest IDCT size whose output reaches the request in
    // EITHER axis. To get exactly `idct`, start from the smallest size giving the same
    // output dimensions (they coincide only for 1-2 px images) and request one pixel more
    // than the next smaller size yields in both axes.
    let (out_w, out_h) = (scaled(src_w, idct), scaled(src_h, idct));
    check(out_w, out_h)?;
    if idct < 8 {
        let mut s = idct;
        while s > 1 && scaled(src_w, s / 2) == out_w && scaled(src_h, s / 2) == out_h {
            s /= 2;
        }
        let (req_w, req_h) = if s == 1 {
            (1, 1)
        } else {
            (scaled(src_w, s / 2) + 1, scaled(src_h, s / 2) + 1)
        };
        let got = decoder.scale(req_w as u16, req_h as u16).map_err(from_decoder_error)?;
        if (got.0 as u32, got.1 as u32) != (out_w, out_h) {
            return fail(S_INTERNAL, "scale selection mismatch");
        }
    }

    let native = decoder.decode().map_err(from_decoder_error)?;
    // The decoder borrows the input: drop both before growing the output buffer.
    drop(decoder);
    drop(input);

    let n = out_w as usize * out_h as usize;
    if native.len() != n * bpp {
        return fail(S_INTERNAL, "decoder output has an unexpected size");
    }
    Ok(Native { pixels: native, width: out_w, height: out_h, bpp })
}

/// Converts `n` pixels of L8 / RGB24 / CMYK32 (jpeg-decoder's formats) to RGBA8 with as
/// little growth of wasm memory as the allocator allows:
/// - CMYK32: in place (same size).
/// - when the heap holds enough free memory (the input and the decoder's planes, and for
///   progressive JPEGs its coefficients, were just freed): a new buffer, converted
///   forwards; it normally fits in those holes.
/// - otherwise: grow the decoder's buffer in place (see `prepare_in_place_growth`) and
///   expand from the last pixel to the first, so no second full-size buffer is needed.
fn to_rgba(mut px: Vec<u8>, n: usize, bpp: usize) -> Result<Vec<u8>, Failure> {
    let out_len = n * 4;
    if bpp == 4 {
        // jpeg-decoder returns CMYK as ink amounts (0 = no ink): it has already undone the
        // Adobe inversion (and the YCCK transform). Naive conversion without ICC, as
        // browsers do for untagged CMYK: R = (255 - C) * (255 - K) / 255.
        for p in px.chunks_exact_mut(4) {
            let k = 255 - p[3] as u32;
            p[0] = mul_div255(255 - p[0] as u32, k);
            p[1] = mul_div255(255 - p[1] as u32, k);
            p[2] = mul_div255(255 - p[2] as u32, k);
            p[3] = 255;
        }
        return Ok(px);
    }
    let oom = || fail(S_OUT_OF_MEMORY, "cannot allocate the RGBA output");
    if heap_free_bytes() >= out_len + out_len / 16 + 64 * 1024 {
        let mut out: Vec<u8> = Vec::new();
        if out.try_reserve_exact(out_len).is_err() {
            return oom();
        }
        if bpp == 3 {
            out.extend(px.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]));
        } else {
            out.extend(px.iter().flat_map(|&g| [g, g, g, 255]));
        }
        return Ok(out);
    }
    prepare_in_place_growth(&px, out_len - px.len());
    if px.try_reserve_exact(out_len - px.len()).is_err() {
        return oom();
    }
    let base = px.as_mut_ptr();
    // Pixel i moves from [i*bpp, i*bpp+bpp) to [4i, 4i+4); going backwards every source
    // byte is read before it is overwritten (4i >= bpp*i for bpp <= 4).
    unsafe {
        if bpp == 3 {
            for i in (0..n).rev() {
                let s = base.add(i * 3);
                let v = u32::from_le_bytes([*s, *s.add(1), *s.add(2), 255]);
                (base.add(i * 4) as *mut u32).write_unaligned(v);
            }
        } else {
            for i in (0..n).rev() {
                let g = *base.add(i);
                let v = u32::from_le_bytes([g, g, g, 255]);
                (base.add(i * 4) as *mut u32).write_unaligned(v);
            }
        }
        px.set_len(out_len);
    }
    Ok(px)
}

/// Makes the next `reserve` of `buf` by `extra` bytes likely to grow it in place.
///
/// dlmalloc (Rust's wasm32 allocator) grows a block in place only into a free chunk or
/// the top chunk right after it. After a decode, `buf` (the decoder's output, allocated
/// last) sits just below the top chunk, which is small, while the freed planes leave holes
/// below it; a plain realloc would then copy `buf` to new memory (peak: holes + old + new).
/// Here blocks of `extra` bytes are allocated until one comes from above `buf` (holes
/// are plugged on the way); freeing that one leaves a top chunk big enough for an in-place
/// realloc. The plugs are freed again. If anything differs from this picture, the realloc
/// simply copies, as it would have anyway.
fn prepare_in_place_growth(buf: &Vec<u8>, extra: usize) {
    let end = buf.as_ptr() as usize + buf.capacity();
    let layout = match Layout::from_size_align(extra + 64 * 1024, 8) {
        Ok(layout) => layout,
        Err(_) => return,
    };
    let mut plugs = [core::ptr::null_mut::<u8>(); 8];
    unsafe {
        for plug in plugs.iter_mut() {
            let p = alloc(layout);
            if p.is_null() {
                break;
            }
            if p as usize >= end {
                dealloc(p, layout); // merges back into the top chunk, right after `buf`
                break;
            }
            *plug = p; // landed in a hole below `buf`: keep it until the loop ends
        }
        for &p in plugs.iter().filter(|p| !p.is_null()) {
            dealloc(p, layout);
        }
    }
}

/// round(a * b / 255) for a, b in 0..=255.
#[inline]
fn mul_div255(a: u32, b: u32) -> u8 {
    let t = a * b + 128;
    ((t + (t >> 8)) >> 8) as u8
}
