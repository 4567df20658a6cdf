//! png-scaled: PNG → cropped, resampled RGBA8 for the image-edge Worker, streaming.
//!
//! A thin C-ABI layer over the `png` crate 0.17.7 (image-rs, MIT OR Apache-2.0): the decoder
//! hands out one row at a time (palette, tRNS and low bit depths expanded); each row of the
//! crop is converted to f32 (16-bit samples scaled by 1/257, so no precision is lost before
//! the resample), premultiplied by alpha, box-shrunk for large reductions and resampled with
//! lanczos3 (`edge_wasm_common::resample`) into the output, the only image-sized buffer.
//! Adam7-interlaced files cost more: passes 1-6 fill the even rows before pass 7 brings the
//! odd ones, so the crop's even rows are kept at their expanded depth (half the crop at 3
//! bytes per pixel for 8-bit RGB, 8 for 16-bit RGBA) and streamed as pass 7 arrives.
//!
//! png 0.17.7 carries our patch (wasm/png-scaled/png-0.17.7-fdeflate.patch): the image data
//! are inflated by fdeflate 0.3.7, not miniz_oxide 0.6. Built with `--cfg fuzzing`, png
//! 0.17.7's only switch for not verifying chunk CRCs, under which the patch skips the zlib
//! Adler-32 too: @jsquash/png (the previous decoder) verified neither, so files with a bad
//! checksum keep decoding. 8-bit crops at their own size are copied without the floats (the
//! same pixels as the resample path gives).
//!
//! # ABI (wasm32: pointers and sizes are u32; see wasm/README.md, "png_scaled.wasm")
//! - import `env.png_read(dst, len) -> n`: the host copies the next at most `len` bytes of
//!   the file to `dst` (0 at its end), so the file is read in the decoder's 32 KiB chunks
//!   and never held whole in wasm memory;
//! - `png_release()`: frees the last output and message;
//! - `png_decode_resize(len, crop_left, crop_top, crop_width, crop_height, out_w, out_h,
//!   max_src_pixels) -> header_ptr`: reads the `len`-byte file, decodes the first (IDAT)
//!   image, crops it and resamples the crop to `out_w` x `out_h` RGBA8 (1 <= out <=
//!   crop per axis; equal sizes are copied). `max_src_pixels` bounds width x height (0: the
//!   built-in cap of 2^28).
//! - `png_decode_rows(..., max_src_pixels, pause_every)`: the same arguments and decode, but
//!   each finished output row goes to the import `env.png_write_row(src, y)` (RGBA8,
//!   `out_w * 4` bytes at `src`, valid during the call; y top to bottom, each once) instead of
//!   into an output image, so the module holds one output row: the host writes the rows where
//!   they belong (an encoder's input: src/transform/streamed.ts). After every `pause_every`
//!   rows (0: never) it calls the import `env.png_pause()`, which the host may make a JSPI
//!   suspending function (the call then runs through `WebAssembly.promising`). Header words
//!   as below, with no data.
//!
//! Header words: status, width, height, data pointer, data length, source width, source
//! height, PNG colour type (word 7), bit depth | interlaced << 8 | has-alpha << 9 (word 8),
//! message pointer, message length. A panic aborts (a trap): the host discards the instance.

mod encode;

use core::arch::wasm32::*;
use edge_wasm_common::abi::{
    self, check_crop, fail, run, try_filled, try_vec, Failure, S_INTERNAL, S_MALFORMED,
    S_TOO_LARGE,
};
use edge_wasm_common::resample::{pre_shrink_factor, BoxShrink, Resampler};
use png::{BitDepth, ColorType, Decoder, DecodingError, Limits, Transformations};

/// Adam7 passes 1-7: first column, column step, first row, row step.
const ADAM7: [(usize, usize, usize, usize); 7] =
    [(0, 8, 0, 8), (4, 8, 0, 8), (0, 4, 4, 8), (2, 4, 0, 4), (0, 2, 2, 4), (1, 2, 0, 2), (0, 1, 1, 2)];

