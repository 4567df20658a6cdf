-- WebP originals whose decode runs a lossless (VP8L) bitstream: a VP8L image, or a lossy
-- image with a losslessly compressed alpha plane. They are decoded by wasm/webp_rs.wasm
-- (memory-safe Rust) instead of libwebp 1.1.0 (CVE-2023-4863), which costs more CPU and
-- memory per pixel: the planner reads this flag (src/transform/cost.ts).
ALTER TABLE images ADD COLUMN webp_lossless INTEGER NOT NULL DEFAULT 0;
