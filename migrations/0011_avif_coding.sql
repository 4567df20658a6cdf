-- AVIF originals: the primary item's AV1 coding, read from its `av1C` at upload
-- (src/codecs/probe/avif.ts): bit depth (8, 10, 12) and chroma subsampling ('4:0:0', '4:2:0',
-- '4:2:2', '4:4:4'), which decide the size of the frame the AV1 decoder holds (dav1d: 1 byte
-- per sample at 8 bits, 2 above) and so the planner's memory figure (src/transform/avif-cost.ts).
-- NULL for other formats and for AVIF rows stored before these columns, which the planner
-- charges the largest frame (12-bit 4:4:4).
ALTER TABLE images ADD COLUMN avif_bit_depth INTEGER;
ALTER TABLE images ADD COLUMN avif_chroma TEXT;
