//! Crop + lanczos3 downscale of jpeg-decoder's output straight to RGBA8, streaming.
//!
//! Same result as the `resize` crate's `Lanczos3` on RGBA8 (what @jsquash/resize runs),
//! without its full-size intermediate (output width x source height x 16 bytes):
//! - weights per axis (`lanczos3_taps`): ratio r = in / out, filter scale s = max(r, 1),
//!   radius ceil(3 s); output sample i is centred on input x = (i + 0.5) r - 0.5 and reads
//!   inputs ceil(x - radius)..=floor(x + radius) clamped to the crop (the window is cut at
//!   the edges, no pixel replication), weighted by lanczos3((j - x) / s) normalised to sum
//!   1 (positions and the sum in f64, kernel and weights in f32, as the crate does);
//! - each source row of the crop is converted to f32 RGB (`load_row`; RGB24, L8 or CMYK32
//!   as jpeg-decoder returns it, so no RGBA copy of the decoded image exists), filtered
//!   horizontally (`horizontal`) and immediately added, with its vertical weight, to the
//!   accumulator row of every output row whose window contains it. An output row is
//!   rounded to RGBA8 and written as soon as its last source row has been added, and its
//!   accumulator is reused. The accumulators form a ring just big enough for the number of
//!   output rows in progress at once (about 3 + 6 / r, e.g. 7 rows for 2000 → 1067).
//!
//! Every output channel is computed in the same order as the crate (f32 sums from 0 over
//! the taps in increasing order, horizontal pass first), so the results match it to the
//! rounding of the kernel's `sin`. Pixels are `v128` f32x4 (R, G, B, unused).

use crate::{mul_div255, Failure, Native, S_INTERNAL, S_OUT_OF_MEMORY};
use core::arch::wasm32::*;

/// A crop rectangle in the decoded image's pixels (already checked to lie inside it).
pub(crate) struct Crop {
    pub(crate) left: usize,
    pub(crate) top: usize,
    pub(crate) width: usize,
    pub(crate) height: usize,
}

/// The filter window of one output sample: `len` input samples from `start`, whose weights
/// are `weights[off..off + len]`.
#[derive(Clone, Copy)]
struct Tap {
    start: u32,
    len: u32,
    off: u32,
}

impl Tap {
    /// Last input sample of the window.
    #[inline]
    fn end(&self) -> usize {
        (self.start + self.len - 1) as usize
    }
}

fn oom<T>() -> Result<T, Failure> {
    Err(Failure { status: S_OUT_OF_MEMORY, message: "cannot allocate the resize buffers".into() })
}

/// An empty Vec with room for `n` items, or `S_OUT_OF_MEMORY`.
fn try_vec<T>(n: usize) -> Result<Vec<T>, Failure> {
    let mut v = Vec::new();
    if v.try_reserve_exact(n).is_err() {
        return oom();
    }
    Ok(v)
}

/// A Vec of `n` copies of `x`, or `S_OUT_OF_MEMORY`.
fn try_filled<T: Copy>(n: usize, x: T) -> Result<Vec<T>, Failure> {
    let mut v = try_vec(n)?;
    v.resize(n, x);
    Ok(v)
}

#[inline]
fn sinc(x: f32) -> f32 {
    if x == 0.0 {
        1.0
    } else {
        let a = x * core::f32::consts::PI;
        a.sin() / a
    }
}

/// The Lanczos kernel with 3 lobes (as the `resize` crate computes it, in f32).
#[inline]
fn lanczos3(x: f32) -> f32 {
    if x.abs() < 3.0 {
        sinc(x) * sinc(x / 3.0)
    } else {
        0.0
    }
}

/// Lanczos3 filter windows and weights for resampling `s1` samples to `s2` (1 <= s2 <= s1;
/// see the module docs for the conventions). `s1 == s2` gives the identity (one weight of
/// 1 per sample): an axis of unchanged size is copied exactly.
fn lanczos3_taps(s1: usize, s2: usize) -> Result<(Vec<Tap>, Vec<f32>), Failure> {
    let mut taps = try_vec(s2)?;
    if s1 == s2 {
        taps.extend((0..s2 as u32).map(|i| Tap { start: i, len: 1, off: 0 }));
        return Ok((taps, vec![1.0]));
    }
    let ratio = s1 as f64 / s2 as f64;
    let scale = ratio.max(1.0);
    let radius = (3.0 * scale).ceil();
    let max_len = (2.0 * radius) as usize + 1;
    let mut weights = try_vec(s2 * max_len.min(s1))?;
    let last = s1 as isize - 1;
    for x2 in 0..s2 {
        let x1 = (x2 as f64 + 0.5) * ratio - 0.5;
        let start = ((x1 - radius).ceil() as isize).min(last).max(0) as usize;
        let end = (((x1 + radius).floor() as isize).min(last).max(0) as usize).max(start);
        let k = |i: usize| lanczos3(((i as f64 - x1) / scale) as f32);
        let mut sum: f64 = (start..=end).map(|i| k(i) as f64).sum();
        if !(sum.abs() > 1e-12) {
            sum = 1.0; // cannot happen for lanczos3 (the centre tap is near 1); no NaNs
        }
        let off = weights.len() as u32;
        weights.extend((start..=end).map(|i| (k(i) as f64 / sum) as f32));
        taps.push(Tap { start: start as u32, len: (end - start + 1) as u32, off });
    }
    Ok((taps, weights))
}

