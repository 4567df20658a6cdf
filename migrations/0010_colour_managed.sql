-- Whether making a variant of the original runs the colour transform (src/codecs/lcms.ts): 1
-- when it carries an embedded ICC profile, and for every AVIF (its nclx primaries may need
-- converting, which only decoding tells); 0 when it is known to carry none. NULL for rows
-- stored before this column, which the planner charges the transform (src/transform/cost.ts).
ALTER TABLE images ADD COLUMN colour_managed INTEGER;
