//! Separable lanczos3 downscaling of streamed rows, with the `resize` crate's conventions
//! (what @jsquash/resize runs), without its full-size intermediate:
//! - weights per axis ([`lanczos3_taps`]): ratio r = in / out, filter scale s = max(r, 1),
//!   radius ceil(3 s); output sample i is centred on input x = (i + 0.5) r - 0.5 and reads
//!   inputs ceil(x - radius)..=floor(x + radius) clamped to the input (the window is cut at
//!   the edges, no pixel replication), weighted by lanczos3((j - x) / s) normalised to sum
//!   1 (positions and the sum in f64, kernel and weights in f32, as the crate does);
//! - [`Resampler`]: each source row, given as f32x4 pixels, is filtered horizontally and
//!   immediately added, with its vertical weight, to the accumulator row of every output
//!   row whose window contains it. An output row is handed to the caller as soon as its
//!   last source row has been added, and its accumulator is reused. The accumulators form a
//!   ring just big enough for the output rows in progress at once (about 3 + 6 / r).
//!
//! Every output channel is computed in the same order as the crate (f32 sums from 0 over
//! the taps in increasing order, horizontal pass first), so the results match it to the
//! rounding of the kernel's `sin`. Pixels are `v128` f32x4; what the four lanes mean is the
//! caller's business (RGB + unused, or premultiplied RGBA).
//!
//! [`WindowResampler`] is the same filter keeping filtered source rows instead (for
//! enlargements); [`store_rgba8`] rounds a finished row to RGBA8.
//!
//! [`BoxShrink`] averages k x k blocks of streamed rows (libvips' `shrink` before `reduce`),
//! for large reductions.

use crate::abi::{try_filled, try_vec, Failure};
use core::arch::wasm32::*;

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
    let what = "the resize weights";
    let mut taps = try_vec(s2, what)?;
    if s1 == s2 {
        taps.extend((0..s2 as u32).map(|i| Tap { start: i, len: 1, off: 0 }));
        return Ok((taps, vec![1.0]));
    }
    let ratio = s1 as f64 / s2 as f64;
    let scale = ratio.max(1.0);
    let radius = (3.0 * scale).ceil();
    let max_len = (2.0 * radius) as usize + 1;
    let mut weights = try_vec(s2 * max_len.min(s1), what)?;
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

/// Streaming lanczos3 from `in_w` x `in_h` to `out_w` x `out_h` (1 <= out <= in per axis):
/// feed the source rows in order with [`Resampler::push`]; finished output rows come out of
/// its `emit` callback, in order. Memory: one source row, one filtered row and the ring of
/// open output rows, all f32x4.
pub struct Resampler {
    htaps: Vec<Tap>,
    hw: Vec<f32>,
    vtaps: Vec<Tap>,
    vw: Vec<f32>,
    ring: usize,
    out_w: usize,
    out_h: usize,
    acc: Vec<v128>,
    line: Vec<v128>,
    hrow: Vec<v128>,
    /// The next source row to come.
    row: usize,
    /// Output rows lo..next have open windows (first source row added, last one not yet).
    lo: usize,
    next: usize,
}

impl Resampler {
    /// Weights and buffers for `in_w` x `in_h` → `out_w` x `out_h` (the caller checks
    /// 1 <= out <= in per axis).
    pub fn new(in_w: usize, in_h: usize, out_w: usize, out_h: usize) -> Result<Self, Failure> {
        let (htaps, hw) = lanczos3_taps(in_w, out_w)?;
        let (vtaps, vw) = lanczos3_taps(in_h, out_h)?;
        let ring = max_open_rows(&vtaps, in_h);
        let zero = f32x4_splat(0.0);
        let what = "the resize rows";
        Ok(Resampler {
            htaps,
            hw,
            vtaps,
            vw,
            ring,
            out_w,
            out_h,
            acc: try_filled(ring * out_w, zero, what)?,
            line: try_filled(in_w, zero, what)?,
            hrow: try_filled(out_w, zero, what)?,
            row: 0,
            lo: 0,
            next: 0,
        })
    }