/// Pixels per row (`axis` 0, of `len` columns) or rows (`axis` 1, of `len` rows) of Adam7
/// pass `pass` (1-7): ceil((len - first) / step), 0 when the pass misses the image.
fn adam7_size(pass: usize, len: usize, axis: usize) -> usize {
    let (xs, dx, ys, dy) = ADAM7[pass - 1];
    let (first, step) = if axis == 0 { (xs, dx) } else { (ys, dy) };
    if len > first {
        (len - first + step - 1) / step
    } else {
        0
    }
}

/// Hard cap on pixels (16384 x 16384): keeps every buffer size below 2^32.
const HARD_MAX_SRC_PIXELS: u64 = 1 << 28;

/// Frees the output pixels and message of the last `png_decode_resize`.
#[no_mangle]
pub extern "C" fn png_release() {
    abi::release()
}

fn from_png_error(err: DecodingError) -> Failure {
    match err {
        DecodingError::IoError(_) => Failure {
            status: S_MALFORMED,
            message: "truncated PNG: unexpected end of data".into(),
        },
        DecodingError::LimitsExceeded => Failure {
            status: S_TOO_LARGE,
            message: "PNG needs more memory than allowed".into(),
        },
        _ => Failure { status: S_MALFORMED, message: err.to_string() },
    }
}

#[link(wasm_import_module = "env")]
extern "C" {
    /// Host import: copies the next bytes of the PNG file (at most `len`) to `dst` and
    /// returns how many it copied (0 at the end of the file).
    fn png_read(dst: *mut u8, len: usize) -> usize;
    /// Host import (`png_decode_rows` only): takes finished output row `y`, `out_w * 4`
    /// bytes of RGBA8 at `src`, valid until it returns.
    fn png_write_row(src: *const u8, y: u32);
    /// Host import (`png_decode_rows` with `pause_every`): a point where the host may suspend
    /// the call (JSPI) and let other work run.
    fn png_pause();
}

/// The PNG file, read from the host in the decoder's chunks (`png_read`): the file itself
/// is never copied whole into wasm memory.
struct HostInput {
    remaining: usize,
}

impl std::io::Read for HostInput {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = buf.len().min(self.remaining);
        if want == 0 {
            return Ok(0);
        }
        let got = unsafe { png_read(buf.as_mut_ptr(), want) };
        if got > want {
            return Err(std::io::Error::new(std::io::ErrorKind::Other, "host read too much"));
        }
        self.remaining -= got;
        Ok(got)
    }
}

/// Decodes the PNG of `len` bytes that the host hands out through `png_read`, crops and
/// resamples it (see the module docs). Returns a pointer to the header.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn png_decode_resize(
    len: usize,
    crop_left: u32,
    crop_top: u32,
    crop_width: u32,
    crop_height: u32,
    out_w: u32,
    out_h: u32,
    max_src_pixels: u32,
) -> *const u32 {
    let crop = (crop_left, crop_top, crop_width, crop_height);
    decode_call(len, crop, (out_w, out_h), max_src_pixels, None)
}

/// As [`png_decode_resize`], handing each output row to the host (`png_write_row`) instead of
/// keeping the output image (see the module docs). Returns a pointer to the header (no data).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn png_decode_rows(
    len: usize,
    crop_left: u32,
    crop_top: u32,
    crop_width: u32,
    crop_height: u32,
    out_w: u32,
    out_h: u32,
    max_src_pixels: u32,
    pause_every: u32,
) -> *const u32 {
    let crop = (crop_left, crop_top, crop_width, crop_height);
    decode_call(len, crop, (out_w, out_h), max_src_pixels, Some(pause_every as usize))
}

