export { Rng, type MutableArrayLike } from './rng.js';