    /// Feeds the next source row: `load` fills it (`in_w` pixels) and is called only when
    /// some output row reads this source row. `emit(y, row)` gets each output row (`out_w`
    /// pixels) finished by this source row.
    pub fn push(&mut self, load: impl FnOnce(&mut [v128]), mut emit: impl FnMut(usize, &[v128])) {
        let r = self.row;
        self.row += 1;
        let out_w = self.out_w;
        while self.next < self.out_h && self.vtaps[self.next].start as usize <= r {
            self.next += 1;
        }
        if self.lo == self.next {
            return; // no output row reads this source row
        }
        load(&mut self.line);
        horizontal(&self.line, &self.htaps, &self.hw, &mut self.hrow);
        let zero = f32x4_splat(0.0);
        for y2 in self.lo..self.next {
            let t = self.vtaps[y2];
            let w = f32x4_splat(self.vw[t.off as usize + r - t.start as usize]);
            let a = &mut self.acc[(y2 % self.ring) * out_w..][..out_w];
            if r == t.start as usize {
                // First tap: 0 + h * w, as the crate sums (the slot held another row).
                for (a, h) in a.iter_mut().zip(&self.hrow) {
                    *a = f32x4_add(zero, f32x4_mul(*h, w));
                }
            } else {
                for (a, h) in a.iter_mut().zip(&self.hrow) {
                    *a = f32x4_add(*a, f32x4_mul(*h, w));
                }
            }
        }
        while self.lo < self.next && self.vtaps[self.lo].end() == r {
            emit(self.lo, &self.acc[(self.lo % self.ring) * out_w..][..out_w]);
            self.lo += 1;
        }
    }

    /// True once every output row has been emitted.
    pub fn finished(&self) -> bool {
        self.lo == self.out_h
    }
}

/// Streaming lanczos3 like [`Resampler`] (same weights, same sums, so the same results), but
/// keeping a window of horizontally filtered *source* rows instead of open *output* rows:
/// an output row is computed from the window as soon as its last source row is in. The
/// window holds as many rows as the longest vertical filter (7 when enlarging, about 6r + 1
/// when reducing by r), where [`Resampler`]'s ring holds about 3 + 6 / r, so this one suits
/// enlargements (a 100x taller output keeps 7 rows here, 600 there) and the small ratios
/// left after a box pre-shrink. Any sizes >= 1 per axis, in either direction.
pub struct WindowResampler {
    htaps: Vec<Tap>,
    hw: Vec<f32>,
    vtaps: Vec<Tap>,
    vw: Vec<f32>,
    /// Rows in the window; source row r is kept at slot r % cap.
    cap: usize,
    out_w: usize,
    window: Vec<v128>,
    line: Vec<v128>,
    out: Vec<v128>,
    /// The next source row to come, and the next output row to finish.
    row: usize,
    next: usize,
}

impl WindowResampler {
    /// Weights and buffers for `in_w` x `in_h` → `out_w` x `out_h` (all >= 1).
    pub fn new(in_w: usize, in_h: usize, out_w: usize, out_h: usize) -> Result<Self, Failure> {
        let (htaps, hw) = lanczos3_taps(in_w, out_w)?;
        let (vtaps, vw) = lanczos3_taps(in_h, out_h)?;
        let cap = vtaps.iter().map(|t| t.len as usize).max().unwrap_or(1);
        let zero = f32x4_splat(0.0);
        let what = "the resize rows";
        Ok(WindowResampler {
            htaps,
            hw,
            vtaps,
            vw,
            cap,
            out_w,
            window: try_filled(cap * out_w, zero, what)?,
            line: try_filled(in_w, zero, what)?,
            out: try_filled(out_w, zero, what)?,
            row: 0,
            next: 0,
        })
    }

    /// Feeds the next source row: `load` fills it (`in_w` pixels) and is called only when
    /// some output row reads this source row. `emit(y, row)` gets each output row (`out_w`
    /// pixels) finished by this source row, in order.
    pub fn push(&mut self, load: impl FnOnce(&mut [v128]), mut emit: impl FnMut(usize, &[v128])) {
        let r = self.row;
        self.row += 1;
        // Windows start and end in non-decreasing order: a row before the next output
        // row's window is read by no output row still to come.
        if self.next >= self.vtaps.len() || r < self.vtaps[self.next].start as usize {
            return;
        }
        let out_w = self.out_w;
        load(&mut self.line);
        let slot = &mut self.window[(r % self.cap) * out_w..][..out_w];
        horizontal(&self.line, &self.htaps, &self.hw, slot);
        let zero = f32x4_splat(0.0);
        while self.next < self.vtaps.len() && self.vtaps[self.next].end() <= r {
            let t = self.vtaps[self.next];
            let ws = &self.vw[t.off as usize..][..t.len as usize];
            for (j, &w) in ws.iter().enumerate() {
                let src = (t.start as usize + j) % self.cap;
                let src = &self.window[src * out_w..][..out_w];
                let w = f32x4_splat(w);
                if j == 0 {
                    // 0 + h * w, as the crate sums.
                    for (o, h) in self.out.iter_mut().zip(src) {
                        *o = f32x4_add(zero, f32x4_mul(*h, w));
                    }
                } else {
                    for (o, h) in self.out.iter_mut().zip(src) {
                        *o = f32x4_add(*o, f32x4_mul(*h, w));
                    }
                }
            }
            emit(self.next, &self.out);
            self.next += 1;
        }
    }

