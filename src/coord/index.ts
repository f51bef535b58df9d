/**
 * Public API of the coordinate module (SPEC §2): axial hex coordinates, ring and spiral walks,
 * and the 16-byte `PackedCoord` key. Conventions and worked examples: docs/coordinates.md.
 *
 * This module depends only on `errors.ts`, so the client SDK can ship it without the engine.
 */
export {
  add,
  assertCoord,
  coord,
  coordComponentMax,
  coordComponentMin,
  coordEquals,
  coordToString,
  directionQ,
  directionR,
  directions,
  distance,
  fromCube,
  isCoordComponent,
  neighbour,
  neighbours,
  rotate,
  scale,
  subtract,
  toCube,
  type Coord,
  type CubeCoord,
} from './hex.js';
export {
  coordListLengthMax,
  forEachInRing,
  forEachInSpiral,
  ring,
  ringIter,
  ringSize,
  spiral,
  spiralIter,
  spiralSize,
  type CoordVisitor,
} from './ring.js';
export {
  assertPackedCoord,
  comparePackedCoords,
  packCoord,
  packCoordInto,
  packedCoordBytes,
  packedCoordFromHex,
  packedCoordToHex,
  regionMax,
  unpackCoord,
  unpackCoordAt,
  type PackedCoord,
  type UnpackedCoord,
} from './packed-coord.js';
