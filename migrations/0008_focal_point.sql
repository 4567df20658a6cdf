-- The attention point of each original (src/images/attention.ts), computed with the image
-- card by the queue consumer: fractions of the upright image (0 = left/top, 1 = right/bottom).
-- NULL until the card is made; `gravity=auto` crops centre on it.
ALTER TABLE images ADD COLUMN focal_x REAL;
ALTER TABLE images ADD COLUMN focal_y REAL;
