-- The attention point of each original (src/images/attention.ts), computed with the image
-- card by the queue consumer: fractions of the upright image (0 = left/top, 1 = right/bottom).
-- NULL until the card is made; `gravity=auto` crops centre on it.
ALTER TABLE images ADD COLUMN focal_x REAL;
ALTER TABLE images ADD COLUMN focal_y REAL;
-- Images whose card (or, for cards made before this migration, whose attention point) is
-- missing, for the reconciler's re-sends (src/storage/images-db.ts claimMissingCards).
CREATE INDEX images_no_focal ON images (created_at) WHERE focal_x IS NULL;
