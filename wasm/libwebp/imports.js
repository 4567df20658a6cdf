// The host functions glue.c imports from `env`, declared for emscripten so that the link
// keeps them as imports (every other undefined symbol stays an error). Supplied at run time
// by src/codecs/webp.ts.
mergeInto(LibraryManager.library, {
  // Called from libwebp's progress hook during an encode (glue.c, webp_yield_every).
  webp_yield: function () {},
});
