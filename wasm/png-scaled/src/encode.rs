//! PNG encoding fed by bands of rows: the host writes RGBA8 rows into a band buffer, the `png`
//! crate's `StreamWriter` filters each row (Sub, as `Encoder`'s default) and deflates it
//! (flate2 over miniz_oxide, `Compression::Fast`: level 1) as it comes, and the compressed
//! chunks are appended to a list of segments (up to 1 MiB each), which the host drains as they
//! fill. So the module holds one band, two filter rows, the deflate state and the segments not
//! yet drained, never the image nor (when drained) the file. Chunk CRCs and the zlib Adler-32
//! are written as usual: `--cfg fuzzing` only stops the *decoder* checking them.
//!
//! # ABI (header words as in `edge_wasm_common::abi`)
//! - `png_encode_begin(width, height, channels, band_rows) -> header`: starts an 8-bit
//!   encode, RGB (`channels` 3: the rows' alpha is dropped) or RGBA (4). Word 3 points at the
//!   band buffer (`band_rows` rows of `width` x 4 bytes, RGBA8), word 4 is its length.
//! - `png_encode_rows(rows) -> header`: encodes the first `rows` rows of the band buffer (the
//!   next rows of the image, top to bottom).
//! - `png_encode_rows_from(first, rows) -> header`: the same for the band's rows `first` ..
//!   `first + rows` (a band of the whole image encoded a piece at a time, drained between).
//! - `png_encode_drain() -> header`: hands over the file's bytes written so far in full
//!   segments: word 3 points at `n` pairs of u32 (segment pointer, segment length), word 4 is
//!   `8 n`, word 7 their total length (0 and an empty table when none is full). They stay
//!   valid until the next `png_encode_*` call, which frees them. Optional: what is not
//!   drained is handed over by `png_encode_finish`.
//! - `png_encode_finish() -> header`: after the last row. As `png_encode_drain`, for the rest
//!   of the file: the file is the drained segments, in order, then these.
//! - `png_encode_release()`: frees the encode (its band and output); a failed call frees it
//!   too.

use edge_wasm_common::abi::{
    fail, try_filled, try_vec, Failure, HEADER, HEADER_WORDS, H_DATA_LEN, H_DATA_PTR, H_HEIGHT,
    H_MSG_LEN, H_MSG_PTR, H_SRC_INFO_A, H_STATUS, H_WIDTH, S_BAD_ARGUMENT, S_INTERNAL,
    S_OUT_OF_MEMORY, S_OK,
};
use png::{AdaptiveFilterType, BitDepth, ColorType, Compression, Encoder, FilterType, StreamWriter};
use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;

/// Largest segment of compressed output (segments start at [`MIN_SEGMENT`] and double).
const MAX_SEGMENT: usize = 1 << 20;
/// First segment's size.
const MIN_SEGMENT: usize = 64 << 10;
/// Bytes of compressed data per IDAT chunk (the StreamWriter's buffer): 12 bytes of chunk
/// framing per 256 KiB.
const IDAT_BYTES: usize = 256 << 10;
/// Pixel cap (16384 x 16384), as the decoder's: keeps every size below 2^32.
const MAX_PIXELS: u64 = 1 << 28;

/// The compressed file so far, in segments that are never moved once written (no
/// reallocation of a whole-file buffer as it grows). `failed` records a write that could
/// not allocate: the `png` crate's destructors (which write the last chunks) drop errors.
#[derive(Default)]
struct Segments {
    segs: Vec<Vec<u8>>,
    total: usize,
    failed: bool,
}

/// The `Write` the encoder writes the file to: appends to the shared [`Segments`].
struct SegmentWriter(Rc<RefCell<Segments>>);