/// The body of both exports: checks, then [`decode_resize`] under the ABI's `run`.
fn decode_call(
    len: usize,
    crop: (u32, u32, u32, u32),
    (out_w, out_h): (u32, u32),
    max_src_pixels: u32,
    to_host: Option<usize>,
) -> *const u32 {
    // SAFETY: no input buffer (null): the file comes through `png_read`.
    unsafe {
        run(core::ptr::null_mut(), 0, |_| {
            check_crop(crop.2, crop.3, (0, 0, crop.2, crop.3), (out_w, out_h))?;
            if len == 0 {
                return fail(abi::S_BAD_ARGUMENT, "empty input");
            }
            let input = HostInput { remaining: len };
            let out =
                decode_resize(input, crop, out_w as usize, out_h as usize, max_src_pixels, to_host)?;
            Ok((out, out_w, out_h))
        })
    }
}

/// How one decoded row's samples are laid out.
#[derive(Clone, Copy)]
struct Layout {
    channels: usize,
    sixteen: bool,
    alpha: bool,
}

/// Converts `n` pixels of an expanded PNG row (grey, grey+alpha, RGB or RGBA; 8 or 16 bits
/// big-endian) to f32x4 R, G, B, A in 0..=255, premultiplied by alpha / 255.
fn load_row(row: &[u8], l: Layout, line: &mut [v128]) {
    // 8-bit RGB and RGBA, the common cases, widened with SIMD (the same values as below:
    // small integers are exact in f32, and `v * m` is the same product lane by lane).
    match (l.sixteen, l.channels) {
        (false, 3) => return load_rgb8(row, line),
        (false, 4) => return load_rgba8(row, line),
        _ => {}
    }
    let bps = if l.sixteen { 2 } else { 1 };
    let px = l.channels * bps;
    let s = |p: &[u8], c: usize| -> f32 {
        if l.sixteen {
            u16::from_be_bytes([p[2 * c], p[2 * c + 1]]) as f32 / 257.0
        } else {
            p[c] as f32
        }
    };
    for (d, p) in line.iter_mut().zip(row.chunks_exact(px)) {
        let (r, g, b, a) = match l.channels {
            1 => (s(p, 0), s(p, 0), s(p, 0), 255.0),
            2 => (s(p, 0), s(p, 0), s(p, 0), s(p, 1)),
            3 => (s(p, 0), s(p, 1), s(p, 2), 255.0),
            _ => (s(p, 0), s(p, 1), s(p, 2), s(p, 3)),
        };
        *d = if l.alpha {
            let m = a / 255.0;
            f32x4(r * m, g * m, b * m, a)
        } else {
            f32x4(r, g, b, 255.0)
        };
    }
}

/// Four bytes (R, G, B, A as the low to high bytes of `x`) as f32x4.
#[inline(always)]
fn widen(x: u32) -> v128 {
    f32x4_convert_u32x4(u32x4_extend_low_u16x8(u16x8_extend_low_u8x16(u32x4_splat(x))))
}

/// Swizzle masks taking pixel k (of 3 or 4 bytes, `step`) of a 16-byte load into the low
/// byte of each u32 lane, the other bytes 0 (index 0xff) and lane 3 too for RGB.
const fn spread(k: u8, step: u8) -> v128 {
    let z = 0xff;
    let a = if step == 4 { 4 * k + 3 } else { z };
    u8x16(step * k, z, z, z, step * k + 1, z, z, z, step * k + 2, z, z, z, a, z, z, z)
}

