//! resize: RGBA8 → RGBA8 resampling for the image-edge Worker (src/codecs/resize.ts).
//!
//! Lanczos3 with the `resize` crate's conventions (`edge_wasm_common::resample`), in either
//! direction per axis; colour premultiplied by alpha when the caller asks (images with
//! alpha: no dark or coloured fringes); reductions of 3x and more first box-shrink by the
//! integer factor of `preShrinkFactor` (src/codecs/resize.ts), so lanczos3 does the last
//! 1.5-3x, as libvips' `shrink` + `reduce` do. Every step is streamed: the host copies one
//! source row at a time into the module (`env.resize_read_row`) and takes each output row as
//! soon as it is finished (`env.resize_write_row`), so nothing image-sized is ever held in
//! wasm memory: only rows.
//!
//! # ABI (wasm32: sizes are u32; see wasm/README.md, "resize.wasm")
//! - import `env.resize_read_row(dst, y)`: the host copies source row `y` (`in_w * 4`
//!   bytes of RGBA8) to `dst`; rows are asked for in order, each at most once;
//! - import `env.resize_write_row(src, y)`: the host copies output row `y` (`out_w * 4`
//!   bytes of RGBA8) from `src`; every row once, in order, before the call returns;
//! - `resize_rgba(in_w, in_h, out_w, out_h, flags) -> header_ptr`: resamples to `out_w` x
//!   `out_h` RGBA8 (flags bit 0: premultiply by alpha). An unchanged axis is copied. The
//!   header's data pointer and length are 0 (the rows went to the host).
//! - `resize_release()`: frees the last output and message.
//! - `resize_pause_every(rows)`: the next `resize_rgba` only calls the import
//!   `env.resize_pause()` after every `rows` source rows read (0, the default: never). The
//!   host makes that import a JSPI suspending function and calls `resize_rgba` through
//!   `WebAssembly.promising`, so a long resample (whose source rows may be decoded as they are
//!   read: src/codecs/jpeg-turbo.ts) gives the thread back between slices of rows.
//!
//! Header words (jpeg_scaled's layout): status, width, height, data pointer, data length,
//! source width, source height, box factor (word 7), flags (word 8), message pointer,
//! message length. Status 4 when a row buffer cannot be allocated, 5 for a bad size. A panic
//! aborts (a trap): the host discards the instance.

use core::arch::wasm32::*;
use edge_wasm_common::abi::{self, fail, run, try_filled, Failure, S_BAD_ARGUMENT, S_INTERNAL};
use edge_wasm_common::resample::{pre_shrink_factor, store_rgba8, BoxShrinkRgba8, WindowResampler};

/// Flags bit 0: premultiply colour by alpha while resampling.
const F_PREMULTIPLY: u32 = 1;

/// Largest input or output, in pixels (16384 x 16384): keeps every byte size below 2^32.
const MAX_PIXELS: u64 = 1 << 28;

#[link(wasm_import_module = "env")]
extern "C" {
    /// Host import: copies source row `y` (`in_w * 4` bytes of RGBA8) to `dst`.
    fn resize_read_row(dst: *mut u8, y: u32);
    /// Host import: takes output row `y` (`out_w * 4` bytes of RGBA8) from `src`.
    fn resize_write_row(src: *const u8, y: u32);
    /// Host import (after `resize_pause_every`): a point where the host may suspend the call.
    fn resize_pause();
}

/// Source rows between two `resize_pause` calls in the next `resize_rgba` (0: none).
static mut PAUSE_EVERY: usize = 0;

/// Sets the pause step of the next `resize_rgba` (see the module docs).
#[no_mangle]
pub extern "C" fn resize_pause_every(rows: u32) {
    // SAFETY: single-threaded module; read and cleared by the next `resize_rgba`.
    unsafe { PAUSE_EVERY = rows as usize };
}

/// Frees the output pixels and message of the last `resize_rgba`.
#[no_mangle]
pub extern "C" fn resize_release() {
    abi::release()
}