/// The largest number of output rows whose windows are open at once while source rows
/// are streamed in order (windows start and end in non-decreasing order).
fn max_open_rows(taps: &[Tap], rows: usize) -> usize {
    let (mut lo, mut next, mut most) = (0, 0, 1);
    for r in 0..rows {
        while next < taps.len() && taps[next].start as usize <= r {
            next += 1;
        }
        most = most.max(next - lo);
        while lo < next && taps[lo].end() == r {
            lo += 1;
        }
    }
    most
}

/// Converts one row of the crop (`line.len()` pixels of `bpp` bytes) to f32x4 (R, G, B, x).
/// CMYK32 (ink amounts) becomes RGB as `to_rgba` does it: R = (255 - C)(255 - K) / 255.
fn load_row(row: &[u8], bpp: usize, line: &mut [v128]) {
    match bpp {
        3 => {
            let n = line.len();
            let z = u32x4_splat(0);
            let mut i = 0;
            // 4 pixels from one 16-byte load (12 bytes used): stays inside `row` while
            // 3 i + 16 <= 3 n, i.e. i + 6 <= n.
            while i + 6 <= n {
                // SAFETY: bytes 3i..3i+16 are inside `row` (checked above); unaligned load.
                let v = unsafe { (row.as_ptr().add(3 * i) as *const v128).read_unaligned() };
                line[i] = f32x4_convert_u32x4(i8x16_shuffle::<
                    0, 16, 16, 16, 1, 16, 16, 16, 2, 16, 16, 16, 16, 16, 16, 16,
                >(v, z));
                line[i + 1] = f32x4_convert_u32x4(i8x16_shuffle::<
                    3, 16, 16, 16, 4, 16, 16, 16, 5, 16, 16, 16, 16, 16, 16, 16,
                >(v, z));
                line[i + 2] = f32x4_convert_u32x4(i8x16_shuffle::<
                    6, 16, 16, 16, 7, 16, 16, 16, 8, 16, 16, 16, 16, 16, 16, 16,
                >(v, z));
                line[i + 3] = f32x4_convert_u32x4(i8x16_shuffle::<
                    9, 16, 16, 16, 10, 16, 16, 16, 11, 16, 16, 16, 16, 16, 16, 16,
                >(v, z));
                i += 4;
            }
            for (d, p) in line[i..].iter_mut().zip(row[3 * i..].chunks_exact(3)) {
                *d = f32x4(p[0] as f32, p[1] as f32, p[2] as f32, 0.0);
            }
        }
        1 => {
            for (d, &g) in line.iter_mut().zip(row) {
                *d = f32x4_splat(g as f32);
            }
        }
        _ => {
            for (d, p) in line.iter_mut().zip(row.chunks_exact(4)) {
                let k = 255 - p[3] as u32;
                let r = mul_div255(255 - p[0] as u32, k);
                let g = mul_div255(255 - p[1] as u32, k);
                let b = mul_div255(255 - p[2] as u32, k);
                *d = f32x4(r as f32, g as f32, b as f32, 0.0);
            }
        }
    }
}

/// Horizontal pass over one row: `out[i]` = sum of `line[start + j] * w[j]` over the taps
/// of output column i, summed from 0 in tap order.
fn horizontal(line: &[v128], taps: &[Tap], weights: &[f32], out: &mut [v128]) {
    for (o, t) in out.iter_mut().zip(taps) {
        let px = &line[t.start as usize..][..t.len as usize];
        let ws = &weights[t.off as usize..][..t.len as usize];
        let mut acc = f32x4_splat(0.0);
        for (p, &w) in px.iter().zip(ws) {
            acc = f32x4_add(acc, f32x4_mul(*p, f32x4_splat(w)));
        }
        *o = acc;
    }
}