/// [`load_row`] for 8-bit RGB: alpha 255. Four pixels per 16-byte load while 16 bytes are
/// left, then one at a time.
fn load_rgb8(row: &[u8], line: &mut [v128]) {
    let n = line.len().min(row.len() / 3);
    let opaque = u32x4(0, 0, 0, 255);
    let mut i = 0;
    while i + 4 <= n && 3 * i + 16 <= row.len() {
        // SAFETY: 16 bytes from 3 * i are inside `row` (wasm loads need no alignment).
        let v = unsafe { v128_load(row.as_ptr().add(3 * i) as *const v128) };
        let px = |m: v128| f32x4_convert_u32x4(v128_or(i8x16_swizzle(v, m), opaque));
        line[i] = px(spread(0, 3));
        line[i + 1] = px(spread(1, 3));
        line[i + 2] = px(spread(2, 3));
        line[i + 3] = px(spread(3, 3));
        i += 4;
    }
    for (d, p) in line[i..n].iter_mut().zip(row[3 * i..].chunks_exact(3)) {
        *d = widen(u32::from_le_bytes([p[0], p[1], p[2], 255]));
    }
}

/// [`load_row`] for 8-bit RGBA: colour premultiplied by alpha / 255.
fn load_rgba8(row: &[u8], line: &mut [v128]) {
    let premultiply = |v: v128| {
        let m = f32x4_extract_lane::<3>(v) / 255.0;
        f32x4_mul(v, f32x4(m, m, m, 1.0))
    };
    let n = line.len().min(row.len() / 4);
    let mut i = 0;
    while i + 4 <= n {
        // SAFETY: 16 bytes from 4 * i are inside `row`.
        let v = unsafe { v128_load(row.as_ptr().add(4 * i) as *const v128) };
        let px = |m: v128| premultiply(f32x4_convert_u32x4(i8x16_swizzle(v, m)));
        line[i] = px(spread(0, 4));
        line[i + 1] = px(spread(1, 4));
        line[i + 2] = px(spread(2, 4));
        line[i + 3] = px(spread(3, 4));
        i += 4;
    }
    for (d, p) in line[i..n].iter_mut().zip(row[4 * i..].chunks_exact(4)) {
        *d = premultiply(widen(u32::from_le_bytes([p[0], p[1], p[2], p[3]])));
    }
}

/// One 8-bit row of grey, grey+alpha, RGB or RGBA as RGBA8 at `dst`: what [`load_row`],
/// an identity resample and [`emit_row`] give (the value itself; colour 0 where alpha is 0,
/// as premultiplying by 0 leaves nothing to divide back), without the floats.
///
/// # Safety
/// `dst` must be valid for `row.len() / channels` u32 writes.
unsafe fn copy_row8(row: &[u8], channels: usize, alpha: bool, dst: *mut u32) {
    for (i, p) in row.chunks_exact(channels).enumerate() {
        let [r, g, b, a] = match channels {
            1 => [p[0], p[0], p[0], 255],
            2 => [p[0], p[0], p[0], p[1]],
            3 => [p[0], p[1], p[2], 255],
            _ => [p[0], p[1], p[2], p[3]],
        };
        let px = if alpha && a == 0 { [0, 0, 0, 0] } else { [r, g, b, a] };
        dst.add(i).write_unaligned(u32::from_le_bytes(px));
    }
}

/// Rounds one output row to RGBA8 at `dst` (undoing the premultiplication when the source
/// has alpha): `(v + 0.5)` truncated and saturated to 0..=255, as the `resize` crate does.
///
/// # Safety
/// `dst` must be valid for `acc.len()` u32 writes.
unsafe fn emit_row(acc: &[v128], alpha: bool, dst: *mut u32) {
    let half = f32x4_splat(0.5);
    for (i, a) in acc.iter().enumerate() {
        let mut v = *a;
        if alpha {
            let al = f32x4_extract_lane::<3>(v);
            let k = if al > 0.0 { 255.0 / al } else { 0.0 };
            v = f32x4_replace_lane::<3>(f32x4_mul(v, f32x4_splat(k)), al);
        }
        let v = i32x4_trunc_sat_f32x4(f32x4_add(v, half));
        let v = i16x8_narrow_i32x4(v, v);
        let v = u8x16_narrow_i16x8(v, v);
        dst.add(i).write_unaligned((i32x4_extract_lane::<0>(v) as u32).to_le());
    }
}