    /// True once every output row has been emitted.
    pub fn finished(&self) -> bool {
        self.next == self.vtaps.len()
    }
}

/// Stores one row of f32x4 R, G, B, A (0..=255) as RGBA8 at `dst`: with `unpremultiply`,
/// colour is first divided by alpha / 255 (0 where alpha <= 0); then `(v + 0.5)` truncated
/// and saturated to 0..=255, as the `resize` crate rounds.
///
/// # Safety
/// `dst` must be valid for `row.len()` unaligned u32 writes.
pub unsafe fn store_rgba8(row: &[v128], unpremultiply: bool, dst: *mut u32) {
    let half = f32x4_splat(0.5);
    for (i, p) in row.iter().enumerate() {
        let mut v = *p;
        if unpremultiply {
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

/// Streaming box shrink by an integer factor `k`: output pixel (x, y) is the mean of the
/// k x k input block at (kx, ky); blocks at the right and bottom edges are partial and
/// averaged over the pixels they have. All four lanes are averaged alike, so the input
/// should be premultiplied when it has alpha. Output: ceil(in_w / k) x ceil(in_h / k).
pub struct BoxShrink {
    k: usize,
    in_w: usize,
    in_h: usize,
    sums: Vec<v128>,
    /// Source rows added to `sums` so far in the current block, and in total.
    in_block: usize,
    rows: usize,
}

impl BoxShrink {
    /// Buffers for `in_w` x `in_h` shrunk by `k` >= 1.
    pub fn new(in_w: usize, in_h: usize, k: usize) -> Result<Self, Failure> {
        let out_w = (in_w + k - 1) / k;
        Ok(BoxShrink {
            k,
            in_w,
            in_h,
            sums: try_filled(out_w, f32x4_splat(0.0), "the shrink row")?,
            in_block: 0,
            rows: 0,
        })
    }

    /// Output size (ceil(in / k) per axis).
    pub fn out_size(&self) -> (usize, usize) {
        ((self.in_w + self.k - 1) / self.k, (self.in_h + self.k - 1) / self.k)
    }

    /// Adds the next source row (`in_w` pixels); when it completes a block row, `emit` gets
    /// the averaged row (`ceil(in_w / k)` pixels).
    pub fn push(&mut self, line: &[v128], emit: impl FnOnce(&[v128])) {
        let k = self.k;
        for (s, block) in self.sums.iter_mut().zip(line.chunks(k)) {
            let mut acc = if self.in_block == 0 { f32x4_splat(0.0) } else { *s };
            for p in block {
                acc = f32x4_add(acc, *p);
            }
            *s = acc;
        }
        self.in_block += 1;
        self.rows += 1;
        if self.in_block == k || self.rows == self.in_h {
            let bh = self.in_block as f32;
            let last_w = self.in_w - (self.sums.len() - 1) * k;
            let n = self.sums.len();
            for (i, s) in self.sums.iter_mut().enumerate() {
                let bw = if i + 1 == n { last_w } else { k } as f32;
                *s = f32x4_mul(*s, f32x4_splat(1.0 / (bw * bh)));
            }
            emit(&self.sums);
            self.in_block = 0;
        }
    }
}

/// [`BoxShrink`] straight from RGBA8 rows, summing in integers (exact, and about 3x faster
/// than converting every source pixel to f32 first): output pixels are f32x4 R, G, B, A in
/// 0..=255, colour premultiplied by alpha / 255 when asked (sums of colour x alpha, divided
/// once), as [`Resampler`] and [`WindowResampler`] take them. Sums fit in u32 for k <= 256.
pub struct BoxShrinkRgba8 {
    k: usize,
    in_w: usize,
    in_h: usize,
    premultiply: bool,
    sums: Vec<v128>,
    out: Vec<v128>,
    in_block: usize,
    rows: usize,
}

impl BoxShrinkRgba8 {
    /// Buffers for `in_w` x `in_h` shrunk by `k` (1..=256).
    pub fn new(in_w: usize, in_h: usize, k: usize, premultiply: bool) -> Result<Self, Failure> {
        let out_w = (in_w + k - 1) / k;
        let what = "the shrink row";
        Ok(BoxShrinkRgba8 {
            k,
            in_w,
            in_h,
            premultiply,
            sums: try_filled(out_w, i32x4_splat(0), what)?,
            out: try_filled(out_w, f32x4_splat(0.0), what)?,
            in_block: 0,
            rows: 0,
        })
    }

    /// Output size (ceil(in / k) per axis).
    pub fn out_size(&self) -> (usize, usize) {
        ((self.in_w + self.k - 1) / self.k, (self.in_h + self.k - 1) / self.k)
    }

    /// Adds the next source row (`in_w` RGBA8 pixels); when it completes a block row, `emit`
    /// gets the averaged row (`ceil(in_w / k)` pixels).
    pub fn push(&mut self, raw: &[u8], emit: impl FnOnce(&[v128])) {
        let k = self.k;
        let ones = i32x4_splat(1);
        let premultiply = self.premultiply;
        let first = self.in_block == 0;
        let sums = &mut self.sums;
        // Pixels are read 4 at a time (one 16-byte load: fewer loads, and fewer bounds
        // checks where the engine makes them explicit) and added to the block in progress.
        let (mut col, mut left) = (0usize, k);
        let mut acc = if first { i32x4_splat(0) } else { sums[0] };
        let mut add = |px: v128| {
            acc = i32x4_add(
                acc,
                if premultiply {
                    // (r a, g a, b a, a): lanes 3, 3, 3 of the pixel and 1.
                    i32x4_mul(px, i32x4_shuffle::<3, 3, 3, 4>(px, ones))
                } else {
                    px
                },
            );
            left -= 1;
            if left == 0 {
                sums[col] = acc;
                col += 1;
                left = k;
                acc = if first || col == sums.len() { i32x4_splat(0) } else { sums[col] };
            }
        };
        let px = &raw[..self.in_w * 4];
        let mut quads = px.chunks_exact(16);
        for q in &mut quads {
            // SAFETY: `q` is 16 bytes long.
            let v = unsafe { v128_load(q.as_ptr() as *const v128) };
            let lo = u16x8_extend_low_u8x16(v);
            let hi = u16x8_extend_high_u8x16(v);
            add(u32x4_extend_low_u16x8(lo));
            add(u32x4_extend_high_u16x8(lo));
            add(u32x4_extend_low_u16x8(hi));
            add(u32x4_extend_high_u16x8(hi));
        }
        for p in quads.remainder().chunks_exact(4) {
            add(u32x4(p[0] as u32, p[1] as u32, p[2] as u32, p[3] as u32));
        }
        if left != k {
            sums[col] = acc; // the last, partial block
        }
        self.in_block += 1;
        self.rows += 1;
        if self.in_block == k || self.rows == self.in_h {
            let bh = self.in_block as f32;
            let last_w = self.in_w - (self.sums.len() - 1) * k;
            let n = self.sums.len();
            let c = if self.premultiply { 255.0 } else { 1.0 };
            for (i, (s, o)) in self.sums.iter().zip(self.out.iter_mut()).enumerate() {
                let bw = if i + 1 == n { last_w } else { k } as f32;
                let inv = 1.0 / (bw * bh);
                *o = f32x4_mul(f32x4_convert_u32x4(*s), f32x4(inv / c, inv / c, inv / c, inv));
            }
            emit(&self.out);
            self.in_block = 0;
        }
    }
}

/// The integer box-shrink factor before lanczos3 for a reduction from `in` to `out` pixels
/// (per axis): the largest that leaves lanczos3 at least a 1.5x reduction in both axes,
/// the rule of `preShrinkFactor` in src/codecs/resize.ts.
pub fn pre_shrink_factor(in_w: usize, in_h: usize, out_w: usize, out_h: usize) -> usize {
    let r = (in_w as f64 / out_w as f64).min(in_h as f64 / out_h as f64);
    ((r / 1.5).floor() as usize).max(1)
}
