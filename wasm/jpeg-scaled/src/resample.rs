//! Crop + lanczos3 downscale of jpeg-decoder's output straight to RGBA8, streaming, with the
//! shared resampler (`edge_wasm_common::resample`, the `resize` crate's conventions):
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

use crate::{mul_div255, Native};
use core::arch::wasm32::*;
use edge_wasm_common::abi::{try_vec, Failure, S_INTERNAL};
use edge_wasm_common::resample::Resampler;

/// A crop rectangle in the decoded image's pixels (already checked to lie inside it).
pub(crate) struct Crop {
    pub(crate) left: usize,
    pub(crate) top: usize,
    pub(crate) width: usize,
    pub(crate) height: usize,
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
    let mut out: Vec<u8> = try_vec(out_w * out_h * 4, "the resize output")?;
    if out_w == crop.width && out_h == crop.height {
        copy_crop(src, crop, &mut out);
        return Ok(out);
    }
    let mut resampler = Resampler::new(crop.width, crop.height, out_w, out_h)?;
    let stride = src.width as usize * src.bpp;
    let dst = out.as_mut_ptr() as *mut u32;
    for r in 0..crop.height {
        let off = (crop.top + r) * stride + crop.left * src.bpp;
        let row = &src.pixels[off..off + crop.width * src.bpp];
        resampler.push(
            |line| load_row(row, src.bpp, line),
            // SAFETY: `out` has capacity out_w * out_h u32s and y < out_h.
            |y, acc| unsafe { emit_row(acc, dst.add(y * out_w)) },
        );
    }
    if !resampler.finished() {
        // Cannot happen: every window ends inside the crop.
        return Err(Failure { status: S_INTERNAL, message: "resize left rows unwritten".into() });
    }
    // SAFETY: every output row 0..out_h was written by `emit_row`.
    unsafe { out.set_len(out_w * out_h * 4) };
    Ok(out)
}
