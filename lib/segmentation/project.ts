// Maps a class plane (tensor or model-output resolution) back onto the original image, nearest neighbour.
import type { TensorGeometry } from '../contract';
import { PipelineError } from '../errors';
import type { ClassPlane } from './decode';

/**
 * mlops-tensor placed source pixel coordinate s at tensor coordinate s·scale + pad. The inverse for each original
 * pixel takes its centre (x + 0.5) through that mapping, then into the output plane, which may be smaller than the
 * tensor (models that predict at a stride) but covers the same area. Pixels that land outside the plane (the parts
 * a "cover" resize cropped away) are background.
 */
function axisLookup(targetSize: number, scale: number, pad: number, tensorSize: number, planeSize: number): Int32Array {
  const lookup = new Int32Array(targetSize);
  const toPlane = planeSize / tensorSize;
  for (let i = 0; i < targetSize; i++) {
    const planeCoordinate = Math.floor(((i + 0.5) * scale + pad) * toPlane);
    lookup[i] = planeCoordinate >= 0 && planeCoordinate < planeSize ? planeCoordinate : -1;
  }
  return lookup;
}

function checkGeometry(geometry: TensorGeometry): void {
  const numbers: (keyof TensorGeometry)[] = ['sourceWidth', 'sourceHeight', 'width', 'height', 'scaleX', 'scaleY', 'padLeft', 'padTop'];
  for (const key of numbers) {
    const value = geometry[key];
    const positive = key !== 'padLeft' && key !== 'padTop';
    if (typeof value !== 'number' || !Number.isFinite(value) || (positive && value <= 0)) {
      const rule = positive ? 'a positive number' : 'a number';
      throw new PipelineError(
        'bad-geometry',
        `msg.tensor.geometry.${key} is ${JSON.stringify(value)}; it must be ${rule}. Keep msg.tensor as mlops-tensor wrote it.`,
        { key, value: String(value), rule },
      );
    }
  }
}

/** Geometry for a tensor that is a plain resize of the whole image (used when msg.tensor.geometry is missing). */
export function wholeImageGeometry(imageWidth: number, imageHeight: number, tensorWidth: number, tensorHeight: number): TensorGeometry {
  return {
    sourceWidth: imageWidth,
    sourceHeight: imageHeight,
    width: tensorWidth,
    height: tensorHeight,
    scaleX: tensorWidth / imageWidth,
    scaleY: tensorHeight / imageHeight,
    padLeft: 0,
    padTop: 0,
    resize: 'fill',
  };
}

/** Class map at geometry.sourceWidth × geometry.sourceHeight, one uint8 class index per original pixel. */
export function backProject(plane: ClassPlane, geometry: TensorGeometry): Uint8Array {
  checkGeometry(geometry);
  const targetWidth = Math.round(geometry.sourceWidth);
  const targetHeight = Math.round(geometry.sourceHeight);
  const columns = axisLookup(targetWidth, geometry.scaleX, geometry.padLeft, geometry.width, plane.width);
  const rows = axisLookup(targetHeight, geometry.scaleY, geometry.padTop, geometry.height, plane.height);
  const source = plane.classes;
  const classMap = new Uint8Array(targetWidth * targetHeight);
  let target = 0;
  for (let y = 0; y < targetHeight; y++) {
    const row = rows[y]!;
    if (row < 0) {
      target += targetWidth;
      continue;
    }
    if (y > 0 && row === rows[y - 1]) {
      // Enlarging repeats rows: copy the one just built.
      classMap.copyWithin(target, target - targetWidth, target);
      target += targetWidth;
      continue;
    }
    const rowStart = row * plane.width;
    for (let x = 0; x < targetWidth; x++, target++) {
      const column = columns[x]!;
      if (column >= 0) classMap[target] = source[rowStart + column]!;
    }
  }
  return classMap;
}
