// Picture quality figures for early feedback: sharpness (variance of the Laplacian) and mean brightness.
import { assertImage, type ImagePixels } from '../contract';

export interface PictureQuality {
  /** Variance of the 4-neighbour Laplacian of the grey image; low means blurry. */
  sharpness: number;
  /** Mean grey level 0 … 255. */
  brightness: number;
}

/** Grey level by the Rec. 601 luma weights, as most camera pipelines and OpenCV's BGR2GRAY use. */
function greyImage(image: ImagePixels): Float64Array {
  const { data, width, height, channels } = image;
  const grey = new Float64Array(width * height);
  for (let i = 0, p = 0; i < grey.length; i++, p += channels) {
    grey[i] = 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
  }
  return grey;
}

export function pictureQuality(image: ImagePixels): PictureQuality {
  assertImage(image);
  const { width, height } = image;
  const grey = greyImage(image);
  let sum = 0;
  for (let i = 0; i < grey.length; i++) sum += grey[i]!;
  // Laplacian on interior pixels only: border pixels have no full neighbourhood.
  let count = 0;
  let mean = 0;
  let m2 = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1, i = y * width + 1; x < width - 1; x++, i++) {
      const lap = grey[i - 1]! + grey[i + 1]! + grey[i - width]! + grey[i + width]! - 4 * grey[i]!;
      // Welford's update keeps the variance exact for large images.
      count++;
      const delta = lap - mean;
      mean += delta / count;
      m2 += delta * (lap - mean);
    }
  }
  return { sharpness: count > 0 ? m2 / count : 0, brightness: grey.length > 0 ? sum / grey.length : 0 };
}