impl Write for SegmentWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut s = self.0.borrow_mut();
        let mut rest = buf;
        while !rest.is_empty() {
            if s.segs.last().map_or(true, |v| v.len() == v.capacity()) {
                let cap = s.total.clamp(MIN_SEGMENT, MAX_SEGMENT);
                let mut seg = Vec::new();
                if seg.try_reserve_exact(cap).is_err() || s.segs.try_reserve(1).is_err() {
                    s.failed = true;
                    return Err(io::Error::new(io::ErrorKind::Other, "out of memory"));
                }
                s.segs.push(seg);
            }
            let last = s.segs.last_mut().unwrap();
            let n = (last.capacity() - last.len()).min(rest.len());
            last.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            s.total += n;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An encode in progress.
struct Encode {
    stream: StreamWriter<'static, SegmentWriter>,
    out: Rc<RefCell<Segments>>,
    band: Vec<u8>,
    band_rows: usize,
    width: usize,
    rgb: bool,
    /// One RGB row (RGB only): the band row without alpha.
    row: Vec<u8>,
    rows_left: usize,
}

/// Segments handed to the host: the segments and their (pointer, length) table.
struct Finished {
    _segs: Vec<Vec<u8>>,
    _table: Vec<u32>,
}

static mut ENCODE: Option<Encode> = None;
/// The segments and table handed over by the last `png_encode_drain` or `png_encode_finish`.
static mut FINISHED: Option<Finished> = None;
static mut MESSAGE: String = String::new();

/// Fills the header with a result: (data pointer, data length, word 7) or a failure; a
/// failure frees the encode.
unsafe fn report(result: Result<(u32, u32, u32), Failure>, width: u32, height: u32) -> *const u32 {
    HEADER = [0; HEADER_WORDS];
    match result {
        Ok((ptr, len, info)) => {
            HEADER[H_STATUS] = S_OK;
            HEADER[H_WIDTH] = width;
            HEADER[H_HEIGHT] = height;
            HEADER[H_DATA_PTR] = ptr;
            HEADER[H_DATA_LEN] = len;
            HEADER[H_SRC_INFO_A] = info;
        }
        Err(failure) => {
            png_encode_release();
            HEADER[H_STATUS] = failure.status;
            MESSAGE = failure.message;
            HEADER[H_MSG_PTR] = MESSAGE.as_ptr() as u32;
            HEADER[H_MSG_LEN] = MESSAGE.len() as u32;
        }
    }
    HEADER.as_ptr()
}

fn from_encoding_error(err: png::EncodingError, out: &Rc<RefCell<Segments>>) -> Failure {
    if out.borrow().failed {
        return Failure { status: S_OUT_OF_MEMORY, message: "cannot allocate the PNG output".into() };
    }
    Failure { status: S_INTERNAL, message: format!("PNG encoder: {err}") }
}

fn from_io_error(err: io::Error, out: &Rc<RefCell<Segments>>) -> Failure {
    from_encoding_error(png::EncodingError::IoError(err), out)
}

/// Frees the encode in progress, the last finished output and the last message.
#[no_mangle]
pub extern "C" fn png_encode_release() {
    unsafe {
        // Dropping a StreamWriter finishes its stream into segments that go with it.
        ENCODE = None;
        FINISHED = None;
        MESSAGE = String::new();
    }
}

/// Starts an encode (see the module docs); frees any previous one.
#[no_mangle]
pub extern "C" fn png_encode_begin(
    width: u32,
    height: u32,
    channels: u32,
    band_rows: u32,
) -> *const u32 {
    png_encode_release();
    let result = begin(width, height, channels, band_rows);
    unsafe { report(result, width, height) }
}

fn begin(width: u32, height: u32, channels: u32, band_rows: u32) -> Result<(u32, u32, u32), Failure> {
    if width == 0 || height == 0 || width as u64 * height as u64 > MAX_PIXELS {
        return fail(S_BAD_ARGUMENT, "image size outside 1..2^28 pixels");
    }
    if channels != 3 && channels != 4 {
        return fail(S_BAD_ARGUMENT, "channels must be 3 (RGB) or 4 (RGBA)");
    }
    if band_rows == 0 || band_rows > height {
        return fail(S_BAD_ARGUMENT, "band height outside 1..height");
    }
    let (w, rows) = (width as usize, band_rows as usize);
    let band = try_filled(w * 4 * rows, 0u8, "the band")?;
    let row = if channels == 3 { try_filled(w * 3, 0u8, "a row")? } else { Vec::new() };
    let out = Rc::new(RefCell::new(Segments::default()));
    let mut encoder = Encoder::new(SegmentWriter(out.clone()), width, height);
    encoder.set_color(if channels == 3 { ColorType::Rgb } else { ColorType::Rgba });
    encoder.set_depth(BitDepth::Eight);
    // The crate's defaults, named: what @jsquash/png (png 0.17.10) writes too.
    encoder.set_compression(Compression::Fast);
    encoder.set_filter(FilterType::Sub);
    encoder.set_adaptive_filter(AdaptiveFilterType::NonAdaptive);
    let writer = encoder.write_header().map_err(|e| from_encoding_error(e, &out))?;
    let stream =
        writer.into_stream_writer_with_size(IDAT_BYTES).map_err(|e| from_encoding_error(e, &out))?;
    let ptr = band.as_ptr() as u32;
    let len = band.len() as u32;
    unsafe {
        ENCODE = Some(Encode {
            stream,
            out,
            band,
            band_rows: rows,
            width: w,
            rgb: channels == 3,
            row,
            rows_left: height as usize,
        });
    }
    Ok((ptr, len, 0))
}

/// Encodes the first `rows` rows of the band buffer.
#[no_mangle]
pub extern "C" fn png_encode_rows(rows: u32) -> *const u32 {
    png_encode_rows_from(0, rows)
}

/// Encodes the band buffer's rows `first` .. `first + rows`.
#[no_mangle]
pub extern "C" fn png_encode_rows_from(first: u32, rows: u32) -> *const u32 {
    let result = unsafe {
        FINISHED = None;
        match ENCODE.as_mut() {
            None => fail(S_BAD_ARGUMENT, "no PNG encode in progress"),
            Some(enc) => write_rows(enc, first as usize, rows as usize),
        }
    };
    unsafe { report(result, 0, 0) }
}

fn write_rows(enc: &mut Encode, first: usize, rows: usize) -> Result<(u32, u32, u32), Failure> {
    if rows == 0 || first >= enc.band_rows || rows > enc.band_rows - first || rows > enc.rows_left
    {
        return fail(S_BAD_ARGUMENT, "row count outside the band or past the image");
    }
    let (n, rgb) = (enc.width * 4, enc.rgb);
    enc.rows_left -= rows;
    let Encode { stream, out, band, row, .. } = enc;
    for src in band[first * n..(first + rows) * n].chunks_exact(n) {
        let line: &[u8] = if rgb {
            for (d, s) in row.chunks_exact_mut(3).zip(src.chunks_exact(4)) {
                d.copy_from_slice(&s[..3]);
            }
            &row[..]
        } else {
            src
        };
        stream.write_all(line).map_err(|e| from_io_error(e, out))?;
    }
    Ok((band.as_ptr() as u32, band.len() as u32, 0))
}

/// Hands over the full segments written so far (see the module docs for the result).
#[no_mangle]
pub extern "C" fn png_encode_drain() -> *const u32 {
    let result = unsafe {
        FINISHED = None;
        match ENCODE.as_mut() {
            None => fail(S_BAD_ARGUMENT, "no PNG encode in progress"),
            Some(enc) => {
                let full = {
                    let mut s = enc.out.borrow_mut();
                    // Every segment but the last is full; the last may still be written to.
                    let keep = usize::from(s.segs.last().map_or(false, |v| v.len() < v.capacity()));
                    let n = s.segs.len() - keep;
                    s.segs.drain(..n).collect::<Vec<_>>()
                };
                hand_over(full)
            }
        }
    };
    unsafe { report(result, 0, 0) }
}

/// Keeps `segs` in [`FINISHED`] and returns (table pointer, table length, total bytes).
fn hand_over(segs: Vec<Vec<u8>>) -> Result<(u32, u32, u32), Failure> {
    let total: usize = segs.iter().map(|s| s.len()).sum();
    if total > u32::MAX as usize {
        return fail(S_INTERNAL, "PNG output of 4 GiB or more");
    }
    let mut table: Vec<u32> = try_vec(segs.len() * 2, "the segment table")?;
    for s in &segs {
        table.push(s.as_ptr() as u32);
        table.push(s.len() as u32);
    }
    let (ptr, len) = (table.as_ptr() as u32, (table.len() * 4) as u32);
    unsafe { FINISHED = Some(Finished { _segs: segs, _table: table }) };
    Ok((ptr, len, total as u32))
}

/// Ends the encode after its last row (see the module docs for the result).
#[no_mangle]
pub extern "C" fn png_encode_finish() -> *const u32 {
    let result = unsafe {
        FINISHED = None;
        match ENCODE.take() {
            None => fail(S_BAD_ARGUMENT, "no PNG encode in progress"),
            Some(enc) => finish(enc),
        }
    };
    unsafe { report(result, 0, 0) }
}

fn finish(enc: Encode) -> Result<(u32, u32, u32), Failure> {
    if enc.rows_left > 0 {
        return fail(S_BAD_ARGUMENT, "PNG encode finished before its last row");
    }
    let Encode { stream, out, band, row, .. } = enc;
    drop((band, row));
    stream.finish().map_err(|e| from_encoding_error(e, &out))?;
    // `finish` leaves the zlib stream open; dropping the writers ends it (final deflate
    // block and Adler-32), writes the last IDAT and then IEND, into `out`.
    let segs = {
        let mut s = out.borrow_mut();
        if s.failed {
            return fail(S_OUT_OF_MEMORY, "cannot allocate the PNG output");
        }
        core::mem::take(&mut s.segs)
    };
    hand_over(segs)
}