/// The decode: header, limits, then the crop's rows through box shrink and lanczos3, into
/// the output image, or (`to_host`: `Some(pause_every)`) one row at a time to
/// `png_write_row`, with `png_pause` after every `pause_every` rows (0: never); the result is
/// then empty.
fn decode_resize(
    input: HostInput,
    crop: (u32, u32, u32, u32),
    out_w: usize,
    out_h: usize,
    max_src_pixels: u32,
    to_host: Option<usize>,
) -> Result<Vec<u8>, Failure> {
    let mut decoder = Decoder::new_with_limits(input, Limits { bytes: 1 << 30 });
    decoder.set_transformations(Transformations::EXPAND);
    let mut reader = decoder.read_info().map_err(from_png_error)?;
    let (width, height, interlaced, colour, depth) = {
        let info = reader.info();
        (info.width, info.height, info.interlaced, info.color_type, info.bit_depth)
    };
    let (out_colour, out_depth) = reader.output_color_type();
    let alpha = matches!(out_colour, ColorType::GrayscaleAlpha | ColorType::Rgba);
    abi::set_source(
        width,
        height,
        colour as u32,
        depth as u32 | (interlaced as u32) << 8 | (alpha as u32) << 9,
    );
    let limit = if max_src_pixels == 0 {
        HARD_MAX_SRC_PIXELS
    } else {
        (max_src_pixels as u64).min(HARD_MAX_SRC_PIXELS)
    };
    if width as u64 * height as u64 > limit {
        return fail(S_TOO_LARGE, "image size above the pixel limit");
    }
    check_crop(width, height, crop, (out_w as u32, out_h as u32))?;
    let layout = Layout {
        channels: out_colour.samples(),
        sixteen: out_depth == BitDepth::Sixteen,
        alpha,
    };
    let (left, top, cw, ch) = (crop.0 as usize, crop.1 as usize, crop.2 as usize, crop.3 as usize);
    let px_bytes = layout.channels * if layout.sixteen { 2 } else { 1 };

    // The output (or its one row) first, then the small working rows.
    let rows_held = if to_host.is_some() { 1 } else { out_h };
    let mut out: Vec<u8> = try_vec(out_w * rows_held * 4, "the output")?;
    let dst = out.as_mut_ptr() as *mut u32;
    let k = pre_shrink_factor(cw, ch, out_w, out_h);
    let mut boxed = if k > 1 { Some(BoxShrink::new(cw, ch, k)?) } else { None };
    let (rw, rh) = boxed.as_ref().map_or((cw, ch), |b| b.out_size());
    let mut resampler = Resampler::new(rw, rh, out_w, out_h)?;
    let mut line: Vec<v128> = if k > 1 { try_filled(cw, f32x4_splat(0.0), "a row")? } else { Vec::new() };
    // Output row `y`, written by `fill` at its place (or in the one row, then handed out).
    let put = |y: usize, fill: &mut dyn FnMut(*mut u32)| unsafe {
        if let Some(every) = to_host {
            fill(dst);
            png_write_row(dst as *const u8, y as u32);
            if every > 0 && (y + 1) % every == 0 {
                png_pause();
            }
        } else {
            fill(dst.add(y * out_w));
        }
    };
    // An 8-bit crop at its own size is copied row by row, without the floats (same pixels).
    let copy = !layout.sixteen && (cw, ch) == (out_w, out_h);
    let mut copied = 0usize;
    let mut feed_cropped = |row: &[u8]| {
        if copy {
            // SAFETY: each output row holds out_w = cw pixels.
            put(copied, &mut |d| unsafe { copy_row8(row, layout.channels, alpha, d) });
            copied += 1;
            return;
        }
        // SAFETY: each output row holds out_w pixels, as many as `acc`.
        let emit = |y: usize, acc: &[v128]| put(y, &mut |d| unsafe { emit_row(acc, alpha, d) });
        match boxed.as_mut() {
            None => resampler.push(|l| load_row(row, layout, l), emit),
            Some(b) => {
                load_row(row, layout, &mut line);
                b.push(&line, |shrunk| resampler.push(|l| l.copy_from_slice(shrunk), emit));
            }
        }
    };
    // The crop's columns of a whole decoded row.
    let cols = left * px_bytes..(left + cw) * px_bytes;

    if interlaced {
        // Adam7: passes 1-6 fill the even rows, pass 7 (which comes last) is every odd row,
        // whole. So only the crop's even rows are kept, as they are filled; then, as each
        // odd row arrives, the even row above it and the odd row itself go to the resampler.
        let first_even = top + (top & 1);
        let evens = (top + ch - first_even + 1) / 2;
        let stride = cw * px_bytes;
        let mut buf: Vec<u8> = try_filled(evens * stride, 0u8, "the interlaced rows")?;
        let mut next = top; // next source row to feed
        let mut passes = (1..=7usize).flat_map(|pass| {
            let lines = if adam7_size(pass, width as usize, 0) > 0 {
                adam7_size(pass, height as usize, 1)
            } else {
                0
            };
            (0..lines).map(move |line| (pass, line))
        });
        loop {
            let row = match reader.next_interlaced_row().map_err(from_png_error)? {
                Some(row) => row,
                None => break,
            };
            // The decoder gives the passes' rows in order (its `InterlaceInfo` is private).
            let (pass, line) = match passes.next() {
                Some(at) => at,
                None => return fail(S_INTERNAL, "more interlaced rows than Adam7 has"),
            };
            let data = row.data();
            if data.len() != adam7_size(pass, width as usize, 0) * px_bytes {
                return fail(S_INTERNAL, "interlaced row of an unexpected width");
            }
            if pass == 7 {
                let y = 2 * line + 1;
                while next <= y && next < top + ch {
                    if next == y {
                        feed_cropped(&data[cols.clone()]);
                    } else {
                        // An even row (the odd ones before `y` were fed as they came).
                        let i = (next - first_even) / 2;
                        feed_cropped(&buf[i * stride..(i + 1) * stride]);
                    }
                    next += 1;
                }
                continue;
            }
            let (xs, dx, ys, dy) = ADAM7[pass - 1];
            let y = ys + line * dy;
            if y < first_even || y >= top + ch {
                continue;
            }
            let dst = &mut buf[(y - first_even) / 2 * stride..][..stride];
            // Pixel i of this pass row is at x = xs + i dx; keep those inside the crop.
            for (i, p) in data.chunks_exact(px_bytes).enumerate() {
                let x = xs + i * dx;
                if x >= left + cw {
                    break;
                }
                if x >= left {
                    dst[(x - left) * px_bytes..][..px_bytes].copy_from_slice(p);
                }
            }
        }
        // Even rows after the last odd one (an odd height, or a 1-row image).
        while next < top + ch {
            if next & 1 == 1 {
                return fail(S_MALFORMED, "PNG image data ends early");
            }
            let i = (next - first_even) / 2;
            feed_cropped(&buf[i * stride..(i + 1) * stride]);
            next += 1;
        }
    } else {
        let mut y = 0usize;
        while y < top + ch {
            let row = match reader.next_row().map_err(from_png_error)? {
                Some(row) => row,
                None => return fail(S_MALFORMED, "PNG image data ends early"),
            };
            if y >= top {
                feed_cropped(&row.data()[cols.clone()]);
            }
            y += 1;
        }
    }
    if !(if copy { copied == out_h } else { resampler.finished() }) {
        return fail(S_INTERNAL, "resize left rows unwritten");
    }
    if to_host.is_some() {
        return Ok(Vec::new());
    }
    // SAFETY: every output row was written by `emit_row`.
    unsafe { out.set_len(out_w * out_h * 4) };
    Ok(out)
}