/// Resamples the host's `in_w` x `in_h` RGBA8 image to `out_w` x `out_h` (see the module
/// docs). Returns a pointer to the header.
#[no_mangle]
pub extern "C" fn resize_rgba(in_w: u32, in_h: u32, out_w: u32, out_h: u32, flags: u32) -> *const u32 {
    // SAFETY: no input buffer (null): the rows come through `resize_read_row`; PAUSE_EVERY is
    // this single-threaded module's, taken for this call only.
    unsafe {
        let every = PAUSE_EVERY;
        PAUSE_EVERY = 0;
        run(core::ptr::null_mut(), 0, |_| {
            let ok = |w: u32, h: u32| w > 0 && h > 0 && w as u64 * h as u64 <= MAX_PIXELS;
            if !ok(in_w, in_h) || !ok(out_w, out_h) {
                return fail(S_BAD_ARGUMENT, "sizes must be 1..16384x16384 (2^28 pixels)");
            }
            let (w, h, ow, oh) = (in_w as usize, in_h as usize, out_w as usize, out_h as usize);
            let k = pre_shrink_factor(w, h, ow, oh);
            abi::set_source(in_w, in_h, k as u32, flags);
            resize(w, h, ow, oh, k, flags & F_PREMULTIPLY != 0, every)?;
            Ok((Vec::new(), out_w, out_h))
        })
    }
}

/// Converts `raw` (RGBA8) to f32x4 R, G, B, A in 0..=255, colour multiplied by alpha / 255
/// when `premultiply`.
fn load_row(raw: &[u8], premultiply: bool, line: &mut [v128]) {
    for (d, p) in line.iter_mut().zip(raw.chunks_exact(4)) {
        let v = f32x4(p[0] as f32, p[1] as f32, p[2] as f32, p[3] as f32);
        *d = if premultiply {
            let m = p[3] as f32 / 255.0;
            f32x4_mul(v, f32x4(m, m, m, 1.0))
        } else {
            v
        };
    }
}

/// The resample: rows from the host, through the box shrink when `k` > 1, into lanczos3,
/// and each finished output row rounded to RGBA8 and handed to the host; `resize_pause`
/// after every `every` source rows (0: never).
fn resize(
    w: usize,
    h: usize,
    ow: usize,
    oh: usize,
    k: usize,
    premultiply: bool,
    every: usize,
) -> Result<(), Failure> {
    let mut out_row: Vec<u8> = try_filled(ow * 4, 0u8, "the output row")?;
    let dst = out_row.as_mut_ptr();
    let mut boxed = if k > 1 { Some(BoxShrinkRgba8::new(w, h, k, premultiply)?) } else { None };
    let (rw, rh) = boxed.as_ref().map_or((w, h), |b| b.out_size());
    let mut resampler = WindowResampler::new(rw, rh, ow, oh)?;
    let mut row: Vec<u8> = try_filled(w * 4, 0u8, "a row")?;
    let emit = |y: usize, row: &[v128]| unsafe {
        // SAFETY: `out_row` holds `ow` pixels, as many as `row`.
        store_rgba8(row, premultiply, dst as *mut u32);
        resize_write_row(dst, y as u32);
    };
    let raw = row.as_mut_ptr();
    for y in 0..h {
        // SAFETY: `raw` holds `w * 4` bytes, the row the host writes; nothing else holds it.
        let read = || unsafe {
            resize_read_row(raw, y as u32);
            core::slice::from_raw_parts(raw as *const u8, w * 4)
        };
        match boxed.as_mut() {
            None => resampler.push(|l| load_row(read(), premultiply, l), emit),
            Some(b) => b.push(read(), |shrunk| resampler.push(|l| l.copy_from_slice(shrunk), emit)),
        }
        if every > 0 && (y + 1) % every == 0 {
            // SAFETY: a host import with no arguments.
            unsafe { resize_pause() };
        }
    }
    if !resampler.finished() {
        return fail(S_INTERNAL, "resize left rows unwritten");
    }
    Ok(())
}
