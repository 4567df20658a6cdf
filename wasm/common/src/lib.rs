//! Code shared by our Rust wasm modules (wasm32-unknown-unknown, `+simd128`):
//! - [`abi`]: the C-ABI conventions every decode export follows (11-word header, status codes,
//!   input buffers owned by the call, one output kept until the next call);
//! - [`resample`]: separable lanczos3 on streamed rows (the `resize` crate's conventions), and
//!   a streaming box pre-shrink.

pub mod abi;
pub mod resample;