/// Rounds one finished accumulator row to RGBA8 (alpha 255) at `dst`: `(v + 0.5)`
/// truncated and saturated to 0..=255, as the `resize` crate's `u8::from_float`.
///
/// # Safety
/// `dst` must be valid for `acc.len()` u32 writes.
unsafe fn emit_row(acc: &[v128], dst: *mut u32) {
    let half = f32x4_splat(0.5);
    for (i, a) in acc.iter().enumerate() {
        let v = i32x4_trunc_sat_f32x4(f32x4_add(*a, half));
        let v = i16x8_narrow_i32x4(v, v);
        let v = u8x16_narrow_i16x8(v, v);
        let px = i32x4_extract_lane::<0>(v) as u32 | 0xFF00_0000; // bytes R, G, B, 255
        dst.add(i).write_unaligned(px.to_le());
    }
}

/// Copies the crop as it is to RGBA8 (output size = crop size).
fn copy_crop(src: &Native, crop: &Crop, out: &mut Vec<u8>) {
    let stride = src.width as usize * src.bpp;
    for r in 0..crop.height {
        let off = (crop.top + r) * stride + crop.left * src.bpp;
        let row = &src.pixels[off..off + crop.width * src.bpp];
        match src.bpp {
            3 => out.extend(row.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255])),
            1 => out.extend(row.iter().flat_map(|&g| [g, g, g, 255])),
            _ => out.extend(row.chunks_exact(4).flat_map(|p| {
                let k = 255 - p[3] as u32;
                [
                    mul_div255(255 - p[0] as u32, k),
                    mul_div255(255 - p[1] as u32, k),
                    mul_div255(255 - p[2] as u32, k),
                    255,
                ]
            })),
        }
    }
}

/// Crops `src` to `crop` and resamples it to `out_w` x `out_h` RGBA8 (1 <= out <= crop
/// size in each axis, checked by the caller). See the module docs.
pub(crate) fn resample(src: &Native, crop: &Crop, out_w: usize, out_h: usize) -> Result<Vec<u8>, Failure> {
    // The output first: it normally fits in the holes the decoder's planes and the input
    // left, below the decoded image.
    let mut out: Vec<u8> = try_vec(out_w * out_h * 4)?;
    if out_w == crop.width && out_h == crop.height {
        copy_crop(src, crop, &mut out);
        return Ok(out);
    }
    let (htaps, hw) = lanczos3_taps(crop.width, out_w)?;
    let (vtaps, vw) = lanczos3_taps(crop.height, out_h)?;
    let ring = max_open_rows(&vtaps, crop.height);
    let zero = f32x4_splat(0.0);
    let mut acc: Vec<v128> = try_filled(ring * out_w, zero)?;
    let mut line: Vec<v128> = try_filled(crop.width, zero)?;
    let mut hrow: Vec<v128> = try_filled(out_w, zero)?;

    let stride = src.width as usize * src.bpp;
    let dst = out.as_mut_ptr() as *mut u32;
    // Output rows lo..next have open windows (first source row added, last one not yet).
    let (mut lo, mut next) = (0usize, 0usize);
    for r in 0..crop.height {
        while next < out_h && vtaps[next].start as usize <= r {
            next += 1;
        }
        if lo == next {
            continue; // no output row reads this source row
        }
        let off = (crop.top + r) * stride + crop.left * src.bpp;
        load_row(&src.pixels[off..off + crop.width * src.bpp], src.bpp, &mut line);
        horizontal(&line, &htaps, &hw, &mut hrow);
        for y2 in lo..next {
            let t = vtaps[y2];
            let w = f32x4_splat(vw[t.off as usize + r - t.start as usize]);
            let a = &mut acc[(y2 % ring) * out_w..][..out_w];
            if r == t.start as usize {
                // First tap: 0 + h * w, as the crate sums (the slot held another row).
                for (a, h) in a.iter_mut().zip(&hrow) {
                    *a = f32x4_add(zero, f32x4_mul(*h, w));
                }
            } else {
                for (a, h) in a.iter_mut().zip(&hrow) {
                    *a = f32x4_add(*a, f32x4_mul(*h, w));
                }
            }
        }
        while lo < next && vtaps[lo].end() == r {
            // SAFETY: `out` has capacity out_w * out_h u32s and lo < out_h.
            unsafe { emit_row(&acc[(lo % ring) * out_w..][..out_w], dst.add(lo * out_w)) };
            lo += 1;
        }
    }
    if lo != out_h {
        // Cannot happen: every window ends inside the crop.
        return Err(Failure { status: S_INTERNAL, message: "resize left rows unwritten".into() });
    }
    // SAFETY: every output row 0..out_h was written by `emit_row`.
    unsafe { out.set_len(out_w * out_h * 4) };
    Ok(out)
}
