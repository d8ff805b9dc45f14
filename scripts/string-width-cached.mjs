// Stands in for string-width in the bundle: the same function, memoised for short strings. Ink
// measures every cell of every frame one character at a time, and a screen holds only a few
// hundred distinct characters, so a lookup replaces most of the work (it showed at the top of the
// idle CPU profile).
import stringWidth from '../node_modules/string-width/index.js';

const cache = new Map();

export default function cachedStringWidth(text, options) {
  if (options !== undefined || typeof text !== 'string' || text.length > 4) return stringWidth(text, options);
  let width = cache.get(text);
  if (width === undefined) {
    width = stringWidth(text);
    if (cache.size < 4096) cache.set(text, width);
  }
  return width;
}
